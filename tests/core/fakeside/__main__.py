"""``python -m tests.core.fakeside SIDE ARGS...``: the fake side as its own process, like ``python -m legacy_tf1``."""

import sys

from shared.core.runner import exit_now, run_side
from tests.core.fakeside import setup

if __name__ == "__main__":
    exit_now(run_side(sys.argv[2:], sys.argv[1], "tests.core.fakeside", setup,
                      relaunch=[sys.executable, "-m", "tests.core.fakeside", sys.argv[1]]))

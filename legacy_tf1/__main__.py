"""``python -m legacy_tf1``: train every registered case on TF 1.15 in this one interpreter."""

import sys

from legacy_tf1.device import setup
from shared.core.runner import exit_now, run_side

if __name__ == "__main__":
    exit_now(run_side(sys.argv[1:], "tf1", "legacy_tf1", setup))

"""``python -m modern_tf2``: train every registered case on TF 2.x in this one interpreter."""

import sys

from modern_tf2.artifacts import serve
from modern_tf2.device import setup
from shared.core.runner import exit_now, run_side

if __name__ == "__main__":
    exit_now(run_side(sys.argv[1:], "tf2", "modern_tf2", setup, after_case=serve))

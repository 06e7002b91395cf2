"""``python -m shared.baselines``."""

import sys

from shared.baselines import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

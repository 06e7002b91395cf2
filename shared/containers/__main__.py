"""``python -m shared.containers``."""

import sys

from shared.containers import main

if __name__ == "__main__":
    sys.exit(main())

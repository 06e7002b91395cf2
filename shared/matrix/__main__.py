"""``python -m shared.matrix``."""

import sys

from shared.matrix import main

if __name__ == "__main__":
    sys.exit(main())

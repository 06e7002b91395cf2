"""``python -m shared.bench``."""

import sys

from shared.bench import main

if __name__ == "__main__":
    sys.exit(main())

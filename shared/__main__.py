"""``python -m shared``: prepare the data, compare the runs, write the report (host side)."""

import sys

from shared.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

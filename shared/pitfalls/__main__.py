"""``python -m shared.pitfalls run|catalogue``: the pitfalls catalogue (what ``nox -s pitfalls`` runs)."""

import sys

from shared.pitfalls.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

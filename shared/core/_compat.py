"""The few version branches ``shared/`` needs, in one place (Python 3.7 and 3.11)."""

import sys

PY_VERSION = "%d.%d.%d" % sys.version_info[:3]
PY_3_8_PLUS = sys.version_info >= (3, 8)
PY_3_11_PLUS = sys.version_info >= (3, 11)


def numpy_major() -> int:
    """Major version of the numpy in this interpreter."""
    import numpy

    return int(numpy.__version__.split(".")[0])

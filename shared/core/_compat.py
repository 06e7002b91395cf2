"""The few version branches ``shared/`` needs, in one place (Python 3.7 and 3.11)."""

import sys

PY_VERSION = "%d.%d.%d" % sys.version_info[:3]
PY_3_8_PLUS = sys.version_info >= (3, 8)
PY_3_11_PLUS = sys.version_info >= (3, 11)


def numpy_major() -> int:
    """Major version of the numpy in this interpreter."""
    import numpy

    return int(numpy.__version__.split(".")[0])


def dist_version(name: str):
    """The installed version of distribution ``name`` (e.g. ``tensorflow-estimator``), or None.

    ``importlib.metadata`` from Python 3.8; on 3.7 the ``*.dist-info`` folders on ``sys.path`` are read.
    """
    if PY_3_8_PLUS:
        from importlib import metadata

        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None
    import glob
    import os

    wanted = name.replace("-", "_").lower()
    for folder in sys.path:
        for info in glob.glob(os.path.join(folder or ".", "*.dist-info")):
            base = os.path.basename(info)[:-len(".dist-info")]
            dist, _, version = base.partition("-")
            if dist.replace("-", "_").lower() == wanted and version:
                return version
    return None

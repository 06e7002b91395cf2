"""Tables that an installed package ships inside its wheel, found without importing the package and checked by SHA-256.

A real dataset is read from the file a package installs (scikit-learn's ``breast_cancer.csv``), never
downloaded. The package is located with ``importlib.util.find_spec`` (its ``__init__`` does not run),
and the file's bytes must have the SHA-256 the case declares, so a different release of the package
that ships other bytes is refused with both checksums instead of training on other data.
"""

import hashlib
import importlib.util
import os

from shared.core.errors import DataError


def locate(package: str, relpath: str) -> str:
    """The path of ``relpath`` inside installed ``package`` (e.g. ``sklearn``, ``datasets/data/x.csv``)."""
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = os.path.join(folder, *relpath.split("/"))
        if os.path.isfile(path):
            return path
    raise DataError(
        "the table %s of package %r is not available in this interpreter" % (relpath, package),
        expected="package %r installed, holding %s" % (package, relpath),
        found="no package %r" % package if not folders else "no such file under %s" % ", ".join(folders),
        fix="generate the data with the env that has it (nox -s tf1 or nox -s tf2: both install it), "
            "or install %s here" % package,
    )


def read(package: str, relpath: str, sha256: str) -> bytes:
    """The bytes of a packaged table after checking them against the SHA-256 the case declares."""
    path = locate(package, relpath)
    with open(path, "rb") as handle:
        payload = handle.read()
    actual = hashlib.sha256(payload).hexdigest()
    if actual != sha256:
        raise DataError(
            "the table %s shipped by %r has other bytes than the case declares" % (path, package),
            expected="sha256 %s" % sha256,
            found="sha256 %s" % actual,
            fix="install the %s release the env's lock pins (nox -s tf1 / tf2 sync it), or declare this "
                "file's checksum in the case if you mean to train on it" % package,
        )
    return payload

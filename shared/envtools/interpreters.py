"""Find a Python interpreter of a given version (stdlib only: the noxfile imports this)."""

import glob
import os
import shutil
import subprocess
from typing import Iterator, List, Optional

from shared.core.errors import EnvError

ENV_VAR = "TFKIT_PYTHON37"


def runs_as(path: str, version: str) -> bool:
    """True when ``path`` executes and reports ``version`` (a pyenv shim may exist yet fail)."""
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.decode().strip() == version


def _pyenv_root_command() -> str:
    exe = shutil.which("pyenv")
    if not exe:
        return ""
    try:
        return subprocess.run([exe, "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=30, check=False).stdout.decode().strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _pyenv_roots() -> Iterator[str]:
    """``$PYENV_ROOT``, ``~/.pyenv``, then ``pyenv root`` (run only when the first two are not enough)."""
    seen = []  # type: List[str]
    for root in (os.environ.get("PYENV_ROOT", ""), os.path.expanduser("~/.pyenv"), None):
        root = _pyenv_root_command() if root is None else root
        if root and os.path.isdir(root) and root not in seen:
            seen.append(root)
            yield root


def pyenv_roots() -> List[str]:
    """``$PYENV_ROOT``, ``~/.pyenv`` and ``pyenv root``, those that exist."""
    return list(_pyenv_roots())


def is_pyenv_shim(path: str) -> bool:
    """True for pyenv's shim scripts (``<root>/shims/python3.7``), which start pyenv instead of Python."""
    if os.path.basename(os.path.dirname(os.path.realpath(path))) != "shims":
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return False
    return head.startswith(b"#!") and b"pyenv" in head


def _candidates(version: str) -> Iterator[str]:
    """Where to look, in order, lazily: the explicit setting, PATH, pyenv's versions folder, uv's finder.

    A pyenv shim on PATH is tried after pyenv's versions folder, not before: running it starts pyenv
    (0.15 s here, whether or not it then finds a Python), and what it would run lives in that folder.
    """
    explicit = os.environ.get(ENV_VAR) if version == "3.7" else None
    if explicit:
        yield explicit
    on_path = shutil.which("python" + version)
    shim = on_path if on_path and is_pyenv_shim(on_path) else None
    if on_path and not shim:
        yield on_path
    for root in _pyenv_roots():
        for path in sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)), reverse=True):
            yield path
    if shim:
        yield shim
    uv = shutil.which("uv")
    if uv:
        try:
            out = subprocess.run([uv, "python", "find", version], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 timeout=60, check=False)
            if out.returncode == 0 and out.stdout.strip():
                yield out.stdout.decode().strip()
        except (OSError, subprocess.SubprocessError):
            pass


def candidates(version: str) -> List[str]:
    """Every place :func:`find` would look, in order."""
    return list(_candidates(version))


def find(version: str) -> Optional[str]:
    """The first candidate that really runs as ``version``, or None."""
    explicit = os.environ.get(ENV_VAR) if version == "3.7" else None
    for path in _candidates(version):  # lazy: uv's finder runs only when nothing earlier works
        if runs_as(path, version):
            return path
        if explicit and path == explicit:
            raise EnvError(
                "%s=%s does not run as Python %s" % (ENV_VAR, explicit, version),
                expected="the path of a working python%s" % version,
                found=explicit,
                fix="point %s at a real interpreter, or unset it to search PATH and pyenv" % ENV_VAR,
            )
    return None


def missing(version: str) -> EnvError:
    """The error for a Python that could not be found, naming every way to get one."""
    return EnvError(
        "no working Python %s found (TensorFlow 1.15.5 has wheels for CPython <= 3.7 only)" % version,
        expected="python%s on PATH, in pyenv's versions folder, known to uv, or named by %s" % (version, ENV_VAR),
        found="looked at: " + (", ".join(candidates(version)) or "nothing on PATH, no pyenv versions"),
        fix="install it ('pyenv install 3.7.16', or your OS's python3.7 package) or set %s=/path/to/python3.7" % ENV_VAR,
    )


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m shared.interpreters 3.7``: print the interpreter's path, or explain and exit 2."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    version = args[0] if args else "3.7"
    try:
        path = find(version)
    except EnvError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    if path is None:
        print("error: %s" % missing(version), file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

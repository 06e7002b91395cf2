"""Atomic file writes: a temp file in the same folder, fsync, then rename."""

import errno
import json
import os
import tempfile
from typing import Any

from shared.core.errors import WriteError

FULL = (errno.ENOSPC, errno.EDQUOT)


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def cannot_write(path: str, exc: OSError) -> WriteError:
    """The error for a file that could not be written: a full disk, a read-only or foreign folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if exc.errno in FULL:
        fix = "free space on the disk of %s (df -h %s) or write elsewhere (--results DIR)" % (folder, folder)
    else:
        fix = "make %s writable or write elsewhere (--results DIR)" % folder
    return WriteError(
        "could not write %s" % path,
        expected="room and permission to write it",
        found="%s (%s)" % (os.strerror(exc.errno) if exc.errno else exc, errno.errorcode.get(exc.errno, type(exc).__name__)),
        fix=fix + "; nothing was half-written: a file that was there before is unchanged",
    )


def _umask() -> int:
    """The process umask (mkstemp creates 0600 files; results should be as readable as any other file)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str, text: str) -> None:
    """Atomically write UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, trailing newline, no NaN."""
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_json(path: str, obj: Any) -> None:
    """Atomically write ``obj`` as canonical JSON."""
    write_text(path, dumps(obj))

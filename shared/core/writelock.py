"""One writer at a time: an OS file lock (``flock``) on a folder's lock file, naming its holder.

The lock is held by an open file, so the system releases it when the process exits or is killed;
no stale lock ever has to be removed by hand. The holder writes who it is (PID, command, since
when, host) into the lock file, and a second writer reads that to say what it waits for. A process
may take the same lock again while it holds it (nested entry points). Stdlib only.
"""

import contextlib
import errno
import fcntl
import json
import os
import socket
import sys
import time
from typing import Callable, Dict, Iterator, Optional, Set

from shared.core.errors import BusyError, WriteError

LOCK_FILE = ".tfkit.lock"
# the real paths of the lock files this process holds (a nested entry takes none)
_HELD = set()  # type: Set[str]


def describe(holder: Optional[Dict[str, object]]) -> str:
    """``pid 123 (python -m legacy_tf1 ...) since 2024-05-01 10:00:00 on host`` from a lock file's record."""
    if not holder:
        return "a process that has not written its name yet"
    return "pid %s (%s) since %s on %s" % (holder.get("pid", "?"), holder.get("command", "?"),
                                           holder.get("since", "?"), holder.get("host", "?"))


def read_holder(path: str) -> Optional[Dict[str, object]]:
    """What the current holder wrote into the lock file at ``path``, or None when it is empty or unreadable."""
    try:
        with open(path) as handle:
            text = handle.read()
        record = json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _holder(path: str, settle_s: float = 0.2) -> Optional[Dict[str, object]]:
    """The holder's record; a holder that has just taken the lock writes its name a moment later, so an empty
    file is read again for up to ``settle_s`` before the holder is reported unknown."""
    deadline = time.perf_counter() + settle_s
    record = read_holder(path)
    while record is None and time.perf_counter() < deadline:
        time.sleep(0.01)
        record = read_holder(path)
    return record


def not_writable(folder: str, exc: OSError) -> WriteError:
    """The error for a folder this process cannot create files in."""
    return WriteError(
        "the folder %s is not writable" % folder,
        expected="a folder this process can create files in (results, a lock file, staging folders)",
        found="%s (%s)" % (os.strerror(exc.errno) if exc.errno else exc, type(exc).__name__),
        fix="make it writable, or pass another folder (--results DIR or TFKIT_RESULTS=DIR)",
    )


def _open(path: str) -> int:
    """The lock file's descriptor: read-write to record the holder, else read-only (a lock needs no write)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        return os.open(path, os.O_RDONLY)
    try:
        os.fchmod(fd, 0o666)  # any user that may write the folder may lock it (containers run as another user)
    except OSError:
        pass
    return fd


def _record(fd: int, command: str) -> None:
    """Write this process's name into the lock file it holds (skipped when the file is read-only or the disk full)."""
    record = {"pid": os.getpid(), "command": command, "host": socket.gethostname(),
              "since": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())}
    payload = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
    except OSError:
        pass


def _command() -> str:
    args = [os.path.basename(sys.argv[0])] + sys.argv[1:] if sys.argv and sys.argv[0] else ["python"]
    return " ".join(args)[:300]


@contextlib.contextmanager
def hold(folder: str, label: Optional[str] = None, wait: bool = True, command: Optional[str] = None,
         log: Callable[[str], None] = print, lock_file: str = LOCK_FILE) -> Iterator[str]:
    """Hold the lock of ``folder`` (created when missing) for the ``with`` block; yields the lock file's path.

    ``label`` names what is locked in messages (default: the results folder ``folder``).

    When another process holds it: ``wait`` logs who holds it and blocks until it is released; without
    ``wait`` a :class:`BusyError` names the holder at once. A folder that cannot be written is a
    WriteError before anything else happens.
    """
    label = label or "the results folder %s" % folder
    try:
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, lock_file)
        real = os.path.realpath(path)
        if real in _HELD:  # the outer entry holds it and releases it
            yield path
            return
        fd = _open(path)
    except OSError as exc:
        raise not_writable(folder, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = describe(_holder(path))
            if not wait:
                raise BusyError(
                    "%s is being written by another run" % label,
                    expected="no other writer (one run writes a folder at a time)",
                    found="held by " + holder,
                    fix="wait for it to finish (run again without --no-wait to wait), or use another folder",
                ) from None
            log("waiting for %s: held by %s" % (label, holder))
            started = time.perf_counter()
            fcntl.flock(fd, fcntl.LOCK_EX)
            log("got %s after %.1f s" % (label, time.perf_counter() - started))
        _record(fd, command or _command())
        _HELD.add(real)
        try:
            yield path
        finally:
            _HELD.discard(real)
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held(folder: str, lock_file: str = LOCK_FILE) -> bool:
    """Whether this process holds the lock of ``folder``."""
    return os.path.realpath(os.path.join(folder, lock_file)) in _HELD

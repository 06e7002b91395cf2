"""Build (or reuse) an env's venv under ``.nox/`` from its hash lock with uv, as nox's sessions do.

Used by the tools that run many envs at once (``nox -s matrix``) or build unlocked ones on demand
(``nox -s bisect``). The venv is the one nox would use for the env (``.nox/<venv>``): a matrix run
and ``nox -s tf2`` share it. A sync is skipped while the venv's stamp matches its lock.
"""

import os
import shutil
import subprocess
import threading
from typing import Callable, Dict, List, Optional, Sequence

from shared.core.errors import EnvError
from shared.envtools import interpreters, locks, venv_stamp

NOX_DIR = ".nox"
_LOCKS = {}  # type: Dict[str, threading.Lock]


def python_of(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def interpreter(version: str) -> str:
    """The base interpreter for a venv of Python ``version`` (3.7 is looked for as nox looks for it)."""
    if version == "3.7":
        found = interpreters.find("3.7")
        if not found:
            raise interpreters.missing("3.7")
        return found
    return version  # uv finds 3.11 itself


def _uv() -> str:
    uv = shutil.which("uv")
    if not uv:
        raise EnvError("uv is not on PATH", expected="uv (python3 -m pip install nox uv)", found="no uv",
                       fix="python3 -m pip install uv")
    return uv


def run(cmd: Sequence[str], log: Callable[[str], None], what: str) -> None:
    proc = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0:
        raise EnvError("%s failed" % what, expected="exit code 0", found="exit code %d:\n%s" % (
            proc.returncode, proc.stdout[-3000:]), fix="see the output above; rerun the command by hand: " + " ".join(cmd))


def ensure_locked(name: str, lock_name: str, python: str, root: str = ".", log: Callable[[str], None] = print) -> str:
    """The python of venv ``.nox/<name>``, synced to ``envs/<lock_name>.txt`` (refused when stale); one builder a venv."""
    guard = _LOCKS.setdefault(name, threading.Lock())
    with guard:
        lock = locks.check(lock_name, root)
        venv = os.path.join(root, NOX_DIR, name)
        if not os.path.exists(python_of(venv)):
            log("%s: creating %s (Python %s)" % (name, venv, python))
            run([_uv(), "venv", "--quiet", "--python", interpreter(python), venv], log, "uv venv for %s" % name)
        if not venv_stamp.is_synced(lock, venv):
            log("%s: syncing %s from %s" % (name, venv, lock))
            run([_uv(), "pip", "sync", "--quiet", "--require-hashes", "--compile-bytecode", "--python", python_of(venv),
                 lock], log, "uv pip sync for %s" % name)
            venv_stamp.mark(lock, venv)
        return python_of(venv)


def ensure_unlocked(name: str, requirements: List[str], python: str, root: str = ".",
                    log: Callable[[str], None] = print) -> str:
    """The python of venv ``.nox/<name>`` with ``requirements`` installed by uv WITHOUT a lock (said in the log)."""
    venv = os.path.join(root, NOX_DIR, name)
    marker = os.path.join(venv, "tfkit-requirements.txt")
    wanted = "\n".join(requirements) + "\n"
    if os.path.exists(marker) and open(marker).read() == wanted:
        return python_of(venv)
    log("%s: building an UNLOCKED env (no hash lock): %s" % (name, " ".join(requirements)))
    if not os.path.exists(python_of(venv)):
        run([_uv(), "venv", "--quiet", "--python", interpreter(python), venv], log, "uv venv for %s" % name)
    run([_uv(), "pip", "install", "--quiet", "--compile-bytecode", "--python", python_of(venv)] + list(requirements),
        log, "uv pip install for %s" % name)
    with open(marker, "w") as handle:
        handle.write(wanted)
    return python_of(venv)


def env_python(env_name: str, root: str = ".", log: Callable[[str], None] = print, lock_name: Optional[str] = None) -> str:
    """The python of an env of the table, built or reused from its lock."""
    from shared.core.envs import env

    e = env(env_name)
    return ensure_locked(e.venv_name, lock_name or e.lock[:-len(".txt")], e.python, root, log)

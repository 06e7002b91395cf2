"""A side's results go into a staging folder that is swapped in whole: readers see the old side or the new one.

``runs/.<env>.staging-<pid>/`` holds this run's results and a ``run.json`` naming the run; the
cases this run does not train are carried over from the current side (hard links), ``env.json``
is written last, and the folder replaces ``runs/<env>`` with one atomic exchange of names
(``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, between which the side is
absent, never half-written). A run that dies leaves its staging folder behind: the previous
complete side stays, the comparison says that a later run of it did not finish, and the next run
of that env removes the folder. Callers hold the results folder's lock (``writelock``).
"""

import errno
import json
import os
import shutil
import time
from typing import Any, Dict, List, Optional, Sequence

from shared.core import atomic
from shared.core.errors import KitError, ResultError
from shared.core.writelock import not_writable

RUN_FILE = "run.json"
ENV_FILE = "env.json"
_STAGING = ".staging-"
_OLD = ".old-"


def staging_name(env: str, pid: int) -> str:
    return ".%s%s%d" % (env, _STAGING, pid)


def leftover_env(name: str) -> Optional[str]:
    """The env a leftover staging folder name belongs to (``.tf1.staging-123`` -> ``tf1``), else None."""
    if not name.startswith(".") or _STAGING not in name:
        return None
    env, _, pid = name[1:].rpartition(_STAGING)
    return env if env and pid.isdigit() else None


def interrupted(runs: str) -> List[Dict[str, Any]]:
    """What each staging folder left by a run that died says about it (env, cases, pid, command, since)."""
    out = []  # type: List[Dict[str, Any]]
    if not os.path.isdir(runs):
        return out
    for name in sorted(os.listdir(runs)):
        env = leftover_env(name)
        if env is None:
            continue
        record = {"env": env, "folder": os.path.join(runs, name), "cases": None}  # type: Dict[str, Any]
        try:
            with open(os.path.join(runs, name, RUN_FILE)) as handle:
                record.update(json.load(handle))
        except (OSError, ValueError, TypeError):
            pass
        out.append(record)
    return out


def _exchange(a: str, b: str) -> bool:
    """Swap the names ``a`` and ``b`` in one step; False where the system or file system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), b)


def _link_tree(src: str, dest: str) -> None:
    """Copy ``src`` to ``dest`` as hard links (files are only ever replaced, never changed in place)."""
    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dest, copy_function=link)


class Stage(object):
    """One run's staging folder for the results of ``env``: open it, write into it, then commit or leave it."""

    def __init__(self, runs: str, env: str, cases: Sequence[str], command: str = "") -> None:
        self.runs = runs
        self.env = env
        self.cases = list(cases)
        self.command = command
        self.final = os.path.join(runs, env)
        self.path = os.path.join(runs, staging_name(env, os.getpid()))
        self.open_s = 0.0

    def open(self) -> "Stage":
        """Remove what dead runs of this env left, then make the staging folder (a WriteError if it cannot be)."""
        started = time.perf_counter()
        try:
            os.makedirs(self.runs, exist_ok=True)
            for name in os.listdir(self.runs):
                if name.startswith("." + self.env + ".") and (leftover_env(name) == self.env or _OLD in name):
                    shutil.rmtree(os.path.join(self.runs, name), ignore_errors=True)
            os.makedirs(self.path)
        except OSError as exc:
            raise not_writable(self.runs, exc) from None
        try:
            atomic.write_json(os.path.join(self.path, RUN_FILE), {
                "env": self.env, "cases": self.cases, "pid": os.getpid(), "command": self.command,
                "since": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())})
        except KitError:
            shutil.rmtree(self.path, ignore_errors=True)  # nothing of this run exists yet: the side is as it was
            raise
        self.open_s = time.perf_counter() - started
        return self

    def joining(self, path: str) -> "Stage":
        """This stage as a ``--jobs`` worker writes into it: the staging folder ``path`` another process opened
        (and commits or fails)."""
        self.path = path
        return self

    def result_path(self, case: str, impl: str) -> str:
        return os.path.join(self.path, case, impl + ".json")

    def _carry(self) -> List[str]:
        """Bring the current side's other cases (and any other files) into the staging folder."""
        carried = []  # type: List[str]
        if not os.path.isdir(self.final):
            return carried
        for name in sorted(os.listdir(self.final)):
            src = os.path.join(self.final, name)
            if name in self.cases or name == ENV_FILE or os.path.exists(os.path.join(self.path, name)):
                continue
            if os.path.isdir(src):
                _link_tree(src, os.path.join(self.path, name))
                carried.append(name)
            else:
                shutil.copy2(src, os.path.join(self.path, name))
        return carried

    def commit(self, env_record: Dict[str, Any]) -> None:
        """Carry the other cases over, write ``env.json`` and swap the staging folder in for the side.

        On an error the staging folder stays for :meth:`fail`; the side is as it was before this run.
        """
        try:
            atomic.write_json(os.path.join(self.path, ENV_FILE), dict(env_record, carried=self._carry()))
            os.unlink(os.path.join(self.path, RUN_FILE))
            if not os.path.isdir(self.final):
                os.rename(self.path, self.final)
            elif _exchange(self.path, self.final):
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                old = os.path.join(self.runs, ".%s%s%d" % (self.env, _OLD, os.getpid()))
                os.rename(self.final, old)
                try:
                    os.rename(self.path, self.final)
                except OSError:
                    os.rename(old, self.final)
                    raise
                shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            raise atomic.cannot_write(self.final, exc) from None

    def fail(self, exc: BaseException) -> None:
        """This run stops unfinished: drop what it staged but keep its ``run.json``, with why, as the mark that the
        side's latest run did not finish (the comparison refuses the side's older results until a run finishes)."""
        if not os.path.isdir(self.path):
            return
        for name in os.listdir(self.path):
            if name != RUN_FILE:
                target = os.path.join(self.path, name)
                shutil.rmtree(target, ignore_errors=True) if os.path.isdir(target) else os.unlink(target)
        path = os.path.join(self.path, RUN_FILE)
        try:
            with open(path) as handle:
                record = json.load(handle)
            record.update(error="%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""),
                          ended=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime()))
            atomic.write_json(path, record)
        except (OSError, ValueError, KitError):
            pass


def read_env(path: str) -> Dict[str, Any]:
    """A side's ``env.json``, refused naming the file when it is not the record a run writes."""
    try:
        with open(path) as handle:
            record = json.load(handle)
    except ValueError as exc:
        raise ResultError("side record %s is not valid JSON (corrupted)" % path,
                          expected="the env.json a side writes when it finishes", found=str(exc),
                          fix="run that environment again (it rewrites the whole side)") from None
    except OSError as exc:
        raise ResultError("side record %s cannot be read" % path, expected="a readable env.json",
                          found=str(exc), fix="run that environment again") from None
    env = os.path.basename(os.path.dirname(path))
    problems = []
    if not isinstance(record, dict):
        problems.append("a JSON %s, not an object" % type(record).__name__)
    else:
        if record.get("env") != env:
            problems.append("env %r in the folder of env %r" % (record.get("env"), env))
        for key, kind in (("results", list), ("failures", list), ("fingerprint", dict)):
            if not isinstance(record.get(key), kind):
                problems.append("%r is %s" % (key, "missing" if key not in record else type(record[key]).__name__))
    if problems:
        raise ResultError("side record %s is not one a run wrote" % path,
                          expected='{"env": "%s", "results": [...], "failures": [...], "fingerprint": {...}, ...}' % env,
                          found="; ".join(problems), fix="run that environment again (it rewrites the whole side)")
    return record

"""Lock files: ``envs/<name>.in`` (what we ask for) -> hash-locked ``envs/<name>.txt`` (what we get).

``nox -s lock`` regenerates every ``.txt`` with ``uv pip compile --generate-hashes`` and stamps it
with the SHA-256 of its inputs; sessions refuse a lock whose stamp no longer matches its ``.in``.
Stdlib only: the noxfile imports this.
"""

import hashlib
import os
import re
from collections import OrderedDict
from typing import Dict, List, Optional

from shared.core.envs import ENVS
from shared.core.errors import EnvError, KitError

ENVS_DIR = "envs"
STAMP = "# input-sha256: "


class LockSpec(object):
    """One environment's lock: its name, the Python it is resolved for, and the platform."""

    def __init__(self, name: str, python: str, platform: str = "x86_64-manylinux_2_28") -> None:
        self.name = name
        self.python = python
        self.platform = platform

    def source(self, root: str = ".") -> str:
        return os.path.join(root, ENVS_DIR, self.name + ".in")

    def lock(self, root: str = ".") -> str:
        return os.path.join(root, ENVS_DIR, self.name + ".txt")


RESOLVE_FOR = {"3.7": ("3.7.16", "x86_64-manylinux_2_17")}  # TF 1.15 / 2.11 wheels: CPython 3.7 on manylinux2014


def _env_lock(env) -> LockSpec:
    python, platform = RESOLVE_FOR.get(env.python, (env.python, "x86_64-manylinux_2_28"))
    return LockSpec(env.lock[:-len(".txt")], python, platform)


LOCKS = OrderedDict((s.name, s) for s in [_env_lock(e) for e in ENVS.values()] + [
    LockSpec("report", "3.11"),
    LockSpec("tests", "3.11"),
    LockSpec("tests-py37", "3.7.16", "x86_64-manylinux_2_17"),
    LockSpec("tf1-cuda", "3.7.16", "x86_64-manylinux_2_17"),  # installed by envs/tf1-cuda.Dockerfile
    LockSpec("tf2-cuda", "3.11"),  # installed by envs/tf2-cuda.Dockerfile
])


def _inputs(path: str) -> List[str]:
    """The ``.in`` file and every file it includes with ``-r`` or constrains with ``-c``, recursively."""
    files = [path]
    with open(path) as handle:
        for line in handle:
            match = re.match(r"\s*-[rc]\s+(\S+)", line)
            if match:
                files.extend(_inputs(os.path.join(os.path.dirname(path), match.group(1))))
    return files


def input_sha256(spec: LockSpec, root: str = ".") -> str:
    """Hash of the ``.in`` file and its includes."""
    digest = hashlib.sha256()
    for path in _inputs(spec.source(root)):
        with open(path, "rb") as handle:
            digest.update(os.path.basename(path).encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()


def compile_args(spec: LockSpec, root: str = ".") -> List[str]:
    """The ``uv pip compile`` command that regenerates ``spec``'s lock."""
    return ["uv", "pip", "compile", "--quiet", "--generate-hashes", "--python-version", spec.python,
            "--python-platform", spec.platform, "--custom-compile-command", "nox -s lock",
            spec.source(root), "-o", spec.lock(root)]


def stamp(spec: LockSpec, root: str = ".") -> None:
    """Write the input hash as the lock's first line (atomically)."""
    path = spec.lock(root)
    with open(path) as handle:
        lines = [l for l in handle.read().splitlines(True) if not l.startswith(STAMP)]
    text = STAMP + input_sha256(spec, root) + "\n" + "".join(lines)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def stamped_sha256(path: str) -> str:
    with open(path) as handle:
        first = handle.readline()
    return first[len(STAMP):].strip() if first.startswith(STAMP) else ""


def check(name: str, root: str = ".") -> str:
    """The path of ``name``'s lock after checking it exists and matches its ``.in``."""
    if name not in LOCKS:
        raise EnvError("unknown environment %r" % name, expected="one of " + ", ".join(LOCKS), found=repr(name),
                       fix="add it to shared/envtools/locks.py")
    spec = LOCKS[name]
    path = spec.lock(root)
    if not os.path.exists(path):
        raise EnvError("lock file %s is missing" % path, expected="a lock generated from %s" % spec.source(root),
                       found="no such file", fix="run: nox -s lock")
    want = input_sha256(spec, root)
    have = stamped_sha256(path)
    if have != want:
        raise EnvError(
            "lock file %s is out of date with %s" % (path, spec.source(root)),
            expected="input-sha256 %s" % want[:16],
            found="input-sha256 %s" % (have[:16] or "none"),
            fix="run: nox -s lock (then commit both files)",
        )
    return path


SYNC_LOCK = ".tfkit-sync.lock"  # beside the venv: a recreated venv must not take a fresh lock file with it


def sync(name: str, venv: str, check_only: bool = False, log=None) -> str:
    """Sync ``venv`` to ``name``'s checked lock unless it is stamped as synced from it; returns the lock's path.

    The check, the sync and the stamp run under a lock of that venv, so two sessions never sync one
    venv at once: the second waits, then finds it synced. ``check_only`` (nox --no-install) syncs nothing.
    """
    import shutil
    import subprocess
    import sys

    from shared.core.writelock import hold
    from shared.envtools import venv_stamp

    path = check(name)
    if check_only:
        return path
    venv = os.path.abspath(venv)
    with hold(os.path.dirname(venv), "the venv %s" % venv, lock_file=os.path.basename(venv) + SYNC_LOCK,
              command="sync %s from %s" % (venv, path), log=log or (lambda line: print(line, file=sys.stderr, flush=True))):
        if not venv_stamp.is_synced(path, venv):
            uv = shutil.which("uv")
            if uv is None:
                raise EnvError("uv is not on PATH", expected="uv, nox's venv backend", found="no uv executable",
                               fix="python3 -m pip install uv")
            cmd = [uv, "pip", "sync", "--quiet", "--require-hashes", "--compile-bytecode",
                   "--python", os.path.join(venv, "bin", "python"), path]
            status = subprocess.call(cmd)
            if status != 0:
                raise EnvError("syncing %s from %s failed" % (venv, path), expected="exit status 0",
                               found="exit status %d from %s" % (status, " ".join(cmd)), fix="see uv's output above")
            venv_stamp.mark(path, venv)
    return path


def summary() -> Dict[str, str]:
    return dict((name, spec.python) for name, spec in LOCKS.items())


USAGE = ("usage: python -m shared.envtools.locks check NAME [--venv DIR] | mark NAME --venv DIR | "
         "sync NAME --venv DIR [--check-only] | compile [NAME ...]")


def main(argv: Optional[List[str]] = None) -> int:
    """``check NAME`` prints the lock's path; with ``--venv DIR`` it prints ``synced PATH`` or ``stale PATH``.

    ``mark NAME --venv DIR`` stamps DIR as synced from NAME's lock; ``sync NAME --venv DIR`` syncs DIR from it
    under the venv's lock unless it is stamped as synced, and prints the lock's path; ``compile [NAME ...]``
    regenerates locks.
    """
    import subprocess
    import sys

    from shared.envtools import venv_stamp

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["check"], ["mark"]) and len(args) in (2, 4) and (len(args) == 2 or args[2] == "--venv"):
        venv = args[3] if len(args) == 4 else None
        try:
            path = check(args[1])
        except EnvError as exc:
            print("error: %s" % exc, file=sys.stderr)
            return 2
        if args[0] == "mark" and venv:
            venv_stamp.mark(path, venv)
            return 0
        if args[0] == "check":
            print(path if venv is None else "%s %s" % ("synced" if venv_stamp.is_synced(path, venv) else "stale", path))
            return 0
    if args[:1] == ["sync"] and len(args) in (4, 5) and args[2] == "--venv" and args[4:] in ([], ["--check-only"]):
        try:
            print(sync(args[1], args[3], check_only=args[4:] == ["--check-only"]))
        except KitError as exc:
            print("error: %s" % exc, file=sys.stderr)
            return 2
        return 0
    if args and args[0] == "compile":
        for name in args[1:] or list(LOCKS):
            spec = LOCKS[name]
            print("locking %s for Python %s" % (spec.lock(), spec.python), flush=True)
            if subprocess.call(compile_args(spec)) != 0:
                return 1
            stamp(spec)
        return 0
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

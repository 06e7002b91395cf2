"""What keeps a training container hermetic: no network, an unprivileged user, read-only code, one writable mount.

Training needs no network, so a run gets none (``--network none``; only image builds reach a
registry). The root file system is read-only (``--read-only``, a private ``/tmp``), no capability
is kept and none can be gained. The process runs as the host user where that is not root (podman
rootless maps it with ``--userns keep-id``), and as the image's ``kit`` user (uid 10001) where the
host user is root; the results folder is then opened to that user: the parts a side writes
(``runs/`` and ``artifacts/``, its own ``runs/<env>`` and ``artifacts/<env>``, and the lock file) are handed
to it, nothing else changes.
"""

import os
from typing import List, Optional, Sequence, Tuple

from shared.containers.engine import Engine
from shared.core.artifacts import ARTIFACTS
from shared.core.writelock import LOCK_FILE

KIT_UID = 10001  # the `kit` user of envs/*.Dockerfile


def host_user() -> Tuple[int, int]:
    """The uid and gid of this process (0, 0 where the system has no such notion)."""
    return (os.getuid(), os.getgid()) if hasattr(os, "getuid") else (0, 0)


def user_flags(engine: Engine, uid: int, gid: int) -> List[str]:
    """Run as ``uid:gid`` where that is not root, else as the image's unprivileged ``kit`` user."""
    if uid == 0:
        return ["--user", "%d:%d" % (KIT_UID, KIT_UID)]
    if engine.name == "podman":
        return ["--userns", "keep-id", "--user", "%d:%d" % (uid, gid)]
    return ["--user", "%d:%d" % (uid, gid)]


def isolation_flags() -> List[str]:
    """No network, a read-only root file system with a private /tmp, no capabilities, no privilege gain."""
    return ["--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges"]


def flags(engine: Engine, user: Optional[Tuple[int, int]] = None) -> List[str]:
    """Every flag that makes a training run hermetic, for the host user ``user`` (default: this process's)."""
    uid, gid = user or host_user()
    return isolation_flags() + user_flags(engine, uid, gid)


def open_results(results: str, envs: Sequence[str], user: Optional[Tuple[int, int]] = None) -> None:
    """Where the host user is root, hand what a side of ``envs`` writes in ``results`` to the ``kit`` user:
    ``runs/`` and ``artifacts/`` themselves, the lock file, and each ``runs/<env>`` and ``artifacts/<env>`` with
    what earlier runs of it left there."""
    uid, _ = user or host_user()
    if uid != 0:
        return
    runs = os.path.join(results, "runs")
    artifacts = os.path.join(results, ARTIFACTS)
    for folder in (runs, artifacts):
        os.makedirs(folder, exist_ok=True)
    lock = os.path.join(results, LOCK_FILE)
    if not os.path.exists(lock):
        open(lock, "a").close()
    os.chmod(lock, 0o666)
    for path in (runs, artifacts, lock):
        os.chown(path, KIT_UID, KIT_UID)
    for env in envs:
        for folder in (runs, artifacts):
            for name in os.listdir(folder):
                if name == env or name.startswith("." + env + "."):
                    _chown_tree(os.path.join(folder, name))


def _chown_tree(top: str) -> None:
    os.chown(top, KIT_UID, KIT_UID)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), KIT_UID, KIT_UID, follow_symlinks=False)

"""The container engine, docker or podman: finding one that works, its flags and environment, running it."""

import os
import shlex
import shutil
import subprocess
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from shared.core.errors import EnvError

PODMAN_CONF = "[containers]\ndefault_ulimits = []\n"
Log = Callable[[str], None]


class Engine(NamedTuple):
    """A container engine and the settings every one of its commands needs."""

    name: str
    runtime: Optional[str] = None
    conf: Optional[str] = None


def default_cache() -> str:
    """Folder for rootfs, build contexts and podman settings: ``$TFKIT_CACHE`` or /var/tmp/tfkit."""
    return os.environ.get("TFKIT_CACHE") or "/var/tmp/tfkit"


def _succeeds(argv: Sequence[str], env: Optional[Dict[str, str]] = None) -> bool:
    """Whether ``argv`` runs and exits 0 (quietly, within a minute)."""
    try:
        done = subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def write_podman_conf(cache: str) -> str:
    """Write the containers.conf that lifts podman's default ulimits; return its path."""
    folder = os.path.join(cache, "podman")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "containers.conf")
    with open(path, "w") as handle:
        handle.write(PODMAN_CONF)
    return path


def podman_engine(cache: Optional[str] = None) -> Engine:
    """Podman with runc (``$TFKIT_PODMAN_RUNTIME`` overrides) and a ulimit-free containers.conf."""
    runtime = os.environ.get("TFKIT_PODMAN_RUNTIME") or ("runc" if shutil.which("runc") else None)
    conf = os.environ.get("CONTAINERS_CONF") or write_podman_conf(cache or default_cache())
    return Engine("podman", runtime, conf)


def engine_prefix(engine: Engine) -> List[str]:
    """The engine's executable and global flags."""
    return [engine.name] + (["--runtime", engine.runtime] if engine.runtime else [])


def engine_env(engine: Engine, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for the engine's commands: CONTAINERS_CONF for podman, BuildKit for docker."""
    env = dict(os.environ if base is None else base)
    if engine.conf:
        env["CONTAINERS_CONF"] = engine.conf
    if engine.name == "docker":
        env["DOCKER_BUILDKIT"] = "1"
    return env


def find_engine(prefer: Optional[str] = None, cache: Optional[str] = None) -> Engine:
    """Docker when ``docker info`` works, else podman; EnvError when neither does."""
    found = []
    for name in [prefer] if prefer else ["docker", "podman"]:
        if shutil.which(name) is None:
            found.append("%s: not installed" % name)
            continue
        engine = podman_engine(cache) if name == "podman" else Engine("docker")
        if _succeeds(engine_prefix(engine) + ["info"], engine_env(engine)):
            return engine
        found.append("%s: `%s info` failed" % (name, " ".join(engine_prefix(engine))))
    raise EnvError("no working container engine", expected="docker with a running daemon, or podman",
                   found="; ".join(found),
                   fix="apt-get install -y podman runc fuse-overlayfs (or start the docker daemon)")


def gpu_flags(engine: Engine) -> List[str]:
    """Flags that hand every NVIDIA GPU to a container (docker --gpus, podman CDI)."""
    return ["--gpus", "all"] if engine.name == "docker" else ["--device", "nvidia.com/gpu=all"]


def show(cmd: Sequence[str]) -> str:
    """A command line as a shell would read it."""
    return " ".join(shlex.quote(part) for part in cmd)


def call(cmd: Sequence[str], engine: Engine, log: Log = print, what: str = "command") -> None:
    """Run ``cmd`` with the engine's environment, echoing it; EnvError when it fails."""
    log("$ " + show(cmd))
    status = subprocess.call(list(cmd), env=engine_env(engine))
    if status != 0:
        raise EnvError("%s failed" % what, expected="exit status 0", found="exit status %d" % status,
                       fix="see the output above; rerun: " + show(cmd))


def image_exists(engine: Engine, tag: str) -> bool:
    """Whether the engine holds an image tagged ``tag``."""
    return _succeeds(engine_prefix(engine) + ["image", "inspect", tag], engine_env(engine))

"""Local base images without a registry: debootstrap Debian plus pyenv's CPython, imported into the engine."""

import os
import shutil
import subprocess
import time
from typing import List, Optional

from shared.containers.engine import (Engine, Log, call, default_cache, engine_env, engine_prefix, find_engine,
                                     image_exists, show)
from shared.core.errors import EnvError

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"

# Shared libraries a pyenv-built CPython links against (ssl, ctypes, sqlite3, readline, ...), plus
# libgomp for the numerical wheels; minbase has glibc, zlib, bzip2 and xz already.
BASE_PACKAGES = (
    "ca-certificates", "libssl3", "libffi8", "libsqlite3-0", "libreadline8", "libncursesw6",
    "libexpat1", "libuuid1", "libbz2-1.0", "liblzma5", "zlib1g", "libcrypt1", "libnsl2", "libtirpc3",
    "libgomp1",
)


def local_base_tag(python: str, suite: str = DEBIAN_SUITE) -> str:
    """Tag of the local Debian base image carrying CPython ``python``."""
    return "localhost/tfkit-base:python%s-%s" % (python, suite)


def pyenv_python(version: str, pyenv_root: Optional[str] = None) -> str:
    """Folder of pyenv's build of CPython ``version``; EnvError with the install line when missing."""
    root = pyenv_root or os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    folder = os.path.join(root, "versions", version)
    if not os.path.isfile(os.path.join(folder, "bin", "python" + version.rsplit(".", 1)[0])):
        raise EnvError("CPython %s for the local base image not found" % version,
                       expected="a pyenv build in " + folder, found="nothing there",
                       fix="pyenv install %s (or set PYENV_ROOT)" % version)
    return folder


def _read(path: str) -> str:
    """Text of a small file."""
    with open(path) as handle:
        return handle.read()


def debian_rootfs(cache: str, suite: str = DEBIAN_SUITE, mirror: str = DEBIAN_MIRROR, log: Log = print) -> str:
    """A minimal Debian rootfs made by debootstrap once, reused from the cache after that."""
    target = os.path.join(cache, "rootfs", suite)
    marker = target + ".done"
    wanted = ",".join(BASE_PACKAGES)
    if os.path.isfile(marker) and _read(marker) == wanted:
        log("  reusing Debian %s rootfs %s" % (suite, target))
        return target
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise EnvError("cannot make a Debian rootfs", expected="debootstrap, run as root",
                       found="debootstrap %s, uid %d" % (shutil.which("debootstrap") or "missing", os.geteuid()),
                       fix="sudo apt-get install -y debootstrap, then rerun as root")
    partial = target + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    log("  debootstrap %s from %s into %s (about a minute)" % (suite, mirror, target))
    with open(target + ".log", "w") as out:
        status = subprocess.call(["debootstrap", "--variant=minbase", "--include=" + wanted, suite, partial, mirror],
                                 stdout=out, stderr=subprocess.STDOUT)
    if status != 0:
        raise EnvError("debootstrap failed", expected="exit status 0", found="exit status %d" % status,
                       fix="read %s.log; check that %s is reachable" % (target, mirror))
    shutil.rmtree(target, ignore_errors=True)
    os.rename(partial, target)
    with open(marker, "w") as handle:
        handle.write(wanted)
    return target


def _skip_tests_and_packages(folder: str, names: List[str]) -> List[str]:
    """copytree filter: empty site-packages, no test suites, no bytecode caches."""
    if os.path.basename(folder) == "site-packages":
        return names
    return [n for n in names if n in ("test", "tests", "__pycache__")]


def copy_python(src: str, usr_local: str, version: str) -> None:
    """Copy a pyenv CPython build (interpreter, shared library, stdlib) into ``usr_local``."""
    minor = version.rsplit(".", 1)[0]
    for sub in ("bin", "lib"):
        os.makedirs(os.path.join(usr_local, sub), exist_ok=True)
    for name in ("python" + minor, "python3", "python"):
        path = os.path.join(src, "bin", name)
        dest = os.path.join(usr_local, "bin", name)
        if os.path.islink(path):
            os.symlink(os.readlink(path), dest)
        elif os.path.isfile(path):
            shutil.copy2(path, dest)
    for name in sorted(os.listdir(os.path.join(src, "lib"))):
        path = os.path.join(src, "lib", name)
        if name.startswith("libpython"):
            shutil.copy2(path, os.path.join(usr_local, "lib", name), follow_symlinks=False)
    shutil.copytree(os.path.join(src, "lib", "python" + minor), os.path.join(usr_local, "lib", "python" + minor),
                    symlinks=True, ignore=_skip_tests_and_packages)


def import_rootfs(engine: Engine, rootfs: str, tag: str, python: str) -> None:
    """Turn a rootfs folder into image ``tag`` (``<engine> import``), with python3 as its command."""
    changes = ["ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8",
               "ENV PYTHON_VERSION=" + python, 'CMD ["python3"]']
    cmd = engine_prefix(engine) + ["import"]
    for change in changes:
        cmd += ["--change", change]
    cmd += ["-", tag]
    tar = subprocess.Popen(["tar", "-C", rootfs, "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
    status = subprocess.call(cmd, stdin=tar.stdout, stdout=subprocess.DEVNULL, env=engine_env(engine))
    tar.stdout.close()
    if tar.wait() != 0 or status != 0:
        raise EnvError("importing the local base image failed", expected="tar and import exit 0",
                       found="tar %d, import %d" % (tar.returncode, status), fix="rerun: " + show(cmd))


def make_local_base(python: str, engine: Optional[Engine] = None, cache: Optional[str] = None,
                    suite: str = DEBIAN_SUITE, mirror: str = DEBIAN_MIRROR, pyenv_root: Optional[str] = None,
                    force: bool = False, log: Log = print) -> str:
    """Make ``localhost/tfkit-base:python<V>-<suite>``: debootstrap Debian plus pyenv's CPython in /usr/local."""
    engine = engine or find_engine(cache=cache)
    cache = cache or default_cache()
    tag = local_base_tag(python, suite)
    if not force and image_exists(engine, tag):
        log("local base %s exists" % tag)
        return tag
    start = time.time()
    log("making local base %s" % tag)
    src = pyenv_python(python, pyenv_root)
    log("[1/4] Debian %s rootfs" % suite)
    rootfs = debian_rootfs(cache, suite, mirror, log)
    stage = os.path.join(cache, "stage", "python%s-%s" % (python, suite))
    log("[2/4] staging rootfs + CPython %s from %s" % (python, src))
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.dirname(stage), exist_ok=True)
    subprocess.check_call(["cp", "-al", rootfs, stage])
    copy_python(src, os.path.join(stage, "usr", "local"), python)
    subprocess.check_call(["ldconfig", "-r", stage])
    log("[3/4] %s import -> %s" % (engine.name, tag))
    import_rootfs(engine, stage, tag, python)
    log("[4/4] checking python3 in the image")
    call(engine_prefix(engine) + ["run", "--rm", "--network", "host", tag, "python3", "-c",
                                  "import ssl, sqlite3, ctypes, venv, sys; print(sys.version)"], engine, log,
         "checking the local base image")
    shutil.rmtree(stage, ignore_errors=True)
    log("local base %s made in %.0f s" % (tag, time.time() - start))
    return tag

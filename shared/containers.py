"""Container images of the kit: find docker or podman, build and run the four images, make local bases.

Host side, standard library only (Python 3.7 and 3.11). ``python -m shared.containers --help``.
"""

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

from shared.errors import DataError, EnvError, KitError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT_RESULTS = "/kit/results"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# Shared libraries a pyenv-built CPython links against (ssl, ctypes, sqlite3, readline, ...), plus
# libgomp for the numerical wheels; minbase has glibc, zlib, bzip2 and xz already.
BASE_PACKAGES = (
    "ca-certificates", "libssl3", "libffi8", "libsqlite3-0", "libreadline8", "libncursesw6",
    "libexpat1", "libuuid1", "libbz2-1.0", "liblzma5", "zlib1g", "libcrypt1", "libnsl2", "libtirpc3",
    "libgomp1",
)
# Where a host behind a TLS-intercepting proxy names its CA bundle, in the order they are tried.
CA_BUNDLE_VARS = ("TFKIT_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
PODMAN_CONF = "[containers]\ndefault_ulimits = []\n"

Log = Callable[[str], None]


class Flavour(NamedTuple):
    """One image: which side of the kit it runs, from which lock, on which device."""

    name: str
    package: str
    lock: str
    cuda: bool
    python: str
    local_base: bool


FLAVOURS = {
    f.name: f
    for f in (
        Flavour("tf1-cpu", "legacy_tf1", "tf1.txt", False, "3.7.16", True),
        Flavour("tf1-cuda", "legacy_tf1", "tf1-cuda.txt", True, "3.7.16", False),
        Flavour("tf2-cpu", "modern_tf2", "tf2.txt", False, "3.11.7", True),
        Flavour("tf2-cuda", "modern_tf2", "tf2-cuda.txt", True, "3.11.7", True),
    )
}


class Engine(NamedTuple):
    """A container engine and the settings every one of its commands needs."""

    name: str
    runtime: Optional[str] = None
    conf: Optional[str] = None


def flavour(name: str) -> Flavour:
    """The flavour called ``name``, or a KitError listing the known ones."""
    if name not in FLAVOURS:
        raise KitError("unknown image flavour %r" % name, expected="one of " + ", ".join(FLAVOURS),
                       found=name, fix="python -m shared.containers build tf1-cpu")
    return FLAVOURS[name]


def default_cache() -> str:
    """Folder for rootfs, build contexts and podman settings: ``$TFKIT_CACHE`` or /var/tmp/tfkit."""
    return os.environ.get("TFKIT_CACHE") or "/var/tmp/tfkit"


def dockerfile(f: Flavour, root: str = REPO) -> str:
    """Path of the Dockerfile of ``f`` under ``root``."""
    return os.path.join(root, "envs", f.name + ".Dockerfile")


def image_tag(f: Flavour, base_image: Optional[str] = None, root: str = REPO) -> str:
    """Tag named by a hash of the Dockerfile, the lock and the base image: same inputs, same tag."""
    digest = hashlib.sha256()
    for path in (dockerfile(f, root), os.path.join(root, "envs", f.lock)):
        with open(path, "rb") as handle:
            digest.update(handle.read())
    digest.update((base_image or "").encode("utf-8"))
    return "localhost/tfkit-%s:%s" % (f.name, digest.hexdigest()[:12])


def local_base_tag(python: str, suite: str = DEBIAN_SUITE) -> str:
    """Tag of the local Debian base image carrying CPython ``python``."""
    return "localhost/tfkit-base:python%s-%s" % (python, suite)


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


def resolve_ca_bundle(explicit: Optional[str] = None, use: bool = True) -> Optional[str]:
    """CA bundle to hand to pip: ``explicit``, else the first of CA_BUNDLE_VARS that is set, else none."""
    if not use:
        return None
    path = explicit or next((os.environ[v] for v in CA_BUNDLE_VARS if os.environ.get(v)), None)
    if path and not os.path.isfile(path):
        raise EnvError("CA bundle not found", expected="a PEM file of CA certificates", found=path,
                       fix="pass --ca-bundle /etc/ssl/certs/ca-certificates.crt or --no-ca-bundle")
    return os.path.abspath(path) if path else None


def gpu_flags(engine: Engine) -> List[str]:
    """Flags that hand every NVIDIA GPU to a container (docker --gpus, podman CDI)."""
    return ["--gpus", "all"] if engine.name == "docker" else ["--device", "nvidia.com/gpu=all"]


def ca_run_flags(ca_bundle: Optional[str]) -> List[str]:
    """Mount the CA bundle's folder read-only and point pip, requests and OpenSSL at the bundle."""
    if not ca_bundle:
        return []
    folder = os.path.dirname(ca_bundle)
    flags = ["-v", "%s:%s:ro" % (folder, folder)]
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        flags += ["-e", "%s=%s" % (name, ca_bundle)]
    return flags


def build_command(engine: Engine, f: Flavour, tag: str, context: str,
                  base_image: Optional[str] = None, ca_bundle: Optional[str] = None) -> List[str]:
    """Command line that builds ``f`` as ``tag`` from ``context`` (a folder holding envs/, shared/, ...)."""
    cmd = engine_prefix(engine) + ["build", "-f", dockerfile(f, context), "-t", tag,
                                   "--build-arg", "IMAGE_TAG=" + tag]
    if base_image:
        cmd += ["--build-arg", "BASE_IMAGE=" + base_image]
    if engine.name == "podman":
        cmd += ["--network", "host"]
    if ca_bundle:
        cmd += ["--secret", "id=cacert,src=" + ca_bundle]
    return cmd + [context]


def run_command(engine: Engine, f: Flavour, tag: str, results: str, kit_args: Sequence[str] = (),
                ca_bundle: Optional[str] = None) -> List[str]:
    """Command line that runs the kit in image ``tag`` with ``results`` mounted at /kit/results."""
    cmd = engine_prefix(engine) + ["run", "--rm", "-v", "%s:%s" % (os.path.abspath(results), KIT_RESULTS)]
    if engine.name == "podman":
        cmd += ["--network", "host"]
    elif hasattr(os, "getuid") and os.getuid() != 0:
        cmd += ["--user", "%d:%d" % (os.getuid(), os.getgid())]
    if f.cuda:
        cmd += gpu_flags(engine)
    return cmd + ca_run_flags(ca_bundle) + [tag] + list(kit_args)


def stage_context(f: Flavour, dest: str, root: str = REPO) -> str:
    """Copy what the image needs (envs/, shared/, the side's package) into a fresh ``dest``."""
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("envs", "shared", f.package):
        shutil.copytree(os.path.join(root, part), os.path.join(dest, part), ignore=ignore)
    return dest


def _show(cmd: Sequence[str]) -> str:
    """A command line as a shell would read it."""
    return " ".join(shlex.quote(part) for part in cmd)


def call(cmd: Sequence[str], engine: Engine, log: Log = print, what: str = "command") -> None:
    """Run ``cmd`` with the engine's environment, echoing it; EnvError when it fails."""
    log("$ " + _show(cmd))
    status = subprocess.call(list(cmd), env=engine_env(engine))
    if status != 0:
        raise EnvError("%s failed" % what, expected="exit status 0", found="exit status %d" % status,
                       fix="see the output above; rerun: " + _show(cmd))


def image_exists(engine: Engine, tag: str) -> bool:
    """Whether the engine holds an image tagged ``tag``."""
    return _succeeds(engine_prefix(engine) + ["image", "inspect", tag], engine_env(engine))


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
                       found="tar %d, import %d" % (tar.returncode, status), fix="rerun: " + _show(cmd))


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


def base_image_for(f: Flavour, base_image: Optional[str], local_base: bool, engine: Engine,
                   cache: Optional[str], log: Log = print, make: bool = True) -> Optional[str]:
    """The BASE_IMAGE to build ``f`` on: explicit, the local base (made when missing), or the Dockerfile's."""
    if base_image or not local_base:
        return base_image
    if not f.local_base:
        raise KitError("%s has no local base image" % f.name, expected="a registry serving its BASE_IMAGE",
                       found="--local-base", fix="build %s where its CUDA base image can be pulled" % f.name)
    return make_local_base(f.python, engine, cache, log=log) if make else local_base_tag(f.python)


def build_image(name: str, base_image: Optional[str] = None, local_base: bool = False,
                ca_bundle: Optional[str] = None, engine: Optional[Engine] = None, cache: Optional[str] = None,
                log: Log = print) -> str:
    """Build the image of flavour ``name`` and return its tag."""
    f = flavour(name)
    cache = cache or default_cache()
    engine = engine or find_engine(cache=cache)
    base = base_image_for(f, base_image, local_base, engine, cache, log)
    tag = image_tag(f, base)
    context = stage_context(f, os.path.join(cache, "context", f.name))
    start = time.time()
    call(build_command(engine, f, tag, context, base, ca_bundle), engine, log, "building %s" % tag)
    log("built %s in %.0f s" % (tag, time.time() - start))
    return tag


def run_image(name: str, results: str, kit_args: Sequence[str] = (), base_image: Optional[str] = None,
              local_base: bool = False, image: Optional[str] = None, ca_bundle: Optional[str] = None,
              engine: Optional[Engine] = None, cache: Optional[str] = None, log: Log = print) -> str:
    """Run the kit inside the image of flavour ``name`` on ``results``; return the image tag."""
    f = flavour(name)
    manifest = os.path.join(results, "data", "manifest.json")
    if not os.path.isfile(manifest):
        raise DataError("no data to run on", expected=manifest, found="nothing there",
                        fix="python -m shared prepare --results %s" % results)
    engine = engine or find_engine(cache=cache)
    tag = image or image_tag(f, base_image_for(f, base_image, local_base, engine, cache, log, make=False))
    if not image_exists(engine, tag):
        raise EnvError("image %s is not built" % tag, expected="an image built from the current Dockerfile and lock",
                       found="no such image in %s" % engine.name,
                       fix="python -m shared.containers build %s%s" % (name, " --local-base" if local_base else ""))
    start = time.time()
    call(run_command(engine, f, tag, results, kit_args, ca_bundle), engine, log, "running %s" % tag)
    log("ran %s in %.0f s" % (tag, time.time() - start))
    return tag


def _parser() -> argparse.ArgumentParser:
    """The CLI: ``base``, ``build`` and ``run`` subcommands."""
    p = argparse.ArgumentParser(prog="python -m shared.containers", description=__doc__.splitlines()[0],
                                epilog="run: arguments after `--` go to the kit inside the image.")
    p.add_argument("--engine", choices=("docker", "podman"), help="default: docker if its daemon answers, else podman")
    p.add_argument("--cache", default=None, help="rootfs and build contexts (default: $TFKIT_CACHE or /var/tmp/tfkit)")
    sub = p.add_subparsers(dest="command")
    sub.required = True
    base = sub.add_parser("base", help="make a local Debian base image with pyenv's CPython (no registry needed)")
    base.add_argument("--python", action="append", required=True, help="CPython version, e.g. 3.7.16 (repeatable)")
    base.add_argument("--force", action="store_true", help="remake even when the image exists")
    for name in ("build", "run"):
        s = sub.add_parser(name, help="%s the image of each flavour" % name)
        s.add_argument("flavours", nargs="+", choices=sorted(FLAVOURS))
        s.add_argument("--base-image", default=None, help="BASE_IMAGE build arg (default: the Dockerfile's)")
        s.add_argument("--local-base", action="store_true", help="build on the local base from `base`")
        s.add_argument("--ca-bundle", default=None,
                       help="CA bundle for pip (default: $TFKIT_CA_BUNDLE, $PIP_CERT, $SSL_CERT_FILE)")
        s.add_argument("--no-ca-bundle", action="store_true", help="hand no CA bundle to the container")
    sub.choices["run"].add_argument("--results", default="results", help="results folder (default: results)")
    sub.choices["run"].add_argument("--image", default=None, help="image tag to run (default: the one build makes)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``python -m shared.containers``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    kit_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = _parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    try:
        engine = find_engine(args.engine, args.cache)
        if args.command == "base":
            for version in args.python:
                make_local_base(version, engine, args.cache, force=args.force)
            return 0
        ca = resolve_ca_bundle(args.ca_bundle, not args.no_ca_bundle)
        for name in args.flavours:
            if args.command == "build":
                build_image(name, args.base_image, args.local_base, ca, engine, args.cache)
            else:
                run_image(name, args.results, kit_args, args.base_image, args.local_base, args.image, ca,
                          engine, args.cache)
    except KitError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command lines that build and run a kit image, the CA bundle a build hands on, and the staged build context."""

import os
import shutil
from typing import List, Optional, Sequence, Tuple

from shared.containers import hermetic
from shared.containers.engine import Engine, engine_prefix, gpu_flags
from shared.core.errors import EnvError
from shared.containers.flavours import REPO, Flavour, dockerfile

KIT_ROOT = "/kit"  # the image's working directory
KIT_RESULTS = KIT_ROOT + "/results"
KIT_CASES = KIT_ROOT + "/cases"  # where a case folder from outside the working directory is mounted

# Where a host behind a TLS-intercepting proxy names its CA bundle, in the order they are tried.
CA_BUNDLE_VARS = ("TFKIT_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def resolve_ca_bundle(explicit: Optional[str] = None, use: bool = True) -> Optional[str]:
    """CA bundle to hand to pip: ``explicit``, else the first of CA_BUNDLE_VARS that is set, else none."""
    if not use:
        return None
    path = explicit or next((os.environ[v] for v in CA_BUNDLE_VARS if os.environ.get(v)), None)
    if path and not os.path.isfile(path):
        raise EnvError("CA bundle not found", expected="a PEM file of CA certificates", found=path,
                       fix="pass --ca-bundle /etc/ssl/certs/ca-certificates.crt or --no-ca-bundle")
    return os.path.abspath(path) if path else None


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


def case_folders(kit_args: Sequence[str], environ: Optional[dict] = None,
                 here: Optional[str] = None) -> Tuple[List[str], List[Tuple[str, str]]]:
    """The side's arguments with each case folder (``--cases-from DIR``, and ``$TFKIT_CASES`` of the host, which
    the container does not inherit) named by its path inside the image, and the read-only mounts that put it there.

    A folder inside the working directory keeps its relative path under /kit (so results name it as the venv
    runs do); one outside it goes to /kit/cases/<n>-<name>. A folder that does not exist is refused here, before
    anything runs.
    """
    environ = os.environ if environ is None else environ
    here = os.path.abspath(here or os.getcwd())
    args, folders = [], []  # type: List[str], List[str]
    items = list(kit_args)
    i = 0
    while i < len(items):
        if items[i] == "--cases-from" and i + 1 < len(items):
            folders.append(items[i + 1])
            i += 2
            continue
        if items[i].startswith("--cases-from="):
            folders.append(items[i].split("=", 1)[1])
        else:
            args.append(items[i])
        i += 1
    from shared.core.registry import ENV_VAR

    folders = [p for p in environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()] + folders
    mounts = []  # type: List[Tuple[str, str]]
    for n, folder in enumerate(folders):
        path = os.path.abspath(os.path.join(here, folder))
        if not os.path.isdir(path):
            raise EnvError("case folder %s does not exist" % folder, expected="a folder holding cases.py",
                           found=path, fix="pass --cases-from an existing folder (or fix $%s)" % ENV_VAR)
        if path.startswith(here + os.sep):
            inside = KIT_ROOT + "/" + os.path.relpath(path, here).replace(os.sep, "/")
            shown = os.path.relpath(path, here)
        else:
            inside = "%s/%d-%s" % (KIT_CASES, n, os.path.basename(path))
            shown = inside
        mounts.append((path, inside))
        args += ["--cases-from", shown]
    return args, mounts


def run_command(engine: Engine, f: Flavour, tag: str, results: str, kit_args: Sequence[str] = (),
                user: Optional[Tuple[int, int]] = None, entrypoint: Optional[str] = None,
                folders: Sequence[Tuple[str, str]] = ()) -> List[str]:
    """Command line that trains in image ``tag``, hermetic (``hermetic.flags``), with ``results`` mounted at
    /kit/results as its one writable mount and each case folder ``(host, inside)`` of ``folders`` read-only;
    ``entrypoint`` replaces the image's (``kit_args`` are then its own)."""
    cmd = engine_prefix(engine) + ["run", "--rm", "-v", "%s:%s" % (os.path.abspath(results), KIT_RESULTS)]
    for host, inside in folders:
        cmd += ["-v", "%s:%s:ro" % (host, inside)]
    cmd += hermetic.flags(engine, user)
    if f.cuda:
        cmd += gpu_flags(engine)
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    return cmd + [tag] + list(kit_args)


def stage_context(f: Flavour, dest: str, root: str = REPO) -> str:
    """Copy what the image runs (envs/, the kit's core ``shared/core``, the side's package) into a fresh ``dest``.

    The host-only sub-packages of ``shared`` (compare, report, bench, containers, ...) stay out of the image.
    """
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("envs", os.path.join("shared", "core"), f.package):
        shutil.copytree(os.path.join(root, part), os.path.join(dest, part), ignore=ignore)
    shutil.copy2(os.path.join(root, "shared", "__init__.py"), os.path.join(dest, "shared", "__init__.py"))
    return dest

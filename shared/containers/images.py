"""Command lines that build and run a kit image, the CA bundle a build hands on, and the staged build context."""

import os
import shutil
from typing import List, Optional, Sequence, Tuple

from shared.containers import hermetic
from shared.containers.engine import Engine, engine_prefix, gpu_flags
from shared.core.errors import EnvError
from shared.containers.flavours import REPO, Flavour, dockerfile

KIT_RESULTS = "/kit/results"

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


def run_command(engine: Engine, f: Flavour, tag: str, results: str, kit_args: Sequence[str] = (),
                user: Optional[Tuple[int, int]] = None, entrypoint: Optional[str] = None) -> List[str]:
    """Command line that trains in image ``tag``, hermetic (``hermetic.flags``), with ``results`` mounted at
    /kit/results as its one writable mount; ``entrypoint`` replaces the image's (``kit_args`` are then its own)."""
    cmd = engine_prefix(engine) + ["run", "--rm", "-v", "%s:%s" % (os.path.abspath(results), KIT_RESULTS)]
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

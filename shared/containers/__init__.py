"""Container images of the kit: find docker or podman, build and run the four images, make local bases."""

import argparse
import os
import sys
import time
from typing import Optional, Sequence

from shared.containers import hermetic
from shared.containers.engine import Engine, Log, call, default_cache, find_engine, image_exists
from shared.core.errors import DataError, EnvError, KitError
from shared.containers.flavours import FLAVOURS, Flavour, flavour, image_tag
from shared.containers.images import (CA_BUNDLE_VARS, build_command, case_folders, resolve_ca_bundle, run_command,
                                      stage_context)
from shared.containers.local_base import local_base_tag, make_local_base
from shared.core.results import results_root


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
              local_base: bool = False, image: Optional[str] = None, engine: Optional[Engine] = None,
              cache: Optional[str] = None, log: Log = print) -> str:
    """Run the kit inside the image of flavour ``name`` on ``results``, hermetic (no network, unprivileged,
    read-only code, ``results`` the one writable mount, a user's case folders mounted read-only); return the tag."""
    f = flavour(name)
    kit_args, folders = case_folders(kit_args)
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
    hermetic.open_results(results, [_env_of(f, kit_args)])
    call(run_command(engine, f, tag, results, kit_args, folders=folders), engine, log, "running %s" % tag)
    log("ran %s in %.0f s" % (tag, time.time() - start))
    return tag


def _env_of(f: Flavour, kit_args: Sequence[str]) -> str:
    """The env name the side in the image writes its results under, read by the side's own parser from what the
    image runs: its entrypoint's ``--env <flavour>``, then ``kit_args``."""
    from shared.core.runner import parser

    return parser(f.side).parse_known_args(["--env", f.name] + list(kit_args))[0].env


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
    sub.choices["build"].add_argument("--ca-bundle", default=None,
                                      help="CA bundle for pip (default: the first of %s that is set)" % ", ".join(
                                          "$" + v for v in CA_BUNDLE_VARS))
    sub.choices["build"].add_argument("--no-ca-bundle", action="store_true", help="hand no CA bundle to the build")
    sub.choices["run"].add_argument("--results", default=None, help="results folder (default: $TFKIT_RESULTS or results)")
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
        for name in args.flavours:
            if args.command == "build":
                ca = resolve_ca_bundle(args.ca_bundle, not args.no_ca_bundle)
                build_image(name, args.base_image, args.local_base, ca, engine, args.cache)
            else:
                run_image(name, results_root(args.results), kit_args, args.base_image, args.local_base, args.image,
                          engine, args.cache)
    except KitError as error:
        print("error: %s" % error, file=sys.stderr)
        return 2
    return 0


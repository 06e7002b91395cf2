"""The kit's four container images (flavours): what each runs, its Dockerfile and its content-hashed tag."""

import hashlib
import os
from typing import NamedTuple, Optional

from shared.core.envs import SIDES
from shared.core.errors import KitError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Flavour(NamedTuple):
    """One image: which side of the kit it runs (from the env table), from which lock, on which device."""

    name: str
    side: str
    lock: str
    cuda: bool
    python: str
    local_base: bool

    @property
    def package(self) -> str:
        return SIDES[self.side].package

FLAVOURS = {
    f.name: f
    for f in (
        Flavour("tf1-cpu", "tf1", "tf1.txt", False, "3.7.16", True),
        Flavour("tf1-cuda", "tf1", "tf1-cuda.txt", True, "3.7.16", False),
        Flavour("tf2-cpu", "tf2", "tf2.txt", False, "3.11.7", True),
        Flavour("tf2-cuda", "tf2", "tf2-cuda.txt", True, "3.11.7", True),
    )
}


def flavour(name: str) -> Flavour:
    """The flavour called ``name``, or a KitError listing the known ones."""
    if name not in FLAVOURS:
        raise KitError("unknown image flavour %r" % name, expected="one of " + ", ".join(FLAVOURS),
                       found=name, fix="python -m shared.containers build tf1-cpu")
    return FLAVOURS[name]


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

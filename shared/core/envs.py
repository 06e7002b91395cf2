"""The one table of sides and environments: which package implements a side, which envs run it, from which lock.

Stdlib only: the noxfile, the side processes, the comparison and the env tooling all read this table.
A *side* is one half of a migration (``tf1``: the TF 1.x code in ``legacy_tf1``; ``tf2``: the TF 2.x
code in ``modern_tf2``); an *env* is a pinned environment that runs one side's package. The main
job runs one env per side; the version matrix adds rows.
"""

import os
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Tuple


class Side(NamedTuple):
    """One half of a migration: its package and the env whose results are its reference."""

    name: str
    package: str
    home_env: str


class Env(NamedTuple):
    """A pinned environment: what it runs (side, capabilities), with which Python, from which lock.

    ``provides`` names what an implementation may need: ``estimator`` (``tf.estimator``), ``contrib``
    (``tf.contrib``), ``keras2`` (``tf.keras`` is Keras 2), ``tf_keras`` (the ``tf_keras`` package),
    ``keras3`` (Keras 3). ``baseline``: results of this env are the committed golden baselines.
    """

    name: str
    side: str
    python: str
    lock: str
    tensorflow: str
    provides: Tuple[str, ...]
    main: bool = True
    baseline: bool = False
    venv: str = ""  # the venv under .nox/ (default: the env's name); envs of one lock may share one
    environment: Tuple[Tuple[str, str], ...] = ()  # variables the side runs with here

    @property
    def package(self) -> str:
        return SIDES[self.side].package

    @property
    def venv_name(self) -> str:
        return self.venv or self.name

    def lock_path(self, root: str = ".") -> str:
        return os.path.join(root, "envs", self.lock)


SIDES = OrderedDict((s.name, s) for s in (
    Side("tf1", "legacy_tf1", "tf1"),
    Side("tf2", "modern_tf2", "tf2"),
))

COMPAT = (("TFKIT_TF1_COMPAT", "1"),)  # legacy_tf1 on TF 2.x under tf.compat.v1 (legacy_tf1/compat.py)

ENVS = OrderedDict((e.name, e) for e in (
    Env("tf1", "tf1", "3.7", "tf1.txt", "1.15.5", ("estimator", "contrib", "tf1"), baseline=True),
    Env("tf2", "tf2", "3.11", "tf2.txt", "2.21.0", ("keras2", "tf_keras", "keras3")),
    # the version matrix: each pin of a migration in steps (nox -s matrix)
    Env("tf2-211", "tf2", "3.7", "tf2-211.txt", "2.11.0", ("keras2", "estimator"), main=False),
    Env("tf2-215", "tf2", "3.11", "tf2-215.txt", "2.15.1", ("keras2", "estimator"), main=False),
    Env("tf2-216", "tf2", "3.11", "tf2-216.txt", "2.16.2", ("keras2", "tf_keras", "keras3"), main=False),
    # the unchanged TF1 code on a TF 2.x runtime, in the venvs of the pins that still have tf.estimator
    Env("tf1-on-211", "tf1", "3.7", "tf2-211.txt", "2.11.0", ("estimator", "tf1compat"), main=False,
        venv="tf2-211", environment=COMPAT),
    Env("tf1-on-215", "tf1", "3.11", "tf2-215.txt", "2.15.1", ("estimator", "tf1compat"), main=False,
        venv="tf2-215", environment=COMPAT),
))

CAPABILITIES = {  # what an implementation may need, and what each means
    "estimator": "tf.estimator (TF 1.x, TF 2.x up to 2.15)",
    "contrib": "tf.contrib (TF 1.x only)",
    "tf1": "TensorFlow 1.x itself",
    "tf1compat": "the TF1 API under tf.compat.v1 on TF 2.x",
    "keras2": "Keras 2 (tf.keras up to 2.15, the tf_keras package from 2.16)",
    "tf_keras": "the tf_keras package (TF >= 2.16)",
    "keras3": "Keras 3 (TF >= 2.16)",
}

PACKAGES = OrderedDict((name, side.package) for name, side in SIDES.items())  # side -> package


def side_names() -> Tuple[str, ...]:
    return tuple(SIDES)


def env(name: str) -> Env:
    """The env called ``name``; an unknown name lists the known ones."""
    if name not in ENVS:
        raise KeyError("unknown env %r; known: %s" % (name, ", ".join(ENVS)))
    return ENVS[name]


def side_of_env(name: str) -> Optional[str]:
    """The side an env runs: from the table, else from its name (``tf1-cpu`` -> ``tf1``), else None."""
    if name in ENVS:
        return ENVS[name].side
    head = name.split("-", 1)[0]
    return head if head in SIDES else None


def provides(name: str) -> Tuple[str, ...]:
    """What env ``name`` provides; an env outside the table (a container, e.g. ``tf1-cpu``) is its side's home env."""
    if name in ENVS:
        return ENVS[name].provides
    side = side_of_env(name)
    return ENVS[SIDES[side].home_env].provides if side else ()


def missing(name: str, needs: Tuple[str, ...]) -> List[str]:
    """The needs of an implementation that env ``name`` does not provide."""
    have = provides(name)
    return [n for n in needs if n not in have]


def main_envs() -> List[Env]:
    return [e for e in ENVS.values() if e.main]


def baseline_env() -> Env:
    """The env whose results are recorded as the golden baselines (the TF 1.15 reference)."""
    return next(e for e in ENVS.values() if e.baseline)


def as_dict() -> Dict[str, Dict[str, object]]:
    """The table as plain data (for ``python -m shared.core.envs``)."""
    return dict((e.name, dict(e._asdict(), package=e.package)) for e in ENVS.values())


if __name__ == "__main__":
    import json

    print(json.dumps(as_dict(), indent=2, sort_keys=True))

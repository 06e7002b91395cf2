"""One registry of cases, read by nox, both TensorFlow environments, the comparison and the tests."""

import hashlib
import json
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from shared.core.errors import RegistryError

SIDES = ("tf1", "tf2")
PACKAGES = {"tf1": "legacy_tf1", "tf2": "modern_tf2"}  # the package that implements each side
TOLERANCE_KINDS = ("strict", "oracle")


class Tolerance(object):
    """An absolute tolerance on coefficients, with the one-line reason it is what it is."""

    def __init__(self, value: float, reason: str) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0.0:
            raise RegistryError(
                "invalid tolerance",
                expected="a number >= 0",
                found=repr(value),
                fix="give every tolerance a non-negative absolute value",
            )
        if not reason or not str(reason).strip():
            raise RegistryError(
                "tolerance %g has no reason" % value,
                expected="a one-line reason for each tolerance",
                found="an empty reason",
                fix="say why this tolerance, e.g. 'float32 rounding over 200 FTRL steps'",
            )
        self.value = float(value)
        self.reason = str(reason)

    def to_dict(self) -> Dict[str, Any]:
        return {"value": self.value, "reason": self.reason}


class DatasetSpec(object):
    """Which generator makes a case's data, and with what parameters."""

    def __init__(self, name: str, generator: str, params: Mapping[str, Any]) -> None:
        self.name = name
        self.generator = generator
        self.params = dict(params)

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "generator": self.generator, "params": dict(self.params)}


class Case(object):
    """A model reproduced on both sides: data, hyperparameters, implementations and tolerances."""

    def __init__(
        self,
        name: str,
        description: str,
        dataset: DatasetSpec,
        hyperparameters: Mapping[str, Any],
        impls: Mapping[str, Sequence[str]],
        reference: str,
        tolerances: Mapping[str, Tolerance],
        gauge: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.description = description
        self.dataset = dataset
        self.hyperparameters = dict(hyperparameters)
        self.impls = OrderedDict((side, tuple(impls[side])) for side in SIDES if side in impls)
        self.reference = reference
        self.tolerances = dict(tolerances)
        self.gauge = tuple(gauge)
        self._validate()

    def _validate(self) -> None:
        unknown = sorted(set(self.tolerances) - set(TOLERANCE_KINDS))
        missing = [k for k in TOLERANCE_KINDS if k not in self.tolerances]
        if missing or unknown:
            raise RegistryError(
                "case %r has wrong tolerances" % self.name,
                expected="exactly the kinds %s" % ", ".join(TOLERANCE_KINDS),
                found="missing %s, unknown %s" % (missing or "none", unknown or "none"),
                fix="declare a Tolerance(value, reason) for each kind in shared/core/cases.py",
            )
        for kind, tol in self.tolerances.items():
            if not isinstance(tol, Tolerance):
                raise RegistryError(
                    "case %r tolerance %r is not a Tolerance" % (self.name, kind),
                    expected="Tolerance(value, reason)",
                    found=repr(tol),
                    fix="wrap the number: Tolerance(1e-6, 'why')",
                )
        for side in SIDES:
            if not self.impls.get(side):
                raise RegistryError(
                    "case %r has no %s implementation" % (self.name, side),
                    expected="at least one implementation per side (%s)" % ", ".join(SIDES),
                    found="sides %s" % ", ".join(self.impls) or "none",
                    fix="list the implementations in impls={...}",
                )
        if self.reference not in self.run_keys():
            raise RegistryError(
                "case %r reference %r is not one of its implementations" % (self.name, self.reference),
                expected="one of " + ", ".join(self.run_keys()),
                found=self.reference,
                fix="set reference to '<side>/<impl>'",
            )

    def run_keys(self) -> List[str]:
        """``<side>/<impl>`` for every implementation of this case."""
        return ["%s/%s" % (side, impl) for side, impls in self.impls.items() for impl in impls]

    def tolerance(self, kind: str) -> Tolerance:
        return self.tolerances[kind]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "dataset": self.dataset.to_dict(),
            "hyperparameters": dict(self.hyperparameters),
            "impls": {side: list(impls) for side, impls in self.impls.items()},
            "reference": self.reference,
            "tolerances": {k: t.to_dict() for k, t in sorted(self.tolerances.items())},
            "gauge": list(self.gauge),
        }

    def spec_sha256(self) -> str:
        """Hash of what determines the learned coefficients: data spec and hyperparameters."""
        core = {"dataset": self.dataset.to_dict(), "hyperparameters": self.hyperparameters}
        return hashlib.sha256(json.dumps(core, sort_keys=True).encode("utf-8")).hexdigest()


_REGISTRY = OrderedDict()  # type: Dict[str, Case]
_LOADED = [False]


def register(case: Case) -> Case:
    """Add ``case`` to the registry; a second case of the same name is refused."""
    if case.name in _REGISTRY:
        raise RegistryError(
            "case %r is registered twice" % case.name,
            expected="unique case names",
            found="a second registration of %r" % case.name,
            fix="rename one of them",
        )
    _REGISTRY[case.name] = case
    return case


def _load() -> None:
    if not _LOADED[0]:
        _LOADED[0] = True
        import shared.core.cases  # noqa: F401  (registers the built-in cases)


def case_names() -> List[str]:
    _load()
    return list(_REGISTRY)


def all_cases() -> List[Case]:
    _load()
    return list(_REGISTRY.values())


def get_case(name: str) -> Case:
    """The registered case ``name``; an unknown name lists the known ones."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RegistryError(
            "unknown case %r" % name,
            expected="one of: " + ", ".join(_REGISTRY),
            found=repr(name),
            fix="pick a registered case, or register it in shared/core/cases.py",
        ) from None


def select(names: Optional[Sequence[str]]) -> List[Case]:
    """The cases named (all when ``names`` is empty), in registry order."""
    if not names:
        return all_cases()
    wanted = [get_case(n).name for n in names]
    return [c for c in all_cases() if c.name in wanted]


def parse_run_key(key: str) -> Tuple[str, str]:
    side, _, impl = key.partition("/")
    return side, impl

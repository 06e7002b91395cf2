"""What a case declares (contract v2): data, hyperparameters, implementations, checks, shared init and name maps.

A case is a model reproduced on both sides. It names its dataset, its hyperparameters, the
implementations on each side by import path, the checks that decide agreement (each with a
tolerance and a one-line reason) and, where it needs them, shared initial weights and the table
that maps each side's variable names to the case's canonical weight names.
"""

import enum
import hashlib
import json
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from shared.core.envs import SIDES
from shared.core.errors import RegistryError


class Tolerance(object):
    """An absolute tolerance, with the one-line reason it is what it is."""

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


class CheckKind(enum.Enum):
    """What a check compares: agreement of the training runs (weights, predictions, loss), convergence
    (least_squares), and the trained artifacts across versions (checkpoint, savedmodel, rollback)."""

    WEIGHTS = "weights"  # named tensors, element-wise, by canonical name
    PREDICTIONS = "predictions"  # on the probe set the kit writes once beside the data
    LOSS = "loss"  # per-epoch full-data loss curves
    LEAST_SQUARES = "least_squares"  # the closed-form oracle: models linear in their weights only
    CHECKPOINT = "checkpoint"  # the TF1 checkpoint restored by name into each TF2 model: its probe predictions vs TF1's
    SAVEDMODEL = "savedmodel"  # the TF1 SavedModel served in TF2 (signatures, Keras 3 TFSMLayer) vs TF1's predictions
    ROLLBACK = "rollback"  # each TF2 model's weights restored by TF 1.15 from a TF1 checkpoint vs the TF2 model's

    @property
    def agreement(self) -> bool:
        """An agreement check of the training runs (weights, predictions, loss)."""
        return self in (CheckKind.WEIGHTS, CheckKind.PREDICTIONS, CheckKind.LOSS)

    @property
    def artifact(self) -> bool:
        """A check of the trained artifacts across versions (cases whose TF1 run keeps them)."""
        return self in ARTIFACT_KINDS

    @property
    def comparison(self) -> str:
        """The ``kind`` of the comparisons this check makes in ``summary.json``."""
        return COMPARISON_KIND[self]


COMPARISON_KIND = {CheckKind.WEIGHTS: "strict", CheckKind.PREDICTIONS: "predictions", CheckKind.LOSS: "loss",
                   CheckKind.LEAST_SQUARES: "oracle", CheckKind.CHECKPOINT: "checkpoint",
                   CheckKind.SAVEDMODEL: "savedmodel", CheckKind.ROLLBACK: "rollback"}
ARTIFACT_KINDS = (CheckKind.CHECKPOINT, CheckKind.SAVEDMODEL, CheckKind.ROLLBACK)


class Check(object):
    """One check of a case: its kind, its tolerance with a reason, and whether it decides the verdict.

    Agreement and artifact checks always decide it. A convergence check (``least_squares``) decides it
    only with ``required=True``; otherwise it is reported.
    """

    def __init__(self, kind: Union[str, CheckKind], tolerance: float, reason: str, required: Optional[bool] = None) -> None:
        try:
            self.kind = CheckKind(kind)
        except ValueError:
            raise RegistryError(
                "unknown check %r" % (kind,),
                expected="one of " + ", ".join(k.value for k in CheckKind),
                found=repr(kind),
                fix="declare Check('weights', 1e-5, 'why'), Check('predictions', ...), Check('loss', ...), "
                    "Check('least_squares', ...) or, for the trained artifacts, Check('checkpoint' | 'savedmodel' | "
                    "'rollback', ...)",
            ) from None
        self.tolerance = Tolerance(tolerance, reason)
        self.required = True if self.kind is not CheckKind.LEAST_SQUARES else bool(required)

    @property
    def value(self) -> float:
        return self.tolerance.value

    @property
    def reason(self) -> str:
        return self.tolerance.reason

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind.value, "comparison": self.kind.comparison, "value": self.value,
                "reason": self.reason, "required": self.required}


class DatasetSpec(object):
    """Which data a case trains on: a kit generator with parameters, or a CSV file with a declared schema.

    ``schema`` lists ``(column, kind)`` with kind ``"f"`` (finite float) or ``"s"`` (non-empty string);
    generated datasets take theirs from the generator. ``source`` is a user CSV file (absolute path)
    that ``prepare`` copies once into the results' data folder with its checksum.
    """

    def __init__(self, name: str, generator: str, params: Optional[Mapping[str, Any]] = None,
                 schema: Optional[Sequence[Tuple[str, str]]] = None, source: Optional[str] = None) -> None:
        self.name = name
        self.generator = generator
        self.params = dict(params or {})
        self.schema = [(str(c), str(k)) for c, k in schema] if schema is not None else None
        self.source = source
        for column, kind in self.schema or []:
            if kind not in ("f", "s"):
                raise RegistryError(
                    "dataset %r column %r has kind %r" % (name, column, kind),
                    expected="'f' (finite float) or 's' (non-empty string)",
                    found=repr(kind),
                    fix="declare schema=[('x1', 'f'), ..., ('label', 'f')]",
                )

    def columns(self) -> List[Tuple[str, str]]:
        """``(column, kind)`` of every column the data must have."""
        if self.schema is not None:
            return list(self.schema)
        from shared.core.datasets import SCHEMAS

        return list(SCHEMAS[self.generator])

    def to_dict(self) -> Dict[str, Any]:
        out = {"name": self.name, "generator": self.generator, "params": dict(self.params)}  # type: Dict[str, Any]
        if self.schema is not None:
            out["schema"] = [list(c) for c in self.schema]
        return out


class Init(object):
    """How one canonical weight starts: ``zeros``, ``ones``, ``constant`` (``value``), ``glorot_uniform``,
    ``uniform`` (``limit``), ``normal`` (``stddev``) or ``truncated_normal`` (``stddev``; redrawn beyond
    two of them, as TF's initializer and an ``embedding_column``'s default), with its shape."""

    KINDS = ("zeros", "ones", "constant", "glorot_uniform", "uniform", "normal", "truncated_normal")

    def __init__(self, kind: str, shape: Sequence[int], **params: float) -> None:
        if kind not in self.KINDS:
            raise RegistryError("unknown initializer %r" % kind, expected="one of " + ", ".join(self.KINDS),
                                found=repr(kind), fix="use Init('glorot_uniform', (fan_in, fan_out))")
        self.kind = kind
        self.shape = tuple(int(n) for n in shape)
        self.params = dict((k, float(v)) for k, v in params.items())

    def to_dict(self) -> Dict[str, Any]:
        return {"kind": self.kind, "shape": list(self.shape), "params": dict(self.params)}


class InitSpec(object):
    """Shared initial weights: drawn once with numpy from ``seed``, in sorted name order, written beside the data."""

    def __init__(self, seed: int, weights: Mapping[str, Init]) -> None:
        self.seed = int(seed)
        self.weights = OrderedDict(sorted(weights.items()))

    def to_dict(self) -> Dict[str, Any]:
        return {"seed": self.seed, "weights": dict((n, i.to_dict()) for n, i in self.weights.items())}


class Impl(object):
    """One implementation of a case on one side: its name, ``module:function`` and what its env must provide."""

    def __init__(self, name: str, target: str, needs: Sequence[str] = ()) -> None:
        module, sep, function = target.partition(":")
        if not sep or not module or not function:
            raise RegistryError("implementation %r has target %r" % (name, target),
                                expected="'module:function', e.g. 'legacy_tf1.pairshift:run'", found=repr(target),
                                fix="name the module and the function that trains it")
        self.name = name
        self.target = target
        self.module = module
        self.function = function
        self.needs = tuple(needs)

    def to_dict(self) -> Dict[str, Any]:
        return {"target": self.target, "needs": list(self.needs)}


ImplsArg = Mapping[str, Union[Sequence[Union[str, Impl]], Mapping[str, str]]]


def default_needs(side: str, name: str) -> Tuple[str, ...]:
    """What an implementation needs by the kit's naming: ``keras3*`` Keras 3, ``keras2*`` Keras 2, a TF1 ``estimator*``
    ``tf.estimator``; declare ``Impl(name, target, needs=...)`` for anything else."""
    if name.startswith("keras3"):
        return ("keras3",)
    if name.startswith("keras2"):
        return ("keras2",)
    if side == "tf1" and name.startswith("estimator"):
        return ("estimator",)
    return ()


def _impls(name: str, impls: ImplsArg) -> "OrderedDict[str, OrderedDict[str, Impl]]":
    """``{side: {impl: Impl}}``; a bare name means ``<side package>.<case>:run``, its needs by its name."""
    out = OrderedDict()  # type: OrderedDict[str, OrderedDict[str, Impl]]
    for side in SIDES:
        declared = impls.get(side)
        if not declared:
            continue
        table = OrderedDict()  # type: OrderedDict[str, Impl]
        items = declared.items() if isinstance(declared, Mapping) else [(i, None) for i in declared]
        for key, target in items:
            if isinstance(key, Impl):
                impl = key
            else:
                impl = Impl(key, target or "%s.%s:run" % (SIDES[side].package, name), default_needs(side, key))
            table[impl.name] = impl
        out[side] = table
    return out


LOSSES = ("mse", "logloss")


def _shown(path: Optional[str]) -> Optional[str]:
    """A case folder relative to the working directory when it lies inside it (no machine paths in records)."""
    import os

    if path is None:
        return None
    here = os.path.abspath(os.getcwd())
    return os.path.relpath(path, here) if os.path.abspath(path).startswith(here + os.sep) else path


class Case(object):
    """A model reproduced on both sides (see the module docstring).

    Loss curves come from the kit's linear numpy model (``model``, which also gives the oracle), else
    from a numpy forward pass the case declares (``forward(weights, frame) -> predictions``, with its
    ``label`` column and ``loss``), else from each side evaluating its own model after every epoch.

    Every run is compared with the ``reference`` run; ``pairs`` names further ``(run key, run key)``
    pairs to compare with each other under the case's ``weights`` check, where the question is about
    two runs that are not the reference (one replica against two, one process against two).
    """

    def __init__(
        self,
        name: str,
        description: str,
        dataset: DatasetSpec,
        hyperparameters: Mapping[str, Any],
        impls: ImplsArg,
        reference: str,
        checks: Sequence[Check],
        gauge: Sequence[str] = (),
        model: Optional[str] = None,
        init: Optional[InitSpec] = None,
        names: Optional[Mapping[str, Mapping[str, str]]] = None,
        probe_rows: int = 256,
        folder: Optional[str] = None,
        forward: Optional[Callable[[Mapping[str, Any], Any], Any]] = None,
        label: Optional[str] = None,
        loss: str = "mse",
        pairs: Sequence[Tuple[str, str]] = (),
    ) -> None:
        self.name = name
        self.description = description
        self.dataset = dataset
        self.hyperparameters = dict(hyperparameters)
        self.implementations = _impls(name, impls)
        self.impls = OrderedDict((side, tuple(table)) for side, table in self.implementations.items())
        self.reference = reference
        self.checks = list(checks)
        self.gauge = tuple(gauge)
        self.model = model
        self.init = init
        self.names = dict((k, dict(v)) for k, v in (names or {}).items())
        self.probe_rows = int(probe_rows)
        self.folder = folder
        self.forward = forward
        self.label = label
        self.loss = loss
        self.pairs = [tuple(p) for p in pairs]
        self._validate()

    def _validate(self) -> None:
        if self.loss not in LOSSES:
            raise RegistryError("case %r has loss %r" % (self.name, self.loss), expected="one of " + ", ".join(LOSSES),
                                found=repr(self.loss), fix="loss='mse' (regression) or 'logloss' (binary, logits)")
        if self.forward is not None and not self.label:
            raise RegistryError(
                "case %r has a numpy forward pass but no label column" % self.name,
                expected="label='<the target column>' beside forward=...",
                found="label=None",
                fix="name the column the loss compares predictions with",
            )
        kinds = [c.kind for c in self.checks]
        if not all(isinstance(c, Check) for c in self.checks) or len(set(kinds)) != len(kinds):
            raise RegistryError(
                "case %r has malformed checks" % self.name,
                expected="a list of Check(kind, tolerance, reason), each kind at most once",
                found=repr([getattr(c, "kind", c) for c in self.checks]),
                fix="declare checks=[Check('weights', 1e-5, 'why'), ...]",
            )
        if not any(k.agreement for k in kinds):
            raise RegistryError(
                "case %r has no cross-side agreement check" % self.name,
                expected="at least one of weights, predictions, loss",
                found="checks: " + (", ".join(k.value for k in kinds) or "none"),
                fix="add Check('weights', tolerance, reason) (or predictions / loss)",
            )
        if CheckKind.LEAST_SQUARES in kinds and self.model is None:
            raise RegistryError(
                "case %r asks for the least_squares oracle but has no linear numpy model" % self.name,
                expected="model='<a model of shared.core.models>' for a model linear in its weights",
                found="model=None",
                fix="drop the least_squares check (it only applies to models linear in their weights)",
            )
        for side in SIDES:
            if not self.impls.get(side):
                raise RegistryError(
                    "case %r has no %s implementation" % (self.name, side),
                    expected="at least one implementation per side (%s)" % ", ".join(SIDES),
                    found="sides %s" % (", ".join(self.impls) or "none"),
                    fix="list the implementations in impls={...}",
                )
        if self.reference not in self.run_keys():
            raise RegistryError(
                "case %r reference %r is not one of its implementations" % (self.name, self.reference),
                expected="one of " + ", ".join(self.run_keys()),
                found=self.reference,
                fix="set reference to '<side>/<impl>'",
            )
        self._validate_pairs()
        unknown = sorted(k for k in self.names if k not in SIDES and k not in self.run_keys())
        if unknown:
            raise RegistryError(
                "case %r has name maps for %s" % (self.name, ", ".join(unknown)),
                expected="keys that are a side (%s) or a run key (%s)" % (", ".join(SIDES), ", ".join(self.run_keys())),
                found=", ".join(unknown),
                fix="key each name map by 'tf1', 'tf2' or '<side>/<impl>'",
            )

    def _validate_pairs(self) -> None:
        keys = self.run_keys()
        for p in self.pairs:
            bad = len(p) != 2 or p[0] == p[1] or any(k not in keys for k in p)
            if bad or self.check(CheckKind.WEIGHTS) is None:
                raise RegistryError(
                    "case %r has pair %r" % (self.name, p),
                    expected="two different run keys of the case (%s), compared under its weights check" % ", ".join(keys),
                    found=repr(p) if bad else "no weights check to compare them with",
                    fix="pairs=[('tf2/loop', 'tf2/loop_mirrored'), ...] with Check('weights', ...) in checks",
                )

    def run_keys(self) -> List[str]:
        """``<side>/<impl>`` for every implementation of this case."""
        return ["%s/%s" % (side, impl) for side, impls in self.impls.items() for impl in impls]

    @property
    def keeps_artifacts(self) -> bool:
        """Whether the case checks trained artifacts across versions (its runs then keep them)."""
        return any(c.kind.artifact for c in self.checks)

    def check(self, kind: Union[str, CheckKind]) -> Optional[Check]:
        """The case's check of ``kind``, or None."""
        kind = CheckKind(kind)
        return next((c for c in self.checks if c.kind is kind), None)

    def tolerance(self, comparison: str) -> Tolerance:
        """The tolerance behind comparisons of ``comparison`` kind (``strict``: weights, ``oracle``: least squares)."""
        for c in self.checks:
            if c.kind.comparison == comparison:
                return c.tolerance
        raise KeyError("case %r has no %s check" % (self.name, comparison))

    def name_map(self, side: str, impl: str) -> Optional[Dict[str, str]]:
        """The declared ``{variable name: canonical name}`` table of one implementation (run key first, then side)."""
        table = self.names.get("%s/%s" % (side, impl), self.names.get(side))
        return dict(table) if table is not None else None

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "name": self.name,
            "description": self.description,
            "dataset": self.dataset.to_dict(),
            "hyperparameters": dict(self.hyperparameters),
            "impls": dict((side, list(impls)) for side, impls in self.impls.items()),
            "targets": dict((side, dict((n, i.to_dict()) for n, i in table.items()))
                            for side, table in self.implementations.items()),
            "reference": self.reference,
            "checks": [c.to_dict() for c in self.checks],
            "tolerances": dict((c.kind.comparison, c.tolerance.to_dict()) for c in self.checks),
            "gauge": list(self.gauge),
            "model": self.model,
            "forward": getattr(self.forward, "__name__", None),
            "label": self.label,
            "loss": self.loss,
            "folder": _shown(self.folder),
            "pairs": [list(p) for p in self.pairs],
        }  # type: Dict[str, Any]
        if self.init is not None:
            out["init"] = self.init.to_dict()
        return out

    def spec_sha256(self) -> str:
        """Hash of what determines the learned weights: data spec, hyperparameters and (when declared) the init."""
        core = {"dataset": self.dataset.to_dict(), "hyperparameters": self.hyperparameters}  # type: Dict[str, Any]
        if self.init is not None:
            core["init"] = self.init.to_dict()
        return hashlib.sha256(json.dumps(core, sort_keys=True).encode("utf-8")).hexdigest()

"""The comparison record: one typed value per check made (or that could not be made), serialized into summary.json."""

import enum
from typing import Any, Dict, List, Optional


class Kind(enum.Enum):
    """What a comparison compares; the problem kinds are comparisons that could not be made (all failures)."""

    STRICT = "strict"  # weights by name: a run against the case's reference run
    PREDICTIONS = "predictions"  # probe-set predictions against the reference run
    LOSS = "loss"  # per-epoch full-data loss curves against the reference run
    PAIR = "pair"  # weights by name: two runs the case names in its pairs (e.g. one replica against two)
    ENV = "env"  # the same implementation in another environment (a container) against the plain env
    ORACLE = "oracle"  # weights against the closed-form least-squares solution (convergence)
    BASELINE = "baseline"  # weights against the committed golden TF1 result
    BASELINE_NONE = "baseline-none"  # the committed baselines were recorded from other data: nothing to compare
    BASELINE_STANDS_IN = "baseline-stands-in"  # no TF 1.15 on this runner, by request: the baseline is the reference
    SKIPPED = "skipped"  # an implementation the env cannot run (e.g. Keras 3 on TF 2.15): not applicable
    CHECKPOINT = "checkpoint"  # the TF1 checkpoint restored by name into a TF2 model: probe predictions vs TF1's own
    SAVEDMODEL = "savedmodel"  # the TF1 SavedModel served in TF2 (a signature, TFSMLayer): probe predictions vs TF1's
    ROLLBACK = "rollback"  # a TF2 model's weights restored by TF 1.15 from a TF1 checkpoint: vs the TF2 model's own
    MISSING = "missing"
    FAILED = "failed"
    REFUSED = "refused"
    BASELINE_REFUSED = "baseline-refused"

    @property
    def problem(self) -> bool:
        return self in PROBLEMS

    @property
    def artifact(self) -> bool:
        return self in ARTIFACTS


PROBLEMS = (Kind.MISSING, Kind.FAILED, Kind.REFUSED, Kind.BASELINE_REFUSED)
ARTIFACTS = (Kind.CHECKPOINT, Kind.SAVEDMODEL, Kind.ROLLBACK)


class Comparison(object):
    """One comparison: which runs, what kind, how far apart, against which tolerance and why, and the verdict.

    ``gating`` is False for a check that is reported but does not decide the run (a convergence
    check the case does not require, a note); ``details`` holds what only some kinds carry
    (``first_divergence``, ``settings_diff``, ``centred``, ``overrides``, ``drifted``, ...).
    """

    def __init__(self, case: str, left: str, right: Optional[str], kind: Kind, message: str, passed: bool,
                 max_abs_diff: Optional[float] = None, rms_diff: Optional[float] = None,
                 tolerance: Optional[float] = None, tolerance_reason: Optional[str] = None, gating: bool = True,
                 n_coefficients: int = 0, only_left: Optional[List[str]] = None, only_right: Optional[List[str]] = None,
                 worst: Optional[List[Dict[str, Any]]] = None, over: Optional[List[str]] = None,
                 **details: Any) -> None:
        self.case = case
        self.left = left
        self.right = right
        self.kind = Kind(kind)
        self.message = message
        self.passed = bool(passed)
        self.max_abs_diff = max_abs_diff
        self.rms_diff = rms_diff
        self.tolerance = tolerance
        self.tolerance_reason = tolerance_reason
        self.gating = bool(gating)
        self.n_coefficients = int(n_coefficients)
        self.only_left = list(only_left or [])
        self.only_right = list(only_right or [])
        self.worst = list(worst or [])
        self.over = list(over or [])
        self.details = dict(details)

    def fail(self, why: str) -> "Comparison":
        """Mark failed, adding ``why`` to the message."""
        self.passed = False
        self.message += "; " + why
        return self

    @property
    def ok(self) -> bool:
        """True unless this comparison fails the run (a failing non-gating check does not)."""
        return self.passed or not self.gating

    def to_dict(self) -> Dict[str, Any]:
        out = dict(self.details)
        out.update({
            "case": self.case, "left": self.left, "right": self.right, "kind": self.kind.value,
            "message": self.message, "passed": self.passed, "gating": self.gating,
            "max_abs_diff": self.max_abs_diff, "rms_diff": self.rms_diff, "tolerance": self.tolerance,
            "worst": self.worst,
        })
        if not self.kind.problem:
            out.update({"tolerance_reason": self.tolerance_reason, "n_coefficients": self.n_coefficients,
                        "only_left": self.only_left, "only_right": self.only_right, "over": self.over})
        return out

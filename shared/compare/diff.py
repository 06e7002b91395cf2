"""One comparison of two sets of named values (weights, probe predictions, loss curves), element-wise, by name,
with a message that names the element that differs most."""

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from shared.compare.record import Comparison, Kind
from shared.core.weights import elements

WORST = 5  # elements named in each comparison


def centre(coefficients: Mapping[str, Any], gauge: Sequence[str]) -> Dict[str, Any]:
    """Subtract each gauge group's mean (a group is every scalar weight whose name starts with one prefix)."""
    out = dict(coefficients)
    for prefix in gauge:
        names = [n for n in out if n.startswith(prefix) and np.ndim(out[n]) == 0]
        if names:
            mean = math.fsum(float(out[n]) for n in names) / len(names)
            for n in names:
                out[n] = float(out[n]) - mean
    return out


def _quote(name: str, kind: Kind) -> str:
    if kind is Kind.PREDICTIONS or kind.artifact:
        return name.replace("probe", "prediction", 1)
    if kind is Kind.LOSS:
        return name
    if "[" in name or name in ("W", "b"):
        return name
    return "weight[%r]" % name


def _names(names: List[str]) -> str:
    if not names:
        return "none"
    return ", ".join(names[:5]) + (" (+%d more)" % (len(names) - 5) if len(names) > 5 else "")


def diff(case: str, left_id: str, right_id: str, left: Mapping[str, Any], right: Mapping[str, Any], kind, tolerance: float,
         reason: str, gating: bool = True) -> Comparison:
    """Two sets of named values compared element-wise by name; tensors of different shapes never pass."""
    kind = Kind(kind)
    label = "%s %s vs %s" % (case, left_id, right_id)
    noun = "predictions" if kind.artifact else {Kind.PREDICTIONS: "predictions", Kind.LOSS: "epochs"}.get(kind, "coefficients")
    reshaped = sorted(n for n in set(left) & set(right) if np.shape(left[n]) != np.shape(right[n]))
    lv = dict(elements(dict((n, v) for n, v in left.items() if n not in reshaped)))
    rv = dict(elements(dict((n, v) for n, v in right.items() if n not in reshaped)))
    only_left = sorted(set(lv) - set(rv)) + reshaped
    only_right = sorted(set(rv) - set(lv)) + reshaped
    common = sorted(set(lv) & set(rv))
    diffs = sorted(((abs(lv[n] - rv[n]), n) for n in common), key=lambda t: (-t[0], t[1]))
    max_abs = diffs[0][0] if diffs else None
    rms = math.sqrt(math.fsum(d * d for d, _ in diffs) / len(diffs)) if diffs else None
    passed = bool(common) and not only_left and not only_right and max_abs is not None and max_abs <= tolerance
    worst = [{"name": n, "left": lv[n], "right": rv[n], "diff": d} for d, n in diffs[:WORST]]
    over = [n for d, n in diffs if not d <= tolerance]
    if reshaped:
        message = "%s: shapes differ: %s" % (label, "; ".join(
            "%s %s vs %s" % (n, list(np.shape(left[n])), list(np.shape(right[n]))) for n in reshaped[:5]))
    elif not common:
        message = "%s: no %s names in common" % (label, noun[:-1])
    elif only_left or only_right:
        message = "%s: %s differ in name: only left %s; only right %s" % (label, noun, _names(only_left),
                                                                          _names(only_right))
    elif passed:
        message = "%s: max |diff| %.3g at %s (tolerance %.3g)" % (label, max_abs, _quote(diffs[0][1], kind), tolerance)
    else:
        message = "%s: %s differs by %.3g (tolerance %.3g); %d of %d %s over" % (
            label, _quote(diffs[0][1], kind), max_abs, tolerance, len(over), len(diffs), noun)
    return Comparison(case, left_id, right_id, kind, message, passed, max_abs, rms, tolerance, reason, gating,
                      len(common), only_left, only_right, worst, over)


def problem(case: str, left_id: str, right_id: Optional[str], kind, message: str) -> Comparison:
    """A comparison that could not be made: it counts as failed."""
    return Comparison(case, left_id, right_id, Kind(kind), message, False)


def series(name: str, values: Any) -> Dict[str, Any]:
    """A 1-D or 2-D series (predictions, a loss curve) as one named tensor."""
    return {name: np.asarray(values, dtype=np.float64)}


def pair(case: str, left_id: str, left: Mapping[str, Any], right_id: str, right: Mapping[str, Any], kind,
         tolerance: float, reason: str, refused_kind=Kind.REFUSED) -> Comparison:
    """Two finished results (or a result and a baseline) compared strictly: one batch plan, the same parsed
    arrays, then the weights by name; a side that ran with ``--override`` is named in the message."""
    if left.get("plan_sha256") != right.get("plan_sha256"):
        return problem(case, left_id, right_id, refused_kind, "%s %s vs %s: %s used another batch plan (%s) than %s (%s); "
                       "not compared" % (case, left_id, right_id, right_id, str(right.get("plan_sha256"))[:12], left_id,
                                         str(left.get("plan_sha256"))[:12]))
    comp = diff(case, left_id, right_id, left["coefficients"], right["coefficients"], kind, tolerance, reason)
    return same_inputs(comp, left, right)


def same_inputs(comp: Comparison, left: Mapping[str, Any], right: Mapping[str, Any]) -> Comparison:
    """Fail a comparison of runs that parsed the data differently; name the overrides either side ran with."""
    if left.get("arrays_sha256") != right.get("arrays_sha256"):
        comp.fail("the two parsed the data into different arrays (other arrays: sha256 %s vs %s)" % (
            str(left.get("arrays_sha256"))[:12], str(right.get("arrays_sha256"))[:12]))
    for label, run in (("left", left), ("right", right)):
        if run.get("overrides"):
            comp.message += "; %s ran with overrides %s" % (label, ", ".join(
                "%s=%r" % kv for kv in sorted(run["overrides"].items())))
            comp.details.setdefault("overrides", {})[label] = run["overrides"]
    return comp

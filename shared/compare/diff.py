"""One comparison of two coefficient dicts, by name, with a message that names what differs."""

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

WORST = 5  # coefficients named in each comparison


def centre(coefficients: Mapping[str, float], gauge: Sequence[str]) -> Dict[str, float]:
    """Subtract each gauge group's mean (a group is every name starting with one prefix)."""
    out = dict(coefficients)
    for prefix in gauge:
        names = [n for n in out if n.startswith(prefix)]
        if names:
            mean = math.fsum(out[n] for n in names) / len(names)
            for n in names:
                out[n] = out[n] - mean
    return out


def diff(
    case: str,
    left_id: str,
    right_id: str,
    left: Mapping[str, float],
    right: Mapping[str, float],
    kind: str,
    tolerance: float,
    reason: str,
) -> Dict[str, Any]:
    """One comparison of two coefficient dicts by name, with the worst names in its message."""
    only_left = sorted(set(left) - set(right))
    only_right = sorted(set(right) - set(left))
    common = sorted(set(left) & set(right))
    diffs = sorted(((abs(left[n] - right[n]), n) for n in common), reverse=True)
    max_abs = diffs[0][0] if diffs else None
    rms = math.sqrt(math.fsum(d * d for d, _ in diffs) / len(diffs)) if diffs else None
    passed = bool(common) and not only_left and not only_right and max_abs is not None and max_abs <= tolerance
    worst = [{"name": n, "left": left[n], "right": right[n], "diff": d} for d, n in diffs[:WORST]]
    over = [n for d, n in diffs if not d <= tolerance]
    label = "%s %s vs %s" % (case, left_id, right_id)
    if not common:
        message = "%s: no coefficient names in common" % label
    elif only_left or only_right:
        message = "%s: coefficients differ in name: only left %s; only right %s" % (
            label, _names(only_left), _names(only_right))
    elif passed:
        message = "%s: max |diff| %.3g at %s (tolerance %.3g)" % (label, max_abs, _quote(diffs[0][1]), tolerance)
    else:
        message = "%s: %s differs by %.3g (tolerance %.3g); %d of %d coefficients over" % (
            label, _quote(diffs[0][1]), max_abs, tolerance, len(over), len(diffs))
    return {
        "case": case,
        "left": left_id,
        "right": right_id,
        "kind": kind,
        "max_abs_diff": max_abs,
        "rms_diff": rms,
        "tolerance": tolerance,
        "tolerance_reason": reason,
        "passed": passed,
        "n_coefficients": len(common),
        "only_left": only_left,
        "only_right": only_right,
        "worst": worst,
        "over": over,
        "message": message,
    }


def _quote(name: str) -> str:
    return "weight[%r]" % name if name not in ("W", "b") else name


def _names(names: List[str]) -> str:
    if not names:
        return "none"
    return ", ".join(names[:5]) + (" (+%d more)" % (len(names) - 5) if len(names) > 5 else "")


def problem(case: str, left_id: str, right_id: Optional[str], kind: str, message: str) -> Dict[str, Any]:
    """A comparison that could not be made: it counts as failed."""
    return {
        "case": case,
        "left": left_id,
        "right": right_id,
        "kind": kind,
        "max_abs_diff": None,
        "rms_diff": None,
        "tolerance": None,
        "passed": False,
        "worst": [],
        "message": message,
    }


def pair(case: str, left_id: str, left: Mapping[str, Any], right_id: str, right: Mapping[str, Any], kind: str,
         tolerance: float, reason: str, refused_kind: str = "refused") -> Dict[str, Any]:
    """Two finished results (or a result and a baseline) compared strictly: one batch plan, the same parsed
    arrays, then the coefficients by name; a side that ran with ``--override`` is named in the message."""
    if left.get("plan_sha256") != right.get("plan_sha256"):
        return problem(case, left_id, right_id, refused_kind, "%s %s vs %s: %s used another batch plan (%s) than %s (%s); "
                       "not compared" % (case, left_id, right_id, right_id, str(right.get("plan_sha256"))[:12], left_id,
                                         str(left.get("plan_sha256"))[:12]))
    comp = diff(case, left_id, right_id, left["coefficients"], right["coefficients"], kind, tolerance, reason)
    if left.get("arrays_sha256") != right.get("arrays_sha256"):
        comp["passed"] = False
        comp["message"] += "; the two parsed the data into different arrays (other arrays: sha256 %s vs %s)" % (
            str(left.get("arrays_sha256"))[:12], str(right.get("arrays_sha256"))[:12])
    for label, run in (("left", left), ("right", right)):
        if run.get("overrides"):
            comp["message"] += "; %s ran with overrides %s" % (label, ", ".join(
                "%s=%r" % kv for kv in sorted(run["overrides"].items())))
            comp.setdefault("overrides", {})[label] = run["overrides"]
    return comp

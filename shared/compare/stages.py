"""Explaining a red comparison: where two runs part (staged, as TF's migration guide prescribes) and which
effective settings differ."""

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from shared.core.weights import elements

STAGES = ("variables", "forward pass", "first step", "epoch")


def _max_diff(left: Mapping[str, Any], right: Mapping[str, Any]) -> Optional[float]:
    lv, rv = dict(elements(left)), dict(elements(right))
    common = set(lv) & set(rv)
    if not common or set(lv) != set(rv):
        return None
    return max(abs(lv[n] - rv[n]) for n in common)


def first_divergence(ref: Mapping[str, Any], run: Mapping[str, Any], weights_tol: float,
                     predictions_tol: Optional[float], loss_tol: Optional[float]) -> Dict[str, Any]:
    """The first stage at which ``run`` parts from ``ref`` beyond the case's tolerances.

    (1) ``variables``: names and shapes through the name maps; (2) ``forward pass``: probe predictions
    from the shared start; (3) ``first step``: weights after one optimizer step; (4) ``epoch N``: the
    first epoch whose full-data loss differs; stages a run did not record are skipped, and a run that
    parts only in its final weights says so.
    """
    ref_shapes, run_shapes = ref.get("shapes"), run.get("shapes")
    if ref_shapes and run_shapes and ref_shapes != run_shapes:
        differ = sorted(n for n in set(ref_shapes) | set(run_shapes) if ref_shapes.get(n) != run_shapes.get(n))
        return {"stage": "variables", "index": 1, "detail": "names or shapes differ: %s" % ", ".join(differ[:5])}
    rs, ns = ref.get("stages") or {}, run.get("stages") or {}
    if "forward" in rs and "forward" in ns:
        d = float(np.max(np.abs(np.asarray(rs["forward"], np.float64) - np.asarray(ns["forward"], np.float64))))
        if d > (predictions_tol if predictions_tol is not None else weights_tol):
            return {"stage": "forward pass", "index": 2, "max_abs_diff": d,
                    "detail": "probe predictions from the shared start differ by %.3g" % d}
    if "first_step" in rs and "first_step" in ns:
        d = _max_diff(rs["first_step"], ns["first_step"])
        if d is not None and d > weights_tol:
            return {"stage": "first step", "index": 3, "max_abs_diff": d,
                    "detail": "weights after one optimizer step differ by %.3g" % d}
    a, b = ref.get("loss_history") or [], run.get("loss_history") or []
    tol = loss_tol if loss_tol is not None else None
    if tol is not None:
        for epoch, (x, y) in enumerate(zip(a, b)):
            if abs(x - y) > tol:
                return {"stage": "epoch", "epoch": epoch + 1, "index": 4, "max_abs_diff": abs(x - y),
                        "detail": "the full-data loss first differs after epoch %d (%.6g vs %.6g)" % (epoch + 1, x, y)}
    return {"stage": "final weights", "index": 5, "detail": "no recorded stage differs beyond its tolerance; "
                                                            "the final weights do"}


def settings_diff(left: Mapping[str, Any], right: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Every effective setting (dotted name) whose value differs between two runs, or that only one has."""
    a, b = _flatten(left), _flatten(right)
    out = []
    missing = "<not recorded>"
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, missing), b.get(key, missing)
        if _close(x) != _close(y):
            out.append({"setting": key, "left": x, "right": y})
    return out


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    out = {}  # type: Dict[str, Any]
    for key, value in settings.items():
        if key == "class":  # tf.train.AdamOptimizer vs keras.Adam: the migration itself, not a setting
            continue
        name = prefix + str(key)
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _close(value: Any) -> Any:
    """Floats compared at float32 resolution: 0.05 read back from a float32 variable is still 0.05."""
    if isinstance(value, float):
        return float(np.float32(value))
    return value

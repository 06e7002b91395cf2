"""Fake catalogue entries and the summary.json the kit would write for them, for verdict tests without TensorFlow."""

from typing import Any, Dict, List, Optional

from shared.pitfalls.entries import Entry

STAGE_DETAIL = {"forward pass": "probe predictions from the shared start differ by 1", "first step":
                "weights after one optimizer step differ by 0.1", "epoch": "the full-data loss first differs after epoch 2"}


def entry(id: str = "01a", **changes: Any) -> Entry:
    raw = {"id": id, "pitfall": 1, "case": "pitfall_" + id, "title": "loss reduction", "tf1_api": "LinearRegressor",
           "tf1_default": "SUM", "naive": "mean", "fix": "reduction='sum'", "settings": ["loss.reduction"],
           "stage": "first step"}
    raw.update(changes)
    return Entry.from_dict(raw, "tests")


def comparison(case: str, left: str, right: str, kind: str, diff: float, tol: float,
               stage: Optional[str] = None) -> Dict[str, Any]:
    passed = diff <= tol
    out = {"case": case, "left": left, "right": right, "kind": kind, "max_abs_diff": diff, "tolerance": tol,
           "passed": passed, "gating": True,
           "message": "%s %s vs %s: %s differs by %g (tolerance %g)" % (case, left, right, kind, diff, tol)}
    if not passed:
        out["first_divergence"] = {"stage": stage or "first step", "detail": STAGE_DETAIL.get(stage or "first step", "")}
    return out


class Summary(object):
    """Builds a summary.json-like dict: one reference TF1 run per case and the ports' comparisons with it."""

    def __init__(self) -> None:
        self.data = {"cases": {}, "runs": {}, "comparisons": []}  # type: Dict[str, Any]

    def case(self, case: str, ref_settings: Optional[Dict[str, Any]] = None, ref: str = "session") -> str:
        rid = "tf1/%s/%s" % (case, ref)
        self.data["cases"][case] = {"reference": rid, "spec": {"checks": [
            {"kind": "weights", "value": 1e-5}, {"kind": "predictions", "value": 2e-5}]}}
        self.data["runs"][rid] = {"status": "ok", "settings": ref_settings or {}, "coefficients": {"w": 1.0}}
        return rid

    def port(self, case: str, port: str, weights: float, predictions: float, settings: Optional[Dict[str, Any]] = None,
             stage: Optional[str] = None, ref: str = "session") -> None:
        rid, left = "tf2/%s/%s" % (case, port), "tf1/%s/%s" % (case, ref)
        self.data["runs"][rid] = {"status": "ok", "settings": settings or {}, "coefficients": {"w": 1.0 + weights}}
        self.data["comparisons"] += [comparison(case, left, rid, "strict", weights, 1e-5, stage),
                                     comparison(case, left, rid, "predictions", predictions, 2e-5, stage)]

    def missing(self, case: str, port: str) -> None:
        rid = "tf2/%s/%s" % (case, port)
        self.data["comparisons"].append({"case": case, "left": rid, "right": None, "kind": "missing", "passed": False,
                                         "message": "%s: no result; the tf2 side is missing" % rid})

    def tf1_run(self, case: str, impl: str, w: float) -> None:
        self.data["runs"]["tf1/%s/%s" % (case, impl)] = {"status": "ok", "settings": {}, "coefficients": {"w": w},
                                                         "predictions": [w, 2 * w]}


def standard(case: str = "pitfall_01a", naive_stage: str = "first step", naive_setting: str = "mean",
             naive: float = 0.5, faithful: float = 1e-7) -> Dict[str, Any]:
    """A case whose naive port is red at ``naive_stage`` with loss.reduction sum vs ``naive_setting``."""
    s = Summary()
    s.case(case, {"loss": {"reduction": "sum"}})
    s.port(case, "naive", naive, naive * 10, {"loss": {"reduction": naive_setting}}, stage=naive_stage)
    s.port(case, "faithful", faithful, faithful * 10, {"loss": {"reduction": "sum"}})
    return s.data


def ids(problems: List[str]) -> List[str]:
    return [p.split(":", 1)[0] for p in problems]

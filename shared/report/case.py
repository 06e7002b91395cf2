"""One case's section of the report: facts, tables against the reference, the oracle and the rest, figures."""

from typing import Any, List, Mapping

from shared.report.artifacts import KINDS as ARTIFACT_KINDS, artifacts_section
from shared.report.document import bullets, code, heading, para, table, verdict, verdict_of
from shared.report.format import PROBLEM_KINDS, fmt_diff, fmt_ratio, fmt_tol, fmt_value, kind_order, slug

OTHER_TITLES = {
    "predictions": "Probe predictions against the reference",
    "loss": "Full-data loss per epoch against the reference",
    "pair": "Pairs of runs the case names (e.g. one replica against two)",
    "env": "Same implementation in another environment (container, GPU)",
    "baseline": "Against the committed TF1 baseline",
    "baseline-stands-in": "TF1 runs not made here: the committed baseline stands in",
}


def case_section(name: str, summary: Mapping[str, Any], figs: List[tuple]) -> List[tuple]:
    info = summary["cases"][name]
    spec = info.get("spec") or {}
    runs = summary.get("runs", {})
    mine = [c for c in summary.get("comparisons", []) if c["case"] == name]
    ok = bool(mine) and all(c["passed"] or c.get("gating") is False for c in mine)
    tols = spec.get("tolerances") or {}
    oracle = info.get("oracle") or {}
    out = [heading(2, ["Case ", code(name)], "case-" + slug(name)),
           para(verdict(ok), " ", spec.get("description", ""))]
    facts = [
        ["data sha256: ", code(info.get("data_sha256") or "no data found")],
        ["spec sha256: ", code(str(info.get("spec_sha256", ""))[:12]), "; reference run: ", code(info.get("reference"))],
    ]
    for kind in sorted(tols, key=lambda k: (k != "strict", k)):
        facts.append(["%s tolerance %s: %s" % (kind, fmt_tol(tols[kind].get("value")), tols[kind].get("reason", ""))])
    if oracle:
        facts.append(["oracle (closed-form least squares): MSE %.6g, solved in %.3g s" % (
            oracle.get("mse", float("nan")), oracle.get("solve_s", float("nan")))])
    if spec.get("hyperparameters"):
        facts.append(["hyperparameters: ", code(fmt_value(spec["hyperparameters"]))])
    out.append(bullets(facts))

    strict = [c for c in mine if c["kind"] == "strict"]
    out.append(heading(3, ["Against the reference ", code(info.get("reference"))]))
    if strict:
        out.append(table(["run", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient", "result"],
                         [[code(c["right"]), fmt_diff(c["max_abs_diff"]), fmt_diff(c.get("rms_diff")),
                           fmt_ratio(c["max_abs_diff"], c["tolerance"]), fmt_tol(c["tolerance"]), _worst(c),
                           verdict_of(c)] for c in strict], numeric=(1, 2, 3, 4)))
    else:
        out.append(para("No run could be compared with the reference."))

    orc = [c for c in mine if c["kind"] == "oracle"]
    if "oracle" in tols:  # a case whose model is not linear in its weights has no closed-form oracle
        out.append(heading(3, "Against the oracle" + (" (both centred: only differences are identified)"
                                                      if any(c.get("centred") for c in orc) else "")))
    if orc:
        rows = []
        for c in orc:
            r = runs.get(c["left"]) or {}
            hist = r.get("loss_history") or []
            rows.append([code(c["left"]), fmt_diff(c["max_abs_diff"]), fmt_diff(c.get("rms_diff")),
                         fmt_ratio(c["max_abs_diff"], c["tolerance"]), fmt_tol(c["tolerance"]), _worst(c),
                         "%.6g" % hist[-1] if hist else "\u2014",
                         "%.2f" % (r.get("timings") or {}).get("train_s") if (r.get("timings") or {}).get("train_s")
                         is not None else "\u2014", verdict_of(c)])
        out.append(table(["run", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient",
                          "final loss", "train s", "result"], rows, numeric=(1, 2, 3, 4, 6, 7)))
    elif "oracle" in tols:
        out.append(para("No oracle comparison (no data, or the oracle failed: see Failures)."))

    other = [c for c in mine if c["kind"] not in ("strict", "oracle") + PROBLEM_KINDS + ARTIFACT_KINDS]
    for kind in sorted(set(c["kind"] for c in other), key=kind_order):
        group = [c for c in other if c["kind"] == kind]
        out.append(heading(3, OTHER_TITLES.get(kind, "Comparisons of kind %s" % kind)))
        reasons = []  # type: List[str]
        for c in group:
            if c.get("tolerance_reason") and c["tolerance_reason"] not in reasons:
                reasons.append(c["tolerance_reason"])
        if reasons:
            out.append(para("Tolerance: " + "; ".join(reasons) + "."))
        out.append(table(["left", "right", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient",
                          "result"],
                         [[code(c["left"]), code(c.get("right")), fmt_diff(c.get("max_abs_diff")),
                           fmt_diff(c.get("rms_diff")), fmt_ratio(c.get("max_abs_diff"), c.get("tolerance")),
                           fmt_tol(c.get("tolerance")), _worst(c), verdict_of(c)] for c in group],
                         numeric=(2, 3, 4, 5)))
    out.extend(artifacts_section(name, summary))
    problems = [c for c in mine if c["kind"] in PROBLEM_KINDS]
    if problems:
        out.append(heading(3, "Not compared"))
        out.append(table(["run", "what", "why", "result"],
                         [[code(c["left"]), c["kind"], c.get("message", ""), verdict(False)] for c in problems]))
    out.extend(figs)
    return out


def _worst(c: Mapping[str, Any]) -> Any:
    w = (c.get("worst") or [None])[0]
    if not w:
        return "\u2014"
    return [code(w["name"]), " " + fmt_diff(w["diff"])]

"""The report's Failures box: failing comparisons with their worst coefficients, then what was not compared."""

from typing import Any, List, Mapping, Sequence

from shared.report.document import bullets, code, heading, para, table, verdict
from shared.report.format import PROBLEM_KINDS, case_order, fmt_diff, fmt_ratio, kind_order


def failures(summary: Mapping[str, Any], failed: Sequence[Mapping[str, Any]]) -> List[tuple]:
    """Failing comparisons with their worst coefficients, then everything that could not be compared."""
    order = case_order(summary)
    key = lambda c: (order.index(c["case"]) if c["case"] in order else len(order), kind_order(c["kind"]),
                     c.get("left") or "", c.get("right") or "")
    numeric = sorted((c for c in failed if c["kind"] not in PROBLEM_KINDS), key=key)
    problems = sorted((c for c in failed if c["kind"] in PROBLEM_KINDS), key=key)
    out = [heading(2, "Failures", "failures")]
    if not failed:
        out.append(para("The summary did not pass, yet no comparison failed: no comparisons were made "
                        "(no results under ", code("runs/"), "?)."))
    for c in numeric:
        out.append(heading(3, ["%s %s: " % (c["case"], c["kind"]), code(c["left"]), " vs ", code(c.get("right"))]))
        out.append(para(verdict(False), " ", c.get("message", "")))
        if c.get("settings_diff"):  # what differs in the settings explains most red runs: shown first
            out.append(para("Effective settings that differ (read from the live objects on each side):"))
            out.append(table(["setting", "left: %s" % c["left"], "right: %s" % c.get("right")],
                             [[code(d["setting"]), code(d["left"]), code(d["right"])] for d in c["settings_diff"]]))
        if c.get("first_divergence"):
            d = c["first_divergence"]
            out.append(para("First divergence: stage %s (%s): %s." % (
                d.get("index"), d.get("stage") if d.get("stage") != "epoch" else "epoch %s" % d.get("epoch"),
                d.get("detail"))))
        if c.get("worst"):
            tol = c.get("tolerance")
            out.append(table(
                ["coefficient", "left: %s" % c["left"], "right: %s" % c.get("right"), "|\u0394|", "|\u0394|/tol", "result"],
                [[code(w["name"]), "%.9g" % w["left"], "%.9g" % w["right"], fmt_diff(w["diff"]),
                  fmt_ratio(w["diff"], tol), verdict(tol is not None and w["diff"] <= tol)] for w in c["worst"]],
                numeric=(1, 2, 3, 4)))
        if c.get("only_left") or c.get("only_right"):
            out.append(bullets([["only in left: ", ", ".join(c.get("only_left") or []) or "none"],
                                ["only in right: ", ", ".join(c.get("only_right") or []) or "none"]]))
    if problems:
        out.append(heading(3, "Missing sides and runs that could not be compared"))
        out.append(table(["run", "what", "why", "result"],
                         [[code(c["left"]), c["kind"], c.get("message", ""), verdict(False)] for c in problems]))
    return out

"""Distributed parity (``nox -s distributed``): both sides' distributed cases trained, compared, and judged.

Host side. Each side runs the cases of ``examples/distributed`` in its built env with two logical
CPU devices (``--cpu-devices 2``) into a results folder of their own; the comparison runs here. The
verdict: every comparison of the parity cases passes (one replica against two on each side, TF2
distributed against TF1 distributed, two worker processes against one process), and the pitfall
case holds as the catalogue judges its entries (``shared.pitfalls.verdict``: the naive loop red with
``distribute.loss_scale`` in its settings diff, parting from TF1 at the first step, the faithful loop
green), with the naive loop's loss scale at the replica count. Anything else fails the session.
"""

import os
from typing import Any, Dict, List, Mapping, Sequence

FOLDER = os.path.join("examples", "distributed")
RESULTS = os.path.join("results", "distributed")
PARITY = ("pairshift_distributed", "canned_dnn_distributed", "mlp_distributed")
PITFALL = "pairshift_naive_loop"
NAIVE_RUN = "tf2/%s/naive" % PITFALL
CAUSE = "distribute.loss_scale"
CASES = PARITY + (PITFALL,)
CPU_DEVICES = 2


def side_args(results: str, extra: Sequence[str] = ()) -> List[str]:
    """What each side gets: this results folder, the folder and its cases, two CPU devices, the caller's options."""
    return ["--results", results, "--cases-from", FOLDER, "--cases"] + list(CASES) + [
        "--cpu-devices", str(CPU_DEVICES)] + list(extra)


def _brief(c: Mapping[str, Any]) -> Dict[str, Any]:
    return dict((k, c.get(k)) for k in ("case", "kind", "left", "right", "max_abs_diff", "tolerance", "passed",
                                        "message"))


def loss_scale_at_replicas(summary: Mapping[str, Any]) -> List[str]:
    """The naive loop's measured loss scale must be its replica count (the faithful loop's 1): problems, if any."""
    runs = summary.get("runs") or {}
    out = []
    for rid, want in ((NAIVE_RUN, "replicas"), (NAIVE_RUN.replace("/naive", "/faithful"), 1.0)):
        settings = ((runs.get(rid) or {}).get("settings") or {}).get("distribute") or {}
        expected = settings.get("replicas") if want == "replicas" else want
        if settings.get("loss_scale") is None or expected is None or settings["loss_scale"] != float(expected):
            out.append("%s: %s %r, expected %r (%s)" % (rid, CAUSE, settings.get("loss_scale"), expected,
                                                       "its replica count" if want == "replicas" else "a global mean"))
    return out


def verdict(summary: Mapping[str, Any], pitfall_problems: Sequence[str]) -> Dict[str, Any]:
    """``{"passed", "problems", "parity", "pitfall"}`` from a ``summary.json`` of the distributed cases and what the
    catalogue's verdict found wrong with the pitfall's entry."""
    comps = summary.get("comparisons") or []
    problems = []  # type: List[str]
    parity = [c for c in comps if c.get("case") in PARITY]
    for name in PARITY:
        mine = [c for c in parity if c["case"] == name]
        if not mine:
            problems.append("%s: no comparison was made" % name)
        problems.extend(c["message"] for c in mine if not c.get("passed") and c.get("gating", True))
    if not any(c.get("kind") == "pair" and "multiworker" in str(c.get("right")) and c.get("passed") for c in parity):
        problems.append("no passing comparison of the multi-worker run with the single-process run")
    pitfall = [c for c in comps if c.get("case") == PITFALL]
    red = [c for c in pitfall if c.get("right") == NAIVE_RUN and not c.get("passed")]
    scale = loss_scale_at_replicas(summary)
    problems.extend(list(pitfall_problems) + scale)
    named = [d for c in red for d in c.get("settings_diff") or [] if d.get("setting") == CAUSE]
    return {"passed": not problems, "problems": problems, "parity": [_brief(c) for c in parity],
            "pitfall": {"comparisons": [_brief(c) for c in pitfall], "red": bool(red),
                        "cause": "%s %r vs %r" % (CAUSE, named[0]["left"], named[0]["right"]) if named else None,
                        "first_divergence": (red[0].get("first_divergence") or {}).get("detail") if red else None,
                        "holds": not pitfall_problems and not scale}}


def table(result: Mapping[str, Any]) -> str:
    """The verdict as terminal lines: each parity comparison, then the pitfall, then PASSED or FAILED."""
    lines = ["distributed parity (%s):" % ", ".join(PARITY)]
    for c in result["parity"]:
        lines.append("  %-4s %-11s %-44s %-44s %9s" % ("ok" if c["passed"] else "FAIL", c["kind"], c["left"],
                                                     c["right"] or "-", "%.2e" % c["max_abs_diff"]
                                                     if c["max_abs_diff"] is not None else "-"))
    pit = result["pitfall"]
    lines.append("pitfall %s: the naive loop %s; %s; first divergence: %s" % (
        PITFALL, "red" if pit["red"] else "NOT red", pit["cause"] or "%s not named" % CAUSE, pit["first_divergence"]))
    lines.extend("problem: " + p for p in result["problems"])
    lines.append("%s: %d parity comparisons, the pitfall %s" % (
        "PASSED" if result["passed"] else "FAILED", len(result["parity"]),
        "red for its cause" if pit["holds"] else "NOT as declared"))
    return "\n".join(lines)

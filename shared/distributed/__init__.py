"""Distributed parity (``nox -s distributed``): both sides' distributed cases trained, compared, and judged.

Host side, stdlib only. It runs ``nox -s tf1 tf2`` on the cases of ``examples/distributed`` with two
logical CPU devices (``--cpu-devices 2``) into a results folder of their own, then reads the
``summary.json`` that comparison wrote. The verdict: every comparison of the parity cases passes
(one replica against two on each side, TF2 distributed against TF1 distributed, two worker
processes against one process), and the pitfall case is red for its cause: the naive loop's
comparison fails and names ``distribute.loss_scale``, measured at the replica count. A naive loop
that passes, or fails for another reason, fails the session.
"""

import os
from typing import Any, Dict, List, Mapping, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join("examples", "distributed")
RESULTS = os.path.join("results", "distributed")
PARITY = ("pairshift_distributed", "mlp_distributed")
PITFALL = "pairshift_naive_loop"
NAIVE_RUN = "tf2/%s/loop_naive" % PITFALL
CAUSE = "distribute.loss_scale"
CASES = PARITY + (PITFALL,)
CPU_DEVICES = 2


def side_args(results: str, extra: Sequence[str] = ()) -> List[str]:
    """What ``nox -s tf1 tf2 -- ...`` gets: the folder, its cases, two CPU devices, this results folder."""
    return ["--results", results, "--cases-from", FOLDER, "--cases"] + list(CASES) + [
        "--cpu-devices", str(CPU_DEVICES)] + list(extra)


def _brief(c: Mapping[str, Any]) -> Dict[str, Any]:
    return dict((k, c.get(k)) for k in ("case", "kind", "left", "right", "max_abs_diff", "tolerance", "passed",
                                        "message"))


def _cause(c: Mapping[str, Any], runs: Mapping[str, Any]) -> Tuple[bool, str]:
    """Whether a red comparison of the naive loop names the loss scale at the replica count, and what it names."""
    for d in c.get("settings_diff") or []:
        if d.get("setting") == CAUSE:
            replicas = ((runs.get(c.get("right")) or {}).get("settings") or {}).get("distribute", {}).get("replicas")
            ok = d.get("left") == 1.0 and replicas is not None and d.get("right") == float(replicas)
            return ok, "%s %r vs %r at %s replicas" % (CAUSE, d.get("left"), d.get("right"), replicas)
    return False, "%s not among the settings that differ" % CAUSE


def verdict(summary: Mapping[str, Any]) -> Dict[str, Any]:
    """``{"passed", "problems", "parity", "pitfall"}`` from a ``summary.json`` of the distributed cases."""
    comps = summary.get("comparisons") or []
    runs = summary.get("runs") or {}
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
    naive = [c for c in pitfall if c.get("right") == NAIVE_RUN or c.get("left") == NAIVE_RUN]
    red = [c for c in naive if not c.get("passed") and c.get("kind") == "strict"]
    cause = _cause(red[0], runs) if red else (False, "the naive loop was not red")
    if not red:
        problems.append("%s: the naive loop was NOT red (%s)" % (PITFALL, "; ".join(c["message"] for c in naive) or
                                                                 "not compared"))
    elif not cause[0]:
        problems.append("%s: the naive loop was red, but not for its cause: %s (%s)" % (PITFALL, cause[1],
                                                                                        red[0]["message"]))
    others = [c for c in pitfall if c not in naive and not c.get("passed")]
    problems.extend("%s: %s" % (PITFALL, c["message"]) for c in others)
    return {"passed": not problems, "problems": problems, "parity": [_brief(c) for c in parity],
            "pitfall": {"comparisons": [_brief(c) for c in pitfall], "red": bool(red), "cause": cause[1],
                        "first_divergence": (red[0].get("first_divergence") or {}).get("detail") if red else None}}


def table(result: Mapping[str, Any]) -> str:
    """The verdict as terminal lines: each parity comparison, then the pitfall, then PASSED or FAILED."""
    lines = ["distributed parity (%s):" % ", ".join(PARITY)]
    for c in result["parity"]:
        lines.append("  %-4s %-6s %-44s %-44s %9s" % ("ok" if c["passed"] else "FAIL", c["kind"], c["left"],
                                                    c["right"] or "-", "%.2e" % c["max_abs_diff"]
                                                    if c["max_abs_diff"] is not None else "-"))
    pit = result["pitfall"]
    lines.append("pitfall %s: %s; %s; first divergence: %s" % (
        PITFALL, "red as it must be" if pit["red"] else "NOT red", pit["cause"], pit["first_divergence"]))
    lines.extend("problem: " + p for p in result["problems"])
    lines.append("%s: %d parity comparisons, the naive loop %s" % (
        "PASSED" if result["passed"] else "FAILED", len(result["parity"]), "red" if pit["red"] else "NOT red"))
    return "\n".join(lines)

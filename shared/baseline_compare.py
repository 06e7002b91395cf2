"""Every finished run of a case against its committed TF1 baseline, by name, under the strict tolerance."""

from typing import Any, Dict, List, Mapping, Optional

from shared import data
from shared.baseline_fit import made_with, reference_impl, refusal
from shared.baseline_store import (REGENERATE, SIDE, BaselineError, baseline_id, baseline_path, baseline_root,
                                   load_case, shown)
from shared.registry import Case

DRIFTED = 10  # drifted coefficient names spelled out in a failing message


def compare_case(case: Case, runs: Mapping[str, Dict[str, Any]], root: str,
                 base: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every finished run of ``case`` against its committed baseline (kind ``baseline``); none without one."""
    from shared.compare import admissible, problem

    refs = load_case(case, base)
    mine = dict((rid, r) for rid, r in runs.items() if r.get("case") == case.name)
    if not refs or not mine:
        return []
    base = baseline_root(base)
    data_sha = data.dataset_sha(root, case.dataset.name)
    out = []  # type: List[Dict[str, Any]]
    usable = {}  # type: Dict[str, Dict[str, Any]]
    for impl, ref in sorted(refs.items()):
        left = baseline_id(case.name, impl)
        why = str(ref) if isinstance(ref, BaselineError) else refusal(case, ref, data_sha)
        if why:
            comp = problem(case.name, left, None, "baseline-refused",
                           "%s: refusing to compare with the baseline %s: %s; not compared. If the change is intended, "
                           "regenerate it: %s" % (case.name, shown(baseline_path(base, case.name, impl)), why, REGENERATE))
            comp["reference_source"] = "baseline"
            out.append(comp)
        else:
            usable[impl] = ref
    if not usable:
        return out
    strict = case.tolerance("strict")
    for rid, run in sorted(mine.items()):
        if admissible(run, case, data_sha, None):
            continue  # failed or other data: shared.compare reports it already
        impl = run["impl"] if run.get("side") == SIDE and run["impl"] in usable else reference_impl(case, list(usable))
        if impl is None:
            continue
        out.append(_against(case, usable[impl], impl, rid, run, base, strict.value, strict.reason))
    return out


def _against(case: Case, ref: Mapping[str, Any], impl: str, rid: str, run: Mapping[str, Any], base: str,
             tolerance: float, reason: str) -> Dict[str, Any]:
    from shared.compare import diff, problem

    left = baseline_id(case.name, impl)
    source = "the committed baseline %s (%s)" % (shown(baseline_path(base, case.name, impl)), made_with(ref))
    if run.get("plan_sha256") != ref.get("plan_sha256"):
        comp = problem(case.name, left, rid, "baseline-refused",
                       "%s %s vs %s: the run used another batch plan (%s) than %s (%s); not compared; if the plan "
                       "change is intended, regenerate the baseline: %s" % (
                           case.name, left, rid, str(run.get("plan_sha256"))[:12], source,
                           str(ref.get("plan_sha256"))[:12], REGENERATE))
        comp["reference_source"] = "baseline"
        return comp
    comp = diff(case.name, left, rid, ref["coefficients"], run["coefficients"], "baseline", tolerance,
                "golden TF 1.15 result, strict: " + reason)
    drifted = [w["name"] for w in sorted(
        ({"name": n, "d": abs(ref["coefficients"][n] - run["coefficients"][n])}
         for n in set(ref["coefficients"]) & set(run["coefficients"])), key=lambda w: (-w["d"], w["name"]))
        if not w["d"] <= tolerance]
    comp["drifted"] = drifted
    if drifted:
        comp["message"] += "; drifted from the baseline: %s%s" % (
            ", ".join(drifted[:DRIFTED]), " (+%d more)" % (len(drifted) - DRIFTED) if len(drifted) > DRIFTED else "")
    if ref.get("arrays_sha256") != run.get("arrays_sha256"):
        comp["passed"] = False
        comp["message"] += "; the run parsed the data into other arrays than the baseline (arrays sha256 %s vs %s)" % (
            str(run.get("arrays_sha256"))[:12], str(ref.get("arrays_sha256"))[:12])
    if run.get("overrides"):
        comp["message"] += "; the run used overrides %s" % ", ".join(
            "%s=%r" % kv for kv in sorted(run["overrides"].items()))
    comp["message"] += "; reference: " + source
    comp["reference_source"] = "baseline"
    comp["baseline_file"] = shown(baseline_path(base, case.name, impl))
    return comp

"""Every finished run of a case against its committed TF1 baseline, by name, under the strict tolerance."""

from typing import Any, Dict, List, Mapping

from shared.baselines.fit import made_with, reference_impl
from shared.baselines.store import REGENERATE, SIDE, baseline_id, baseline_path, shown
from shared.compare.diff import pair, problem
from shared.compare.record import Comparison, Kind
from shared.core.results import admissible

DRIFTED = 10  # drifted coefficient names spelled out in a failing message


def compare_runs(bl, runs: Mapping[str, Dict[str, Any]]) -> List[Comparison]:
    """Every finished run of ``bl.case`` against its committed baseline (kind ``baseline``); none without one.

    ``bl`` is a ``shared.baseline.CaseBaseline``: the case's baselines, read and checked once.
    """
    case = bl.case
    mine = dict((rid, r) for rid, r in runs.items() if r.get("case") == case.name)
    if not bl.refs or not mine:
        return []
    out = []  # type: List[Comparison]
    for impl, why in sorted(bl.refused.items()):
        comp = problem(case.name, baseline_id(case.name, impl), None, Kind.BASELINE_REFUSED,
                       "%s: refusing to compare with the baseline %s: %s; not compared. If the change is intended, "
                       "regenerate it: %s" % (case.name, shown(baseline_path(bl.base, case.name, impl)), why, REGENERATE))
        comp.details["reference_source"] = "baseline"
        out.append(comp)
    if not bl.usable:
        return out
    strict = case.check("weights")
    if strict is None:
        return out
    for rid, run in sorted(mine.items()):
        if admissible(run, case, bl.data_sha, None):
            continue  # failed or other data: shared.compare reports it already
        impl = run["impl"] if run.get("side") == SIDE and run["impl"] in bl.usable else reference_impl(case, list(bl.usable))
        if impl is not None:
            out.append(_against(bl, impl, rid, run, strict.value, strict.reason))
    return out


def _against(bl, impl: str, rid: str, run: Mapping[str, Any], tolerance: float, reason: str) -> Comparison:
    """One run against one baseline: the shared strict pair check, plus the drifted names and where the baseline is."""
    case, ref = bl.case, bl.usable[impl]
    path = shown(baseline_path(bl.base, case.name, impl))
    source = "the committed baseline %s (%s)" % (path, made_with(ref))
    comp = pair(case.name, baseline_id(case.name, impl), ref, rid, run, Kind.BASELINE,
                tolerance, "golden TF 1.15 result, strict: " + reason, refused_kind=Kind.BASELINE_REFUSED)
    if comp.kind is Kind.BASELINE:
        drifted = comp.details["drifted"] = list(comp.over)
        if drifted:
            comp.message += "; drifted from the baseline: %s%s" % (", ".join(drifted[:DRIFTED]), (
                " (+%d more)" % (len(drifted) - DRIFTED) if len(drifted) > DRIFTED else ""))
        comp.message += "; reference: " + source
        comp.details["baseline_file"] = path
    else:
        comp.message += "; if that change is intended, regenerate the baseline %s: %s" % (path, REGENERATE)
    comp.details["reference_source"] = "baseline"
    return comp

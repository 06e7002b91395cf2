"""Compare runs by coefficient name at one boundary and write ``summary.json``.

Every run is compared with its case's reference run (``strict``), with the same implementation
in the plain environment of its side when it ran elsewhere, e.g. in a container (``env``), and,
centred where the model only identifies differences, with the closed-form oracle (``oracle``).
A side that is missing, a run that failed and a result made from other data are failures too:
the check never passes on one side.
"""

import os
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared import baselines as baseline
from shared.core import SCHEMA_VERSION, atomic, data, results
from shared.compare.diff import centre, diff, pair, problem  # noqa: F401 - the comparison's public boundary
from shared.core.plan import for_case
from shared.core.errors import KitError
from shared.core.registry import SIDES, Case, all_cases, select

STAND_IN_HINT = "; a committed baseline covers it: on a runner without TF 1.15 pass --stand-in-baseline"


def load_runs(root: str) -> Dict[str, Dict[str, Any]]:
    """Every result under ``<root>/runs``, keyed by run id; unreadable files become error results."""
    runs = {}  # type: Dict[str, Dict[str, Any]]
    base = results.runs_dir(root)
    if not os.path.isdir(base):
        return runs
    for env in sorted(os.listdir(base)):
        env_dir = os.path.join(base, env)
        if env.startswith(".") or not os.path.isdir(env_dir):
            continue
        for case in sorted(os.listdir(env_dir)):
            case_dir = os.path.join(env_dir, case)
            if not os.path.isdir(case_dir):
                continue
            for name in sorted(os.listdir(case_dir)):
                if not name.endswith(".json") or name.startswith("."):
                    continue
                impl = name[:-5]
                rid = results.run_id(env, case, impl)
                try:
                    runs[rid] = results.read(os.path.join(case_dir, name))
                except KitError as exc:
                    runs[rid] = {"run_id": rid, "env": env, "case": case, "impl": impl, "status": "unreadable", "error": {"message": str(exc)}}
    return runs


def reference_id(case: Case) -> str:
    """Run id of the case's reference implementation in its side's plain environment."""
    side, impl = case.reference.split("/", 1)
    return results.run_id(side, case.name, impl)


def expected_plan_sha(root: str, case: Case) -> Optional[str]:
    """Hash of the batch plan the case's spec implies for its data (None while the manifest has no row count)."""
    entry = data.read_manifest(root)["datasets"].get(case.dataset.name) or {}
    return for_case(case, int(entry["rows"])).sha256() if entry.get("rows") else None


def compare_case(case: Case, runs: Mapping[str, Dict[str, Any]], root: str,
                 oracle_coefficients: Optional[Mapping[str, float]], stand_in: bool = False,
                 bl: Optional[baseline.CaseBaseline] = None) -> List[Dict[str, Any]]:
    """All comparisons of one case; ``stand_in`` lets the golden baseline replace a missing TF1 run."""
    out = []  # type: List[Dict[str, Any]]
    bl = bl or baseline.for_case(case, root)
    mine = dict((rid, r) for rid, r in runs.items() if r.get("case") == case.name)
    for side in SIDES:
        for impl in case.impls[side]:
            rid = results.run_id(side, case.name, impl)
            if rid not in mine:
                covered = side == baseline.SIDE and bl.covers(impl)
                if covered and stand_in:
                    out.append(bl.stand_in(rid))  # no TF 1.15 on this runner, by request
                else:
                    out.append(problem(case.name, rid, None, "missing", "%s: no result; the %s side is missing (run 'nox -s %s')%s" % (
                        rid, side, side, STAND_IN_HINT if covered else "")))
    plan_sha = expected_plan_sha(root, case)
    ok = {}  # type: Dict[str, Dict[str, Any]]
    for rid, run in sorted(mine.items()):
        why = results.admissible(run, case, bl.data_sha, plan_sha)
        if why:
            out.append(problem(case.name, rid, None, "refused" if run.get("status") == "ok" else "failed", why))
        else:
            ok[rid] = run
    ref_id = reference_id(case)
    strict = case.tolerance("strict")
    oracle_tol = case.tolerance("oracle")
    for rid, run in sorted(ok.items()):
        if ref_id in ok and rid != ref_id:
            out.append(pair(case.name, ref_id, ok[ref_id], rid, run, "strict", strict.value, strict.reason))
        base_id = results.run_id(run.get("side", ""), case.name, run["impl"])
        if run["env"] != run.get("side") and base_id in ok:
            out.append(pair(case.name, base_id, ok[base_id], rid, run, "env", strict.value,
                            "same implementation and lock in another environment: " + strict.reason))
        if oracle_coefficients is not None:
            comp = diff(case.name, rid, "oracle/%s/lstsq" % case.name, centre(run["coefficients"], case.gauge),
                        centre(oracle_coefficients, case.gauge), "oracle", oracle_tol.value, oracle_tol.reason)
            comp["centred"] = bool(case.gauge)
            out.append(comp)
    return out


def summarize(root: str, case_names: Optional[Sequence[str]] = None, with_oracle: bool = True,
              stand_in: bool = False) -> Dict[str, Any]:
    """Compare every case, write ``<root>/summary.json`` atomically and return it.

    A missing TF1 run is a failure unless ``stand_in`` (a runner where TF 1.15 cannot be installed
    says so explicitly) and a usable golden baseline covers it.
    """
    cases = select(case_names) if case_names else all_cases()
    runs = load_runs(root)
    comparisons = []  # type: List[Dict[str, Any]]
    case_info = {}  # type: Dict[str, Any]
    for case in cases:
        oracle_coefficients = None
        bl = baseline.for_case(case, root)
        info = {"reference": reference_id(case), "data_sha256": bl.data_sha, "spec_sha256": case.spec_sha256(),
                "spec": case.to_dict()}
        if with_oracle and info["data_sha256"] is not None:
            try:
                oracle_coefficients, info["oracle"] = oracle_for(root, case)
            except KitError as exc:
                comparisons.append(problem(case.name, "oracle/%s/lstsq" % case.name, None, "failed", str(exc)))
        comparisons.extend(compare_case(case, runs, root, oracle_coefficients, stand_in, bl))
        comparisons.extend(bl.compare(runs))
        info.update(bl.info())
        case_info[case.name] = info
    summary = {
        "schema": SCHEMA_VERSION,
        "passed": bool(comparisons) and all(c["passed"] for c in comparisons),
        "results": os.path.abspath(root),
        "cases": case_info,
        "runs": dict((rid, _run_brief(r)) for rid, r in sorted(runs.items())),
        "comparisons": comparisons,
        "n_failed": sum(1 for c in comparisons if not c["passed"]),
        "baseline_stands_in": stand_in,
    }
    atomic.write_json(os.path.join(root, "summary.json"), summary)
    return summary


def oracle_for(root: str, case: Case):
    """The oracle's coefficients for ``case`` and a small record of how they were obtained."""
    from shared.compare import oracle
    from shared.core import models

    t0 = time.perf_counter()
    dataset = data.load(root, case)
    d = models.design(dataset, case.hyperparameters)
    coefficients = oracle.solve(d)
    return coefficients, {"coefficients": coefficients, "mse": d.mse(coefficients), "solve_s": time.perf_counter() - t0}


def _run_brief(run: Mapping[str, Any]) -> Dict[str, Any]:
    keys = ("env", "side", "case", "impl", "status", "fingerprint", "timings", "loss_history", "data_sha256",
            "plan_sha256", "extra", "coefficients")
    brief = dict((k, run.get(k)) for k in keys if k in run)
    if run.get("error"):
        brief["error"] = (run["error"].get("message") or "")[:2000]
    return brief


def table(summary: Mapping[str, Any]) -> str:
    """A compact terminal table: failures first, one line per comparison."""
    rows = sorted(summary["comparisons"], key=lambda c: (c["passed"], c["case"], c["kind"], c["right"] or ""))
    lines = ["%-4s  %-18s  %-12s  %-30s  %-30s  %9s  %9s" % ("", "kind", "case", "left", "right", "max|d|", "tol")]
    for c in rows:
        lines.append("%-4s  %-18s  %-12s  %-30s  %-30s  %9s  %9s" % (
            "ok" if c["passed"] else "FAIL", c["kind"], c["case"], c["left"], c["right"] or "-",
            "%.2e" % c["max_abs_diff"] if c["max_abs_diff"] is not None else "-",
            "%.0e" % c["tolerance"] if c["tolerance"] is not None else "-"))
    failed = [c for c in rows if not c["passed"]]
    for c in failed:
        lines.append("FAIL " + c["message"])
    lines.append("%s: %d comparisons, %d failed" % ("PASSED" if summary["passed"] else "FAILED", len(rows), len(failed)))
    return "\n".join(lines)

"""Compare runs by name at one boundary and write ``summary.json``.

Per case, every run is compared with the case's reference run under each of the case's agreement
checks (``weights`` as kind ``strict``, ``predictions``, ``loss``), the pairs of runs the case names with
each other under its ``weights`` check (``pair``), with the same implementation in
the plain environment of its side when it ran elsewhere, e.g. in a container (``env``), and, for
models linear in their weights, with the closed-form oracle (``oracle``: centred where the model
only identifies differences; it decides the verdict only where the case requires convergence).
A side that is missing, a run that failed and a result made from other data are failures too:
the check never passes on one side. What a case's comparisons share (data, plan, probe and init
checksums, the oracle) is derived once, in a :class:`CaseContext`. Cases whose TF1 run kept trained
artifacts get the comparisons across versions of ``shared.compare.artifacts`` (``checkpoint``,
``savedmodel``, ``rollback``).
"""

import os
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared.compare import junit
from shared.compare.artifacts import compare_artifacts
from shared.compare.diff import centre, diff, pair, problem, same_inputs, series  # noqa: F401 - public boundary
from shared.compare.record import Comparison, Kind
from shared.compare.stages import first_divergence, settings_diff
from shared.core import SCHEMA_VERSION, atomic, data, results, staging
from shared.core.case import Case, CheckKind
from shared.core.envs import SIDES
from shared.core.errors import KitError, ResultError
from shared.core.plan import for_case
from shared.core.registry import all_cases, select, use_folders

STAND_IN_HINT = "; a committed baseline covers it: on a runner without TF 1.15 pass --stand-in-baseline"


def load_runs(root: str) -> Dict[str, Dict[str, Any]]:
    """Every result under ``<root>/runs``, keyed by run id; unreadable files become error results, and so does
    every result of a side whose ``env.json`` is corrupted or whose latest run did not finish."""
    runs = {}  # type: Dict[str, Dict[str, Any]]
    base = results.runs_dir(root)
    if not os.path.isdir(base):
        return runs
    for env in sorted(os.listdir(base)):
        env_dir = os.path.join(base, env)
        if env.startswith(".") or not os.path.isdir(env_dir):
            continue
        side_error = None  # type: Optional[str]
        if os.path.exists(os.path.join(env_dir, staging.ENV_FILE)):
            try:
                staging.read_env(os.path.join(env_dir, staging.ENV_FILE))
            except KitError as exc:
                side_error = str(exc)
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
                    if side_error:
                        raise ResultError(side_error)
                    runs[rid] = results.read(os.path.join(case_dir, name))
                except KitError as exc:
                    runs[rid] = {"run_id": rid, "env": env, "case": case, "impl": impl, "status": "unreadable", "error": {"message": str(exc)}}
    for mark in staging.interrupted(base):
        for rid, run in list(runs.items()):
            if run.get("env") == mark["env"] and (not mark.get("cases") or run.get("case") in mark["cases"]):
                runs[rid] = dict(run, status="interrupted", error={"message": _interrupted(mark)})
    return runs


def _interrupted(mark: Mapping[str, Any]) -> str:
    """Why the results of a side whose latest run did not finish are not compared."""
    return ("the latest run of %s (pid %s, '%s', since %s) stopped before it finished (%s); this result is from an "
            "earlier run: run %s again (its staging folder %s says so)" % (
                mark["env"], mark.get("pid", "?"), mark.get("command", "?"), mark.get("since", "?"),
                mark.get("error") or "killed: it recorded no error", mark["env"], mark["folder"]))


def reference_id(case: Case) -> str:
    """Run id of the case's reference implementation in its side's plain environment."""
    side, impl = case.reference.split("/", 1)
    return results.run_id(SIDES[side].home_env, case.name, impl)


def expected_plan_sha(root: str, case: Case) -> Optional[str]:
    """Hash of the batch plan the case's spec implies for its data (None while the manifest has no row count)."""
    entry = data.read_manifest(root)["datasets"].get(case.dataset.name) or {}
    return for_case(case, int(entry["rows"])).sha256() if entry.get("rows") else None


class CaseContext(object):
    """What every comparison of one case shares, derived once from the results folder: the data, probe-set
    and init checksums, the batch plan the spec implies, and the oracle when the case has one."""

    def __init__(self, root: str, case: Case, manifest: Mapping[str, Any], with_oracle: bool = True) -> None:
        self.root = root
        self.case = case
        entry = manifest["datasets"].get(case.dataset.name) or {}
        self.data_sha = entry.get("sha256")  # type: Optional[str]
        self.probe_sha = (entry.get("probe") or {}).get("sha256")  # type: Optional[str]
        self.init_sha = ((manifest.get("inits") or {}).get(case.name) or {}).get("sha256")  # type: Optional[str]
        self.plan_sha = for_case(case, int(entry["rows"])).sha256() if entry.get("rows") else None
        self.oracle = None  # type: Optional[Dict[str, float]]
        self.oracle_info = None  # type: Optional[Dict[str, Any]]
        self.oracle_error = None  # type: Optional[str]
        if with_oracle and self.data_sha is not None and case.check(CheckKind.LEAST_SQUARES):
            try:
                self.oracle, self.oracle_info = oracle_for(root, case)
            except KitError as exc:
                self.oracle_error = str(exc)

    def refusal(self, run: Mapping[str, Any]) -> Optional[str]:
        """Why ``run`` must not be compared: failed, other data, spec, plan, probe set or initial weights."""
        why = results.admissible(run, self.case, self.data_sha, self.plan_sha)
        if why:
            return why
        rid = run["run_id"]
        if self.case.check(CheckKind.PREDICTIONS) and run.get("probe_sha256") != self.probe_sha:
            return "%s predicted on another probe set (%s, current %s); run its environment again" % (
                rid, str(run.get("probe_sha256"))[:12], str(self.probe_sha)[:12])
        if self.case.init is not None and run.get("init_sha256") != self.init_sha:
            return "%s started from other initial weights (%s, current %s); run its environment again" % (
                rid, str(run.get("init_sha256"))[:12], str(self.init_sha)[:12])
        return None

    def info(self) -> Dict[str, Any]:
        out = {"reference": reference_id(self.case), "data_sha256": self.data_sha, "probe_sha256": self.probe_sha,
               "init_sha256": self.init_sha, "spec_sha256": self.case.spec_sha256(), "spec": self.case.to_dict()}
        if self.oracle_info is not None:
            out["oracle"] = self.oracle_info
        return out


def _agreement(ctx: CaseContext, ref_id: str, ref: Mapping[str, Any], rid: str, run: Mapping[str, Any]) -> List[Comparison]:
    """``run`` against the reference under each agreement check of the case, failures explained."""
    case = ctx.case
    out = []  # type: List[Comparison]
    tols = dict((c.kind, c.value) for c in case.checks)
    for check in case.checks:
        if check.kind is CheckKind.WEIGHTS:
            comp = pair(case.name, ref_id, ref, rid, run, Kind.STRICT, check.value, check.reason)
        elif check.kind is CheckKind.PREDICTIONS:
            comp = same_inputs(diff(case.name, ref_id, rid, series("probe", ref.get("predictions") or []),
                                    series("probe", run.get("predictions") or []), Kind.PREDICTIONS, check.value,
                                    check.reason), ref, run)
        elif check.kind is CheckKind.LOSS:
            comp = same_inputs(diff(case.name, ref_id, rid, _epochs(ref.get("loss_history")),
                                    _epochs(run.get("loss_history")), Kind.LOSS, check.value, check.reason), ref, run)
        else:
            continue
        out.append(_explained(comp, ref, run, tols, check.value))
    return out


def _explained(comp: Comparison, ref: Mapping[str, Any], run: Mapping[str, Any], tols: Mapping[CheckKind, float],
               tolerance: float) -> Comparison:
    """A failed comparison of two runs gains where they part first and every effective setting that differs."""
    if not comp.passed and not comp.kind.problem:
        comp.details["first_divergence"] = first_divergence(
            ref, run, tols.get(CheckKind.WEIGHTS, tolerance), tols.get(CheckKind.PREDICTIONS), tols.get(CheckKind.LOSS))
        comp.message += "; first divergence: %s" % comp.details["first_divergence"]["detail"]
        changed = settings_diff(ref.get("settings") or {}, run.get("settings") or {})
        if changed:
            comp.details["settings_diff"] = changed
            comp.message += "; settings that differ: %s" % ", ".join(
                "%s %r vs %r" % (d["setting"], d["left"], d["right"]) for d in changed[:4])
    return comp


def _pairs(ctx: CaseContext, ok: Mapping[str, Dict[str, Any]]) -> List[Comparison]:
    """The run pairs the case names, each compared under its weights check (a missing or failed run of a pair
    is already reported as such)."""
    case = ctx.case
    weights = case.check(CheckKind.WEIGHTS)
    tols = dict((c.kind, c.value) for c in case.checks)
    out = []  # type: List[Comparison]
    for left_key, right_key in case.pairs:
        ids = [results.run_id(SIDES[side].home_env, case.name, impl) for side, impl in
               (key.split("/", 1) for key in (left_key, right_key))]
        if all(i in ok for i in ids):
            comp = pair(case.name, ids[0], ok[ids[0]], ids[1], ok[ids[1]], Kind.PAIR, weights.value, weights.reason)
            out.append(_explained(comp, ok[ids[0]], ok[ids[1]], tols, weights.value))
    return out


def _epochs(curve) -> Dict[str, float]:
    return dict(("loss[epoch %d]" % (i + 1), float(v)) for i, v in enumerate(curve or []))


def compare_case(ctx: CaseContext, runs: Mapping[str, Dict[str, Any]], stand_in: bool = False,
                 bl=None) -> List[Comparison]:
    """All comparisons of one case; ``stand_in`` lets the golden baseline replace a missing TF1 run
    (``bl``: the case's :class:`shared.baselines.CaseBaseline`)."""
    from shared import baselines  # baselines build on this package's records: imported when used

    case = ctx.case
    out = []  # type: List[Comparison]
    bl = bl or baselines.CaseBaseline(case, ctx.data_sha)
    mine = dict((rid, r) for rid, r in runs.items() if r.get("case") == case.name)
    for side in SIDES:
        for impl in case.impls[side]:
            rid = results.run_id(SIDES[side].home_env, case.name, impl)
            if rid not in mine:
                covered = side == baselines.SIDE and bl.covers(impl)
                if covered and stand_in:
                    out.append(bl.stand_in(rid))  # no TF 1.15 on this runner, by request
                else:
                    out.append(problem(case.name, rid, None, Kind.MISSING, "%s: no result; the %s side is missing (run 'nox -s %s')%s" % (
                        rid, side, SIDES[side].home_env, STAND_IN_HINT if covered else "")))
    ok = {}  # type: Dict[str, Dict[str, Any]]
    for rid, run in sorted(mine.items()):
        if run.get("status") == "skipped":
            out.append(Comparison(case.name, rid, None, Kind.SKIPPED, "%s: not run here: %s" % (rid, run.get("skipped")),
                                  True, gating=False))
            continue
        why = ctx.refusal(run)
        if why:
            out.append(problem(case.name, rid, None, Kind.REFUSED if run.get("status") == "ok" else Kind.FAILED, why))
        else:
            ok[rid] = run
    ref_id = reference_id(case)
    weights = case.check(CheckKind.WEIGHTS)
    oracle = case.check(CheckKind.LEAST_SQUARES)
    for rid, run in sorted(ok.items()):
        if ref_id in ok and rid != ref_id:
            out.extend(_agreement(ctx, ref_id, ok[ref_id], rid, run))
        base_id = results.run_id(run.get("side", ""), case.name, run["impl"])
        if weights is not None and run["env"] != run.get("side") and base_id in ok:
            out.append(pair(case.name, base_id, ok[base_id], rid, run, Kind.ENV, weights.value,
                            "same implementation and lock in another environment: " + weights.reason))
        if ctx.oracle is not None and oracle is not None:
            comp = diff(case.name, rid, "oracle/%s/lstsq" % case.name, centre(run["coefficients"], case.gauge),
                        centre(ctx.oracle, case.gauge), Kind.ORACLE, oracle.value, oracle.reason, gating=oracle.required)
            comp.details["centred"] = bool(case.gauge)
            if not comp.passed and not oracle.required:
                comp.message += "; convergence is reported, not required for this case"
                needed = epochs_needed(run.get("loss_history") or [], (ctx.oracle_info or {}).get("mse"),
                                       comp.max_abs_diff, oracle.value)
                if needed is not None:
                    comp.details["epochs_needed"] = needed
                    comp.message += " (about %d more epochs would reach it at the current rate)" % needed
            out.append(comp)
    out.extend(_pairs(ctx, ok))
    if ctx.oracle_error:
        out.append(problem(case.name, "oracle/%s/lstsq" % case.name, None, Kind.FAILED, ctx.oracle_error))
    return out


def epochs_needed(curve: Sequence[float], optimum: Optional[float], distance: Optional[float], tol: float) -> Optional[int]:
    """Epochs more until the distance to the optimum falls under ``tol``, from the loss curve's geometric rate.

    The excess loss over the optimum shrinks by a factor ``r`` per epoch at the end of the curve; the
    distance in weights shrinks like its square root. None when the curve does not shrink.
    """
    import math

    if optimum is None or distance is None or distance <= tol or len(curve) < 4:
        return None
    excess = [max(v - optimum, 1e-300) for v in curve[-4:]]
    rate = (excess[-1] / excess[0]) ** (1.0 / 3.0)
    if not 0.0 < rate < 0.999:
        return None
    return int(math.ceil(math.log(tol / distance) / math.log(math.sqrt(rate))))


def summarize(root: str, case_names: Optional[Sequence[str]] = None, with_oracle: bool = True,
              stand_in: bool = False, cases_from: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """Compare every case, write ``<root>/summary.json`` atomically and return it.

    A missing TF1 run is a failure unless ``stand_in`` (a runner where TF 1.15 cannot be installed
    says so explicitly) and a usable golden baseline covers it.
    """
    from shared import baselines

    use_folders(cases_from)
    cases = select(case_names) if case_names else all_cases()
    runs = load_runs(root)
    manifest = data.read_manifest(root)
    comparisons = []  # type: List[Comparison]
    case_info = {}  # type: Dict[str, Any]
    for case in cases:
        ctx = CaseContext(root, case, manifest, with_oracle)
        bl = baselines.CaseBaseline(case, ctx.data_sha)
        comparisons.extend(compare_case(ctx, runs, stand_in, bl))
        comparisons.extend(bl.compare(runs))
        crossed, kept = compare_artifacts(ctx, dict((rid, r) for rid, r in runs.items() if r.get("case") == case.name))
        comparisons.extend(crossed)
        info = ctx.info()
        info.update(bl.info())
        if kept:
            info["artifacts"] = kept
        case_info[case.name] = info
    summary = {
        "schema": SCHEMA_VERSION,
        "passed": bool(comparisons) and all(c.ok for c in comparisons),
        "results": os.path.abspath(root),
        "cases": case_info,
        "runs": dict((rid, _run_brief(r)) for rid, r in sorted(runs.items()) if r.get("case") in case_info),
        "comparisons": [c.to_dict() for c in comparisons],
        "n_failed": sum(1 for c in comparisons if not c.ok),
        "n_reported": sum(1 for c in comparisons if not c.passed and c.ok),
        "baseline_stands_in": stand_in,
    }
    atomic.write_json(os.path.join(root, "summary.json"), summary)
    junit.write(root, summary)
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
            "plan_sha256", "extra", "coefficients", "settings", "steps")
    brief = dict((k, run.get(k)) for k in keys if k in run)
    if run.get("error"):
        brief["error"] = (run["error"].get("message") or "")[:2000]
    return brief


def verdict(c: Mapping[str, Any]) -> str:
    """``ok``, ``FAIL`` or ``note`` (a failing check that the case reports without requiring it)."""
    if c["passed"]:
        return "ok"
    return "note" if c.get("gating") is False else "FAIL"


def table(summary: Mapping[str, Any]) -> str:
    """A compact terminal table: failures first, then notes, one line per comparison."""
    order = {"FAIL": 0, "note": 1, "ok": 2}
    rows = sorted(summary["comparisons"], key=lambda c: (order[verdict(c)], c["case"], c["kind"], c["right"] or ""))
    lines = ["%-4s  %-18s  %-12s  %-30s  %-30s  %9s  %9s" % ("", "kind", "case", "left", "right", "max|d|", "tol")]
    for c in rows:
        lines.append("%-4s  %-18s  %-12s  %-30s  %-30s  %9s  %9s" % (
            verdict(c), c["kind"], c["case"], c["left"], c["right"] or "-",
            "%.2e" % c["max_abs_diff"] if c["max_abs_diff"] is not None else "-",
            "%.0e" % c["tolerance"] if c["tolerance"] is not None else "-"))
    failed = [c for c in rows if verdict(c) == "FAIL"]
    notes = [c for c in rows if verdict(c) == "note"]
    for c in failed:
        lines.append("FAIL " + c["message"])
    for c in notes:
        lines.append("note " + c["message"])
    lines.append("%s: %d comparisons, %d failed%s" % ("PASSED" if summary["passed"] else "FAILED", len(rows), len(failed),
                                                    ", %d reported (not required)" % len(notes) if notes else ""))
    return "\n".join(lines)

"""Golden baselines: TF 1.15 results committed under ``baselines/`` that every later run is checked against.

``python -m shared.baseline record`` copies the fresh TF1 results (side and env ``tf1``) into
``baselines/tf1/<case>/<impl>.json``, with the data checksum, case spec, batch-plan hash and env
fingerprint they were made from. ``compare_case`` (called by ``shared.compare.summarize``) compares
every run of a case, in every env, with that reference by name under the case's strict tolerance,
and refuses a baseline made from other data or another case spec instead of comparing against it.
Where TF 1.15 cannot be installed, ``covers`` / ``stand_in`` let the baseline stand in for the
missing fresh TF1 run. The folder is ``--baseline``, else ``$TFKIT_BASELINE``, else the repo's.
"""

import argparse
import json
import math
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared import SCHEMA_VERSION, atomic, data, results
from shared.errors import KitError
from shared.registry import Case, select

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BASELINE = os.path.join(REPO, "baselines")
ENV_VAR = "TFKIT_BASELINE"
SIDE = ENV = "tf1"
KIND = "tfkit-baseline"
REGENERATE = "nox -s tf1 && nox -s baseline -- --force"
# What a baseline stands for; a second recording that differs in any of these is an overwrite.
SUBSTANCE = ("coefficients", "data_sha256", "arrays_sha256", "plan_sha256", "spec_sha256", "hyperparameters")
VOLATILE_FINGERPRINT = ("import_s",)  # timings, not identity: left out so re-recording is stable
DRIFTED = 10  # drifted coefficient names spelled out in a failing message


class BaselineError(KitError):
    """A baseline that cannot be recorded or read."""


def baseline_root(explicit: Optional[str] = None) -> str:
    """``--baseline``, else ``$TFKIT_BASELINE``, else ``baselines/`` in the repository."""
    return explicit or os.environ.get(ENV_VAR) or DEFAULT_BASELINE


def baseline_path(base: str, case: str, impl: str) -> str:
    return os.path.join(base, SIDE, case, impl + ".json")


def baseline_id(case: str, impl: str) -> str:
    return "baseline/%s/%s" % (case, impl)


def _shown(path: str) -> str:
    """``path`` relative to the repository when it lies inside it (short, machine-independent messages)."""
    full = os.path.abspath(path)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else full


# ---------------------------------------------------------------- reading


def read(path: str) -> Dict[str, Any]:
    """One baseline file, checked for the keys ``compare_case`` relies on."""
    try:
        with open(path) as handle:
            payload = json.load(handle)
    except (OSError, IOError, ValueError) as exc:
        raise BaselineError("baseline %s cannot be read" % _shown(path), expected="a JSON file written by "
                            "'python -m shared.baseline record'", found=str(exc), fix=REGENERATE) from None
    missing = [k for k in ("kind", "case", "impl") + SUBSTANCE if not isinstance(payload, dict) or k not in payload]
    if missing or payload.get("kind") != KIND or payload.get("schema") != SCHEMA_VERSION:
        raise BaselineError(
            "baseline %s does not fit the baseline schema" % _shown(path),
            expected="kind %r, schema %d and keys %s" % (KIND, SCHEMA_VERSION, ", ".join(SUBSTANCE)),
            found="missing %s" % ", ".join(missing) if missing else "kind %r, schema %r" % (
                payload.get("kind"), payload.get("schema")),
            fix=REGENERATE,
        )
    return payload


def load_case(case: Case, base: Optional[str] = None) -> Dict[str, Any]:
    """``{impl: baseline or BaselineError}`` for the case's TF1 implementations that have a file."""
    base = baseline_root(base)
    found = {}  # type: Dict[str, Any]
    for impl in case.impls.get(SIDE, ()):
        path = baseline_path(base, case.name, impl)
        if os.path.exists(path):
            try:
                found[impl] = read(path)
            except BaselineError as exc:
                found[impl] = exc
    return found


def refusal(case: Case, ref: Mapping[str, Any], data_sha: Optional[str]) -> Optional[str]:
    """Why baseline ``ref`` must not be compared with results on ``data_sha`` under the current spec."""
    what = []
    if data_sha is None:
        what.append("the results have no data manifest entry for dataset %r to check it against" % case.dataset.name)
    elif ref.get("data_sha256") != data_sha:
        what.append("it was recorded from other data (dataset %r sha256 %s, results/data manifest %s)" % (
            case.dataset.name, str(ref.get("data_sha256"))[:12], data_sha[:12]))
    if ref.get("spec_sha256") != case.spec_sha256():
        changed = _spec_changes(ref.get("spec") or {}, case.to_dict())
        what.append("it was recorded under another case spec (spec sha256 %s, current %s%s)" % (
            str(ref.get("spec_sha256"))[:12], case.spec_sha256()[:12], "; changed: " + changed if changed else ""))
    return "; ".join(what) or None


def _spec_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """The dataset params and hyperparameters that differ between two ``Case.to_dict()``s."""
    out = []
    for section, key in (("dataset", "params"), ("hyperparameters", None)):
        a = old.get(section) or {}
        b = new.get(section) or {}
        if key:
            a, b = a.get(key) or {}, b.get(key) or {}
        for name in sorted(set(a) | set(b)):
            if a.get(name, "<unset>") != b.get(name, "<unset>"):
                out.append("%s %s %r -> %r" % (section, name, a.get(name, "<unset>"), b.get(name, "<unset>")))
    return ", ".join(out[:5]) + (" (+%d more)" % (len(out) - 5) if len(out) > 5 else "")


def reference_impl(case: Case, available: Sequence[str]) -> Optional[str]:
    """The baseline a run of another implementation is compared with: the case's reference when it is TF1."""
    ref_side, ref = case.reference.split("/", 1)
    if ref_side == SIDE and ref in available:
        return ref
    return next((impl for impl in case.impls.get(SIDE, ()) if impl in available), None)


# ---------------------------------------------------------------- comparing


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
                           "regenerate it: %s" % (case.name, _shown(baseline_path(base, case.name, impl)), why, REGENERATE))
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
    source = "the committed baseline %s (%s)" % (_shown(baseline_path(base, case.name, impl)), _made_with(ref))
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
    comp["baseline_file"] = _shown(baseline_path(base, case.name, impl))
    return comp


def _made_with(ref: Mapping[str, Any]) -> str:
    fp = ref.get("fingerprint") or {}
    return "TF %s, Python %s, %s, recorded from %s" % (
        fp.get("tensorflow", "?"), fp.get("python", "?"), fp.get("device", "?"), ref.get("source_run_id", "?"))


def covers(case: Case, root: str, impl: Optional[str] = None, base: Optional[str] = None) -> bool:
    """True when a usable baseline (same data, same spec) can stand in for the missing fresh TF1 run ``impl``."""
    refs = load_case(case, base)
    wanted = impl or reference_impl(case, list(refs))
    ref = refs.get(wanted) if wanted else None
    if ref is None or isinstance(ref, BaselineError):
        return False
    return refusal(case, ref, data.dataset_sha(root, case.dataset.name)) is None


def stand_in(case: Case, rid: str, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """A passing note for a missing fresh TF1 run ``rid`` that a usable baseline covers (see ``covers``)."""
    impl = rid.rsplit("/", 1)[-1]
    base = baseline_root(base)
    refs = load_case(case, base)
    ref = refs.get(impl) if impl in refs else refs.get(reference_impl(case, list(refs)) or "")
    made = _made_with(ref) if isinstance(ref, dict) else "?"
    return {
        "case": case.name,
        "left": rid,
        "right": baseline_id(case.name, impl),
        "kind": "baseline-stands-in",
        "max_abs_diff": None,
        "rms_diff": None,
        "tolerance": None,
        "passed": True,
        "worst": [],
        "reference_source": "baseline",
        "message": "%s: no fresh TF 1.15 result here; the committed baseline %s (%s) stands in as the reference "
                   "(see the kind 'baseline' comparisons)" % (rid, _shown(baseline_path(base, case.name, impl)), made),
    }


def summary_info(case: Case, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """What the summary says about the case's baseline: ``{"baseline": "none" | "used" | "refused", ...}``."""
    base = baseline_root(base)
    refs = load_case(case, base)
    if not refs:
        return {"baseline": "none", "baseline_dir": _shown(os.path.join(base, SIDE, case.name))}
    data_sha = data.dataset_sha(root, case.dataset.name)
    reasons = dict((impl, str(ref) if isinstance(ref, BaselineError) else refusal(case, ref, data_sha))
                   for impl, ref in sorted(refs.items()))
    return {
        "baseline": "refused" if any(reasons.values()) else "used",
        "baseline_files": [_shown(baseline_path(base, case.name, impl)) for impl in sorted(refs)],
        "baseline_recorded_with": dict((impl, _made_with(ref)) for impl, ref in sorted(refs.items())
                                       if isinstance(ref, dict)),
        "baseline_refused": dict((impl, why) for impl, why in reasons.items() if why),
    }


# ---------------------------------------------------------------- recording


def from_run(case: Case, run: Mapping[str, Any], dataset: Mapping[str, Any]) -> Dict[str, Any]:
    """The baseline payload of one fresh TF1 result (``dataset``: its manifest entry)."""
    fingerprint = dict((k, v) for k, v in (run.get("fingerprint") or {}).items() if k not in VOLATILE_FINGERPRINT)
    return {
        "schema": SCHEMA_VERSION,
        "kind": KIND,
        "case": case.name,
        "impl": run["impl"],
        "side": SIDE,
        "source_run_id": run["run_id"],
        "coefficients": dict(run["coefficients"]),
        "fingerprint": fingerprint,
        "data_sha256": run["data_sha256"],
        "data": dict((k, dataset.get(k)) for k in ("file", "sha256", "bytes", "rows")),
        "arrays_sha256": run["arrays_sha256"],
        "plan_sha256": run["plan_sha256"],
        "plan": run.get("plan"),
        "spec_sha256": run["spec_sha256"],
        "spec": case.to_dict(),
        "hyperparameters": dict(run["hyperparameters"]),
        "loss_history": list(run.get("loss_history") or []),
        "regenerate": REGENERATE,
    }


def _unusable(case: Case, run: Mapping[str, Any], data_sha: str) -> Optional[str]:
    rid = run.get("run_id", "?")
    if run.get("status") != "ok":
        err = ((run.get("error") or {}).get("message") or "no error recorded").strip().splitlines()
        return "%s did not finish (status %s: %s)" % (rid, run.get("status"), err[0] if err else "")
    if run.get("env") != ENV or run.get("side") != SIDE:
        return "%s ran in env %r side %r, not the plain %s env" % (rid, run.get("env"), run.get("side"), ENV)
    if run.get("overrides"):
        return "%s ran with overrides %s (a sensitivity check, not a reference)" % (rid, run["overrides"])
    if run.get("data_sha256") != data_sha:
        return "%s was trained on other data (sha256 %s, manifest %s)" % (rid, str(run.get("data_sha256"))[:12], data_sha[:12])
    if run.get("spec_sha256") != case.spec_sha256():
        return "%s was made from another case spec (%s, current %s)" % (
            rid, str(run.get("spec_sha256"))[:12], case.spec_sha256()[:12])
    bad = sorted(n for n, v in run["coefficients"].items() if not isinstance(v, float) or not math.isfinite(v))
    if not run["coefficients"] or bad:
        return "%s has no or non-finite coefficients (%s)" % (rid, ", ".join(bad[:5]) or "none")
    return None


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[str]:
    out = []
    for key in SUBSTANCE:
        if old.get(key) == new.get(key):
            continue
        if key == "coefficients":
            a, b = old.get(key) or {}, new.get(key) or {}
            names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
            out.append("coefficients %s" % ", ".join(names[:5]) + (" (+%d more)" % (len(names) - 5) if len(names) > 5 else ""))
        else:
            out.append(key)
    return out


def record(root: str, base: Optional[str] = None, case_names: Optional[Sequence[str]] = None,
           force: bool = False, log=print) -> List[str]:
    """Write the baselines of every TF1 run of the cases; nothing is written unless all of them can be."""
    base = baseline_root(base)
    problems = []  # type: List[str]
    todo = []  # type: List[Any]
    for case in select(case_names):
        entry = data.verify(root, case.dataset.name)
        for impl in case.impls[SIDE]:
            path = results.result_path(root, ENV, case.name, impl)
            if not os.path.exists(path):
                problems.append("%s: no result at %s (run 'nox -s tf1' first)" % (results.run_id(ENV, case.name, impl), path))
                continue
            run = results.read(path)
            why = _unusable(case, run, entry["sha256"])
            if why:
                problems.append(why)
                continue
            payload = from_run(case, run, entry)
            target = baseline_path(base, case.name, impl)
            if os.path.exists(target):
                try:
                    changed = _differences(read(target), payload)
                except BaselineError as exc:
                    changed = ["unreadable: %s" % exc.what]
                if not changed:
                    log("baseline: %s unchanged" % _shown(target))
                    continue
                if not force:
                    problems.append("%s exists and differs from %s in %s; pass --force to overwrite it" % (
                        _shown(target), run["run_id"], "; ".join(changed)))
                    continue
            todo.append((target, payload))
    if problems:
        raise BaselineError(
            "refusing to record the TF1 baseline (%d problem%s); nothing was written" % (
                len(problems), "" if len(problems) == 1 else "s"),
            expected="finished TF1 results (env tf1) on the current data and spec, and no differing baseline "
                     "unless --force",
            found="\n    ".join([""] + problems),
            fix="run 'nox -s tf1' and then 'nox -s baseline' (add '-- --force' to replace a baseline on purpose)",
        )
    for target, payload in todo:
        atomic.write_json(target, payload)
        log("baseline: wrote %s from %s" % (_shown(target), payload["source_run_id"]))
    return [t for t, _ in todo]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared.baseline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    rec = sub.add_parser("record", help="record the TF1 results (env tf1) as the golden baseline")
    rec.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    rec.add_argument("--baseline", default=None, help="baseline folder (default: $%s or <repo>/baselines)" % ENV_VAR)
    rec.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
    rec.add_argument("--force", action="store_true", help="overwrite a baseline that differs (regenerating is explicit)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "record":
        _parser().print_help()
        return 2
    from shared.runner import results_root

    try:
        record(results_root(args.results), args.baseline, args.cases, args.force)
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

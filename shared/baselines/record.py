"""Recording the fresh TF1 results as golden baselines: all of them or, when any is unusable, none."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared.core import SCHEMA_VERSION, atomic, data, results
from shared.baselines.store import (ENV, KIND, REGENERATE, SIDE, SUBSTANCE, BaselineError, baseline_path, baseline_root,
                                   read, shown)
from shared.core.case import Case
from shared.core.registry import select, use_folders
from shared.core.weights import all_finite

VOLATILE_FINGERPRINT = ("import_s", "pid")  # the process's timings and PID, not identity: left out so re-recording is stable


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
    """Why a TF1 result cannot become the baseline: what makes it unfit to compare, or more."""
    why = results.admissible(run, case, data_sha, None)
    if why:
        return why
    rid = run.get("run_id", "?")
    if run.get("env") != ENV or run.get("side") != SIDE:
        return "%s ran in env %r side %r, not the plain %s env" % (rid, run.get("env"), run.get("side"), ENV)
    if run.get("overrides"):
        return "%s ran with overrides %s (a sensitivity check, not a reference)" % (rid, run["overrides"])
    bad = all_finite(run["coefficients"])
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


def cases_names_of(folders: Optional[Sequence[str]]) -> List[str]:
    """The names of the cases declared in ``folders`` (a user records the baselines of their own cases)."""
    from shared.core.registry import load_folder

    return [c.name for folder in folders or () for c in load_folder(folder)]


def record(root: str, base: Optional[str] = None, case_names: Optional[Sequence[str]] = None,
           force: bool = False, log=print, cases_from: Optional[Sequence[str]] = None) -> List[str]:
    """Write the baselines of every TF1 run of the cases; nothing is written unless all of them can be.

    A case from a user's folder records into that folder's ``baselines/`` unless ``base`` names another.
    """
    use_folders(cases_from)
    explicit = base
    problems = []  # type: List[str]
    todo = []  # type: List[Any]
    for case in select(case_names or (cases_names_of(cases_from) if cases_from else None)):
        base = baseline_root(explicit, case)
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
                    log("baseline: %s unchanged" % shown(target))
                    continue
                if not force:
                    problems.append("%s exists and differs from %s in %s; pass --force to overwrite it" % (
                        shown(target), run["run_id"], "; ".join(changed)))
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
        log("baseline: wrote %s from %s" % (shown(target), payload["source_run_id"]))
    return [t for t, _ in todo]

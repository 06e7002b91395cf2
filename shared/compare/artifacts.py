"""Comparisons of the trained artifacts across versions, each on the probe set: the TF1 checkpoint restored in
each TF2 model (``checkpoint``), the TF1 SavedModel served in TF2 (``savedmodel``) and each TF2 model's weights
restored by TF 1.15 (``rollback``).

``checkpoint`` and ``savedmodel`` compare with the TF1 Estimator's own predictions; ``rollback`` with
the TF2 model's own (the TF1 graph must predict what the model it came from predicts). A case whose
TF1 run kept artifacts gets every comparison its checks declare; an artifact missing on either side,
a step that failed and an artifact made from other data or other TF1 artifacts are failures, named.
"""

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from shared.compare.diff import diff, problem, series
from shared.compare.record import Comparison, Kind
from shared.core import artifacts as store
from shared.core.case import ARTIFACT_KINDS, CheckKind
from shared.core.envs import SIDES
from shared.core.errors import KitError
from shared.core.results import run_id

HOOK_TF1 = "call legacy_tf1.artifacts.keep(job, estimator, spec) in its estimator_loop keep callback (checkpoints=True)"
HOOK_TF2 = "call modern_tf2.artifacts.keep(job, trained, build, table) at the end of its run(job)"


def _stale(ctx, manifest: Mapping[str, Any]) -> Optional[str]:
    """Why a TF1 manifest no longer fits the case's data, spec, plan or probe set, or None."""
    rid = manifest.get("run_id")
    for key, current in (("data_sha256", ctx.data_sha), ("spec_sha256", ctx.case.spec_sha256()),
                         ("plan_sha256", ctx.plan_sha), ("probe_sha256", ctx.probe_sha)):
        if current is not None and manifest.get(key) != current:
            return "%s kept its artifacts from other %s (%s, current %s); run 'nox -s tf1' again" % (
                rid, key.replace("_sha256", ""), str(manifest.get(key))[:12], current[:12])
    return None


def _read(path: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    try:
        return store.read_record(path), None
    except KitError as exc:
        return None, str(exc)


class _Sources(object):
    """The case's TF1 artifacts: each TF1 implementation's manifest and probe predictions, checked."""

    def __init__(self, ctx, runs: Mapping[str, Mapping[str, Any]], wanted: bool) -> None:
        self.usable = {}  # type: Dict[str, Tuple[Dict[str, Any], List[Any]]]
        self.problems = []  # type: List[Comparison]
        self.info = {}  # type: Dict[str, Any]
        env = SIDES["tf1"].home_env
        for impl in ctx.case.impls.get("tf1", ()):
            rid = run_id(env, ctx.case.name, impl)
            folder = store.impl_dir(ctx.root, env, ctx.case.name, impl)
            manifest, error = _read(os.path.join(folder, store.MANIFEST))
            if error:
                self.problems.append(problem(ctx.case.name, rid, None, Kind.FAILED, error))
                continue
            if manifest is None:
                if wanted and (runs.get(rid) or {}).get("status") == "ok":
                    self.problems.append(problem(ctx.case.name, rid, None, Kind.MISSING, (
                        "%s kept no artifacts, yet the case checks them: %s" % (rid, HOOK_TF1))))
                continue
            if manifest.get("status") != "ok":
                self.problems.append(problem(ctx.case.name, rid, None, Kind.FAILED, "%s: keeping its artifacts failed: %s" % (
                    rid, (manifest.get("error") or {}).get("message", "no error recorded"))))
                continue
            why = _stale(ctx, manifest)
            if why:
                self.problems.append(problem(ctx.case.name, rid, None, Kind.REFUSED, why))
                continue
            try:
                store.verify(folder, manifest["files"], "artifacts of %s" % rid)
                predictions = store.read_record(os.path.join(folder, store.PREDICTIONS))["predictions"]
            except KitError as exc:
                self.problems.append(problem(ctx.case.name, rid, None, Kind.FAILED, str(exc)))
                continue
            manifest["folder"] = folder
            self.usable[impl] = (manifest, predictions)
            self.info[impl] = _brief(manifest)


def _brief(manifest: Mapping[str, Any]) -> Dict[str, Any]:
    """What the report shows of a TF1 implementation's artifacts."""
    files = manifest.get("files") or {}
    sizes = {}  # type: Dict[str, int]
    for rel, entry in files.items():
        sizes[entry.get("role", "other")] = sizes.get(entry.get("role", "other"), 0) + int(entry.get("bytes", 0))
    return {"checkpoint": manifest.get("checkpoint"), "step": manifest.get("step"), "keys": manifest.get("keys"),
            "signatures": dict((k, {"inputs": sorted(s.get("inputs") or {}), "serves": s.get("serves")})
                               for k, s in sorted((manifest.get("signatures") or {}).items())),
            "parse_spec": manifest.get("parse_spec"), "key": manifest.get("key"), "bytes": sizes,
            "content_sha256": manifest.get("content_sha256"), "timings": manifest.get("timings"),
            "tensorflow": manifest.get("tensorflow")}


def _against(ctx, kind: Kind, check, left: str, right: str, reference: List[Any], entry: Optional[Mapping[str, Any]],
             manifest: Mapping[str, Any], absent: str) -> Comparison:
    """One artifact step's probe predictions (``entry``) against ``reference``, or why they cannot be compared."""
    name = ctx.case.name
    if entry is None or entry.get("status") == "skipped":
        return problem(name, left, right, Kind.MISSING, absent)
    if entry.get("status") != "ok":
        return problem(name, left, right, Kind.FAILED, "%s %s vs %s: %s failed: %s" % (
            name, left, right, kind.value, (entry.get("error") or {}).get("message", "no error recorded")))
    if entry.get("source_sha256") not in (None, manifest.get("content_sha256")):
        return problem(name, left, right, Kind.REFUSED, "%s %s vs %s: made from other TF1 artifacts (%s, current %s); "
                       "run 'nox -s tf1 tf2' again" % (name, left, right, str(entry.get("source_sha256"))[:12],
                                                       str(manifest.get("content_sha256"))[:12]))
    comp = diff(name, left, right, series("probe", reference), series("probe", entry.get("predictions") or []), kind,
                check.value, check.reason)
    for key in ("coverage", "timings", "endpoint", "input", "output", "restored"):
        if entry.get(key) is not None:
            comp.details[key] = entry[key]
    return comp


def compare_artifacts(ctx, runs: Mapping[str, Mapping[str, Any]]) -> Tuple[List[Comparison], Dict[str, Any]]:
    """Every artifact comparison of ``ctx.case`` (none when its TF1 run kept no artifacts), and what the report shows."""
    case = ctx.case
    checks = dict((k, case.check(k)) for k in ARTIFACT_KINDS)
    sources = _Sources(ctx, runs, case.keeps_artifacts)
    out = list(sources.problems)
    if not sources.usable:
        return out, {}
    undeclared = [k.value for k, c in checks.items() if c is None]
    if undeclared:
        first = run_id(SIDES["tf1"].home_env, case.name, sorted(sources.usable)[0])
        out.append(problem(case.name, first, None, Kind.FAILED, (
            "case %r keeps trained artifacts but declares no tolerance for %s: add Check(%r, tolerance, 'why') with "
            "the measured max |diff| in its reason (README: Verify your own migration)" % (
                case.name, ", ".join(undeclared), undeclared[0]))))
    tf1 = SIDES["tf1"].home_env
    start = len(out)
    for tf1_impl, (manifest, reference) in sorted(sources.usable.items()):
        left = run_id(tf1, case.name, tf1_impl)
        if checks[CheckKind.CHECKPOINT] is not None:
            out.extend(_checkpoints(ctx, checks[CheckKind.CHECKPOINT], left, tf1_impl, manifest, reference))
        if checks[CheckKind.SAVEDMODEL] is not None:
            out.extend(_served(ctx, checks[CheckKind.SAVEDMODEL], left, tf1_impl, manifest, reference))
        if checks[CheckKind.ROLLBACK] is not None:
            out.extend(_rollbacks(ctx, checks[CheckKind.ROLLBACK], left, tf1_impl, manifest, reference))
    return out, {"tf1": sources.info, "seconds": seconds(sources.usable, out[start:])}


def seconds(usable: Mapping[str, Any], comps: List[Comparison]) -> Dict[str, float]:
    """What each artifact step took, summed over the case (as each side timed it inside its process): keeping on
    TF1, restoring and writing back on TF2, serving the export, and TF 1.15's restores (its import not included)."""
    out = {"tf1_keep": sum(float((m.get("timings") or {}).get("total_s") or 0.0) for m, _ in usable.values())}
    for kind, key in ((Kind.CHECKPOINT, "tf2_checkpoint"), (Kind.ROLLBACK, "tf1_rollback")):
        out[key] = sum(float(t.get("total_s", 0.0)) + float(t.get("graph_s", 0.0))
                       for t in (c.details.get("timings") or {} for c in comps if c.kind is kind))
    out["tf2_rollback_write"] = sum(float((c.details.get("tf2_timings") or {}).get("total_s") or 0.0)
                                    for c in comps if c.kind is Kind.ROLLBACK)
    served = [c.details.get("timings") or {} for c in comps if c.kind is Kind.SAVEDMODEL]
    out["tf2_savedmodel"] = max([float(t.get("load_s", 0.0)) for t in served] or [0.0]) + sum(
        float(t.get("call_s", t.get("total_s", 0.0))) for t in served)
    out["total"] = sum(out.values())
    return out


def _checkpoints(ctx, check, left: str, tf1_impl: str, manifest, reference) -> List[Comparison]:
    case, env = ctx.case, SIDES["tf2"].home_env
    out = []
    for impl in case.impls.get("tf2", ()):
        right = run_id(env, case.name, impl)
        record, error = _read(os.path.join(store.impl_dir(ctx.root, env, case.name, impl), store.RESTORED))
        if error:
            out.append(problem(case.name, left, right, Kind.FAILED, error))
            continue
        entry = (record or {}).get("sources", {}).get(tf1_impl)
        out.append(_against(ctx, Kind.CHECKPOINT, check, left, right, reference, entry, manifest,
                            "%s did not restore %s's checkpoint (run 'nox -s tf2'; its run must %s)" % (
                                right, left, HOOK_TF2)))
    return out


def _served(ctx, check, left: str, tf1_impl: str, manifest, reference) -> List[Comparison]:
    case, env = ctx.case, SIDES["tf2"].home_env
    record, error = _read(os.path.join(store.case_dir(ctx.root, env, case.name), store.SAVEDMODEL, tf1_impl + ".json"))
    where = "%s/%s/%s" % (env, case.name, store.SAVEDMODEL)
    if error or record is None or record.get("status") != "ok":
        why = error or ("%s: serving it failed: %s" % (where, (record.get("error") or {}).get("message"))
                        if record is not None else "%s did not serve %s's export (run 'nox -s tf2')" % (where, left))
        return [problem(case.name, left, where, Kind.FAILED if record is not None or error else Kind.MISSING, why)]
    if record.get("source_sha256") != manifest.get("content_sha256"):
        return [problem(case.name, left, where, Kind.REFUSED, "%s served other TF1 artifacts of %s (%s, current %s); run "
                        "'nox -s tf1 tf2' again" % (where, left, str(record.get("source_sha256"))[:12],
                                                    str(manifest.get("content_sha256"))[:12]))]
    calls = record.get("calls") or {}
    if not calls:
        return [problem(case.name, left, where, Kind.FAILED, "%s: no signature of %s's export serves its predictions %r" % (
            where, left, manifest.get("key")))]
    return [_against(ctx, Kind.SAVEDMODEL, check, left, "%s/%s/%s" % (env, case.name, call), reference, entry,
                     manifest, "%s/%s/%s was not made: %s" % (env, case.name, call, entry.get("why", "no reason given")))
            for call, entry in sorted(calls.items())]


def _rollbacks(ctx, check, right: str, tf1_impl: str, manifest, tf1_reference) -> List[Comparison]:
    case, tf2 = ctx.case, SIDES["tf2"].home_env
    out = []
    for impl in case.impls.get("tf2", ()):
        left = run_id(tf2, case.name, impl)
        path = os.path.join(store.impl_dir(ctx.root, tf2, case.name, impl), store.ROLLBACK_RECORD)
        written, error = _read(path)
        restored, error2 = _read(os.path.join(store.case_dir(ctx.root, SIDES["tf1"].home_env, case.name), store.ROLLBACK,
                                              tf2, impl + ".json"))
        if error or error2:
            out.append(problem(case.name, left, right, Kind.FAILED, error or error2))
            continue
        if written is None:
            out.append(problem(case.name, left, right, Kind.MISSING, "%s wrote no rollback checkpoint (run 'nox -s tf2'; "
                                                                     "its run must %s)" % (left, HOOK_TF2)))
            continue
        if written.get("status") != "ok":
            out.append(problem(case.name, left, right, Kind.FAILED, "%s: writing its weights as a TF1 checkpoint "
                               "failed: %s" % (left, (written.get("error") or {}).get("message"))))
            continue
        if restored is None:
            out.append(problem(case.name, left, right, Kind.MISSING, "TF 1.15 did not restore %s's rollback checkpoint: "
                               "the rollback step runs after tf2 ('nox -s rollback', run by 'nox -s tf1 tf2')" % left))
            continue
        if restored.get("record_sha256") != store.sha256_file(path):
            out.append(problem(case.name, left, right, Kind.REFUSED, "TF 1.15 restored an earlier rollback checkpoint of "
                               "%s; run 'nox -s rollback' again" % left))
            continue
        entry = (restored.get("sources") or {}).get(tf1_impl)
        comp = _against(ctx, Kind.ROLLBACK, check, left, right, written.get("predictions") or [], entry, manifest,
                        "TF 1.15 did not restore %s into %s's graph ('nox -s rollback')" % (left, right))
        if not comp.kind.problem:
            against_tf1 = diff(case.name, right, left, series("probe", tf1_reference),
                               series("probe", entry.get("predictions") or []), Kind.ROLLBACK, check.value, check.reason)
            comp.details["vs_tf1_trained"] = against_tf1.max_abs_diff  # the TF2 weights, not TF1's: they differ a little
            comp.details["written"] = written.get("written")
            comp.details["tf2_timings"] = written.get("timings")
        out.append(comp)
    return out

"""Golden TF1 baselines: recording, the regression check by name, and refusing baselines of other data or spec.

No TensorFlow: fixtures are result JSONs built in tmp_path from the committed baselines (real TF 1.15 output).
"""

import copy
import hashlib
import json
import os
import shutil
from typing import Any, Dict

import pytest

from shared import baselines as baseline, compare
from shared.baselines import fit as baseline_fit, record as baseline_record, store as baseline_store
from shared.core import SCHEMA_VERSION, results
from shared.baselines.store import BaselineError
from shared.core.registry import all_cases, get_case

COMMITTED = baseline_store.DEFAULT_BASELINE
CASES = [c.name for c in all_cases()]



def dicts(comparisons):
    """Comparisons as they appear in summary.json."""
    return [c.to_dict() for c in comparisons]

def committed(case: str) -> Dict[str, Any]:
    """The committed baseline of ``case``'s reference TF1 implementation."""
    c = get_case(case)
    impl = baseline_fit.reference_impl(c, c.impls["tf1"])
    return baseline_store.read(baseline_store.baseline_path(COMMITTED, case, impl))


def result_from(ref: Dict[str, Any], env: str, impl: str, **changes: Any) -> Dict[str, Any]:
    """A result file payload carrying the baseline's coefficients, as ``env``/``impl`` would write it."""
    run = {
        "schema": SCHEMA_VERSION,
        "run_id": results.run_id(env, ref["case"], impl),
        "env": env,
        "side": env.split("-")[0],
        "case": ref["case"],
        "impl": impl,
        "status": "ok",
        "fingerprint": dict(ref["fingerprint"], import_s=1.0),
        "data_sha256": ref["data_sha256"],
        "arrays_sha256": ref["arrays_sha256"],
        "plan_sha256": ref["plan_sha256"],
        "plan": ref["plan"],
        "spec_sha256": ref["spec_sha256"],
        "hyperparameters": dict(ref["hyperparameters"]),
        "coefficients": dict(ref["coefficients"]),
        "loss_history": list(ref["loss_history"]),
        "timings": {"import_s": 1.0, "train_s": 1.0, "total_s": 1.0},
        "overrides": {},
    }
    run.update(changes)
    return run


def write_manifest(root: str, case: str, sha: str, payload: bytes = b"") -> None:
    """A data manifest in ``root`` saying ``case``'s dataset has checksum ``sha`` (and, given bytes, the file)."""
    name = get_case(case).dataset.name
    entry = {"file": name + ".csv", "sha256": sha, "bytes": len(payload), "source": "generated",  # no row count
             "spec": get_case(case).dataset.to_dict()}
    folder = os.path.join(root, "data")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "manifest.json")
    manifest = {"schema": SCHEMA_VERSION, "datasets": {}}
    if os.path.exists(path):
        with open(path) as handle:
            manifest = json.load(handle)
    manifest["datasets"][name] = entry
    with open(path, "w") as handle:
        json.dump(manifest, handle)
    if payload:
        with open(os.path.join(folder, name + ".csv"), "wb") as handle:
            handle.write(payload)


def fresh_results(root: str, case: str) -> Dict[str, Dict[str, Any]]:
    """Results of every implementation of ``case`` equal to the committed baseline, as loaded by compare."""
    ref = committed(case)
    write_manifest(root, case, ref["data_sha256"])
    for side, impls in get_case(case).impls.items():
        for impl in impls:
            results.write(root, result_from(ref, side, impl))
    return compare.load_runs(root)


@pytest.fixture
def base(tmp_path, monkeypatch) -> str:
    """A copy of the committed baselines, made the default location through $TFKIT_BASELINE."""
    folder = str(tmp_path / "baselines")
    shutil.copytree(COMMITTED, folder)
    monkeypatch.setenv(baseline_store.ENV_VAR, folder)
    return folder


def by_kind(entries, kind):
    return [e for e in entries if e["kind"] == kind]


# ---------------------------------------------------------------- the committed golden files


@pytest.mark.parametrize("case", CASES)
def test_committed_baseline_fits_the_registry(case):
    """Every case has a baseline from real TF 1.15 on the current spec (else: nox -s tf1 && nox -s baseline -- --force)."""
    c = get_case(case)
    for impl in c.impls["tf1"]:
        ref = baseline_store.read(baseline_store.baseline_path(COMMITTED, case, impl))
        assert ref["spec_sha256"] == c.spec_sha256(), (
            "spec changed since the baseline; regenerate: " + baseline_store.REGENERATE)
        assert ref["spec"]["hyperparameters"] == c.hyperparameters
        assert ref["fingerprint"]["tensorflow"] == "1.15.5" and ref["fingerprint"]["python"].startswith("3.7.")
        assert ref["source_run_id"] == "tf1/%s/%s" % (case, impl)
        assert ref["coefficients"] and len(ref["data_sha256"]) == 64 and len(ref["plan_sha256"]) == 64
        assert "import_s" not in ref["fingerprint"]


def test_location_default_env_and_explicit(monkeypatch):
    monkeypatch.delenv(baseline_store.ENV_VAR, raising=False)
    assert baseline_store.baseline_root() == os.path.join(baseline_store.REPO, "baselines")
    monkeypatch.setenv(baseline_store.ENV_VAR, "/elsewhere")
    assert baseline_store.baseline_root() == "/elsewhere"
    assert baseline_store.baseline_root("/explicit") == "/explicit"


# ---------------------------------------------------------------- compare against the baseline


@pytest.mark.parametrize("case", CASES)
def test_unchanged_runs_pass_against_the_baseline(tmp_path, base, case):
    root = str(tmp_path / "results")
    runs = fresh_results(root, case)
    entries = dicts(baseline.compare_case(get_case(case), runs, root))
    assert sorted(e["right"] for e in entries) == sorted(runs)  # every env and impl, the fresh tf1 run included
    for e in entries:
        assert e["kind"] == "baseline" and e["passed"], e["message"]
        assert e["reference_source"] == "baseline"
        assert e["left"] == "baseline/%s/%s" % (case, e["left"].rsplit("/", 1)[-1])
        assert e["tolerance"] == get_case(case).tolerance("strict").value
        assert "reference: the committed baseline %s" % os.path.join(base, "tf1", case, "") in e["message"]
        assert "TF 1.15.5" in e["message"]


def test_tf2_drift_past_tolerance_fails_naming_the_drifted_coefficients(tmp_path, base):
    root = str(tmp_path / "results")
    fresh_results(root, "pairshift")
    path = results.result_path(root, "tf2", "pairshift", "keras3")
    run = results.read(path)
    tol = get_case("pairshift").tolerance("strict").value
    names = sorted(run["coefficients"])[3:5]
    for n in names:
        run["coefficients"][n] += 30 * tol
    run["coefficients"][sorted(run["coefficients"])[7]] += tol / 10  # within tolerance: not named
    results.write(root, run)

    entries = dicts(baseline.compare_case(get_case("pairshift"), compare.load_runs(root), root))
    failed = [e for e in entries if not e["passed"]]
    assert [e["right"] for e in failed] == ["tf2/pairshift/keras3"]
    bad = failed[0]
    assert bad["kind"] == "baseline" and bad["left"] == "baseline/pairshift/estimator"
    assert sorted(bad["drifted"]) == names
    for n in names:
        assert n in bad["message"]
    assert sorted(run["coefficients"])[7] not in bad["drifted"]
    assert bad["max_abs_diff"] == pytest.approx(30 * tol, rel=1e-6)
    assert "2 of %d coefficients over" % len(run["coefficients"]) in bad["message"]
    assert all(e["passed"] for e in entries if e["right"] != "tf2/pairshift/keras3")


def test_summarize_carries_the_baseline_comparisons(tmp_path, base):
    root = str(tmp_path / "results")
    fresh_results(root, "linear")
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    mine = by_kind(summary["comparisons"], "baseline")
    assert len(mine) == len(get_case("linear").run_keys()) and all(e["passed"] for e in mine)
    assert summary["passed"], compare.table(summary)


def test_other_arrays_fail_the_baseline_check(tmp_path, base):
    root = str(tmp_path / "results")
    fresh_results(root, "linear")
    run = results.read(results.result_path(root, "tf2", "linear", "eager"))
    results.write(root, dict(run, arrays_sha256="0" * 64))
    entries = dicts(baseline.compare_case(get_case("linear"), compare.load_runs(root), root))
    bad = [e for e in entries if not e["passed"]]
    assert [e["right"] for e in bad] == ["tf2/linear/eager"] and "other arrays" in bad[0]["message"]


def test_other_plan_is_refused_per_run(tmp_path, base):
    root = str(tmp_path / "results")
    fresh_results(root, "linear")
    run = results.read(results.result_path(root, "tf2", "linear", "keras3"))
    results.write(root, dict(run, plan_sha256="1" * 64))
    entries = dicts(baseline.compare_case(get_case("linear"), compare.load_runs(root), root))
    refused = by_kind(entries, "baseline-refused")
    assert [e["right"] for e in refused] == ["tf2/linear/keras3"] and not refused[0]["passed"]
    assert "another batch plan" in refused[0]["message"] and "nox -s baseline" in refused[0]["message"]


def test_baseline_from_other_data_is_no_baseline_for_this_data(tmp_path, base):
    """Baselines are keyed by data checksum: a user's own data never collides with the kit's committed baselines."""
    root = str(tmp_path / "results")
    fresh_results(root, "pairlincorr")
    other = "ab" * 32
    write_manifest(root, "pairlincorr", other)  # the results now say: other data bytes
    for rid, run in compare.load_runs(root).items():
        results.write(root, dict(run, data_sha256=other))
    c = get_case("pairlincorr")
    assert dicts(baseline.compare_case(c, compare.load_runs(root), root)) == [], "nothing to compare, nothing failed"
    info = baseline.summary_info(c, root)
    assert info["baseline"] == "none for this data"
    why = info["baseline_other_data"]["estimator"]
    assert "other data" in why and other[:12] in why and committed("pairlincorr")["data_sha256"][:12] in why
    assert not baseline.covers(c, root), "a baseline of other data never stands in"
    assert not baseline.covers(c, root)


def test_baseline_from_another_spec_is_refused(tmp_path, base):
    root = str(tmp_path / "results")
    runs = fresh_results(root, "linear")
    changed = copy.copy(get_case("linear"))
    changed.hyperparameters = dict(changed.hyperparameters, learning_rate=0.05)
    for run in runs.values():
        results.write(root, dict(run, spec_sha256=changed.spec_sha256()))
    entries = dicts(baseline.compare_case(changed, compare.load_runs(root), root))
    assert [e["kind"] for e in entries] == ["baseline-refused"]
    msg = entries[0]["message"]
    assert not entries[0]["passed"] and "another case spec" in msg and "learning_rate 0.1 -> 0.05" in msg
    assert "nox -s baseline" in msg
    assert not baseline.covers(changed, root)


def test_no_baseline_no_entries(tmp_path, monkeypatch):
    monkeypatch.setenv(baseline_store.ENV_VAR, str(tmp_path / "empty"))
    root = str(tmp_path / "results")
    runs = fresh_results(root, "linear")
    assert dicts(baseline.compare_case(get_case("linear"), runs, root)) == []
    assert baseline.summary_info(get_case("linear"), root)["baseline"] == "none"
    assert not baseline.covers(get_case("linear"), root)


def test_unreadable_baseline_is_refused(tmp_path, base):
    root = str(tmp_path / "results")
    runs = fresh_results(root, "linear")
    with open(baseline_store.baseline_path(base, "linear", "session"), "w") as handle:
        handle.write('{"kind": "tfkit-baseline"')
    entries = dicts(baseline.compare_case(get_case("linear"), runs, root))
    assert [e["kind"] for e in entries] == ["baseline-refused"] and "cannot be read" in entries[0]["message"]


def test_baseline_stands_in_for_a_missing_tf1_run(tmp_path, base):
    """A runner without TF 1.15: only TF2 results, the baseline is the reference."""
    root = str(tmp_path / "results")
    fresh_results(root, "pairshift")
    shutil.rmtree(os.path.join(root, "runs", "tf1"))
    c = get_case("pairshift")
    runs = compare.load_runs(root)
    assert baseline.covers(c, root) and baseline.covers(c, root, "estimator")
    note = baseline.stand_in(c, "tf1/pairshift/estimator", root).to_dict()
    assert note["passed"] and note["kind"] == "baseline-stands-in" and note["reference_source"] == "baseline"
    assert os.path.join(base, "tf1", "pairshift", "estimator.json") in note["message"]
    entries = dicts(baseline.compare_case(c, runs, root))
    assert sorted(e["right"] for e in entries) == sorted(runs) and all(e["passed"] for e in entries)


# ---------------------------------------------------------------- recording


def tf1_results(root: str, case: str, **changes: Any) -> Dict[str, Any]:
    """Self-consistent TF1 results of ``case`` in ``root``: a data file, its manifest, one result per TF1 impl."""
    payload = b"fixture bytes for %s\n" % case.encode()
    sha = hashlib.sha256(payload).hexdigest()
    write_manifest(root, case, sha, payload)
    ref = committed(case)
    for impl in get_case(case).impls["tf1"]:
        fields = dict({"data_sha256": sha, "spec_sha256": get_case(case).spec_sha256()}, **changes)
        results.write(root, result_from(ref, "tf1", impl, **fields))
    return ref


def test_record_writes_then_refuses_to_overwrite_without_force(tmp_path):
    root, base = str(tmp_path / "results"), str(tmp_path / "baselines")
    tf1_results(root, "linear")
    written = baseline_record.record(root, base, ["linear"], log=lambda _: None)
    target = baseline_store.baseline_path(base, "linear", "session")
    assert written == [target]
    first = baseline_store.read(target)
    assert first["source_run_id"] == "tf1/linear/session" and "import_s" not in first["fingerprint"]
    assert first["spec"] == get_case("linear").to_dict()

    said = []
    assert baseline_record.record(root, base, ["linear"], log=said.append) == []  # same results: nothing to do
    assert "unchanged" in said[0]

    path = results.result_path(root, "tf1", "linear", "session")
    run = results.read(path)
    run["coefficients"]["W"] += 1e-3
    results.write(root, run)
    with pytest.raises(BaselineError) as info:
        baseline_record.record(root, base, ["linear"], log=lambda _: None)
    text = str(info.value)
    assert "--force" in text and "coefficients W" in text and "nothing was written" in text
    assert baseline_store.read(target)["coefficients"] == first["coefficients"]
    assert baseline.main(["record", "--results", root, "--baseline", base, "--cases", "linear"]) == 2

    assert baseline.main(["record", "--results", root, "--baseline", base, "--cases", "linear", "--force"]) == 0
    assert baseline_store.read(target)["coefficients"]["W"] == run["coefficients"]["W"]


@pytest.mark.parametrize("change, words", [
    ({"status": "failed", "error": {"message": "Traceback: boom"}}, "did not finish"),
    ({"overrides": {"learning_rate": 0.2}}, "overrides"),
    ({"data_sha256": "cd" * 32}, "other data"),
    ({"spec_sha256": "ef" * 32}, "another case spec"),
])
def test_record_refuses_unusable_runs(tmp_path, change, words):
    root, base = str(tmp_path / "results"), str(tmp_path / "baselines")
    tf1_results(root, "linear", **change)
    with pytest.raises(BaselineError) as info:
        baseline_record.record(root, base, ["linear"], log=lambda _: None)
    assert words in str(info.value)
    assert not os.path.exists(base)


def test_record_refuses_a_missing_tf1_result(tmp_path):
    root, base = str(tmp_path / "results"), str(tmp_path / "baselines")
    tf1_results(root, "linear")
    os.unlink(results.result_path(root, "tf1", "linear", "session"))
    with pytest.raises(BaselineError, match="nox -s tf1"):
        baseline_record.record(root, base, ["linear"], log=lambda _: None)

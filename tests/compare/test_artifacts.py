"""The artifact comparisons (checkpoint, savedmodel, rollback) on fake records: they pass alike, fail naming the
prediction, and a missing, failed or stale artifact on either side is a failure that says what to run."""

import json
import os

from shared import compare
from shared.core import artifacts as store
from shared.report.artifacts import artifacts_section
from shared.report.markdown import markdown

KINDS = ("checkpoint", "savedmodel", "rollback")


def _summary(root, case="pairshift"):
    return compare.summarize(root, [case], with_oracle=False)


def _artifact(summary, kind=None):
    return [c for c in summary["comparisons"] if (c["kind"] in KINDS if kind is None else c["kind"] == kind)]


def _edit(path, **changes):
    with open(path) as handle:
        record = json.load(handle)
    record.update(changes)
    store.write_record(path, record)
    return record


def test_every_kind_is_compared_for_every_tf2_model_and_passes_alike(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    summary = _summary(root)
    assert summary["passed"], compare.table(summary)
    assert len(_artifact(summary, "checkpoint")) == 3 and len(_artifact(summary, "rollback")) == 3
    assert sorted(c["right"] for c in _artifact(summary, "savedmodel")) == [
        "tf2/pairshift/TFSMLayer:predict", "tf2/pairshift/signature:predict"]
    rollback = _artifact(summary, "rollback")[0]
    assert rollback["left"].startswith("tf2/pairshift/") and rollback["right"] == "tf1/pairshift/estimator"
    assert all(c["tolerance_reason"] and c["max_abs_diff"] == 0.0 for c in _artifact(summary))


def test_a_prediction_that_differs_fails_naming_it(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    path = os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras3"), store.RESTORED)
    record = json.load(open(path))
    record["sources"]["estimator"]["predictions"][1] += 1e-4
    store.write_record(path, record)
    bad = [c for c in _artifact(_summary(root)) if not c["passed"]]
    assert len(bad) == 1 and bad[0]["kind"] == "checkpoint" and bad[0]["right"] == "tf2/pairshift/keras3"
    assert "prediction[1] differs by 0.0001 (tolerance 0)" in bad[0]["message"]


def test_a_tf2_model_that_did_not_restore_the_checkpoint_is_missing_with_the_hook_to_call(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    os.remove(os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras2"), store.RESTORED))
    summary = _summary(root)
    missing = [c for c in summary["comparisons"] if c["kind"] == "missing"]
    assert not summary["passed"] and len(missing) == 1
    assert "tf2/pairshift/keras2 did not restore tf1/pairshift/estimator's checkpoint" in missing[0]["message"]
    assert "modern_tf2.artifacts.keep(job, trained, build, table)" in missing[0]["message"]


def test_a_step_that_failed_is_a_failure_with_its_message(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    path = os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras3"), store.RESTORED)
    message = "tf2/pairshift/keras3 <- tf1/pairshift/estimator: the checkpoint does not fit the model ... 'dense/kernels'"
    _edit(path, sources={"estimator": {"status": "error", "error": {"type": "ArtifactError", "message": message}}})
    failed = [c for c in _summary(root)["comparisons"] if c["kind"] == "failed"]
    assert len(failed) == 1 and "checkpoint failed: " + message in failed[0]["message"]


def test_tf2_records_made_from_other_tf1_artifacts_are_refused(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    _edit(os.path.join(store.impl_dir(root, "tf1", "pairshift", "estimator"), store.MANIFEST), content_sha256="d" * 64)
    refused = [c for c in _summary(root)["comparisons"] if c["kind"] == "refused"]
    assert len(refused) == 3 + 1 + 3, "each restore, the served export and each rollback"
    assert all("other TF1 artifacts" in c["message"] for c in refused)


def test_tf1_artifacts_from_other_data_are_refused(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    _edit(os.path.join(store.impl_dir(root, "tf1", "pairshift", "estimator"), store.MANIFEST), data_sha256="0" * 64)
    summary = _summary(root)
    refused = [c for c in summary["comparisons"] if c["kind"] == "refused"]
    assert len(refused) == 1 and "kept its artifacts from other data" in refused[0]["message"]
    assert not _artifact(summary)


def test_a_rollback_tf1_did_not_restore_or_restored_from_an_older_record_fails(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    rolled = os.path.join(store.case_dir(root, "tf1", "pairshift"), store.ROLLBACK, "tf2")
    os.remove(os.path.join(rolled, "keras2.json"))
    _edit(os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras3"), store.ROLLBACK_RECORD), written={"x": 1})
    summary = _summary(root)
    problems = dict((c["left"], c) for c in summary["comparisons"] if c["kind"] in ("missing", "refused"))
    assert "the rollback step runs after tf2" in problems["tf2/pairshift/keras2"]["message"]
    assert problems["tf2/pairshift/keras3"]["kind"] == "refused"
    assert "restored an earlier rollback checkpoint" in problems["tf2/pairshift/keras3"]["message"]


def test_a_tf1_run_that_kept_no_artifacts_though_the_case_checks_them_is_missing(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    store.clear(root, "tf1", "pairshift")
    summary = _summary(root)
    missing = [c for c in summary["comparisons"] if c["kind"] == "missing"]
    assert len(missing) == 1 and "legacy_tf1.artifacts.keep(job, estimator, spec)" in missing[0]["message"]


def test_a_tf1_failure_to_keep_is_reported_once(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    path = os.path.join(store.impl_dir(root, "tf1", "pairshift", "estimator"), store.MANIFEST)
    store.write_record(path, {"status": "error", "error": {"message": "the export serves no output 'y'"}})
    failed = [c for c in _summary(root)["comparisons"] if c["kind"] == "failed"]
    assert len(failed) == 1 and "keeping its artifacts failed: the export serves no output 'y'" in failed[0]["message"]


def test_artifacts_of_a_case_that_declares_no_tolerance_fail_and_say_which(root, make_full, make_artifacts):
    make_full(root, "linear", {"W": 3.0, "b": 2.0})
    make_artifacts(root, "linear", [0.5])
    failed = [c for c in _summary(root, "linear")["comparisons"] if c["kind"] == "failed"]
    assert len(failed) == 1 and "declares no tolerance for checkpoint, savedmodel, rollback" in failed[0]["message"]


def test_a_damaged_tf1_artifact_is_named(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    folder = store.impl_dir(root, "tf1", "pairshift", "estimator")
    with open(os.path.join(folder, "model.ckpt-800.index"), "wb") as handle:
        handle.write(b"12345")
    files = store.manifest(folder, skip=(store.MANIFEST, store.PREDICTIONS))
    _edit(os.path.join(folder, store.MANIFEST), files=files)
    with open(os.path.join(folder, "model.ckpt-800.index"), "r+b") as handle:
        handle.truncate(2)
    failed = [c for c in _summary(root)["comparisons"] if c["kind"] == "failed"]
    assert len(failed) == 1 and "model.ckpt-800.index: 2 bytes, the manifest says 5 (truncated or replaced)" in \
        failed[0]["message"]


def test_the_report_has_a_section_for_the_artifacts(root, make_full):
    make_full(root, "pairshift", {"item000": 0.5})
    text = markdown(artifacts_section("pairshift", _summary(root)))
    assert "Trained artifacts across versions" in text
    for kind in KINDS:
        assert "| %s |" % kind in text
    assert "tf2/pairshift/TFSMLayer:predict" in text and "tf.train.Saver" in text
    assert artifacts_section("linear", {"comparisons": [], "cases": {"linear": {}}}) == []

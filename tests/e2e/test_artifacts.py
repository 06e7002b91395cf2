"""Trained artifacts across versions in the real envs: TF1 checkpoints and SavedModels restored and served in TF 2.21,
TF2 weights restored by TF 1.15; the tensor files repeat byte for byte (the canned Estimators' too); a damaged checkpoint, a wrong restore table,
a wrong serving call and a rollback without global_step fail loudly, naming what they lack."""

import json
import os
import shutil
import subprocess

import pytest

from shared import compare
from shared.core import artifacts as store
from shared.core import results
from shared.core.registry import get_case

from tests.e2e.conftest import REPO, kit

pytestmark = pytest.mark.e2e
CASES = ("pairshift", "pairlincorr")
CANNED = ("canned_linear", "canned_dnn", "canned_widedeep")  # their comparisons: tests/e2e/test_canned.py


def _run_python(python, code):
    proc = subprocess.run([python, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1"))
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def test_checkpoint_savedmodel_and_rollback_pass_for_each_estimator_case(twin_runs):
    summary = compare.summarize(twin_runs[0], list(CASES), with_oracle=False)
    assert summary["passed"], compare.table(summary)
    for name in CASES:
        tf2 = len(get_case(name).impls["tf2"])
        mine = [c for c in summary["comparisons"] if c["case"] == name]
        for kind, count in (("checkpoint", tf2), ("rollback", tf2), ("savedmodel", 4)):  # 3 signatures + TFSMLayer
            found = [c for c in mine if c["kind"] == kind]
            assert len(found) == count, (name, kind, [c["right"] for c in found])
            assert all(c["max_abs_diff"] <= c["tolerance"] for c in found)
    exact = [c for c in summary["comparisons"] if c["case"] == "pairshift" and c["kind"] in ("checkpoint", "savedmodel",
                                                                                            "rollback")]
    assert all(c["max_abs_diff"] == 0.0 for c in exact), "pairshift crosses over exactly"
    rolled = [c for c in summary["comparisons"] if c["case"] == "pairshift" and c["kind"] == "rollback"]
    assert all(c["vs_tf1_trained"] > 0 for c in rolled), "TF 1.15 predicted from the TF2 weights, not from its own"
    keras3 = next(c for c in summary["comparisons"] if c["kind"] == "checkpoint" and c["right"] == "tf2/pairlincorr/keras3")
    assert keras3["coverage"]["transforms"] == {"dense/kernel": "rows by name (+2 zero slots)"}
    assert sorted(keras3["coverage"]["unused"]) == ["dense/kernel/Ftrl", "dense/kernel/Ftrl_1", "global_step"]


def test_tensor_files_and_predictions_repeat_byte_for_byte(twin_runs):
    for name in CASES + CANNED:
        a, b = (store.read_record(os.path.join(store.impl_dir(r, "tf1", name, "estimator"), store.MANIFEST))
                for r in twin_runs)
        tensors = dict((rel, e["sha256"]) for rel, e in a["files"].items() if e["role"] in ("tensors", "record"))
        kinds = sorted(set(rel.split("/")[0] + "/" + rel.rsplit(".", 1)[-1].split("-")[0] for rel in tensors))
        assert kinds == ["checkpoint/data", "checkpoint/index", "predictions.json/json", "savedmodel/data",
                         "savedmodel/index"], (name, sorted(tensors))  # the canned exports' variables in 2 shards
        assert tensors == dict((rel, e["sha256"]) for rel, e in b["files"].items() if e["role"] in ("tensors", "record"))
        assert a["content_sha256"] == b["content_sha256"]
        assert [rel for rel, e in a["files"].items() if e["role"] == "graph"] == ["savedmodel/saved_model.pb"]
        for impl in get_case(name).impls["tf2"]:
            x, y = (store.read_record(os.path.join(store.impl_dir(r, "tf2", name, impl), store.ROLLBACK_RECORD))
                    for r in twin_runs)
            assert dict((k, v["sha256"]) for k, v in x["files"].items() if v["role"] == "tensors") == \
                dict((k, v["sha256"]) for k, v in y["files"].items() if v["role"] == "tensors")


def _copy_tf1(src, dst):
    """A results folder holding the data, the real TF1 run and its artifacts (nothing of TF2)."""
    shutil.copytree(os.path.join(src, "data"), os.path.join(dst, "data"))
    shutil.copytree(os.path.join(src, "runs", "tf1"), os.path.join(dst, "runs", "tf1"))
    shutil.copytree(os.path.join(src, "artifacts", "tf1"), os.path.join(dst, "artifacts", "tf1"),
                    ignore=shutil.ignore_patterns(store.ROLLBACK))
    return dst


def test_a_truncated_tf1_checkpoint_fails_loudly_on_both_paths(pythons, twin_runs, tmp_path):
    root = _copy_tf1(twin_runs[0], str(tmp_path / "r"))
    folder = store.impl_dir(root, "tf1", "pairshift", "estimator")
    data = os.path.join(folder, "checkpoint", "model.ckpt-800.data-00000-of-00001")
    size = os.path.getsize(data)
    with open(data, "r+b") as handle:
        handle.truncate(size // 2)
    out = kit(pythons["tf2"], "modern_tf2", "--results", root, "--cases", "pairshift", "--impls", "keras2")
    assert out.returncode == 0, out.stdout  # training stands; the artifact step fails, recorded and named
    assert "tf2/pairshift/keras2 <- tf1/pairshift/estimator: checkpoint FAILED" in out.stdout
    named = "checkpoint/model.ckpt-800.data-00000-of-00001: %d bytes, the manifest says %d (truncated or replaced)" % (
        size // 2, size)
    record = store.read_record(os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras2"), store.RESTORED))
    assert record["sources"]["estimator"]["status"] == "error" and named in record["sources"]["estimator"]["error"]["message"]
    summary = compare.summarize(root, ["pairshift"], with_oracle=False)
    failed = [c for c in summary["comparisons"] if c["kind"] == "failed"]
    assert not summary["passed"] and [c["left"] for c in failed] == ["tf1/pairshift/estimator"]
    assert named in failed[0]["message"], "the damaged TF1 artifact itself fails, before anything is compared with it"
    # without the manifest, every tensor is still read before anything is assigned: the lost keys are named
    prefix = os.path.join(folder, "checkpoint", "model.ckpt-800")
    code = ("from shared.core.errors import ArtifactError\nfrom %s.artifacts import read_checkpoint\n"
            "try:\n    read_checkpoint(%r)\nexcept ArtifactError as exc:\n    print(exc)\n" % ("%s", prefix))
    for side, package in (("tf2", "modern_tf2"), ("tf1", "legacy_tf1")):
        text = _run_python(pythons[side], code % package)
        assert "is damaged" in text and "global_step (" in text and "Read less bytes than requested" in text, text


def test_a_damaged_tf1_manifest_is_recorded_by_every_step_and_training_stands(pythons, twin_runs, tmp_path):
    root = _copy_tf1(twin_runs[0], str(tmp_path / "r"))
    manifest = os.path.join(store.impl_dir(root, "tf1", "pairshift", "estimator"), store.MANIFEST)
    with open(manifest, "r+b") as handle:
        handle.truncate(40)
    out = kit(pythons["tf2"], "modern_tf2", "--results", root, "--cases", "pairshift", "--impls", "keras2")
    assert out.returncode == 0, out.stdout  # the TF2 run trained: what it could not do with TF1's artifacts is recorded
    assert results.read(results.result_path(root, "tf2", "pairshift", "keras2"))["status"] == "ok"
    named = "artifact record %s is not valid JSON" % manifest
    restored = store.read_record(os.path.join(store.impl_dir(root, "tf2", "pairshift", "keras2"), store.RESTORED))
    assert restored["sources"]["estimator"]["status"] == "error"
    assert named in restored["sources"]["estimator"]["error"]["message"]
    served = store.read_record(os.path.join(store.case_dir(root, "tf2", "pairshift"), store.SAVEDMODEL,
                                            "estimator.json"))
    assert served["status"] == "error" and named in served["error"]["message"]
    back = kit(pythons["tf1"], "legacy_tf1.artifacts", "--results", root, "--cases", "pairshift")
    assert back.returncode == 1 and "rollback FAILED" in back.stdout, back.stdout
    summary = compare.summarize(root, ["pairshift"], with_oracle=False)
    failed = [c for c in summary["comparisons"] if c["kind"] == "failed" and c["left"] == "tf1/pairshift/estimator"]
    assert not summary["passed"] and failed and named in failed[0]["message"]


RESTORE = """
import json
import tensorflow as tf
from shared.core.errors import ArtifactError
from shared.core import data
from shared.core.registry import get_case
from modern_tf2 import artifacts, pairs
from modern_tf2.feeding import keras_module

case = get_case("pairshift")
root, prefix = %r, %r
items = data.load(root, case).items()
def port():
    from modern_tf2.pairshift import keras3_model
    return pairs.port(keras3_model(keras_module("keras3"), items), [])
rows = pairs.restore_table("keras3", "pairshift", items).targets["dense/kernel"].rows
out = {}
for label, table in (("wrong key", artifacts.Table({"dense/kernels": artifacts.Target("dense/kernel", rows)},
                                                   artifacts.STATE["ftrl"])),
                     ("no rows", artifacts.Table({"dense/kernel": "dense/kernel"}, artifacts.STATE["ftrl"])),
                     ("slots undeclared", artifacts.Table({"dense/kernel": artifacts.Target("dense/kernel", rows)},
                                                          artifacts.STATE["sgd"]))):
    p = port()
    try:
        artifacts.restore_into(prefix, p, table, "tf2/pairshift/keras3")
        out[label] = "no error"
    except ArtifactError as exc:
        out[label] = str(exc)
    out[label + " kernel untouched"] = bool((p.weights["dense/kernel"].numpy() == 0).all())
p = port()
status = tf.train.Checkpoint(model=p.model).restore(prefix)
out["object-based restore raised"] = False
out["object-based kernel still zero"] = bool((p.weights["dense/kernel"].numpy() == 0).all())
print(json.dumps(out))
"""


def test_a_wrong_restore_table_fails_naming_the_key_and_touches_no_weight(pythons, twin_runs):
    prefix = os.path.join(store.impl_dir(twin_runs[0], "tf1", "pairshift", "estimator"), "checkpoint", "model.ckpt-800")
    out = json.loads(_run_python(pythons["tf2"], RESTORE % (twin_runs[0], prefix)).strip().splitlines()[-1])
    assert "key 'dense/kernels' is not in the checkpoint (closest: 'dense/kernel'" in out["wrong key"]
    assert "key 'dense/kernel' -> 'dense/kernel': shape [100, 1], the model's weight is [101, 1]" in out["no rows"]
    assert "StringLookup out-of-vocabulary slots" in out["no rows"]
    assert "'dense/kernel/Ftrl', 'dense/kernel/Ftrl_1'" in out["slots undeclared"]
    assert all(out[k + " kernel untouched"] for k in ("wrong key", "no rows", "slots undeclared"))
    # the trap the check replaces: TF2's object-based restore of a TF1 checkpoint restores nothing, silently
    assert out["object-based kernel still zero"] and not out["object-based restore raised"]


SERVE = """
import json
import tensorflow as tf
from shared.core import artifacts as store, data
from shared.core.errors import ArtifactError
from shared.core.registry import get_case
from modern_tf2 import artifacts

root = %r
source = store.tf1_sources(root, "tf1", get_case("pairshift"))["estimator"]
probe = data.load_probe(root, get_case("pairshift"))
spec = source["parse_spec"]
with artifacts.quiet():
    sig = tf.saved_model.load(source["folder"] + "/savedmodel").signatures["predict"]
good = artifacts.serialized(spec, probe.frame)
renamed = dict((k.replace("item", "item_"), v) for k, v in spec.items())
wrong_keys = artifacts.serialized(renamed, probe.frame.rename(columns={"item1": "item_1", "item2": "item_2"}))
out = {"raw wrong keys": sig(examples=wrong_keys)["predictions"].numpy().ravel().tolist()[:4]}
for label, given in (("other input", {"inputs": good}), ("wrong keys", {"examples": wrong_keys}),
                     ("floats", {"examples": tf.constant([1.0, 2.0])})):
    try:
        artifacts.call_signature(sig, "predict", given, spec)
        out[label] = "no error"
    except ArtifactError as exc:
        out[label] = str(exc)
out["good"] = artifacts.call_signature(sig, "predict", {"examples": good}, spec)["predictions"].shape.as_list()
print(json.dumps(out))
"""


def test_a_serving_call_with_other_inputs_or_feature_keys_fails_naming_them(pythons, twin_runs):
    out = json.loads(_run_python(pythons["tf2"], SERVE % twin_runs[0]).strip().splitlines()[-1])
    assert out["raw wrong keys"] == [0.0, 0.0, 0.0, 0.0], "the trap: wrong feature keys predict 0.0 without an error"
    assert "signature 'predict' takes other inputs" in out["other input"] and "inputs 'examples'" in out["other input"]
    assert "missing 'item1', 'item2' (has 'item_1', 'item_2')" in out["wrong keys"]
    assert "expected: string of shape [None]" in out["floats"] and "found: float32 of shape [2]" in out["floats"]
    assert out["good"] == [256, 1]


ROLLBACK = """
import os
import numpy as np
import tensorflow as tf
from shared.core import artifacts as store, data
from shared.core.errors import ArtifactError
from shared.core.registry import get_case
from legacy_tf1 import artifacts
from legacy_tf1.device import setup

setup("cpu", 1)
root, folder = %r, %r
case = get_case("pairshift")
os.makedirs(os.path.join(folder, "rollback"))
with tf.Graph().as_default():
    kernel = tf.Variable(np.zeros((100, 1), np.float32), name="dense/kernel")
    with tf.Session() as session:
        session.run(tf.global_variables_initializer())
        tf.train.Saver({"dense/kernel": kernel}).save(session, os.path.join(folder, "rollback", "model.ckpt-1"),
                                                      write_meta_graph=False)
files = dict(("rollback/" + k, v) for k, v in store.manifest(os.path.join(folder, "rollback")).items())
record = {"files": files, "checkpoint": "rollback/model.ckpt-1", "run_id": "tf2/pairshift/keras3"}
graph = artifacts.Graph(store.tf1_sources(root, "tf1", case)["estimator"], data.load_probe(root, case))
try:
    graph.roll_back(record, folder, "tf1/pairshift/estimator <- tf2/pairshift/keras3")
    print("no error")
except ArtifactError as exc:
    print(exc)
"""


def test_a_rollback_checkpoint_without_global_step_is_refused_by_name(pythons, twin_runs, tmp_path):
    text = _run_python(pythons["tf1"], ROLLBACK % (twin_runs[0], str(tmp_path / "tf2")))
    assert "the checkpoint does not fit the TF1 graph" in text
    assert "graph variable 'global_step' has no key in the checkpoint (its keys: 'dense/kernel')" in text

"""The canned Estimator cases in the real envs: every faithful port agrees, the TF1 side starts from the shared init
and records what it really used, and dropping one faithful setting on the TF2 side turns the checks red with the
setting named and the first step as the first divergence."""

import json
import os
import shutil

import numpy as np
import pytest

from shared import compare
from shared.core import data
from shared.core.registry import get_case

from tests.e2e.conftest import kit, start

pytestmark = pytest.mark.e2e
CANNED = ["canned_linear", "canned_dnn", "canned_widedeep"]


@pytest.fixture(scope="module")
def canned_run(pythons, tmp_path_factory):
    """The three cases on both sides into one folder, the data made by the tf1 env, the two processes at once."""
    root = str(tmp_path_factory.mktemp("canned"))
    prep = kit(pythons["tf1"], "shared", "prepare", "--results", root, "--cases", *CANNED)
    assert prep.returncode == 0, prep.stdout
    procs = [(side, start(pythons[side], package, "--results", root, "--cases", *CANNED))
             for side, package in (("tf1", "legacy_tf1"), ("tf2", "modern_tf2"))]
    for side, proc in procs:
        out = proc.communicate(timeout=900)[0]
        assert proc.returncode == 0, "%s failed:\n%s" % (side, out[-4000:])
    return root


def _run(root, side, case, impl):
    with open(os.path.join(root, "runs", side, case, impl + ".json")) as handle:
        return json.load(handle)


def test_every_faithful_port_agrees_under_weights_predictions_and_loss(canned_run):
    summary = compare.summarize(canned_run, CANNED)
    assert summary["passed"], compare.table(summary)
    for name in CANNED:
        mine = [c for c in summary["comparisons"] if c["case"] == name and c["kind"] in ("strict", "predictions", "loss")]
        assert sorted(c["kind"] for c in mine) == sorted(["strict", "predictions", "loss"] * 2), name
        assert all(c["max_abs_diff"] <= c["tolerance"] for c in mine)


@pytest.mark.parametrize("name, key, learning_rate, name_of", [
    ("canned_linear", "optimizer", 0.2, "ftrl"), ("canned_dnn", "optimizer", 0.05, "adagrad"),
    ("canned_widedeep", "linear_optimizer", 0.005, "ftrl"), ("canned_widedeep", "dnn_optimizer", 0.001, "adagrad")])
def test_the_estimator_records_the_defaults_it_built(canned_run, name, key, learning_rate, name_of):
    used = _run(canned_run, "tf1", name, "estimator")["settings"]
    assert used[key]["name"] == name_of and np.float32(used[key]["learning_rate"]) == np.float32(learning_rate)
    assert used[key]["class"].startswith("tf.train.") and used["loss"]["reduction"] == "sum"
    assert used["label_shape"] == [None, 1] and used["logits_shape"] == [None, 1]
    if name_of == "adagrad":
        assert used[key]["epsilon"] == 0.0 and used[key]["initial_accumulator_value"] == 0.1


def test_the_warm_start_reached_every_variable_and_the_linear_model_starts_at_zeros(canned_run):
    for name in ("canned_dnn", "canned_widedeep"):
        run = _run(canned_run, "tf1", name, "estimator")
        init = data.load_init(canned_run, get_case(name))
        start = run["stages"]["start"]
        assert sorted(start) == sorted(init)
        assert all(np.array_equal(np.float32(start[n]), init[n]) for n in init), name
    linear = _run(canned_run, "tf1", "canned_linear", "estimator")
    assert set(linear["settings"]["initializers"].values()) == {"zeros"}
    assert linear["settings"]["initializers"] == _run(canned_run, "tf2", "canned_linear", "keras3")["settings"]["initializers"]


def test_every_port_hashes_the_crossed_column_into_tf1s_buckets(canned_run):
    sha = [_run(canned_run, side, "canned_widedeep", impl)["settings"]["crossed_ids_sha256"]
           for side, impl in (("tf1", "estimator"), ("tf2", "keras2"), ("tf2", "keras3"))]
    assert len(set(sha)) == 1


def test_the_estimator_refuses_a_case_that_misstates_its_defaults(pythons, canned_run, tmp_path):
    root = str(tmp_path / "r")
    shutil.copytree(os.path.join(canned_run, "data"), os.path.join(root, "data"))
    out = kit(pythons["tf1"], "legacy_tf1", "--results", root, "--cases", "canned_linear", "--override",
              "learning_rate=0.1")
    assert out.returncode == 1
    message = _run(root, "tf1", "canned_linear", "estimator")["error"]["message"]
    assert "other settings than the case declares" in message and "optimizer.learning_rate 0.2" in message


@pytest.mark.parametrize("name, impl, override, differs", [
    ("canned_dnn", "keras2", 'loss_reduction="mean"', ["loss.reduction"]),  # Keras' default reduction
    ("canned_dnn", "keras3", "learning_rate=0.001", ["optimizer.learning_rate"]),  # Keras' default Adagrad rate
    ("canned_dnn", "keras3", 'optimizer="adam"', ["optimizer.beta_1", "optimizer.beta_2",
                                                  "optimizer.initial_accumulator_value", "optimizer.name"]),
    ("canned_widedeep", "keras2", "dnn_learning_rate=0.05", ["dnn_optimizer.learning_rate"]),  # one of two optimizers
])
def test_dropping_one_faithful_setting_is_red_names_it_and_parts_at_the_first_step(
        pythons, canned_run, tmp_path, name, impl, override, differs):
    root = str(tmp_path / "r")
    shutil.copytree(os.path.join(canned_run, "data"), os.path.join(root, "data"))
    shutil.copytree(os.path.join(canned_run, "runs", "tf1"), os.path.join(root, "runs", "tf1"))
    out = kit(pythons["tf2"], "modern_tf2", "--results", root, "--cases", name, "--impls", impl, "--override", override)
    assert out.returncode == 0, out.stdout[-3000:]
    summary = compare.summarize(root, [name])
    mine = dict((c["kind"], c) for c in summary["comparisons"] if c["right"] == "tf2/%s/%s" % (name, impl))
    assert not summary["passed"]
    for kind in ("strict", "predictions", "loss"):
        comp = mine[kind]
        assert not comp["passed"], comp["message"]
        assert [d["setting"] for d in comp["settings_diff"]] == differs
        assert comp["first_divergence"]["index"] == 3 and comp["first_divergence"]["stage"] == "first step"
        assert "settings that differ: %s" % differs[0] in comp["message"]

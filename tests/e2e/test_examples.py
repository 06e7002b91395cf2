"""A user's migration from its own folder (examples/mlp), in the real envs: it passes, a perturbed weight and a
wrong name map are caught and named; and running a side imports nothing of the host-only kit."""

import json
import os
import shutil
import subprocess

import pytest

from shared import compare

from tests.e2e.conftest import REPO, in_order, kit

pytestmark = pytest.mark.e2e
MLP = os.path.join(REPO, "examples", "mlp")


@pytest.fixture(scope="module")
def mlp_run(pythons, tmp_path_factory):
    """Both sides of examples/mlp into one folder, in the order nox runs them (TF2 reads TF1's artifacts)."""
    root = str(tmp_path_factory.mktemp("mlp"))
    prep = kit(pythons["tf2"], "shared", "prepare", "--results", root, "--cases-from", MLP, "--cases", "mlp")
    assert prep.returncode == 0, prep.stdout
    in_order(pythons, [root], "--cases-from", MLP, "--cases", "mlp")
    return root


def test_the_example_passes_weights_predictions_loss_and_its_artifacts(mlp_run):
    summary = compare.summarize(mlp_run, ["mlp"], cases_from=[MLP])
    assert summary["passed"], compare.table(summary)
    kinds = sorted(set(c["kind"] for c in summary["comparisons"]))
    assert kinds == ["baseline", "checkpoint", "loss", "predictions", "rollback", "savedmodel", "strict"]
    # 3 checks x 2 Keras ports, every run against its committed baseline, then the artifacts (savedmodel: its
    # one signature and TFSMLayer)
    assert len(summary["comparisons"]) == 3 * 2 + 3 + 2 + 2 + 2
    restored = [c for c in summary["comparisons"] if c["kind"] == "checkpoint"]
    assert all(sorted(c["coverage"]["unused"]) == ["beta1_power", "beta2_power", "dense/bias/Adam", "dense/bias/Adam_1",
                                                   "dense/kernel/Adam", "dense/kernel/Adam_1", "dense_1/bias/Adam",
                                                   "dense_1/bias/Adam_1", "dense_1/kernel/Adam", "dense_1/kernel/Adam_1",
                                                   "dense_2/bias/Adam", "dense_2/bias/Adam_1", "dense_2/kernel/Adam",
                                                   "dense_2/kernel/Adam_1", "global_step"] for c in restored)
    run = json.load(open(os.path.join(mlp_run, "runs", "tf2", "mlp", "keras3.json")))
    assert run["shapes"]["hidden_0/kernel"] == [8, 16] and run["steps"] == 200
    assert run["settings"]["optimizer"]["epsilon"] == 1e-8 and set(run["stages"]) == {"start", "forward", "first_step"}


def _copy(tmp_path, root, patch_file, old, new):
    """The example folder with one edit, and a results folder holding the same data and the real TF1 run."""
    folder = str(tmp_path / "mlp")
    shutil.copytree(MLP, folder, ignore=shutil.ignore_patterns("__pycache__", "baselines"))
    path = os.path.join(folder, patch_file)
    with open(path) as handle:
        text = handle.read()
    assert old in text, "the example changed: %r is not in %s" % (old, patch_file)
    with open(path, "w") as handle:
        handle.write(text.replace(old, new))
    results = str(tmp_path / "results")
    shutil.copytree(os.path.join(root, "data"), os.path.join(results, "data"))
    shutil.copytree(os.path.join(root, "runs", "tf1"), os.path.join(results, "runs", "tf1"))
    return folder, results


def _compare_apart(results, folder):
    """``python -m shared compare`` in its own process: the copied folder declares a case named like the example's."""
    import sys

    proc = subprocess.run([sys.executable, "-m", "shared", "compare", "--results", results, "--cases-from", folder,
                           "--cases", "mlp", "--no-report"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode in (0, 1), proc.stdout
    with open(os.path.join(results, "summary.json")) as handle:
        return json.load(handle)


def test_one_perturbed_hidden_weight_fails_weights_and_predictions_naming_it(pythons, mlp_run, tmp_path):
    folder, results = _copy(tmp_path, mlp_run, "tf2_mlp.py", "    trained = Trained(snapshots[-1]",
                            "    bump = np.zeros((8, 16), np.float32)\n    bump[3, 7] = 1e-3\n"
                            "    model.get_layer('h0').kernel.assign_add(bump)\n    snapshots[-1] = read()\n"
                            "    trained = Trained(snapshots[-1]")
    out = kit(pythons["tf2"], "modern_tf2", "--results", results, "--cases-from", folder, "--cases", "mlp",
              "--impls", "keras3")
    assert out.returncode == 0, out.stdout
    summary = _compare_apart(results, folder)
    by_kind = dict((c["kind"], c) for c in summary["comparisons"] if c["right"] == "tf2/mlp/keras3")
    assert not summary["passed"]
    assert not by_kind["strict"]["passed"] and "hidden_0/kernel[3, 7] differs by" in by_kind["strict"]["message"]
    assert by_kind["strict"]["over"] == ["hidden_0/kernel[3, 7]"]
    assert not by_kind["predictions"]["passed"] and "prediction[" in by_kind["predictions"]["message"]


def test_a_wrong_name_map_is_a_coverage_error_naming_the_variable(pythons, mlp_run, tmp_path):
    folder, results = _copy(tmp_path, mlp_run, "cases.py", 'names("mlp/", "", ("h0", "h1", "out"))',
                            'names("mlp/", "", ("hidden", "h1", "out"))')
    out = kit(pythons["tf2"], "modern_tf2", "--results", results, "--cases-from", folder, "--cases", "mlp",
              "--impls", "keras3")
    assert out.returncode == 1
    run = json.load(open(os.path.join(results, "runs", "tf2", "mlp", "keras3.json")))
    message = run["error"]["message"]
    assert "the model's variables and the name map do not match" in message
    assert "unmapped variable(s): 'mlp/h0/bias', 'mlp/h0/kernel'" in message
    assert "mapped but not in the model: 'mlp/hidden/bias', 'mlp/hidden/kernel'" in message


@pytest.mark.parametrize("train_op, found", [
    ("tf.no_op()", "found: 0 optimizer step(s) of the plan's 200; every weight still equals its start; "
                   "the loss never moved"),
    ("opt.minimize(loss)", "found: 0 optimizer step(s) of the plan's 200\n"),
], ids=["no-op", "global-step-never-moves"])
def test_an_estimator_that_does_not_step_is_a_failure_saying_why(pythons, mlp_run, tmp_path, train_op, found):
    """The issue's TF 2.15 case on TF 1.15: an Estimator that runs its whole input while its global step stays 0."""
    folder, results = _copy(tmp_path, mlp_run, "tf1_mlp.py", "opt.minimize(loss, tf.train.get_global_step())",
                            train_op)
    out = kit(pythons["tf1"], "legacy_tf1", "--results", results, "--cases-from", folder, "--cases", "mlp")
    assert out.returncode == 1, out.stdout
    run = json.load(open(os.path.join(results, "runs", "tf1", "mlp", "estimator.json")))
    assert run["status"] == "error" and "tf1/mlp/estimator did not train" in run["error"]["message"]
    assert found in run["error"]["message"] + "\n", run["error"]["message"]


def test_a_wrong_tf1_name_map_fails_the_checkpoint_restore_naming_the_key(pythons, mlp_run, tmp_path):
    """The TF1 map names a layer the Estimator never had: TF2 trains, but restoring TF1's checkpoint by that map
    fails, naming the key and the closest real ones, and the comparison fails with it."""
    folder, results = _copy(tmp_path, mlp_run, "cases.py", 'names("", "", ("dense", "dense_1", "dense_2"))',
                            'names("", "", ("dense", "dense_9", "dense_2"))')
    shutil.copytree(os.path.join(mlp_run, "artifacts", "tf1"), os.path.join(results, "artifacts", "tf1"),
                    ignore=shutil.ignore_patterns("rollback"))
    out = kit(pythons["tf2"], "modern_tf2", "--results", results, "--cases-from", folder, "--cases", "mlp",
              "--impls", "keras3")
    assert out.returncode == 0, out.stdout
    assert "tf2/mlp/keras3 <- tf1/mlp/estimator: checkpoint FAILED" in out.stdout
    summary = _compare_apart(results, folder)
    failed = [c for c in summary["comparisons"] if c["kind"] == "failed" and c["right"] == "tf2/mlp/keras3"]
    assert not summary["passed"] and len(failed) == 1
    message = failed[0]["message"]
    assert "key 'dense_9/kernel' is not in the checkpoint (closest: " in message and "'dense_1/kernel'" in message
    assert "left over that the table neither restores nor declares unused: 'dense_1/bias', 'dense_1/kernel'" in message


def test_running_a_side_imports_no_host_only_code(pythons, tmp_path):
    """The boundary: a side imports shared.core and its own package only; no matplotlib and no scipy beyond what
    TensorFlow's own import brings (TF 1.15's keras_preprocessing imports scipy when it is installed)."""
    root = str(tmp_path / "r")
    prep = kit(pythons["tf1"], "shared", "prepare", "--results", root, "--cases", "linear")
    assert prep.returncode == 0, prep.stdout
    watched = "lambda m: (m.startswith('shared.') and not m.startswith('shared.core')) or m.split('.')[0] in " \
              "('matplotlib', 'scipy')"
    baseline = "import sys; import tensorflow; watched = %s; print('TF-ALONE:', ','.join(sorted(filter(watched, " \
               "sys.modules))) or 'none')" % watched
    probe = ("import atexit, runpy, sys\n"
             "watched = %s\n"
             "def report():\n"
             "    print('SIDE:', ','.join(sorted(filter(watched, sys.modules))) or 'none')\n"
             "atexit.register(report)\n"
             "sys.argv = ['PACKAGE', '--results', %r, '--cases', 'linear']\n"
             "runpy.run_module('PACKAGE', run_name='__main__')\n" % (watched, root))
    for side, package in (("tf1", "legacy_tf1"), ("tf2", "modern_tf2")):
        found = {}
        for label, code in (("TF-ALONE:", baseline), ("SIDE:", probe.replace("PACKAGE", package))):
            proc = subprocess.run([pythons[side], "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
            lines = [l for l in proc.stdout.splitlines() if l.startswith(label)]
            assert proc.returncode == 0 and lines, proc.stdout[-3000:]
            found[label] = set(lines[0].split(": ", 1)[1].split(",")) - {"none"}
        extra = found["SIDE:"] - found["TF-ALONE:"]
        assert not extra, "%s imported host-only modules: %s" % (side, ", ".join(sorted(extra)))
        assert not [m for m in found["SIDE:"] if m.startswith("shared.")], found["SIDE:"]

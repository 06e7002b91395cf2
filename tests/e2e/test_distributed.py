"""The distributed cases in the real envs: fewer devices than replicas is an error on both sides, a multi-worker run
killed mid-training (its launcher by SIGKILL or SIGTERM, or the side that started it) leaves no process behind, and
the canned DNN trains its SUM unscaled on two replicas, so a port that averages instead is red and says so.

The parity itself is ``nox -s distributed`` (CI runs it); these are the paths it does not exercise.
"""

import json
import os
import shutil
import signal
import time

import numpy as np
import pytest

from shared import compare
from shared.core import data, results
from shared.core.registry import get_case, use_folders

from tests.core.test_launcher import alive, gone
from tests.e2e.conftest import REPO, kit, start

pytestmark = pytest.mark.e2e
FOLDER = os.path.join(REPO, "examples", "distributed")
CASE = "pairshift_distributed"
DNN = "canned_dnn_distributed"


@pytest.fixture(scope="module")
def root(pythons, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("distributed"))
    prep = kit(pythons["tf2"], "shared", "prepare", "--results", path, "--cases-from", FOLDER, "--cases", CASE)
    assert prep.returncode == 0, prep.stdout
    return path


@pytest.mark.parametrize("side, package, impl", [("tf1", "legacy_tf1", "estimator_mirrored"),
                                                 ("tf2", "modern_tf2", "loop_mirrored")])
def test_two_replicas_asked_on_one_cpu_device_is_an_error_saying_so(pythons, root, side, package, impl):
    out = kit(pythons[side], package, "--results", root, "--cases-from", FOLDER, "--cases", CASE, "--impls", impl,
              "--cpu-devices", "1")
    assert out.returncode == 1, out.stdout
    run = results.read(results.result_path(root, side, CASE, impl))
    message = run["error"]["message"]
    assert run["status"] == "error" and run["error"]["type"] == "DeviceError", message
    assert "asked for 2 replicas" in message and "expected: 2 replicas on 2 distinct devices that exist" in message
    assert "not here: CPU:1" in message and "fix: run the side with --cpu-devices 2" in message


def _processes_naming(text):
    """Pids of running processes whose command line contains ``text`` (read from /proc)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and alive(int(pid)):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as handle:
                    if text.encode() in handle.read():
                        found.append(int(pid))
            except (IOError, OSError):
                pass
    return found


def _mid_run(folder, within=240.0):
    """The launcher's and both workers' pids once both workers have joined the cluster and started training."""
    end = time.time() + within
    while time.time() < end:
        try:
            with open(os.path.join(folder, "launch.json")) as handle:
                record = json.load(handle)
            logs = [open(os.path.join(folder, "worker%d.log" % i)).read() for i in range(2)]
            if all("strategy up" in log for log in logs):
                return record["launcher_pid"], [w["pid"] for w in record["workers"]]
        except (IOError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError("the workers did not come up in %s" % folder)


@pytest.mark.parametrize("target, how", [("launcher", signal.SIGKILL), ("launcher", signal.SIGTERM),
                                         ("side", signal.SIGKILL)])
def test_a_multiworker_run_killed_mid_training_leaves_no_process_behind(pythons, root, target, how):
    folder = os.path.join(root, "artifacts", "tf2", CASE, "loop_multiworker")
    shutil.rmtree(folder, ignore_errors=True)  # an earlier scenario's launch record is not this one's
    side = start(pythons["tf2"], "modern_tf2", "--results", root, "--cases-from", FOLDER, "--cases", CASE,
                 "--impls", "loop_multiworker")
    try:
        launcher_pid, workers = _mid_run(folder)
        time.sleep(2.0)  # into the training loop
        assert all(alive(p) for p in workers + [launcher_pid]), "everything runs before the kill"
        assert not os.path.exists(os.path.join(folder, "worker0.json")), "killed after training finished: not mid-run"
        os.kill(side.pid if target == "side" else launcher_pid, how)
        out = side.communicate(timeout=120)[0]
        assert gone(workers + [launcher_pid], within=20.0) == []
        assert _processes_naming(os.path.join(folder, "job.json")) == []
        if target == "side":
            assert side.returncode == -how
        else:  # the side outlives its launcher and records why the run did not finish
            assert side.returncode == 1, out
            run = results.read(results.result_path(root, "tf2", CASE, "loop_multiworker"))
            assert "did not finish" in run["error"]["message"]
            assert "launcher exit status %d" % (-how if how == signal.SIGKILL else 128 + how) in run["error"]["message"]
    finally:
        if side.poll() is None:
            side.kill()
            side.wait()
        for pid in _processes_naming(os.path.join(folder, "job.json")):  # never leave anything behind, even failing
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def dnn_tf1(pythons, tmp_path_factory):
    """canned_dnn_distributed's TF1 runs (1 and 2 replicas) in a folder of their own."""
    path = str(tmp_path_factory.mktemp("canned_dnn_distributed"))
    prep = kit(pythons["tf2"], "shared", "prepare", "--results", path, "--cases-from", FOLDER, "--cases", DNN)
    assert prep.returncode == 0, prep.stdout
    out = kit(pythons["tf1"], "legacy_tf1", "--results", path, "--cases-from", FOLDER, "--cases", DNN,
              "--cpu-devices", "2")
    assert out.returncode == 0, out.stdout[-3000:]
    return path


def test_the_canned_dnn_sums_its_loss_over_the_global_batch_on_two_replicas_from_the_shared_start(dnn_tf1):
    use_folders([FOLDER])
    init = data.load_init(dnn_tf1, get_case(DNN))
    for impl, devices in (("estimator", 1), ("estimator_mirrored", 2)):
        run = results.read(results.result_path(dnn_tf1, "tf1", DNN, impl))
        used = run["settings"]
        assert used["loss"]["reduction"] == "sum" and used["optimizer"]["name"] == "adagrad"
        # the replicas' losses add up to the global batch's SUM: the mean's 100 rows, not divided by the replica count
        assert used["distribute"]["loss_scale"] == used["distribute"]["global_batch"] == 100.0
        assert used["distribute"]["replicas"] == devices and len(run["extra"]["distribute"]["copy_devices"]) == devices
        start = run["stages"]["start"]
        assert all(np.array_equal(np.float32(start[n]), init[n]) for n in init), impl


@pytest.mark.parametrize("impl, differs", [
    ("keras3_mirrored", ["distribute.loss_scale", "loss.reduction"]),  # fit's loss scale is not measured (None)
    ("loop_mirrored", ["distribute.loss_scale", "loss.reduction"]),  # compute_average_loss: the global mean, scale 1
])
def test_a_mean_reduction_on_two_replicas_is_red_names_it_and_parts_at_the_first_step(
        pythons, dnn_tf1, tmp_path, impl, differs):
    root = str(tmp_path / "r")
    shutil.copytree(os.path.join(dnn_tf1, "data"), os.path.join(root, "data"))
    shutil.copytree(os.path.join(dnn_tf1, "runs", "tf1"), os.path.join(root, "runs", "tf1"))
    out = kit(pythons["tf2"], "modern_tf2", "--results", root, "--cases-from", FOLDER, "--cases", DNN, "--impls", impl,
              "--cpu-devices", "2", "--override", 'loss_reduction="mean"')
    assert out.returncode == 0, out.stdout[-3000:]
    summary = compare.summarize(root, [DNN], cases_from=[FOLDER])
    mine = dict((c["kind"], c) for c in summary["comparisons"] if c["right"] == "tf2/%s/%s" % (DNN, impl))
    for kind in ("strict", "predictions", "loss"):
        comp = mine[kind]
        assert not comp["passed"] and comp["max_abs_diff"] > 100 * comp["tolerance"], comp["message"]
        assert [d["setting"] for d in comp["settings_diff"]] == differs
        assert comp["settings_diff"][0]["left"] == 100.0 and comp["settings_diff"][0]["right"] == (
            1.0 if impl.startswith("loop") else None)
        assert comp["first_divergence"]["stage"] == "first step"

"""The distributed cases in the real envs: fewer devices than replicas is an error on both sides, and a multi-worker run
killed mid-training (its launcher by SIGKILL or SIGTERM, or the side that started it) leaves no process behind.

The parity itself is ``nox -s distributed`` (CI runs it); these are the failure paths it does not exercise.
"""

import json
import os
import shutil
import signal
import time

import pytest

from shared.core import results

from tests.core.test_launcher import alive, gone
from tests.e2e.conftest import REPO, kit, start

pytestmark = pytest.mark.e2e
FOLDER = os.path.join(REPO, "examples", "distributed")
CASE = "pairshift_distributed"


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

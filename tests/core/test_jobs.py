"""``--jobs``: one side's cases trained by several processes, its results the same as one process's.

The fake side (tests/core/fakeside) runs as its own process, as ``python -m legacy_tf1`` does; its
``$FAKESIDE_SIDE_IMPORT_S`` makes the side's own process start training later than its worker, so
a test knows which process takes the first case.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from shared.core import jobs, results

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join("tests", "core", "fakeside")


def _side(root, cases, *extra, **env):
    cmd = [sys.executable, "-m", "tests.core.fakeside", "tf1", "--results", root, "--cases-from", FOLDER,
           "--prepare", "--cases"] + list(cases) + list(extra)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=dict(os.environ, **env))


def _done(proc, timeout=120):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _env_record(root):
    with open(os.path.join(results.runs_dir(root), "tf1", "env.json")) as handle:
        return json.load(handle)


def _runs(root):
    """Every result of the tf1 side: run id -> (result without timings and fingerprint, the PID that trained it)."""
    out = {}
    for rel in _env_record(root)["results"]:
        with open(os.path.join(root, rel)) as handle:
            run = json.load(handle)
        pid = run["fingerprint"].get("pid")
        out[run["run_id"]] = (dict((k, v) for k, v in run.items() if k not in ("timings", "fingerprint")), pid)
    return out


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def test_jobs_arg_takes_counts_and_zero_and_refuses_the_rest():
    assert jobs.jobs_arg("3") == 3 and jobs.jobs_arg("0") == 0
    for bad in ("-1", "two", ""):
        with pytest.raises(argparse.ArgumentTypeError) as err:
            jobs.jobs_arg(bad)
        assert "expected a whole number >= 1" in str(err.value) and repr(bad) in str(err.value)


def test_tfkit_jobs_sets_the_default_and_a_bad_one_is_refused_naming_it(monkeypatch):
    monkeypatch.delenv("TFKIT_JOBS", raising=False)
    assert jobs.default_jobs() == 0
    monkeypatch.setenv("TFKIT_JOBS", "3")
    assert jobs.default_jobs() == 3
    monkeypatch.setenv("TFKIT_JOBS", "many")
    with pytest.raises(SystemExit) as err:
        jobs.default_jobs()
    assert "TFKIT_JOBS" in str(err.value) and "'many'" in str(err.value)


def test_the_automatic_choice_fits_the_cores_the_cases_and_the_device():
    assert jobs.choose(0, 6, threads=1, device="cpu", cpu_devices=1, cores=2) == 2
    assert jobs.choose(0, 6, threads=2, device="cpu", cpu_devices=1, cores=8) == 4
    assert jobs.choose(0, 6, threads=1, device="cpu", cpu_devices=1, cores=64) == jobs.MAX_AUTO_JOBS
    assert jobs.choose(0, 3, threads=1, device="cpu", cpu_devices=1, cores=64) == 3  # one per case at most
    assert jobs.choose(0, 6, threads=1, device="cpu", cpu_devices=1, cores=1) == 1
    assert jobs.choose(0, 6, threads=0, device="cpu", cpu_devices=1, cores=8) == 1  # threads 0 takes every core
    assert jobs.choose(0, 6, threads=1, device="cuda", cpu_devices=1, cores=8) == 1
    assert jobs.choose(0, 6, threads=1, device="cpu", cpu_devices=2, cores=8) == 1
    assert jobs.choose(3, 6, threads=1, device="cuda", cpu_devices=1, cores=1) == 3  # asked for: as asked
    assert jobs.choose(5, 2, threads=1, device="cpu", cpu_devices=1, cores=8) == 2
    assert jobs.choose(4, 1, threads=1, device="cpu", cpu_devices=1, cores=8) == 1


def test_cases_are_taken_longest_first_and_unmeasured_ones_before_them():
    cost = {"a": 1.0, "b": 5.0, "c": None, "d": 5.0, "e": 0.5}
    assert jobs.by_cost(cost.get, ["a", "b", "c", "d", "e"]) == ["c", "b", "d", "a", "e"]


def test_a_case_is_taken_once_and_its_record_read_back(tmp_path):
    claims = jobs.Claims.create(["x", "y"], str(tmp_path))
    assert claims.plan()["order"] == ["x", "y"] and claims.plan()["parent"] == os.getpid()
    assert claims.take("x") and not claims.take("x")
    assert claims.owner("x") == os.getpid() and claims.owner("y") is None
    assert claims.record("x") is None
    claims.done("x", ["runs/tf1/x/good.json"], [])
    assert claims.record("x")["written"] == ["runs/tf1/x/good.json"]
    claims.remove()
    assert not os.path.exists(claims.folder)


def test_two_processes_train_the_cases_and_write_what_one_process_writes(tmp_path):
    cases = ["fakeline", "fakenap1", "fakenap2"]
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    code, out = _done(_side(one, cases, "--jobs", "1", FAKESIDE_NAP_S="1.5"))
    assert code == 0, out
    code, out = _done(_side(two, cases, "--jobs", "2", FAKESIDE_NAP_S="1.5", FAKESIDE_SIDE_IMPORT_S="1"))
    assert code == 0, out
    assert "2 processes train the 3 cases (--jobs 2)" in out and "worker" in out
    record = _env_record(two)
    assert record["jobs"]["processes"] == 2 and [w["exit"] for w in record["jobs"]["workers"]] == [0]
    assert record["results"] == _env_record(one)["results"], "the side lists its results in registry order"
    assert record["failures"] == []
    runs_one, runs_two = _runs(one), _runs(two)
    assert dict((k, v[0]) for k, v in runs_two.items()) == dict((k, v[0]) for k, v in runs_one.items())
    assert len(set(pid for _, pid in runs_two.values())) == 2, "both processes trained a case (each naps 1.5 s)"
    assert not os.path.exists(os.path.join(results.runs_dir(two), "tf1", jobs.CLAIMS_DIR))
    assert sorted(os.listdir(results.runs_dir(two))) == ["tf1"], "no staging folder left"


def test_a_worker_that_dies_leaves_failed_results_naming_it_and_the_other_cases_train(tmp_path):
    root = str(tmp_path / "r")
    code, out = _done(_side(root, ["fakedie", "fakeline", "fakenap1"], "--jobs", "2", FAKESIDE_SIDE_IMPORT_S="2"))
    assert code == 1, out
    record = _env_record(root)
    assert record["failures"] == ["tf1/fakedie/die"]
    assert [w["exit"] for w in record["jobs"]["workers"]] == [7]
    died = results.read(results.result_path(root, "tf1", "fakedie", "die"))
    assert died["status"] == "error" and died["error"]["type"] == "WorkerDied"
    assert "exit code 7" in died["error"]["message"] and "--jobs 1" in died["error"]["message"]
    assert results.read(results.result_path(root, "tf1", "fakedie", "good"))["status"] == "ok"  # written before it died
    for case, impl in (("fakeline", "good"), ("fakenap1", "good"), ("fakenap1", "nap")):
        assert results.read(results.result_path(root, "tf1", case, impl))["status"] == "ok"
    assert "ended (exit code 7) before it finished" in out


def test_killing_the_side_kills_its_workers_and_the_next_run_recovers(tmp_path):
    root, started = str(tmp_path / "r"), str(tmp_path / "started")
    proc = _side(root, ["fakeslow", "fakeline"], "--jobs", "2", FAKESIDE_SIDE_IMPORT_S="2", FAKESIDE_STARTED=started)
    deadline = time.time() + 60
    while not os.path.exists(started) or not open(started).read().strip():
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.05)
    with open(started) as handle:
        worker = int(handle.read())
    assert worker != proc.pid and _alive(worker), "the worker trains the minute-long case"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.time() + 10
    while _alive(worker) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the side it worked for"
    assert not os.path.exists(os.path.join(results.runs_dir(root), "tf1")), "a killed first run leaves no side"
    code, out = _done(_side(root, ["fakeline"], "--jobs", "2"))
    assert code == 0, out
    assert sorted(os.listdir(results.runs_dir(root))) == ["tf1"], "the next run clears the dead run's staging folder"

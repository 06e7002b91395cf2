"""The multi-worker launcher with stand-in workers (no TensorFlow): loopback ports and TF_CONFIGs, and no worker left
behind when the launcher is killed (SIGKILL, SIGTERM), its starter goes away, a worker crashes or time runs out."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from shared.core import launcher

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A worker that, like TF 2's, ignores SIGTERM; "hang" waits forever, "crash" makes worker 1 exit 3.
WORKER = """
import json, os, signal, sys, time
from shared.core import launcher
launcher.watch_launcher()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
print("up", flush=True)
if sys.argv[1] == "crash" and task == 1:
    sys.exit(3)
if sys.argv[1] in ("hang", "crash"):
    time.sleep(600)
with open(launcher.worker_result(task), "w") as out:
    json.dump({"tf_config": json.loads(os.environ["TF_CONFIG"]), "ppid": os.getppid()}, out)
launcher.peers_done(task, 2)
"""


def alive(pid):
    """True while ``pid`` runs (a zombie, dead and waiting to be reaped, counts as gone); read from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (IOError, OSError):
        return False
    return state != "Z"


def gone(pids, within=10.0):
    """Wait until none of ``pids`` runs; the ones still running after ``within`` seconds."""
    end = time.time() + within
    while time.time() < end and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


@pytest.fixture
def worker(tmp_path):
    path = str(tmp_path / "worker.py")
    with open(path, "w") as handle:
        handle.write(WORKER)
    return path


def start(folder, mode, worker, *options):
    cmd = [sys.executable, "-m", "shared.core.launcher", "--dir", folder] + list(options) + ["--", sys.executable,
                                                                                            worker, mode]
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def workers_up(folder, n=2, within=20.0):
    """The workers' pids once both have printed that they are up."""
    end = time.time() + within
    while time.time() < end:
        try:
            with open(os.path.join(folder, "launch.json")) as handle:
                pids = [w["pid"] for w in json.load(handle)["workers"]]
            logs = [open(os.path.join(folder, "worker%d.log" % i)).read() for i in range(n)]
            if len(pids) == n and all("up" in log for log in logs):
                return pids
        except (IOError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError("the workers did not come up in %s" % folder)


def test_each_worker_gets_its_own_task_on_distinct_loopback_ports(tmp_path, worker, monkeypatch):
    folder = str(tmp_path / "run")
    proc = start(folder, "ok", worker, "--timeout", "60")
    assert proc.wait(timeout=60) == 0, proc.stdout.read()
    configs = [json.load(open(launcher.worker_result(i, folder)))["tf_config"] for i in range(2)]
    assert [c["task"] for c in configs] == [{"type": "worker", "index": 0}, {"type": "worker", "index": 1}]
    hosts = configs[0]["cluster"]["worker"]
    assert configs[1]["cluster"]["worker"] == hosts and len(set(hosts)) == 2
    assert all(h.startswith("127.0.0.1:") for h in hosts)
    record = json.load(open(os.path.join(folder, "launch.json")))
    assert record["outcome"] == "done" and record["exit_codes"] == [0, 0]
    assert ["127.0.0.1:%d" % p for p in record["ports"]] == hosts
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("PYTHONPATH", REPO)
    here = launcher.Launch([sys.executable, worker, "ok"], 2, str(tmp_path / "in-process"))  # in this process
    here.start()
    try:
        assert here.wait(60) == "done"
    finally:
        here.stop()
    tasks = [json.load(open(launcher.worker_result(i, here.folder)))["tf_config"]["task"]["index"] for i in range(2)]
    assert tasks == [0, 1]
    assert "TF_CONFIG" not in os.environ  # only the workers' environments get one


def test_free_ports_are_distinct():
    ports = launcher.free_ports(4)
    assert len(set(ports)) == 4 and all(0 < p < 65536 for p in ports)


@pytest.mark.parametrize("how, code", [("sigkill", -signal.SIGKILL), ("sigterm", 128 + signal.SIGTERM),
                                       ("starter gone", 128 + signal.SIGHUP)])
def test_killing_the_launcher_leaves_no_worker(tmp_path, worker, how, code):
    """SIGKILL: the kernel kills the workers (PR_SET_PDEATHSIG). SIGTERM: the launcher stops them, SIGKILL after the
    grace period since they ignore SIGTERM. Its starter gone (stdin EOF, --watch-stdin): the same stop."""
    folder = str(tmp_path / "run")
    proc = start(folder, "hang", worker, "--timeout", "120", "--watch-stdin")
    pids = workers_up(folder)
    if how == "sigkill":
        proc.kill()
    elif how == "sigterm":
        proc.terminate()
    else:
        proc.stdin.close()
    assert proc.wait(timeout=30) == code
    assert gone(pids) == []


def test_a_crashing_worker_stops_the_others(tmp_path, worker):
    folder = str(tmp_path / "run")
    proc = start(folder, "crash", worker, "--timeout", "120")
    assert proc.wait(timeout=60) == 1
    record = json.load(open(os.path.join(folder, "launch.json")))
    assert record["outcome"] == "failed" and record["exit_codes"][1] == 3
    assert gone([w["pid"] for w in record["workers"]]) == []


def test_the_timeout_stops_workers_that_ignore_sigterm(tmp_path, worker):
    folder = str(tmp_path / "run")
    t0 = time.time()
    proc = start(folder, "hang", worker, "--timeout", "3", "--grace", "0.5")
    assert proc.wait(timeout=60) == 124
    record = json.load(open(os.path.join(folder, "launch.json")))
    assert record["outcome"] == "timeout" and record["exit_codes"] == [-signal.SIGKILL] * 2
    assert gone([w["pid"] for w in record["workers"]]) == [] and time.time() - t0 < 30


def test_a_worker_whose_launcher_is_gone_exits():
    """The second guard: started by another process than the one named as its launcher, a worker leaves at once."""
    code = "from shared.core import launcher; launcher.watch_launcher(); import time; time.sleep(30)"
    env = dict(os.environ, PYTHONPATH=REPO, **{launcher.PID_ENV: "1"})
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, timeout=30)
    assert out.returncode == launcher.LAUNCHER_GONE


def test_no_command_is_refused():
    out = subprocess.run([sys.executable, "-m", "shared.core.launcher", "--dir", "x"], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
    assert out.returncode == 2 and "give the worker's command after --" in out.stdout

"""One writer per results folder: a second run waits naming the holder, or fails at once with --no-wait."""

import os
import signal
import subprocess
import sys
import time

import pytest

from shared.core import results, writelock
from shared.core.errors import BusyError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join("tests", "core", "fakeside")
HOLDER = """
import sys
from shared.core import writelock
with writelock.hold(sys.argv[1], command="holder for the test"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _holder(root):
    """A process that holds ``root``'s lock until a line arrives on its stdin."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, root], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, universal_newlines=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _side(root, *extra, **popen):
    cmd = [sys.executable, "-m", "tests.core.fakeside", "tf1", "--results", root, "--cases-from", FOLDER,
           "--cases", "fakeline"] + list(extra)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            **popen)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKIT_BASELINE", str(tmp_path / "no-baselines"))
    root = str(tmp_path / "results")
    first = _side(root, "--prepare")
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out
    return root


def test_no_wait_fails_at_once_naming_the_holder(folder):
    holder = _holder(folder)
    try:
        started = time.perf_counter()
        side = _side(folder, "--no-wait")
        out, _ = side.communicate(timeout=60)
        took = time.perf_counter() - started
    finally:
        holder.communicate("done\n", timeout=30)
    assert side.returncode == 2, out
    assert "is being written by another run" in out and "pid %d (holder for the test) since " % holder.pid in out
    assert "run again without --no-wait to wait" in out
    assert took < 30, "--no-wait must not wait (%.1f s)" % took


def test_a_second_writer_waits_for_the_holder_then_runs(folder):
    holder = _holder(folder)
    side = _side(folder)
    lines = []
    try:
        for line in side.stdout:
            lines.append(line)
            if "waiting for the results folder" in line:
                break
        time.sleep(0.5)
        assert side.poll() is None, "the second run went on while the first held the folder"
    finally:
        holder.communicate("done\n", timeout=30)
    rest, _ = side.communicate(timeout=120)
    out = "".join(lines) + rest
    assert side.returncode == 0, out
    assert "held by pid %d (holder for the test)" % holder.pid in out and "got the results folder" in out


def test_the_lock_goes_with_a_killed_holder(folder):
    holder = _holder(folder)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    side = _side(folder, "--no-wait")
    out, _ = side.communicate(timeout=120)
    assert side.returncode == 0, out


def test_the_lock_file_names_its_holder_while_held_and_nobody_after(tmp_path):
    root = str(tmp_path)
    with writelock.hold(root, command="python -m legacy_tf1 --results x") as path:
        record = writelock.read_holder(path)
        assert record["pid"] == os.getpid() and record["command"] == "python -m legacy_tf1 --results x"
        assert "since" in record and writelock.held(root)
        with writelock.hold(root):  # nested entry points of one process take it again
            assert writelock.held(root)
        assert writelock.held(root)
    assert not writelock.held(root) and writelock.read_holder(path) is None


def test_busy_error_says_what_to_do(tmp_path):
    holder = _holder(str(tmp_path))
    try:
        with pytest.raises(BusyError) as err:
            with writelock.hold(str(tmp_path), wait=False):
                pass
    finally:
        holder.communicate("done\n", timeout=30)
    assert "held by pid %d" % holder.pid in str(err.value)


def test_env_json_records_what_the_lock_and_staging_cost(folder):
    from shared.core import staging

    record = staging.read_env(os.path.join(results.runs_dir(folder), "tf1", "env.json"))
    writer = record["writer"]
    assert 0.0 <= writer["lock_wait_s"] < 5.0 and 0.0 <= writer["stage_open_s"] < 5.0

"""Atomic writes: a reader sees the old file or the whole new one, even if the writer is killed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from shared.core import atomic, results


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "r.json")
    atomic.write_json(path, {"v": 1})

    class Boom(object):
        pass

    with pytest.raises(TypeError):
        atomic.write_json(path, {"v": Boom()})
    with open(path) as handle:
        assert json.load(handle) == {"v": 1}
    assert os.listdir(str(tmp_path)) == ["r.json"]


def test_nan_is_refused_not_written(tmp_path):
    with pytest.raises(ValueError):
        atomic.write_json(str(tmp_path / "r.json"), {"v": float("nan")})
    assert not os.path.exists(str(tmp_path / "r.json"))


WRITER = """
import sys
from shared.core import atomic
path = sys.argv[1]
big = {"coefficients": dict(("item%06d" % i, i * 0.5) for i in range(200000))}
print("ready", flush=True)
while True:
    atomic.write_json(path, big)
"""


def test_killed_writer_never_leaves_a_partial_result(tmp_path):
    path = str(tmp_path / "result.json")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path], stdout=subprocess.PIPE, cwd=os.getcwd())
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    if os.path.exists(path):
        with open(path) as handle:
            assert len(json.load(handle)["coefficients"]) == 200000
    leftovers = [f for f in os.listdir(str(tmp_path)) if f != "result.json"]
    assert all(f.startswith(".result.json.") and f.endswith(".tmp") for f in leftovers), leftovers


def test_incomplete_result_is_refused(tmp_path):
    path = str(tmp_path / "x.json")
    atomic.write_json(path, {"schema": 1, "run_id": "tf1/linear/session"})
    with pytest.raises(Exception) as err:
        results.read(path)
    assert "incomplete" in str(err.value) and "coefficients" in str(err.value)


def test_written_files_follow_the_umask_not_mkstemps_0600(tmp_path):
    path = str(tmp_path / "r.json")
    old = os.umask(0o022)
    try:
        atomic.write_json(path, {"v": 1})
    finally:
        os.umask(old)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)

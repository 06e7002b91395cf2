"""Lock files: every committed lock matches its .in; an edited .in makes the lock refused."""

import os
import shutil

import pytest

from shared.envtools import locks
from shared.core.errors import EnvError


@pytest.mark.parametrize("name", list(locks.LOCKS))
def test_committed_locks_are_current_and_hash_pinned(name):
    path = locks.check(name)
    with open(path) as handle:
        text = handle.read()
    assert "--hash=sha256:" in text
    assert "==" in text


def test_edited_input_makes_the_lock_stale(tmp_path):
    shutil.copytree("envs", str(tmp_path / "envs"))
    root = str(tmp_path)
    assert locks.check("tf2", root)
    with open(os.path.join(root, "envs", "tf2.in"), "a") as handle:
        handle.write("scipy\n")
    with pytest.raises(EnvError) as err:
        locks.check("tf2", root)
    assert "out of date" in str(err.value) and "nox -s lock" in str(err.value)


def test_included_file_counts_for_staleness(tmp_path):
    shutil.copytree("envs", str(tmp_path / "envs"))
    with open(str(tmp_path / "envs" / "report.in"), "a") as handle:
        handle.write("# changed\n")
    with pytest.raises(EnvError):
        locks.check("tests", str(tmp_path))


def test_missing_lock_and_unknown_env(tmp_path):
    shutil.copytree("envs", str(tmp_path / "envs"))
    os.remove(str(tmp_path / "envs" / "tf1.txt"))
    with pytest.raises(EnvError, match="missing"):
        locks.check("tf1", str(tmp_path))
    with pytest.raises(EnvError, match="unknown environment"):
        locks.check("tf9")


FAKE_UV = """#!/bin/sh
echo "start $$" >> "$FAKE_UV_LOG"
sleep 3
echo "end $$" >> "$FAKE_UV_LOG"
"""


def test_two_sessions_never_sync_one_venv_at_once(tmp_path):
    """Two concurrent 'locks sync' of one venv: uv runs once, the other waits and finds the venv synced."""
    import subprocess
    import sys

    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    uv = bin_dir / "uv"
    uv.write_text(FAKE_UV)
    uv.chmod(0o755)
    log = tmp_path / "uv.log"
    env = dict(os.environ, PATH=str(bin_dir) + os.pathsep + os.environ["PATH"], FAKE_UV_LOG=str(log))
    cmd = [sys.executable, "-m", "shared.envtools.locks", "sync", "tests", "--venv", str(tmp_path / "venv")]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(out.strip().endswith(os.path.join("envs", "tests.txt")) for out, _ in outs)
    calls = log.read_text().split()
    assert calls[::2] == ["start", "end"], "uv ran %d times: %s" % (len(calls) // 2, calls)
    assert any("waiting for the venv %s: held by pid" % (tmp_path / "venv") in err for _, err in outs), outs

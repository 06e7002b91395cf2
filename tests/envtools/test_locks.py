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

"""Running the catalogue: entries picked by id, and side envs that are missing or stale refused with the fix."""

import os

import pytest

from shared.core.errors import EnvError, RegistryError
from shared.envtools import venv_stamp
from shared.pitfalls import run

from tests.pitfalls.fakes import entry


def test_entries_are_picked_by_id_and_an_unknown_id_lists_the_known_ones():
    all_ = [entry("01a"), entry("04b"), entry("12")]
    assert [e.id for e in run.select(all_, None)] == ["01a", "04b", "12"]
    assert [e.id for e in run.select(all_, ["12", "01a"])] == ["01a", "12"]
    with pytest.raises(RegistryError) as err:
        run.select(all_, ["13"])
    assert "unknown catalogue entry 13" in str(err.value) and "01a, 04b, 12" in str(err.value)


def test_a_side_env_that_is_not_built_says_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKIT_TF1_PYTHON", str(tmp_path / "nope" / "bin" / "python"))
    with pytest.raises(EnvError) as err:
        run.side_python("tf1")
    assert "the tf1 env is not built" in str(err.value) and "nox -s tf1 tf2" in str(err.value)


def test_a_side_env_synced_from_another_lock_is_refused(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "lib" / "python3.7" / "site-packages").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("")
    other = tmp_path / "other.txt"
    other.write_text("numpy==1.0\n")
    venv_stamp.mark(str(other), str(venv))
    monkeypatch.setenv("TFKIT_TF1_PYTHON", str(python))
    with pytest.raises(EnvError) as err:
        run.side_python("tf1")
    assert "is not synced to" in str(err.value) and "nox -s tf1 tf2" in str(err.value)
    venv_stamp.mark(os.path.join(run.REPO, "envs", "tf1.txt"), str(venv))
    assert run.side_python("tf1") == str(python)


def test_paths_inside_the_working_folder_are_shown_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    assert run.shown(str(tmp_path / "results" / "pitfalls-run" / "summary.json")) == os.path.join(
        "results", "pitfalls-run", "summary.json")
    assert run.shown("/elsewhere/summary.json") == "/elsewhere/summary.json"

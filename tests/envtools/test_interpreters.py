"""Finding Python 3.7: a failing pyenv shim is skipped, a shim is tried after pyenv's versions folder;
nothing found gives a message with every fix."""

import stat

import pytest

from shared.envtools import interpreters
from shared.core.errors import EnvError


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """No PATH interpreters, no pyenv, no uv: only what a test puts there."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "nopyenv"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(interpreters.ENV_VAR, raising=False)
    return bin_dir


def test_failing_shim_is_not_taken(bare):
    _script(bare / "python3.7", 'echo "pyenv: python3.7: command not found" >&2; exit 127')
    assert interpreters.find("3.7") is None


def test_pyenv_versions_folder_is_searched(bare, tmp_path):
    folder = tmp_path / "nopyenv" / "versions" / "3.7.16" / "bin"
    folder.mkdir(parents=True)
    path = _script(folder / "python3.7", "echo 3.7")
    assert interpreters.find("3.7") == path


def test_explicit_setting_wins_and_a_broken_one_is_an_error(bare, tmp_path, monkeypatch):
    good = _script(tmp_path / "py", "echo 3.7")
    monkeypatch.setenv(interpreters.ENV_VAR, good)
    assert interpreters.find("3.7") == good
    monkeypatch.setenv(interpreters.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(EnvError, match="does not run as Python 3.7"):
        interpreters.find("3.7")


def test_nothing_found_message_names_every_fix(bare):
    message = str(interpreters.missing("3.7"))
    for fix in ("pyenv install 3.7.16", interpreters.ENV_VAR, "expected:", "found:"):
        assert fix in message


def test_cli_exit_codes(bare, capsys):
    assert interpreters.main(["3.7"]) == 2
    assert "no working Python 3.7" in capsys.readouterr().err


def test_a_pyenv_shim_is_tried_after_the_versions_folder(bare, tmp_path, monkeypatch):
    shims = tmp_path / "nopyenv" / "shims"
    shims.mkdir(parents=True)
    marker = tmp_path / "shim-ran"
    shim = _script(shims / "python3.7", 'touch "%s"; exec pyenv exec python3.7 "$@"' % marker)
    assert interpreters.is_pyenv_shim(shim) and not interpreters.is_pyenv_shim(_script(bare / "other", "echo 3.7"))
    monkeypatch.setenv("PATH", "%s:%s" % (shims, bare))
    folder = tmp_path / "nopyenv" / "versions" / "3.7.16" / "bin"
    folder.mkdir(parents=True)
    path = _script(folder / "python3.7", "echo 3.7")
    assert interpreters.find("3.7") == path and not marker.exists()
    assert interpreters.candidates("3.7")[-1] == shim


def test_a_working_shim_is_still_found_when_the_folder_has_nothing(bare, tmp_path, monkeypatch):
    shims = tmp_path / "nopyenv" / "shims"
    shims.mkdir(parents=True)
    shim = _script(shims / "python3.7", "# pyenv shim\necho 3.7")
    monkeypatch.setenv("PATH", "%s:%s" % (shims, bare))
    assert interpreters.find("3.7") == shim

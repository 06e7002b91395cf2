"""The noxfile: thin, every session described, and a clear stop when Python 3.7 is missing."""

import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSIONS = ("tf1", "tf2", "rollback", "compare", "pitfalls", "baseline", "tests", "tests-py37", "images", "tf1-image",
            "tf2-image", "containers", "bench", "distributed", "lock")


def _nox(*args, **kw):
    return subprocess.run([sys.executable, "-m", "nox", "-f", os.path.join(REPO, "noxfile.py")] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kw)


def test_every_session_is_listed_with_a_one_line_description():
    pytest.importorskip("nox")
    out = _nox("-l")
    assert out.returncode == 0, out.stdout
    listed = dict(line[2:].split(" -> ", 1) for line in out.stdout.splitlines() if " -> " in line)
    for name in SESSIONS:
        assert listed.get(name, "").strip(), "session %s has no description in nox -l" % name


def test_noxfile_stays_thin():
    """Sessions only: each a docstring and a few calls into the packages; no sys.path, no loops or branches of logic."""
    import ast

    with open(os.path.join(REPO, "noxfile.py")) as handle:
        source = handle.read()
    assert "sys.path" not in source
    assert len(source.splitlines()) < 60 + 10 * len(SESSIONS), "a short head (imports, env lookup) and ~10 lines a session"
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno < 12, "%s is %d lines: move its logic into a package" % (
                node.name, node.end_lineno - node.lineno + 1)
            assert not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(node)), "%s loops" % node.name


def test_the_catalogue_is_its_own_session_outside_the_main_job():
    """nox -s tf1 tf2 stays fast: the pitfalls catalogue runs only when asked for (nox -s pitfalls)."""
    pytest.importorskip("nox")
    out = _nox("-l")
    assert out.returncode == 0, out.stdout
    defaults = [line[2:].split(" -> ")[0] for line in out.stdout.splitlines() if line.startswith("* ")]
    assert defaults == ["tf1", "tf2"] and "- pitfalls -> " in out.stdout


def test_missing_python37_stops_tf1_with_the_fixes(tmp_path):
    pytest.importorskip("nox")
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    path = os.pathsep.join([os.path.dirname(sys.executable), os.path.dirname(uv), "/usr/bin", "/bin"])
    env = dict(os.environ, PATH=path,
               PYENV_ROOT=str(tmp_path / "nopyenv"), HOME=str(tmp_path))
    env.pop("TFKIT_PYTHON37", None)
    out = _nox("-s", "tf1", "--envdir", str(tmp_path / "nox"), env=env, cwd=REPO)
    assert out.returncode != 0
    assert "no working Python 3.7 found" in out.stdout and "pyenv install 3.7.16" in out.stdout

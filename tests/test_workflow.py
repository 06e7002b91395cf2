"""The CI workflow: GitHub's schema and zizmor (both offline), the jobs' contract, and proof the linters can fail."""

import ast
import glob
import os
import re
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Optional

import pytest
from ruamel.yaml import YAML

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKFLOWS = sorted(glob.glob(os.path.join(ROOT, ".github", "workflows", "*.yml")))
MAIN = os.path.join(ROOT, ".github", "workflows", "tfkit.yml")
ZIZMOR_PIN = "zizmor==1.32.0"
PINNED = re.compile(r"^\s*-?\s*uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+# (v\d+\.\d+\.\d+)\s*$")

BROKEN_SCHEMA = """\
name: broken
on: push
jobs:
  build:
    runs-on: ubuntu-22.04
    steps:
      run: echo "steps must be a list"
"""

INJECTABLE = """\
name: injectable
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def tool(name: str) -> Optional[str]:
    """A linter's executable: beside this interpreter (the test venv), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def lint(argv: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, cwd=ROOT,
                          timeout=300)


def check_jsonschema() -> str:
    exe = tool("check-jsonschema")
    if exe is None:
        pytest.fail("check-jsonschema is missing: it is pinned in envs/tests.txt (run 'nox -s tests')")
    return exe


def zizmor() -> str:
    exe = tool("zizmor")
    if exe is None:
        pytest.skip("zizmor is not installed: add %s to envs/tests.in and run 'nox -s lock'" % ZIZMOR_PIN)
    return exe


def load(path: str) -> Dict[str, Any]:
    with open(path) as handle:
        return YAML(typ="safe").load(handle)


def steps(job: Dict[str, Any]) -> List[Dict[str, Any]]:
    return list(job.get("steps") or [])


def runs(job: Dict[str, Any]) -> List[str]:
    return [s["run"] for s in steps(job) if "run" in s]


def uses(job: Dict[str, Any], action: str) -> List[Dict[str, Any]]:
    return [s for s in steps(job) if str(s.get("uses", "")).split("@")[0] == action]


@pytest.fixture(scope="module")
def workflow() -> Dict[str, Any]:
    return load(MAIN)


# ---------------------------------------------------------------- real linters, offline


def test_there_is_a_workflow():
    assert MAIN in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=os.path.basename)
def test_workflow_fits_githubs_schema(path):
    out = lint([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", path])
    assert out.returncode == 0, out.stdout


def test_schema_linter_fails_on_a_broken_workflow(tmp_path):
    bad = tmp_path / "broken.yml"
    bad.write_text(BROKEN_SCHEMA)
    out = lint([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(bad)])
    assert out.returncode != 0 and "steps" in out.stdout, out.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=os.path.basename)
def test_workflow_is_zizmor_clean(path):
    out = lint([zizmor(), "--offline", "--persona", "auditor", path])
    assert out.returncode == 0, out.stdout


def test_zizmor_fails_on_injection_and_unpinned_actions(tmp_path):
    exe = zizmor()
    bad = tmp_path / ".github" / "workflows" / "injectable.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(INJECTABLE)
    out = lint([exe, "--offline", str(bad)])
    assert out.returncode != 0, out.stdout
    assert "template-injection" in out.stdout and "unpinned-uses" in out.stdout, out.stdout


# ---------------------------------------------------------------- the contract of the jobs


def test_least_privilege_and_no_expressions_in_scripts(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert "permissions" not in job or job["permissions"] == {"contents": "read"}, name
        for script in runs(job):
            assert "${{" not in script, "%s: pass values through env:, not ${{ }} in run: %r" % (name, script)
        for step in uses(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, name


@pytest.mark.parametrize("path", WORKFLOWS, ids=os.path.basename)
def test_actions_pinned_to_a_commit_with_its_full_version_tag(path):
    with open(path) as handle:
        lines = [line for line in handle if re.match(r"^\s*-?\s*uses:", line)]
    assert lines
    pins = {}  # type: Dict[str, set]
    for line in lines:
        m = PINNED.match(line)
        assert m, "pin by commit with the full version tag as comment (uses: owner/action@<sha>  # vX.Y.Z): " + line
        pins.setdefault(m.group(1), set()).add((m.group(2), m.group(3)))
    for action, versions in pins.items():
        assert len(versions) == 1, "%s is pinned to several versions: %s" % (action, sorted(versions))


def test_cpu_job_runs_tests_and_both_sides(workflow):
    job = workflow["jobs"]["cpu"]
    assert job["runs-on"] == "ubuntu-22.04"  # setup-python has no CPython 3.7 for ubuntu-24.04
    (setup,) = uses(job, "actions/setup-python")
    assert str(setup["with"]["python-version"]).split() == ["3.7", "3.11"]
    scripts = runs(job)
    assert "python -m pip install nox uv" in scripts
    assert "nox -s tf1 tf2 tests" in scripts  # envs first, so the end-to-end tests run on them
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["with"]["path"].rstrip("/") == "results" and "!cancelled()" in upload["if"]


def test_cuda_matrix_on_a_dispatch_chosen_gpu_runner(workflow):
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    label = inputs["gpu-runner"]
    assert label["type"] == "string" and label["default"] == "gpu-t4" and "T4" in label["description"]
    job = workflow["jobs"]["cuda"]
    assert job["runs-on"] == "${{ inputs.gpu-runner }}"
    assert "workflow_dispatch" in job["if"] and job["needs"] == "cpu"
    flavours = job["strategy"]["matrix"]["flavour"]
    assert sorted(flavours) == ["tf1-cuda", "tf2-cuda"]
    for flavour in flavours:
        assert os.path.exists(os.path.join(ROOT, "envs", flavour + ".Dockerfile")), flavour
    assert job["env"]["FLAVOUR"] == "${{ matrix.flavour }}"
    scripts = runs(job)
    assert 'docker build -f "envs/${FLAVOUR}.Dockerfile" -t "tfkit/${FLAVOUR}" .' in scripts
    assert 'docker run --rm --gpus all -v "$PWD/results:/kit/results" "tfkit/${FLAVOUR}"' in scripts
    assert "nox -s compare" in scripts
    (download,) = uses(job, "actions/download-artifact")
    assert download["with"]["name"] == workflow["jobs"]["cpu"]["steps"][-1]["with"]["name"]  # the same data bytes
    (upload,) = uses(job, "actions/upload-artifact")
    assert upload["with"]["name"] == "tfkit-results-${{ matrix.flavour }}"


def nox_sessions() -> List[str]:
    """Session names the noxfile declares (read, not imported: nox need not be installed here)."""
    with open(os.path.join(ROOT, "noxfile.py")) as handle:
        tree = ast.parse(handle.read())
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "session":
                    given = [k.value.value for k in dec.keywords if k.arg == "name"]
                    names.append(given[0] if given else node.name)
    return names


def test_workflow_calls_only_sessions_the_noxfile_has(workflow):
    known = set(nox_sessions())
    for name, job in workflow["jobs"].items():
        for script in runs(job):
            for m in re.finditer(r"\bnox -s ((?:(?!--)[\w-]+ ?)+)", script):  # sessions, up to the posargs' --
                for session in m.group(1).split():
                    assert session in known, "%s calls 'nox -s %s'; the noxfile has %s" % (name, session, sorted(known))

"""The pitfalls catalogue in the real envs, on two entries: a naive port red for its declared cause, one that does not
differ measurably; and a wrong declaration about the same runs fails the catalogue, naming the entry."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e
FOLDER = os.path.join(REPO, "examples", "pitfalls")


def _catalogue(command, root, folder=FOLDER, *more):
    return subprocess.run([sys.executable, "-m", "shared.pitfalls", command, "--results", root, "--cases-from", folder,
                           "--entries", "01b", "04c"] + list(more), cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)


@pytest.fixture(scope="module")
def two_entries(pythons, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("pitfalls"))
    out = _catalogue("run", root)
    return root, out


def test_two_entries_hold_in_the_real_envs(two_entries):
    root, out = two_entries
    assert out.returncode == 0, out.stdout[-4000:]
    payload = json.load(open(os.path.join(root, "pitfalls.json")))
    assert payload["passed"] and [e["id"] for e in payload["entries"]] == ["01b", "04c"]
    red, agrees = payload["entries"]
    assert red["naive_port"]["outcome"] == "red" and red["naive_port"]["first_divergence"]["stage"] == "first step"
    assert [d["setting"] for d in red["naive_port"]["settings_diff"]] == ["loss.reduction"]
    assert red["faithful_port"]["outcome"] == "green" and red["faithful_port"]["max_abs_diff"]["weights"] <= 1e-6
    assert agrees["naive_port"]["outcome"] == "does not differ measurably"
    assert [d["setting"] for d in agrees["naive_port"]["settings_diff"]] == ["optimizer.epsilon"]
    for name in ("pitfalls.md", "pitfalls.html", os.path.join("pitfalls-run", "summary.json")):
        assert os.path.exists(os.path.join(root, name)), name
    assert "PASSED: 2 entries, 0 failed" in out.stdout


def test_declaring_that_the_epsilon_port_differs_fails_the_catalogue(two_entries, tmp_path):
    root, _ = two_entries
    folder = str(tmp_path / "pitfalls")
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = os.path.join(folder, "cases.py")
    text = open(path).read()
    old = '"Keras 3 Adagrad(0.1, epsilon=0) (keeps 0)", ["optimizer.epsilon"], differs=False,'
    assert old in text, "the example changed"
    open(path, "w").write(text.replace(old, '"Keras 3 Adagrad(0.1, epsilon=0) (keeps 0)", ["optimizer.epsilon"],'))
    results = str(tmp_path / "results")
    shutil.copytree(os.path.join(root, "pitfalls-run"), os.path.join(results, "pitfalls-run"))
    out = _catalogue("catalogue", results, folder)
    assert out.returncode == 1, out.stdout[-3000:]
    assert "FAIL 04c: the naive port unexpectedly agrees with TF1" in out.stdout
    assert "FAILED: 2 entries, 1 failed" in out.stdout

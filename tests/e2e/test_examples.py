"""A user's migration from its own folder (examples/mlp), in the real envs: it passes, a perturbed weight and a
wrong name map are caught and named; and running a side imports nothing of the host-only kit."""

import json
import os
import shutil
import subprocess

import pytest

from shared import compare

from tests.e2e.conftest import REPO, kit, start

pytestmark = pytest.mark.e2e
MLP = os.path.join(REPO, "examples", "mlp")


@pytest.fixture(scope="module")
def mlp_run(pythons, tmp_path_factory):
    """Both sides of examples/mlp into one folder, the two processes at once."""
    root = str(tmp_path_factory.mktemp("mlp"))
    prep = kit(pythons["tf2"], "shared", "prepare", "--results", root, "--cases-from", MLP, "--cases", "mlp")
    assert prep.returncode == 0, prep.stdout
    procs = [(side, start(pythons[side], package, "--results", root, "--cases-from", MLP, "--cases", "mlp"))
             for side, package in (("tf1", "legacy_tf1"), ("tf2", "modern_tf2"))]
    for side, proc in procs:
        out = proc.communicate(timeout=600)[0]
        assert proc.returncode == 0, "%s failed:\n%s" % (side, out[-4000:])
    return root


def test_the_example_passes_weights_predictions_and_loss(mlp_run):
    summary = compare.summarize(mlp_run, ["mlp"], cases_from=[MLP])
    assert summary["passed"], compare.table(summary)
    kinds = sorted(set(c["kind"] for c in summary["comparisons"]))
    assert kinds == ["loss", "predictions", "strict"]
    assert len(summary["comparisons"]) == 3 * 2
    run = json.load(open(os.path.join(mlp_run, "runs", "tf2", "mlp", "keras3.json")))
    assert run["shapes"]["hidden_0/kernel"] == [8, 16] and run["steps"] == 200
    assert run["settings"]["optimizer"]["epsilon"] == 1e-8 and set(run["stages"]) == {"start", "forward", "first_step"}


def _copy(tmp_path, root, patch_file, old, new):
    """The example folder with one edit, and a results folder holding the same data and the real TF1 run."""
    folder = str(tmp_path / "mlp")
    shutil.copytree(MLP, folder, ignore=shutil.ignore_patterns("__pycache__", "baselines"))
    path = os.path.join(folder, patch_file)
    with open(path) as handle:
        text = handle.read()
    assert old in text, "the example changed: %r is not in %s" % (old, patch_file)
    with open(path, "w") as handle:
        handle.write(text.replace(old, new))
    results = str(tmp_path / "results")
    shutil.copytree(os.path.join(root, "data"), os.path.join(results, "data"))
    shutil.copytree(os.path.join(root, "runs", "tf1"), os.path.join(results, "runs", "tf1"))
    return folder, results


def _compare_apart(results, folder):
    """``python -m shared compare`` in its own process: the copied folder declares a case named like the example's."""
    import sys

    proc = subprocess.run([sys.executable, "-m", "shared", "compare", "--results", results, "--cases-from", folder,
                           "--cases", "mlp", "--no-report"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode in (0, 1), proc.stdout
    with open(os.path.join(results, "summary.json")) as handle:
        return json.load(handle)


def test_one_perturbed_hidden_weight_fails_weights_and_predictions_naming_it(pythons, mlp_run, tmp_path):
    folder, results = _copy(tmp_path, mlp_run, "tf2_mlp.py", "    return Trained(snapshots[-1]",
                            "    bump = np.zeros((8, 16), np.float32)\n    bump[3, 7] = 1e-3\n"
                            "    model.get_layer('h0').kernel.assign_add(bump)\n    snapshots[-1] = read()\n"
                            "    return Trained(snapshots[-1]")
    out = kit(pythons["tf2"], "modern_tf2", "--results", results, "--cases-from", folder, "--cases", "mlp",
              "--impls", "keras3")
    assert out.returncode == 0, out.stdout
    summary = _compare_apart(results, folder)
    by_kind = dict((c["kind"], c) for c in summary["comparisons"] if c["right"] == "tf2/mlp/keras3")
    assert not summary["passed"]
    assert not by_kind["strict"]["passed"] and "hidden_0/kernel[3, 7] differs by" in by_kind["strict"]["message"]
    assert by_kind["strict"]["over"] == ["hidden_0/kernel[3, 7]"]
    assert not by_kind["predictions"]["passed"] and "prediction[" in by_kind["predictions"]["message"]


def test_a_wrong_name_map_is_a_coverage_error_naming_the_variable(pythons, mlp_run, tmp_path):
    folder, results = _copy(tmp_path, mlp_run, "cases.py", 'names("mlp/", "", ("h0", "h1", "out"))',
                            'names("mlp/", "", ("hidden", "h1", "out"))')
    out = kit(pythons["tf2"], "modern_tf2", "--results", results, "--cases-from", folder, "--cases", "mlp",
              "--impls", "keras3")
    assert out.returncode == 1
    run = json.load(open(os.path.join(results, "runs", "tf2", "mlp", "keras3.json")))
    message = run["error"]["message"]
    assert "the model's variables and the name map do not match" in message
    assert "unmapped variable(s): 'mlp/h0/bias', 'mlp/h0/kernel'" in message
    assert "mapped but not in the model: 'mlp/hidden/bias', 'mlp/hidden/kernel'" in message


def test_running_a_side_imports_no_host_only_code(pythons, tmp_path):
    """The boundary: the TF envs import shared.core and their side's package only, no matplotlib, no scipy."""
    root = str(tmp_path / "r")
    prep = kit(pythons["tf1"], "shared", "prepare", "--results", root, "--cases", "linear")
    assert prep.returncode == 0, prep.stdout
    probe = ("import atexit, runpy, sys\n"
             "def report():\n"
             "    bad = sorted(m for m in sys.modules if (m.startswith('shared.') and not m.startswith('shared.core'))\n"
             "                 or m.split('.')[0] in ('matplotlib', 'scipy'))\n"
             "    print('HOST-ONLY:', ','.join(bad) or 'none')\n"
             "atexit.register(report)\n"
             "sys.argv = ['legacy_tf1', '--results', %r, '--cases', 'linear']\n"
             "runpy.run_module('legacy_tf1', run_name='__main__')\n" % root)
    for side in ("tf1", "tf2"):
        code = probe.replace("legacy_tf1", "legacy_tf1" if side == "tf1" else "modern_tf2")
        proc = subprocess.run([pythons[side], "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("HOST-ONLY:")]
        assert proc.returncode == 0 and lines, proc.stdout[-3000:]
        assert lines[0] == "HOST-ONLY: none", "%s imported host-only modules: %s" % (side, lines[0])


def test_a_users_own_pairs_file_passes_with_convergence_reported_and_no_baseline_refusal(pythons, tmp_path):
    """2,935 rows with odd item names: the migration holds; convergence is reported; the kit's baseline is not this data's."""
    import numpy as np

    rs = np.random.RandomState(5)
    names = [" lead", "trail ", "Zürich café", "a-b", "x.y", "1", "UPPER"] + ["it%02d" % i for i in range(33)]
    first = rs.randint(0, len(names), 2935)
    second = (first + 1 + rs.randint(0, len(names) - 1, 2935)) % len(names)
    values = rs.normal(size=len(names))
    lines = ["item1,item2,dif"] + ["%s,%s,%.6f" % (names[a], names[b], values[a] - values[b] + 0.05 * rs.normal())
                                   for a, b in zip(first, second)]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    root = str(tmp_path / "r")
    prep = kit(pythons["tf2"], "shared", "prepare", "--results", root, "--cases", "pairshift", "--pairs-csv", str(pairs))
    assert prep.returncode == 0, prep.stdout
    for side, package in (("tf1", "legacy_tf1"), ("tf2", "modern_tf2")):
        out = kit(pythons[side], package, "--results", root, "--cases", "pairshift")
        assert out.returncode == 0, out.stdout[-3000:]
    summary = compare.summarize(root, ["pairshift"])
    assert summary["passed"], compare.table(summary)
    strict = [c for c in summary["comparisons"] if c["kind"] == "strict"]
    assert len(strict) == 3 and all(c["max_abs_diff"] <= 1e-5 for c in strict)
    assert not [c for c in summary["comparisons"] if c["kind"].startswith("baseline")]
    assert summary["cases"]["pairshift"]["baseline"] == "none for this data"
    oracle = [c for c in summary["comparisons"] if c["kind"] == "oracle"]
    assert oracle and all(c["gating"] is False for c in oracle)

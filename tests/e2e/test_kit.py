"""The kit end to end in the real TF 1.15 and TF 2.21 envs: agreement, repeatability and loud failures."""

import json
import os
import shutil
import subprocess

import pytest

from shared import compare
from shared.core import data, results
from shared.core.registry import PACKAGES, all_cases, get_case

from tests.e2e.conftest import REPO, kit

pytestmark = pytest.mark.e2e


def _coefficients(root):
    return dict((rid, r["coefficients"]) for rid, r in compare.load_runs(root).items())


def test_every_tf2_run_agrees_with_tf1_and_the_oracle(twin_runs):
    summary = compare.summarize(twin_runs[0])
    assert summary["passed"], compare.table(summary)
    kinds = set(c["kind"] for c in summary["comparisons"])
    assert {"strict", "oracle"} <= kinds
    for case in all_cases():
        strict = [c for c in summary["comparisons"] if c["case"] == case.name and c["kind"] == "strict"]
        assert len(strict) == len(case.impls["tf2"])
        assert all(c["max_abs_diff"] <= case.tolerance("strict").value for c in strict)


def test_second_run_in_parallel_is_bit_identical(twin_runs):
    a, b = (_coefficients(r) for r in twin_runs)
    assert sorted(a) == sorted(b) and len(a) == sum(len(c.run_keys()) for c in all_cases())
    for rid in a:
        assert a[rid] == b[rid], rid


def _side_jobs(root, env):
    with open(os.path.join(results.runs_dir(root), env, "env.json")) as handle:
        return json.load(handle)["jobs"]


@pytest.mark.parametrize("env", ["tf1", "tf2"])
def test_two_processes_a_side_train_what_one_process_trains(twin_runs, env):
    one, two = (_side_jobs(r, env) for r in twin_runs)
    assert one["processes"] == 1 and two["processes"] == 2 and [w["exit"] for w in two["workers"]] == [0]
    pids = set()
    for case in all_cases():
        for impl in case.impls[env]:
            runs = [results.read(results.result_path(r, env, case.name, impl)) for r in twin_runs]
            pids.add(runs[1]["fingerprint"]["pid"])
            for key in ("coefficients", "loss_history", "predictions", "start", "stages", "artifacts", "settings"):
                assert runs[0].get(key) == runs[1].get(key), (case.name, impl, key)
    assert len(pids) == 2, "both processes trained cases"


def test_results_record_fingerprint_plan_and_timings(twin_runs):
    run = results.read(results.result_path(twin_runs[0], "tf1", "pairshift", "estimator"))
    fp = run["fingerprint"]
    assert fp["tensorflow"].startswith("1.15") and fp["python"].startswith("3.7")
    assert fp["device"] == "/device:CPU:0" and fp["lock_sha256"]
    assert run["plan"]["batch_size"] == get_case("pairshift").hyperparameters["batch_size"]
    assert run["timings"]["import_s"] > 0 and run["timings"]["train_s"] > 0
    tf2 = results.read(results.result_path(twin_runs[0], "tf2", "linear", "function"))
    assert tf2["fingerprint"]["tensorflow"].startswith("2.") and tf2["extra"]["traces"] == 1


def _copy_without(src, dst, env):
    shutil.copytree(src, dst)
    shutil.rmtree(os.path.join(dst, "runs", env), ignore_errors=True)
    return dst


@pytest.mark.parametrize("knob", ["initial_accumulator_value=0.5", 'loss_reduction="sum"'])
def test_one_semantic_knob_on_one_side_breaks_strict_agreement(pythons, twin_runs, tmp_path, knob):
    root = _copy_without(twin_runs[0], str(tmp_path / "r"), "tf2")
    out = kit(pythons["tf2"], "modern_tf2", "--results", root, "--cases", "pairshift", "--impls", "keras2",
              "--override", knob)
    assert out.returncode == 0, out.stdout
    summary = compare.summarize(root, ["pairshift"], with_oracle=False)
    strict = [c for c in summary["comparisons"] if c["kind"] == "strict"]
    assert len(strict) == 1 and not strict[0]["passed"]
    assert "weight['item" in strict[0]["message"] and "ran with overrides" in strict[0]["message"]


def test_one_env_missing_fails_the_comparison_and_names_it(twin_runs, tmp_path):
    root = _copy_without(twin_runs[0], str(tmp_path / "r"), "tf1")
    summary = compare.summarize(root, with_oracle=False)
    assert not summary["passed"]
    missing = [c for c in summary["comparisons"] if c["kind"] == "missing"]
    assert "tf1/pairshift/estimator" in [m["left"] for m in missing] and all(m["left"].startswith("tf1/") for m in missing)
    assert all("--stand-in-baseline" in m["message"] for m in missing)


def test_baseline_stands_in_for_tf1_only_when_asked(twin_runs, tmp_path):
    root = _copy_without(twin_runs[0], str(tmp_path / "r"), "tf1")
    summary = compare.summarize(root, with_oracle=False, stand_in=True)
    assert summary["passed"], compare.table(summary)
    kinds = set(c["kind"] for c in summary["comparisons"])
    assert "baseline-stands-in" in kinds and "baseline" in kinds and "missing" not in kinds


def test_wrong_tensorflow_major_is_refused(pythons, twin_runs, tmp_path):
    root = _copy_without(twin_runs[0], str(tmp_path / "r"), "tf1")
    out = kit(pythons["tf2"], "legacy_tf1", "--results", root, "--cases", "linear")
    assert out.returncode == 2 and "legacy_tf1 needs TensorFlow 1.x" in out.stdout and "found: tensorflow 2." in out.stdout


@pytest.mark.parametrize("side", ["tf1", "tf2"])
def test_cuda_without_a_gpu_is_an_error_not_a_cpu_run(pythons, twin_runs, tmp_path, side):
    root = str(tmp_path / "r")
    shutil.copytree(twin_runs[0], root)
    package = PACKAGES[side]
    path = results.result_path(root, side, "linear", get_case("linear").impls[side][0])
    before = open(path).read()
    out = kit(pythons[side], package, "--results", root, "--cases", "linear", "--device", "cuda")
    assert out.returncode == 2 and "sees no GPU" in out.stdout
    assert open(path).read() == before, "no CPU result written; the previous complete side stays (staged swap)"


def test_corrupted_data_is_refused_by_the_env_naming_both_checksums(pythons, twin_runs, tmp_path):
    root = str(tmp_path / "r")
    shutil.copytree(twin_runs[0], root)
    path = os.path.join(data.data_dir(root), "linear.csv")
    expected = data.read_manifest(root)["datasets"]["linear"]["sha256"]
    with open(path, "ab") as handle:
        handle.write(b"0.0,0.0\n")
    out = kit(pythons["tf1"], "legacy_tf1", "--results", root, "--cases", "linear")
    assert out.returncode == 2
    assert path in out.stdout and expected in out.stdout and data.sha256_file(path) in out.stdout


def test_both_numpys_write_the_same_bytes(pythons, tmp_path):
    manifests = []
    for side in ("tf1", "tf2"):
        root = str(tmp_path / side)
        assert kit(pythons[side], "shared", "prepare", "--results", root).returncode == 0
        with open(os.path.join(data.data_dir(root), data.MANIFEST)) as handle:
            manifests.append(dict((k, v["sha256"]) for k, v in json.load(handle)["datasets"].items()))
    assert manifests[0] == manifests[1]


def test_unknown_case_is_refused_listing_known_ones(pythons, tmp_path):
    out = kit(pythons["tf2"], "modern_tf2", "--results", str(tmp_path), "--cases", "nope")
    assert out.returncode == 2 and "unknown case 'nope'" in out.stdout and "pairlincorr" in out.stdout


def test_the_contrib_head_is_tf_contrib_estimator_regression_head(pythons):
    code = ("import tensorflow as tf; from legacy_tf1.pairs import contrib_estimator; "
            "assert tf.contrib.estimator.regression_head is contrib_estimator().regression_head; print('same')")
    proc = subprocess.run([pythons["tf1"], "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0 and "same" in proc.stdout, proc.stdout[-2000:]


@pytest.mark.parametrize("side", ["tf1", "tf2"])
def test_thread_pools_are_pinned_and_recorded(twin_runs, side):
    case = get_case("pairshift")
    run = results.read(results.result_path(twin_runs[0], side, case.name, case.impls[side][0]))
    assert run["fingerprint"]["threads"] == {"inter_op": 1, "intra_op": 1}


def test_tf1_input_keeps_the_data_out_of_the_graph(pythons, twin_runs):
    """The input_fn feeds columns and plan at session start: the GraphDef stays small whatever the rows."""
    code = "\n".join([
        "import tensorflow as tf",
        "from shared.core import data",
        "from shared.core.plan import for_case",
        "from shared.core.registry import get_case",
        "from legacy_tf1.feeding import plan_input_fn",
        "case = get_case('pairshift')",
        "ds = data.load(%r, case)" % twin_runs[0],
        "fn, feed = plan_input_fn(ds, for_case(case, ds.n_rows), ['item1', 'item2'], [])",
        "graph = tf.Graph()",
        "with graph.as_default():",
        "    features, label = fn()",
        "session = tf.Session(graph=graph)",
        "feed.after_create_session(session, None)",
        "batch = session.run(features['item1']).shape[0]",
        "print('graph bytes', graph.as_graph_def().ByteSize(), 'batch', batch, 'rows', ds.n_rows)",
    ])
    proc = subprocess.run([pythons["tf1"], "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    line = [l for l in proc.stdout.splitlines() if l.startswith("graph bytes")]
    assert proc.returncode == 0 and line, proc.stdout[-2000:]
    _, _, size, _, batch, _, rows = line[0].split()
    assert int(batch) == get_case("pairshift").hyperparameters["batch_size"]
    assert int(size) < 20 * int(rows), "the input graph holds the data: %s bytes for %s rows" % (size, rows)

"""One side's runner: failures recorded per implementation, nothing stale or half-written left behind."""

import json
import os

import numpy as np
import pytest

from shared.core import registry, results, runner
from shared.core.case import Case, Check

FAKE = "tests.core.fakeside"


@pytest.fixture
def fake_linear(monkeypatch):
    """Register-like: swap the linear case's implementations for the fake ones."""
    real = registry.get_case("linear")
    target = FAKE + ".linear:run"
    fake = Case(real.name, real.description, real.dataset, real.hyperparameters,
                {"tf1": dict((i, target) for i in ("good", "boom", "nan", "interrupt", "idle")), "tf2": {"good": target}},
                "tf1/good", [Check("weights", 1e-6, "r"), Check("least_squares", 1.0, "r")], model="linear")
    monkeypatch.setitem(registry._REGISTRY, "linear", fake)
    return fake


def _run(root, *args, **kw):
    from tests.core.fakeside import setup

    lines = []
    code = runner.run_side(["--results", root, "--cases", "linear"] + list(args), "tf1", FAKE, setup, log=lines.append)
    return code, "\n".join(lines)


def _read(root, impl):
    return results.read(results.result_path(root, "tf1", "linear", impl))


def test_raising_and_diverging_implementations_are_recorded_not_hidden(root, fake_linear):
    code, log = _run(root, "--impls", "good", "boom", "nan")
    assert code == 1
    assert _read(root, "good")["status"] == "ok"
    boom = _read(root, "boom")
    assert boom["status"] == "error" and "implementation exploded" in boom["error"]["message"]
    nan = _read(root, "nan")
    assert nan["status"] == "error" and "diverged" in nan["error"]["message"]
    assert "first non-finite loss at epoch 0" in nan["error"]["message"]
    assert "tf1/linear/boom: FAILED" in log


def _staging(root):
    from shared.core import staging

    return staging.interrupted(results.runs_dir(root))


def test_interrupt_keeps_the_previous_side_whole_and_marks_the_run_unfinished(root, fake_linear):
    _run(root, "--impls", "good")
    good = results.result_path(root, "tf1", "linear", "good")
    with open(good, "rb") as handle:
        before = handle.read()
    with pytest.raises(KeyboardInterrupt):
        _run(root, "--impls", "good", "interrupt")
    folder = os.path.join(results.runs_dir(root), "tf1", "linear")
    assert sorted(os.listdir(folder)) == ["good.json"]
    with open(good, "rb") as handle:
        assert handle.read() == before, "the previous complete side must stay as it was"
    marks = _staging(root)
    assert len(marks) == 1 and marks[0]["env"] == "tf1" and marks[0]["cases"] == ["linear"]
    assert marks[0]["error"].startswith("KeyboardInterrupt") and os.listdir(marks[0]["folder"]) == ["run.json"]


def test_a_failed_rerun_keeps_the_previous_side_and_says_it_did_not_finish(root, fake_linear):
    _run(root, "--impls", "good")
    stale = results.result_path(root, "tf1", "linear", "good")
    assert os.path.exists(stale)

    code, log = _run(root, "--impls", "good", "--device", "cuda")
    assert code == 2 and "no GPU" in log
    assert os.path.exists(stale)
    (mark,) = _staging(root)
    assert mark["error"].startswith("DeviceError: CUDA was asked for")
    code, _ = _run(root, "--impls", "good")
    assert code == 0 and _staging(root) == [], "the next run removes the mark"


def test_corrupted_data_refused_before_training(root, fake_linear):
    from shared.core import data

    with open(os.path.join(data.data_dir(root), "linear.csv"), "ab") as handle:
        handle.write(b"0.1,0.2\n")
    code, log = _run(root, "--impls", "good")
    assert code == 2 and "does not match its manifest" in log
    assert not os.path.exists(results.result_path(root, "tf1", "linear", "good"))


def test_unknown_case_lists_known_ones(root):
    from tests.core.fakeside import setup

    lines = []
    assert runner.run_side(["--results", root, "--cases", "nope"], "tf1", FAKE, setup, log=lines.append) == 2
    assert "unknown case 'nope'" in lines[0] and "pairshift" in lines[0]


def test_override_is_applied_and_recorded_but_spec_is_the_registry_one(root, fake_linear):
    code, _ = _run(root, "--impls", "good", "--override", "learning_rate=0.5")
    good = _read(root, "good")
    assert code == 0 and good["overrides"] == {"learning_rate": 0.5}
    assert good["coefficients"]["W"] == 5.5
    assert good["spec_sha256"] == fake_linear.spec_sha256()


def test_override_of_the_plan_trains_the_plan_it_records(root, fake_linear):
    code, _ = _run(root, "--impls", "good", "--override", "epochs=5", "--override", "batch_size=100",
                   "--override", "shuffle=true", "--override", "plan_seed=3")
    good = _read(root, "good")
    assert code == 0, good.get("error")
    assert good["plan"]["epochs"] == 5 and good["plan"]["batch_size"] == 100 and good["plan"]["seed"] == 3
    assert len(good["loss_history"]) == 5 and good["steps"] == 5 * 10
    from shared.core.plan import BatchPlan

    assert good["plan_sha256"] == BatchPlan(1000, 5, 100, True, 3).sha256()


def test_a_run_that_did_not_train_is_a_failure(root, fake_linear):
    code, _ = _run(root, "--impls", "idle")
    idle = _read(root, "idle")
    assert code == 1 and idle["status"] == "error"
    message = idle["error"]["message"]
    assert "did not train" in message and "0 optimizer step(s) of the plan's 100" in message
    assert "every weight still equals its start" in message and "the loss never moved" in message


def test_bad_override_is_refused(root, fake_linear):
    code, _ = _run(root, "--impls", "good", "--override", "nosuchknob=1")
    assert code == 1
    assert "KEY one of" in _read(root, "good")["error"]["message"]


def test_result_files_are_complete_json_with_timings_and_plan(root, fake_linear):
    _run(root, "--impls", "good")
    with open(results.result_path(root, "tf1", "linear", "good")) as handle:
        payload = json.load(handle)
    for key in results.REQUIRED:
        assert key in payload
    assert payload["timings"]["train_s"] >= 0 and payload["plan"]["epochs"] == 100
    assert len(payload["loss_history"]) == 100


def test_two_runners_into_different_folders_do_not_interfere(tmp_path, fake_linear):
    from shared.core import data

    roots = [str(tmp_path / "a"), str(tmp_path / "b")]
    for r in roots:
        data.ensure(r, [fake_linear], log=lambda *_: None)
    for r in roots:
        _run(r, "--impls", "good")
    a, b = (results.read(results.result_path(r, "tf1", "linear", "good")) for r in roots)
    assert a["coefficients"] == b["coefficients"]


def test_threads_reach_the_side_and_its_fingerprint(root, fake_linear, monkeypatch):
    monkeypatch.delenv("TFKIT_THREADS", raising=False)
    _run(root, "--impls", "good")
    assert _read(root, "good")["fingerprint"]["threads"] == {"inter_op": 1, "intra_op": 1}
    _run(root, "--impls", "good", "--threads", "3")
    assert _read(root, "good")["fingerprint"]["threads"] == {"inter_op": 3, "intra_op": 3}


def test_bad_threads_are_refused_before_anything_runs(root, fake_linear, capsys):
    with pytest.raises(SystemExit):
        _run(root, "--impls", "good", "--threads", "-2")
    assert "expected a whole number >= 0" in capsys.readouterr().err


def test_cpu_devices_reach_the_side_and_its_fingerprint(root, fake_linear):
    _run(root, "--impls", "good")
    assert _read(root, "good")["fingerprint"]["cpu_devices"] == 1
    _run(root, "--impls", "good", "--cpu-devices", "2")
    assert _read(root, "good")["fingerprint"]["cpu_devices"] == 2


def test_bad_cpu_devices_are_refused_before_anything_runs(root, fake_linear, capsys):
    with pytest.raises(SystemExit):
        _run(root, "--impls", "good", "--cpu-devices", "0")
    assert "expected a whole number >= 1 (logical CPU devices), found '0'" in capsys.readouterr().err


def test_exit_now_flushes_runs_exit_handlers_and_keeps_the_code():
    import subprocess
    import sys

    code = ("import atexit, sys; from shared.core.runner import exit_now; "
            "atexit.register(lambda: sys.stdout.write('handler ran')); "
            "sys.stdout.write('result written; '); sys.stderr.write('err line'); exit_now(3)")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert proc.returncode == 3
    assert proc.stdout == "result written; handler ran" and proc.stderr == "err line"


def test_first_and_steady_epoch_times_are_recorded(root, fake_linear):
    _run(root, "--impls", "good")
    timings = _read(root, "good")["timings"]
    assert timings["first_epoch_s"] >= 0.02
    assert 0.0005 <= timings["epoch_s"] < timings["first_epoch_s"]
    assert timings["train_s"] >= timings["first_epoch_s"] + 99 * 0.001


def test_epoch_timings_without_times_or_with_one_epoch():
    from shared.core.results import Snapshots, Trained

    assert Trained({"W": 1.0}, [{"W": 1.0}]).epoch_timings(0.0) == {"first_epoch_s": None, "epoch_s": None}
    one = Snapshots()
    one.take({"W": 1.0})
    timings = Trained({"W": 1.0}, one).epoch_timings(one.times[0] - 2.0)
    assert timings["epoch_s"] is None and abs(timings["first_epoch_s"] - 2.0) < 1e-9


def test_exit_now_exits_normally_under_a_profiler():
    import sys

    sys.setprofile(lambda *args: None)
    try:
        with pytest.raises(SystemExit) as err:
            runner.exit_now(4)
    finally:
        sys.setprofile(None)
    assert err.value.code == 4


def test_a_run_that_returns_no_start_is_checked_against_the_shared_start():
    from shared.core.errors import TrainingError
    from shared.core.results import Trained

    start = {"k": np.array([[0.5, -0.5]], dtype=np.float32)}
    with pytest.raises(TrainingError) as err:
        Trained(start, steps=10).check_trained("tf1/mine/a", 10, shared_start=start)
    assert "found: every weight still equals its start\n" in str(err.value)
    Trained({"k": start["k"] + 1e-7}, steps=10).check_trained("tf1/mine/a", 10, shared_start=start)
    Trained({"other": start["k"]}, steps=10).check_trained("tf1/mine/a", 10, shared_start=start)  # nothing in common
    with pytest.raises(TrainingError, match="3 optimizer step\\(s\\) of the plan's 10"):
        Trained({"k": start["k"] + 1.0}, steps=3).check_trained("tf1/mine/a", 10, shared_start=start)


def test_a_rerun_clears_its_env_s_stale_artifacts_of_the_case(root, fake_linear):
    from shared.core import artifacts

    stale = artifacts.impl_dir(root, "tf1", "linear", "good")
    other = artifacts.impl_dir(root, "tf2", "linear", "good")
    for folder in (stale, other):
        os.makedirs(folder)
    _run(root, "--impls", "good")
    assert not os.path.exists(stale), "a crash must leave no artifacts of the last run"
    assert os.path.isdir(other), "another env's artifacts are its own"


def test_a_job_knows_its_artifacts_folder_and_reads_the_probe_set_for_them(root, fake_linear, monkeypatch):
    from tests.core.fakeside import linear

    seen, train = {}, linear.run

    def run(job):
        seen.update(folder=job.artifacts, run_id=job.run_id, probe=job.probe, rows=job.probe_set().n_rows)
        return train(job)

    monkeypatch.setattr(linear, "run", run)
    assert _run(root, "--impls", "good")[0] == 0
    assert seen["folder"] == os.path.join(root, "artifacts", "tf1", "linear", "good") and seen["run_id"] == "tf1/linear/good"
    assert seen["probe"] is None and seen["rows"] == 256, "no predictions check: the probe set is read only when asked"


def test_after_case_runs_once_per_case_after_its_implementations(root, fake_linear):
    from tests.core.fakeside import setup

    calls = []
    code = runner.run_side(["--results", root, "--cases", "linear", "--impls", "good"], "tf1", FAKE, setup,
                           log=lambda *_: None, after_case=lambda r, env, case, log: calls.append((r, env, case.name)))
    assert code == 0 and calls == [(root, "tf1", "linear")]
    assert os.path.exists(results.result_path(root, "tf1", "linear", "good")), "after the results were written"

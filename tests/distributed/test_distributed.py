"""The verdict of nox -s distributed: parity must pass and the naive loop must be red for its cause (as the pitfalls
catalogue judges its entry, with the loss scale at the replica count), never otherwise."""

import copy
import os

import pytest

from shared.core import registry
from shared.distributed import CASES, FOLDER, NAIVE_RUN, PITFALL, side_args, table, verdict

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = "tf1/%s/estimator_mirrored" % PITFALL
FAITHFUL = "tf2/%s/faithful" % PITFALL


def _c(case, kind, left, right, diff, passed=True, **more):
    c = {"case": case, "kind": kind, "left": left, "right": right, "max_abs_diff": diff, "tolerance": 1e-5,
         "passed": passed, "gating": True, "message": "%s %s vs %s: max |diff| %g" % (case, left, right, diff)}
    c.update(more)
    return c


def _settings(scale):
    return {"optimizer": {"name": "ftrl", "learning_rate": 0.2},
            "distribute": {"strategy": "MirroredStrategy", "replicas": 2.0, "loss_scale": scale}}


GREEN = {
    "cases": {PITFALL: {"reference": REF}},
    "comparisons": [
        _c("pairshift_distributed", "strict", "tf1/pairshift_distributed/estimator_mirrored",
           "tf1/pairshift_distributed/estimator", 4.77e-7),
        _c("pairshift_distributed", "pair", "tf2/pairshift_distributed/loop_mirrored",
           "tf2/pairshift_distributed/loop_multiworker", 0.0),
        _c("canned_dnn_distributed", "pair", "tf2/canned_dnn_distributed/loop",
           "tf2/canned_dnn_distributed/loop_mirrored", 6.56e-7),
        _c("mlp_distributed", "strict", "tf1/mlp_distributed/estimator_mirrored", "tf2/mlp_distributed/loop_mirrored",
           2.38e-6),
        _c(PITFALL, "strict", REF, FAITHFUL, 8.34e-7),
        _c(PITFALL, "strict", REF, NAIVE_RUN, 1.02e-2, passed=False,
           settings_diff=[{"setting": "distribute.loss_scale", "left": 1.0, "right": 2.0}],
           first_divergence={"stage": "first step", "detail": "weights after one optimizer step differ by 0.0514"}),
    ],
    "runs": {REF: {"settings": _settings(1.0)}, FAITHFUL: {"settings": _settings(1.0)},
             NAIVE_RUN: {"settings": _settings(2.0)}},
}


@pytest.fixture
def judged(monkeypatch):
    """``judged(summary)``: the session's verdict, the pitfall judged by the catalogue on the folder's own entry
    (loaded into a registry restored afterwards)."""
    from shared.pitfalls import entries
    from shared.pitfalls.verdict import judge

    registry.all_cases()
    monkeypatch.setattr(registry, "_REGISTRY", registry.OrderedDict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_FOLDERS", list(registry._FOLDERS))
    monkeypatch.setattr(registry, "_MODULES", dict(registry._MODULES))
    declared = entries.load(os.path.join(REPO, FOLDER))

    def run(change=None):
        summary = copy.deepcopy(GREEN)
        if change is not None:
            change(summary)
        return verdict(summary, judge(declared, summary).failures)

    return run


def test_parity_green_and_the_naive_loop_red_for_its_cause_passes(judged):
    result = judged()
    assert result["passed"] and result["problems"] == []
    assert result["pitfall"]["red"] and result["pitfall"]["cause"] == "distribute.loss_scale 1.0 vs 2.0"
    assert "PASSED: 4 parity comparisons, the pitfall red for its cause" in table(result)


def test_a_naive_loop_that_is_not_red_fails_the_session(judged):
    def green(summary):
        summary["comparisons"][-1].update(passed=True, settings_diff=[], first_divergence=None)
        summary["runs"][NAIVE_RUN]["settings"] = _settings(1.0)

    result = judged(green)
    assert not result["passed"] and "unexpectedly agrees with TF1" in result["problems"][0]
    assert "NOT red" in table(result)


def test_a_naive_loop_red_for_another_reason_fails_the_session(judged):
    def other(summary):
        summary["runs"][NAIVE_RUN]["settings"] = dict(_settings(1.0), optimizer={"name": "ftrl", "learning_rate": 0.4})

    result = judged(other)
    assert not result["passed"]
    assert any("red for another cause: expected distribute.loss_scale" in p for p in result["problems"])


def test_a_loss_scale_that_is_not_the_replica_count_fails_the_session(judged):
    def three(summary):
        summary["runs"][NAIVE_RUN]["settings"] = _settings(3.0)

    result = judged(three)
    assert result["problems"] == ["%s: distribute.loss_scale 3.0, expected 2.0 (its replica count)" % NAIVE_RUN]


def test_a_red_faithful_loop_fails_the_session(judged):
    def red(summary):
        summary["comparisons"][-2].update(passed=False, message="faithful loop differs by 3e-4")

    assert any("the faithful port is red" in p for p in judged(red)["problems"])


def test_a_red_parity_comparison_fails_the_session(judged):
    def red(summary):
        summary["comparisons"][0].update(passed=False, message="tf1 2 vs 1: weight['item1'] differs by 3e-4")

    result = judged(red)
    assert not result["passed"] and result["problems"] == ["tf1 2 vs 1: weight['item1'] differs by 3e-4"]


def test_a_missing_multiworker_comparison_or_case_fails_the_session(judged):
    def no_workers(summary):
        del summary["comparisons"][1]

    assert "no passing comparison of the multi-worker run" in judged(no_workers)["problems"][0]

    for name in ("canned_dnn_distributed", "mlp_distributed"):
        def without(summary, name=name):
            summary["comparisons"] = [c for c in summary["comparisons"] if c["case"] != name]

        assert judged(without)["problems"] == ["%s: no comparison was made" % name]


def test_the_sides_get_the_folder_its_cases_and_two_cpu_devices():
    args = side_args("results/distributed", ["--tf-log"])
    assert args[:4] == ["--results", "results/distributed", "--cases-from", FOLDER]
    assert args[5:5 + len(CASES)] == list(CASES) and args[-3:] == ["--cpu-devices", "2", "--tf-log"]

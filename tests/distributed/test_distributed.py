"""The verdict of nox -s distributed: parity must pass and the naive loop must be red for its cause, never otherwise."""

import copy

from shared.distributed import CASES, NAIVE_RUN, PITFALL, side_args, table, verdict


def _c(case, kind, left, right, diff, passed=True, **more):
    c = {"case": case, "kind": kind, "left": left, "right": right, "max_abs_diff": diff, "tolerance": 1e-5,
         "passed": passed, "gating": True, "message": "%s %s vs %s: max |diff| %g" % (case, left, right, diff)}
    c.update(more)
    return c


RED = _c(PITFALL, "strict", "tf2/%s/loop_mirrored" % PITFALL, NAIVE_RUN, 1.02e-2, passed=False,
         settings_diff=[{"setting": "distribute.loss_scale", "left": 1.0, "right": 2.0}],
         first_divergence={"detail": "weights after one optimizer step differ by 0.0514"})
GREEN = {
    "comparisons": [
        _c("pairshift_distributed", "strict", "tf1/pairshift_distributed/estimator_mirrored",
           "tf1/pairshift_distributed/estimator", 4.77e-7),
        _c("pairshift_distributed", "pair", "tf2/pairshift_distributed/loop_mirrored",
           "tf2/pairshift_distributed/loop_multiworker", 0.0),
        _c("mlp_distributed", "strict", "tf1/mlp_distributed/estimator_mirrored", "tf2/mlp_distributed/loop_mirrored",
           2.38e-6),
        _c(PITFALL, "strict", "tf2/%s/loop_mirrored" % PITFALL, "tf1/%s/estimator_mirrored" % PITFALL, 8.34e-7),
        RED,
    ],
    "runs": {NAIVE_RUN: {"settings": {"distribute": {"replicas": 2.0, "loss_scale": 2.0}}}},
}


def _with(change):
    summary = copy.deepcopy(GREEN)
    change(summary)
    return verdict(summary)


def test_parity_green_and_the_naive_loop_red_for_its_cause_passes():
    result = verdict(GREEN)
    assert result["passed"] and result["problems"] == []
    assert result["pitfall"]["red"] and result["pitfall"]["cause"] == "distribute.loss_scale 1.0 vs 2.0 at 2.0 replicas"
    assert "PASSED: 3 parity comparisons, the naive loop red" in table(result)


def test_a_naive_loop_that_is_not_red_fails_the_session():
    def green(summary):
        summary["comparisons"][-1].update(passed=True, settings_diff=[])

    result = _with(green)
    assert not result["passed"] and "the naive loop was NOT red" in result["problems"][0]


def test_a_naive_loop_red_for_another_reason_fails_the_session():
    def other(summary):
        summary["comparisons"][-1]["settings_diff"] = [{"setting": "optimizer.learning_rate", "left": 0.2, "right": 0.4}]

    result = _with(other)
    assert not result["passed"] and "red, but not for its cause" in result["problems"][0]


def test_a_loss_scale_that_is_not_the_replica_count_is_not_the_cause():
    def three(summary):
        summary["comparisons"][-1]["settings_diff"][0]["right"] = 3.0

    assert not _with(three)["passed"]


def test_a_red_parity_comparison_fails_the_session():
    def red(summary):
        summary["comparisons"][0].update(passed=False, message="tf1 2 vs 1: weight['item1'] differs by 3e-4")

    result = _with(red)
    assert not result["passed"] and result["problems"] == ["tf1 2 vs 1: weight['item1'] differs by 3e-4"]


def test_a_missing_multiworker_comparison_or_case_fails_the_session():
    def no_workers(summary):
        del summary["comparisons"][1]

    assert "no passing comparison of the multi-worker run" in _with(no_workers)["problems"][0]

    def no_mlp(summary):
        summary["comparisons"] = [c for c in summary["comparisons"] if c["case"] != "mlp_distributed"]

    assert "mlp_distributed: no comparison was made" in _with(no_mlp)["problems"]


def test_the_sides_get_the_folder_its_cases_and_two_cpu_devices():
    args = side_args("results/distributed", ["--tf-log"])
    assert args[:4] == ["--results", "results/distributed", "--cases-from", "examples/distributed"]
    assert args[5:5 + len(CASES)] == list(CASES) and args[-3:] == ["--cpu-devices", "2", "--tf-log"]

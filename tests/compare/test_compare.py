"""The comparison: by name, with messages naming what differs; never passing with a side missing."""

import json
import os

import pytest

from shared import compare
from shared.core import results
from shared.core.registry import get_case

LINEAR = {"W": 2.9, "b": 2.1}


def _by_kind(summary, kind):
    return [c for c in summary["comparisons"] if c["kind"] == kind]


def test_identical_sides_pass(root, make_full):
    make_full(root, "linear", LINEAR)
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert summary["passed"], compare.table(summary)
    assert len(_by_kind(summary, "strict")) == len(get_case("linear").run_keys()) - 1
    with open(os.path.join(root, "summary.json")) as handle:
        assert json.load(handle)["passed"] is True


def test_perturbed_coefficient_fails_and_is_named(root, make_full, make_result):
    make_full(root, "pairshift", {"item000": 0.5, "item001": -0.5})
    make_result(root, "tf2", "pairshift", "keras3", {"item000": 0.5, "item001": -0.5 + 3.1e-4})
    summary = compare.summarize(root, ["pairshift"], with_oracle=False)
    assert not summary["passed"]
    failed = [c for c in summary["comparisons"] if not c["passed"]]
    assert len(failed) == 1
    assert failed[0]["right"] == "tf2/pairshift/keras3"
    assert "weight['item001'] differs by 0.00031 (tolerance 1e-05)" in failed[0]["message"]
    assert failed[0]["worst"][0]["name"] == "item001"


def test_just_inside_tolerance_passes(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "keras3", {"W": 2.9 + 0.9e-5, "b": 2.1})
    assert compare.summarize(root, ["linear"], with_oracle=False)["passed"]


@pytest.mark.parametrize("absent", ["tf1/session", "tf2/eager"])
def test_missing_side_fails_and_names_it(root, make_full, absent):
    make_full(root, "linear", LINEAR, skip=(absent,))
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert not summary["passed"]
    missing = _by_kind(summary, "missing")
    side, impl = absent.split("/")
    assert [m["left"] for m in missing] == ["%s/linear/%s" % (side, impl)]
    assert "the %s side is missing" % side in missing[0]["message"]


def test_no_results_at_all_fails(root):
    assert not compare.summarize(root, with_oracle=False)["passed"]


def test_failed_run_fails(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "eager", {}, status="error", error={"message": "TrainingError: diverged"})
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    failed = _by_kind(summary, "failed")
    assert not summary["passed"] and "diverged" in failed[0]["message"]


def test_results_from_other_data_refused(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "eager", LINEAR, data_sha256="0" * 64)
    refused = _by_kind(compare.summarize(root, ["linear"], with_oracle=False), "refused")
    assert "trained on other data" in refused[0]["message"]
    assert not any(c["right"] == "tf2/linear/eager" for c in compare.summarize(root, ["linear"], with_oracle=False)["comparisons"] if c["kind"] == "strict")


def test_results_from_other_spec_refused(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "keras2", LINEAR, spec_sha256="f" * 64)
    refused = _by_kind(compare.summarize(root, ["linear"], with_oracle=False), "refused")
    assert "another case spec" in refused[0]["message"]


def test_results_from_other_plan_refused(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "keras2", LINEAR, plan_sha256="other")
    assert "another batch plan" in _by_kind(compare.summarize(root, ["linear"], with_oracle=False), "refused")[0]["message"]


def test_unreadable_partial_result_is_a_failure_not_a_pass(root, make_full):
    make_full(root, "linear", LINEAR)
    path = results.result_path(root, "tf2", "linear", "eager")
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(text[: len(text) // 2])
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert not summary["passed"]
    assert any("not valid JSON" in c["message"] for c in _by_kind(summary, "failed"))


def test_vocabulary_order_does_not_matter():
    left = {"a": 1.0, "b": 2.0, "c": 3.0}
    right = dict(reversed(list(left.items())))
    assert compare.diff("pairshift", "l", "r", left, right, "strict", 1e-6, "r").passed


def test_items_on_one_side_only_fail_by_name():
    comp = compare.diff("pairshift", "l", "r", {"a": 1.0, "b": 2.0}, {"a": 1.0, "zz": 2.0}, "strict", 1e-6, "r").to_dict()
    assert not comp["passed"]
    assert comp["only_left"] == ["b"] and comp["only_right"] == ["zz"]
    assert "only left b; only right zz" in comp["message"]


def test_parsed_inputs_must_agree(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "eager", LINEAR, arrays_sha256="different")
    failed = [c for c in compare.summarize(root, ["linear"], with_oracle=False)["comparisons"] if not c["passed"]]
    assert "parsed the data into different arrays" in failed[0]["message"]


def test_overrides_are_named_in_the_message(root, make_full, make_result):
    make_full(root, "pairshift", {"item000": 0.5})
    make_result(root, "tf2", "pairshift", "keras2", {"item000": 0.6}, overrides={"initial_accumulator_value": 0.5})
    failed = [c for c in compare.summarize(root, ["pairshift"], with_oracle=False)["comparisons"] if not c["passed"]]
    assert "right ran with overrides initial_accumulator_value=0.5" in failed[0]["message"]


def test_container_env_compared_with_its_venv_twin(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf1-cpu", "linear", "session", {"W": 2.9, "b": 2.2}, side="tf1")
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    env = _by_kind(summary, "env")
    assert [(c["left"], c["right"], c["passed"]) for c in env] == [("tf1/linear/session", "tf1-cpu/linear/session", False)]


def test_centre_removes_only_the_gauge():
    centred = compare.centre({"c[a]": 1.0, "c[b]": 3.0, "d[a]": 5.0}, ["c["])
    assert centred == {"c[a]": -1.0, "c[b]": 1.0, "d[a]": 5.0}


def test_oracle_comparison_is_centred_for_pair_models(root, make_full):
    from shared.compare import oracle
    from shared.core import data, models

    case = get_case("pairshift")
    solution = oracle.solve(models.design(data.load(root, case), case.hyperparameters))
    shifted = dict((k, v + 7.0) for k, v in solution.items())
    make_full(root, "pairshift", shifted)
    summary = compare.summarize(root, ["pairshift"])
    oracle_rows = _by_kind(summary, "oracle")
    assert oracle_rows and all(c["passed"] and c["centred"] for c in oracle_rows)


def test_oracle_catches_an_unconverged_run(root, make_full):
    make_full(root, "linear", {"W": 5.0, "b": 0.0})
    summary = compare.summarize(root, ["linear"])
    assert not summary["passed"]
    assert all(not c["passed"] for c in _by_kind(summary, "oracle"))


def test_table_lists_failures_first(root, make_full, make_result):
    make_full(root, "linear", LINEAR)
    make_result(root, "tf2", "linear", "keras3", {"W": 3.5, "b": 2.1})
    text = compare.table(compare.summarize(root, ["linear"], with_oracle=False))
    lines = text.splitlines()
    assert lines[1].startswith("FAIL") and lines[-1].startswith("FAILED")


def test_a_side_whose_latest_run_did_not_finish_is_refused_until_a_run_finishes(root, make_full):
    from shared.core import staging

    make_full(root, "linear", LINEAR)
    assert compare.summarize(root, ["linear"], with_oracle=False)["passed"]
    stage = staging.Stage(results.runs_dir(root), "tf1", ["linear"], "python -m legacy_tf1 --cases linear").open()
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert not summary["passed"]
    failed = [c for c in summary["comparisons"] if not c["passed"]]
    assert [c["left"] for c in failed] == ["tf1/linear/session"] and failed[0]["kind"] == "failed"
    assert "the latest run of tf1 (pid %d, 'python -m legacy_tf1 --cases linear'" % os.getpid() in failed[0]["message"]
    assert "killed: it recorded no error" in failed[0]["message"]
    stage.fail(RuntimeError("disk on fire"))
    message = [c for c in compare.summarize(root, ["linear"], with_oracle=False)["comparisons"] if not c["passed"]][0]
    assert "RuntimeError: disk on fire" in message["message"]
    stage.commit({"env": "tf1", "results": [], "failures": [], "fingerprint": {}})  # an empty side: it finished
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert [c["kind"] for c in summary["comparisons"] if not c["passed"]] == ["missing"]


@pytest.mark.parametrize("garbage", [b"\x00\xffnot json", b"[1, 2]", b'{"env": "tf2", "results": [], "failures": []}'],
                         ids=["bytes", "not-an-object", "another-env"])
def test_a_corrupted_env_json_is_refused_naming_the_file(root, make_full, garbage):
    make_full(root, "linear", LINEAR)
    path = os.path.join(results.runs_dir(root), "tf1", "env.json")
    with open(path, "wb") as handle:
        handle.write(garbage)
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    assert not summary["passed"]
    failed = [c for c in summary["comparisons"] if not c["passed"]]
    assert [c["left"] for c in failed] == ["tf1/linear/session"]
    assert "side record %s" % path in failed[0]["message"]

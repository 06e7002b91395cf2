"""Contract v2 checks: named tensors element-wise, predictions and loss curves, reported convergence, and the
explanation of a red comparison (first divergence, the settings that differ)."""

import numpy as np

from shared import compare
from shared.compare.stages import first_divergence, settings_diff
from shared.core.registry import get_case


def test_a_tensor_element_that_differs_is_named_with_its_index():
    left = {"dnn/hidden_0/kernel": np.zeros((4, 8)), "dnn/hidden_0/bias": np.zeros(8)}
    right = {"dnn/hidden_0/kernel": np.zeros((4, 8)), "dnn/hidden_0/bias": np.zeros(8)}
    right["dnn/hidden_0/kernel"][3, 7] = 2.1e-4
    comp = compare.diff("mlp", "tf1/mlp/estimator", "tf2/mlp/keras3", left, right, "strict", 1e-5, "r")
    assert not comp.passed and comp.n_coefficients == 40
    assert "dnn/hidden_0/kernel[3, 7] differs by 0.00021 (tolerance 1e-05); 1 of 40 coefficients over" in comp.message
    assert comp.worst[0]["name"] == "dnn/hidden_0/kernel[3, 7]"


def test_tensors_of_another_shape_never_pass():
    comp = compare.diff("mlp", "l", "r", {"k": np.zeros((2, 3))}, {"k": np.zeros((3, 2))}, "strict", 1.0, "r")
    assert not comp.passed and "shapes differ: k [2, 3] vs [3, 2]" in comp.message


def test_predictions_and_loss_name_their_element():
    preds = compare.diff("mlp", "l", "r", compare.series("probe", [0.0, 1.0, 2.0]), compare.series("probe", [0.0, 1.5, 2.0]),
                         "predictions", 1e-5, "r")
    assert not preds.passed and "prediction[1] differs by 0.5" in preds.message and "1 of 3 predictions over" in preds.message
    loss = compare.diff("mlp", "l", "r", {"loss[epoch 1]": 1.0, "loss[epoch 2]": 0.5},
                        {"loss[epoch 1]": 1.0, "loss[epoch 2]": 0.7}, "loss", 1e-3, "r")
    assert "loss[epoch 2] differs by 0.2" in loss.message and "1 of 2 epochs over" in loss.message


def test_convergence_not_required_is_reported_and_does_not_fail_the_run(root, make_full):
    make_full(root, "pairshift", dict((n, 0.0) for n in _items(root)))  # agreeing sides, far from the optimum
    summary = compare.summarize(root, ["pairshift"])
    oracle = [c for c in summary["comparisons"] if c["kind"] == "oracle"]
    assert oracle and all(not c["passed"] and c["gating"] is False for c in oracle)
    assert all("reported, not required" in c["message"] for c in oracle)
    assert summary["passed"] and summary["n_failed"] == 0 and summary["n_reported"] == len(oracle)
    assert "note " in compare.table(summary) and "reported (not required)" in compare.table(summary)


def test_convergence_required_fails_the_run(root, make_full):
    make_full(root, "linear", {"W": 0.0, "b": 0.0})
    summary = compare.summarize(root, ["linear"])
    oracle = [c for c in summary["comparisons"] if c["kind"] == "oracle"]
    assert oracle and not summary["passed"] and all(c["gating"] for c in oracle)


def _items(root):
    from shared.core import data

    return data.load(root, get_case("pairshift")).items()


def _run(first_step, losses, shapes=None, forward=None):
    stages = {"first_step": first_step}
    if forward is not None:
        stages["forward"] = forward
    return {"shapes": shapes or {"k": [2]}, "stages": stages, "loss_history": losses}


def test_first_divergence_finds_the_first_step_for_an_optimizer_change():
    ref = _run({"k": [0.1, 0.2]}, [1.0, 0.5, 0.25], forward=[0.0, 1.0])
    run = _run({"k": [0.1, 0.3]}, [1.0, 0.6, 0.35], forward=[0.0, 1.0])
    found = first_divergence(ref, run, 1e-6, 1e-6, 1e-6)
    assert found["stage"] == "first step" and found["index"] == 3 and abs(found["max_abs_diff"] - 0.1) < 1e-12


def test_first_divergence_at_the_forward_pass_and_at_the_variables():
    ref = _run({"k": [0.1, 0.2]}, [1.0], forward=[0.0, 1.0])
    assert first_divergence(ref, _run({"k": [0.1, 0.2]}, [1.0], forward=[0.0, 1.5]), 1e-6, 1e-6, 1e-6)["stage"] == \
        "forward pass"
    assert first_divergence(ref, _run({"k": [0.1, 0.2]}, [1.0], shapes={"k": [3]}), 1e-6, 1e-6, 1e-6)["stage"] == \
        "variables"


def test_first_divergence_names_the_epoch_when_the_first_step_agrees():
    ref = _run({"k": [0.1, 0.2]}, [1.0, 0.5, 0.25])
    found = first_divergence(ref, _run({"k": [0.1, 0.2]}, [1.0, 0.5, 0.3]), 1e-6, None, 1e-3)
    assert found["stage"] == "epoch" and found["epoch"] == 3


def test_settings_diff_names_every_setting_that_differs_but_not_the_class():
    tf1 = {"optimizer": {"name": "adagrad", "class": "tf.train.AdagradOptimizer", "learning_rate": 0.05,
                         "epsilon": 0.0}, "loss": {"function": "mse", "reduction": "sum"}, "batch_size": 100}
    tf2 = {"optimizer": {"name": "adagrad", "class": "keras.Adagrad", "learning_rate": 0.05000000074505806,
                         "epsilon": 1e-7}, "loss": {"function": "mse", "reduction": "mean"}, "batch_size": 100}
    changed = dict((d["setting"], (d["left"], d["right"])) for d in settings_diff(tf1, tf2))
    assert changed == {"optimizer.epsilon": (0.0, 1e-7), "loss.reduction": ("sum", "mean")}


def test_a_failing_agreement_check_carries_its_explanation(root, make_result):
    case = get_case("linear")
    settings = {"optimizer": {"name": "sgd", "learning_rate": 0.1}}
    make_result(root, "tf1", "linear", "session", {"W": 3.0, "b": 2.0}, settings=settings,
                stages={"first_step": {"W": 4.0, "b": 0.4}}, shapes={"W": [], "b": []})
    for impl in case.impls["tf2"]:
        make_result(root, "tf2", "linear", impl, {"W": 3.0, "b": 2.0} if impl != "eager" else {"W": 3.2, "b": 2.0},
                    settings=settings if impl != "eager" else {"optimizer": {"name": "sgd", "learning_rate": 0.2}},
                    stages={"first_step": {"W": 4.0, "b": 0.4} if impl != "eager" else {"W": 3.0, "b": 0.8}},
                    shapes={"W": [], "b": []})
    summary = compare.summarize(root, ["linear"], with_oracle=False)
    bad = [c for c in summary["comparisons"] if not c["passed"]]
    assert [c["right"] for c in bad] == ["tf2/linear/eager"]
    assert bad[0]["first_divergence"]["stage"] == "first step"
    assert bad[0]["settings_diff"] == [{"setting": "optimizer.learning_rate", "left": 0.1, "right": 0.2}]
    assert "settings that differ: optimizer.learning_rate 0.1 vs 0.2" in bad[0]["message"]


def _paired(monkeypatch):
    """The linear case with a second TF2 run and the pair (tf2/eager, tf2/function) to compare directly."""
    from shared.core import registry
    from shared.core.case import Case, Check

    real = get_case("linear")
    case = Case(real.name, real.description, real.dataset, real.hyperparameters,
                {"tf1": ["session"], "tf2": ["eager", "function"]}, "tf1/session",
                [Check("weights", 1e-6, "float32 rounding")], model="linear", pairs=[("tf2/eager", "tf2/function")])
    monkeypatch.setitem(registry._REGISTRY, "linear", case)
    return case


def test_a_named_pair_is_compared_with_each_other_besides_the_reference(root, make_result, monkeypatch):
    _paired(monkeypatch)
    make_result(root, "tf1", "linear", "session", {"W": 3.0, "b": 2.0})
    make_result(root, "tf2", "linear", "eager", {"W": 3.0 + 4e-7, "b": 2.0})
    make_result(root, "tf2", "linear", "function", {"W": 3.0 - 4e-7, "b": 2.0})
    summary = compare.summarize(root, ["linear"])
    pairs = [c for c in summary["comparisons"] if c["kind"] == "pair"]
    assert len(pairs) == 1 and pairs[0]["left"] == "tf2/linear/eager" and pairs[0]["right"] == "tf2/linear/function"
    assert pairs[0]["passed"] and abs(pairs[0]["max_abs_diff"] - 8e-7) < 1e-12 and summary["passed"]


def test_a_pair_that_differs_fails_naming_the_weight_and_the_setting(root, make_result, monkeypatch):
    """Each run agrees with the reference within the tolerance; the two are twice as far apart: only the pair sees it."""
    _paired(monkeypatch)
    make_result(root, "tf1", "linear", "session", {"W": 3.0, "b": 2.0})
    make_result(root, "tf2", "linear", "eager", {"W": 3.0 + 8e-7, "b": 2.0},
                settings={"distribute": {"loss_scale": 1.0}})
    make_result(root, "tf2", "linear", "function", {"W": 3.0 - 8e-7, "b": 2.0},
                settings={"distribute": {"loss_scale": 2.0}})
    summary = compare.summarize(root, ["linear"])
    assert not summary["passed"]
    failed = [c for c in summary["comparisons"] if not c["passed"]]
    assert [c["kind"] for c in failed] == ["pair"]
    assert "W differs by 1.6e-06 (tolerance 1e-06)" in failed[0]["message"]
    assert "settings that differ: distribute.loss_scale 1.0 vs 2.0" in failed[0]["message"]


def test_a_pair_with_a_missing_run_is_reported_as_missing_not_passed(root, make_result, monkeypatch):
    _paired(monkeypatch)
    make_result(root, "tf1", "linear", "session", {"W": 3.0, "b": 2.0})
    make_result(root, "tf2", "linear", "eager", {"W": 3.0, "b": 2.0})
    summary = compare.summarize(root, ["linear"])
    kinds = sorted(c["kind"] for c in summary["comparisons"])
    assert "pair" not in kinds and "missing" in kinds and not summary["passed"]

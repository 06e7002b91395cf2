"""The canned cases' checks that need no TensorFlow: a TF1 start that missed the shared init, a case that misstates
the Estimator's defaults, and a Keras port's optimizer settings taken from the case."""

import numpy as np
import pytest

from shared.core.errors import TrainingError

from legacy_tf1.canned import check_declared, check_start, checkpoint_name

USED = {"optimizer": {"name": "adagrad", "class": "tf.train.AdagradOptimizer", "learning_rate": 0.05000000074505806,
                      "initial_accumulator_value": 0.1, "epsilon": 0.0},
        "loss": {"function": "mse", "reduction": "sum"}}
HP = {"optimizer": "adagrad", "learning_rate": 0.05, "initial_accumulator_value": 0.1, "epsilon": 0.0,
      "loss_reduction": "sum", "epochs": 40}


def test_a_variable_the_warm_start_missed_is_named():
    init = {"dnn/logits/bias": np.zeros(1, np.float32), "dnn/logits/kernel": np.ones((2, 1), np.float32)}
    check_start("x", dict(init), init)
    with pytest.raises(TrainingError, match="differ or missing: dnn/logits/kernel; not in the init: none"):
        check_start("x", {"dnn/logits/bias": np.zeros(1), "dnn/logits/kernel": np.full((2, 1), 0.5)}, init)


def test_declared_settings_match_at_float32_and_a_wrong_one_is_named():
    check_declared("x", USED, HP)  # 0.05 read back from a float32 constant is still 0.05
    with pytest.raises(TrainingError) as err:
        check_declared("x", USED, dict(HP, learning_rate=0.001, loss_reduction="mean"))
    assert "optimizer.learning_rate 0.05000000074505806 (declared 0.001)" in str(err.value)
    assert "loss.reduction 'sum' (declared 'mean')" in str(err.value)


def test_checkpoint_names_drop_the_single_partition():
    assert checkpoint_name("dnn/hiddenlayer_0/kernel/part_0") == "dnn/hiddenlayer_0/kernel"
    assert checkpoint_name("global_step") == "global_step"
    with pytest.raises(TrainingError, match="split into partitions"):
        checkpoint_name("linear/linear_model/x/weights/part_1")


def test_a_keras_port_takes_each_setting_its_optimizer_accepts_from_the_case():
    from types import SimpleNamespace

    from modern_tf2.canned import optimizer

    class Adagrad(object):
        def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, jit_compile=True):
            self.kwargs = dict(learning_rate=learning_rate, initial_accumulator_value=initial_accumulator_value,
                               epsilon=epsilon, jit_compile=jit_compile)

    keras = SimpleNamespace(optimizers=SimpleNamespace(Adagrad=Adagrad))
    hp = dict(("dnn_" + k, v) for k, v in HP.items() if k != "loss_reduction")
    hp.update(linear_learning_rate=0.005, loss_reduction="sum")
    assert optimizer(keras, hp, "dnn_").kwargs == {"learning_rate": 0.05, "initial_accumulator_value": 0.1,
                                                   "epsilon": 0.0, "jit_compile": False}

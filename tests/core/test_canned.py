"""The canned cases' numpy models and name tables, without TensorFlow: what both sides are held to."""

import numpy as np
import pandas as pd
import pytest

from shared.core import canned, restore
from shared.core.errors import ArtifactError
from shared.core.registry import get_case
from shared.core.weights import NameMap, draw


def _linear_weights():
    w = dict((n, np.zeros(s)) for n, s in canned.LINEAR_WEIGHTS.items())
    w[canned.LINEAR + "age_bucketized/weights"][:, 0] = [1.0, 2.0, 3.0, 4.0, 5.0]
    w[canned.LINEAR + "region/weights"][:, 0] = [10.0, 20.0, 30.0, 40.0, 50.0]
    w[canned.LINEAR + "income/weights"][0, 0] = 100.0
    w[canned.LINEAR + "bias_weights"][0] = 0.5
    return w


def test_linear_forward_puts_a_boundary_age_in_the_upper_bucket_and_ignores_an_unknown_region():
    frame = pd.DataFrame({"age": [29.0, 30.0, 60.0, 75.0], "income": [0.0, 0.0, 0.01, 0.0],
                          "region": ["north", "centre", "islands", "islands"]})
    out = canned.forward_linear(_linear_weights(), frame)
    assert out.tolist() == [1.0 + 10.0 + 0.5, 2.0 + 50.0 + 0.5, 5.0 + 1.0 + 0.5, 5.0 + 0.5]


def test_dnn_forward_reads_its_columns_in_sorted_name_order():
    rs = np.random.RandomState(0)
    frame = pd.DataFrame(dict((c, rs.normal(size=4)) for c in reversed(canned.DNN_INPUTS)))
    w = {"dnn/logits/kernel": np.zeros((8, 1)), "dnn/logits/bias": np.zeros(1)}
    w["dnn/logits/kernel"][canned.DNN_INPUTS.index("humidity"), 0] = 1.0
    assert np.array_equal(canned.forward_dnn(w, frame), frame["humidity"].to_numpy())
    assert canned.DNN_INPUTS[0] == "altitude"


def test_widedeep_forward_adds_the_crossed_bucket_weight_and_embeds_one_band_row():
    case = get_case("canned_widedeep")
    w = dict((n, np.zeros(np.shape(v))) for n, v in draw(case.init).items())
    w[canned.LINEAR + canned.CROSS + "/weights"][7, 0] = 2.0
    w[canned.EMBEDDING][:] = np.arange(15.0).reshape(5, 3)
    w["dnn/logits/bias"][0] = 0.25
    frame = pd.DataFrame(dict([(c, [0.0, 0.0]) for c in canned.WIDE_NUMERIC] +
                              [("area_band", ["q1", "q2"]), ("texture_band", ["lo", "hi"]), ("smooth_band", ["s2", "s5"])]))
    out = canned.forward_widedeep(w, frame, np.array([7, 3]))
    assert out.tolist() == [2.25, 0.25]  # zero hidden layers pass nothing: the cross weight and the logits bias


@pytest.mark.parametrize("name", ["canned_dnn", "canned_widedeep"])
@pytest.mark.parametrize("run_key", ["tf1/estimator", "tf2/keras2", "tf2/keras3"])
def test_every_name_table_covers_the_shared_init_with_its_shapes(name, run_key):
    case = get_case(name)
    init = draw(case.init)
    side, impl = run_key.split("/")
    names = NameMap(run_key, case.name_map(side, impl), init)
    live = names.from_canonical(init)
    back = names.to_canonical(live)
    assert sorted(back) == sorted(init) and all(np.array_equal(back[n], init[n]) for n in init)


def test_the_keras_ports_kernel_rows_follow_each_ports_column_order():
    case = get_case("canned_widedeep")
    keras2, keras3 = case.name_map("tf2", "keras2"), case.name_map("tf2", "keras3")
    cross = canned.LINEAR + canned.CROSS + "/weights"
    assert keras2["linear_model/kernel[0:16]"] == cross  # DenseFeatures: '..._X_..._indicator' sorts first
    assert keras3["linear_model/kernel[4:20]"] == cross  # TF1's linear_model order, built explicitly
    linear = get_case("canned_linear").name_map("tf2", "keras3")
    assert NameMap("x", linear).to_canonical({"linear_model/kernel": np.zeros((11, 1)), "linear_model/bias": np.zeros(1)})


def _canned_checkpoint(case):
    """What a canned Estimator's checkpoint holds: every canonical weight (distinct values), its optimizers' slots
    under partitioned names, the step counter."""
    shapes = dict((n, tuple(i.shape)) for n, i in case.init.weights.items()) if case.init is not None else \
        canned.LINEAR_WEIGHTS
    rs = np.random.RandomState(0)
    out = dict((n, rs.uniform(-1, 1, s).astype(np.float32)) for n, s in shapes.items())
    for n, s in shapes.items():
        for slot in ("Ftrl", "Ftrl_1") if n.startswith("linear/") else ("Adagrad",):
            out[n + "/part_0/" + slot] = np.zeros(s, np.float32)
    out["global_step"] = np.asarray(200, np.int64)
    return out


@pytest.mark.parametrize("name", ["canned_linear", "canned_dnn", "canned_widedeep"])
@pytest.mark.parametrize("impl", ["keras2", "keras3"])
def test_each_ports_restore_table_puts_every_canned_key_where_the_weight_comparison_reads_it(name, impl):
    case = get_case(name)
    ckpt = _canned_checkpoint(case)
    unused = dict(restore.STATE["ftrl"], **restore.STATE["adagrad"])
    table = restore.Table.from_names(case.name_map("tf1", "estimator"), case.name_map("tf2", impl), unused)
    names = NameMap(name, case.name_map("tf2", impl))
    weights = dict((n, np.asarray(v, np.float32)) for n, v in names.from_canonical(
        dict((k, ckpt[k]) for k in case.name_map("tf1", "estimator"))).items())
    values, report = restore.plan_restore(table, ckpt, dict((n, (v.shape, "float32")) for n, v in weights.items()), name)
    assert sorted(values) == sorted(weights) and all(np.array_equal(values[n], weights[n]) for n in weights)
    assert "global_step" in report["unused"] and not any(k in report["unused"] for k in case.name_map("tf1", "estimator"))
    back, _ = restore.plan_rollback(table, values, 200, name)
    assert all(np.array_equal(back[k], ckpt[k]) for k in case.name_map("tf1", "estimator"))


def test_a_wrong_canned_name_map_fails_the_restore_by_name():
    case = get_case("canned_linear")
    wrong = dict(case.name_map("tf2", "keras3"))
    wrong["linear_model/kernel[0:4]"] = wrong.pop("linear_model/kernel[0:5]")  # one age bucket short
    ckpt = _canned_checkpoint(case)
    table = restore.Table.from_names(case.name_map("tf1", "estimator"), wrong, restore.STATE["ftrl"])
    with pytest.raises(ArtifactError) as err:
        restore.plan_restore(table, ckpt, {"linear_model/kernel": ((11, 1), "float32"),
                                           "linear_model/bias": ((1,), "float32")}, "tf2/canned_linear/keras3")
    message = str(err.value)
    assert "key 'linear/linear_model/age_bucketized/weights' -> 'linear_model/kernel': shape [5, 1], the model's " \
           "weight (rows 0:4) is [4, 1]" in message
    assert "do not cover its 11 rows each once" in message

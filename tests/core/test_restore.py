"""Restore tables with coverage, rollback, the TF1 graph preflight and serving-call checks, on small fakes (no TF)."""

import numpy as np
import pandas as pd
import pytest

from shared.core import restore
from shared.core.errors import ArtifactError
from shared.core.restore import STATE, Table, Target

ITEMS = ["a", "b", "c"]
KERNEL = np.asarray([[1.0], [2.0], [3.0]], np.float32)
FTRL_CKPT = {"dense/kernel": KERNEL, "dense/kernel/Ftrl": KERNEL * 0, "dense/kernel/Ftrl_1": KERNEL * 0,
             "global_step": np.asarray(800, np.int64)}


def _weights(rows=3):
    return {"dense/kernel": ((rows, 1), "float32")}


def _fails(table, checkpoint=FTRL_CKPT, weights=None):
    with pytest.raises(ArtifactError) as err:
        restore.plan_restore(table, checkpoint, _weights() if weights is None else weights, "tf2/pairshift/keras2")
    return str(err.value)


def test_a_table_restores_every_weight_and_reports_the_keys_left_on_purpose():
    values, report = restore.plan_restore(Table({"dense/kernel": "dense/kernel"}, STATE["ftrl"]), FTRL_CKPT, _weights(),
                                          "here")
    assert np.array_equal(values["dense/kernel"], KERNEL)
    assert report["restored"] == {"dense/kernel": "dense/kernel"} and report["n_weights"] == 1
    assert report["unused"] == {"dense/kernel/Ftrl": "FTRL accumulator slot", "dense/kernel/Ftrl_1": "FTRL linear slot",
                                "global_step": "the Estimator's step counter"}


def test_a_key_not_in_the_checkpoint_is_named_with_the_closest_keys():
    message = _fails(Table({"dense/kernels": "dense/kernel"}, STATE["ftrl"]))
    assert "key 'dense/kernels' is not in the checkpoint (closest: 'dense/kernel'" in message
    assert "left over that the table neither restores nor declares unused: 'dense/kernel'" in message


def test_a_key_left_over_undeclared_is_refused():
    message = _fails(Table({"dense/kernel": "dense/kernel"}, {"global_step": "step"}))
    assert "left over that the table neither restores nor declares unused: 'dense/kernel/Ftrl', 'dense/kernel/Ftrl_1'" \
        in message


def test_a_weight_nothing_restores_is_refused_and_named():
    weights = dict(_weights(), **{"bn/moving_mean": ((4,), "float32")})
    message = _fails(Table({"dense/kernel": "dense/kernel"}, STATE["ftrl"]), weights=weights)
    assert "model weight(s) no key restores: 'bn/moving_mean'" in message


def test_two_keys_for_one_weight_are_refused():
    with pytest.raises(ArtifactError) as err:
        Table({"dense/kernel": "k", "dense/kernel/Ftrl": "k"})
    assert "'k' <- 'dense/kernel', 'dense/kernel/Ftrl'" in str(err.value)


def test_a_target_that_is_no_weight_of_the_model_is_named():
    message = _fails(Table({"dense/kernel": "pair_model/dense/kernel"}, STATE["ftrl"]))
    assert "goes to 'pair_model/dense/kernel', which is not a weight of the model (its weights: 'dense/kernel')" in message


def test_a_shape_mismatch_names_key_shapes_and_the_oov_hint():
    message = _fails(Table({"dense/kernel": "dense/kernel"}, STATE["ftrl"]), weights=_weights(4))
    assert "key 'dense/kernel' -> 'dense/kernel': shape [3, 1], the model's weight is [4, 1]" in message
    assert "StringLookup out-of-vocabulary slots? name the rows" in message


def test_a_dtype_mismatch_is_named():
    message = _fails(Table({"dense/kernel": "dense/kernel"}, STATE["ftrl"]), weights={"dense/kernel": ((3, 1), "float64")})
    assert "dtype float32, the model's weight is float64" in message


def test_rows_by_name_insert_keras3_oov_slots_as_zero_and_roll_back_while_zero():
    target = Target("dense/kernel", rows=(ITEMS, [None] + ITEMS))
    model = target.to_model("dense/kernel", KERNEL)
    assert model[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert np.array_equal(target.to_checkpoint("dense/kernel", model), KERNEL)
    model[0] = 0.5
    with pytest.raises(ArtifactError) as err:
        target.to_checkpoint("dense/kernel", model)
    assert "nonzero out-of-vocabulary slot" in str(err.value) and "row 0 = [0.5]" in str(err.value)


def test_rows_by_name_follow_names_not_positions():
    target = Target("k", rows=(["c[a]", "c[b]", "d[a]", "d[b]"], [None, "c[a]", "c[b]", None, "d[a]", "d[b]"]))
    value = np.arange(1.0, 5.0, dtype=np.float32).reshape(4, 1)
    assert target.to_model("k", value)[:, 0].tolist() == [0.0, 1.0, 2.0, 0.0, 3.0, 4.0]
    with pytest.raises(ArtifactError) as err:
        Target("k", rows=(["a", "b"], [None, "a", "x"]))
    assert "only in the checkpoint: 'b'; only in the model: 'x'" in str(err.value)


def test_from_names_composes_the_two_name_maps():
    table = Table.from_names({"dense/kernel": "hidden_0/kernel", "dense/bias": "hidden_0/bias"},
                             {"mlp/h0/kernel": "hidden_0/kernel", "mlp/h0/bias": "hidden_0/bias"}, STATE["adam"])
    assert dict((k, t.weight) for k, t in table.targets.items()) == {"dense/kernel": "mlp/h0/kernel",
                                                                    "dense/bias": "mlp/h0/bias"}
    assert table.ignorable("dense/kernel/Adam_1") == "Adam second-moment slot" and table.ignorable("dense/kernel") is None
    with pytest.raises(ArtifactError) as err:
        Table.from_names({"dense/kernel": "hidden_0/kernel"}, {"mlp/h0/kernel": "hidden/kernel"}, where="tf2/mlp/keras3")
    assert "only in the tf1 map: 'hidden_0/kernel'; only in the tf2 map: 'hidden/kernel'" in str(err.value)


def test_rollback_writes_every_weight_under_its_tf1_key_plus_the_step():
    table = Table({"dense/kernel": Target("dense/kernel", rows=(ITEMS, [None] + ITEMS))}, STATE["ftrl"])
    out, report = restore.plan_rollback(table, {"dense/kernel": np.vstack([[0.0], KERNEL])}, 800, "here")
    assert sorted(out) == ["dense/kernel", "global_step"] and np.array_equal(out["dense/kernel"], KERNEL)
    assert out["global_step"].dtype == np.int64 and int(out["global_step"]) == 800 and report["step"] == 800
    with pytest.raises(ArtifactError) as err:
        restore.plan_rollback(table, {"dense/kernel": np.vstack([[0.0], KERNEL]), "bn/gamma": np.ones(3)}, 1, "here")
    assert "the table gives no checkpoint key, which TF1 could not restore: 'bn/gamma'" in str(err.value)


def test_preflight_names_a_missing_step_an_extra_key_and_a_kept_oov_row():
    graph = {"dense/kernel": ([3, 1], "float32"), "global_step": ([], "int64")}
    restore.preflight(graph, {"dense/kernel": ([3, 1], "float32"), "global_step": ([], "int64")}, "ok")
    with pytest.raises(ArtifactError) as err:
        restore.preflight(graph, {"dense/kernel": ([4, 1], "float32"), "pair_model/dense/kernel": ([3, 1], "float32")},
                          "tf1/pairshift/estimator <- tf2/pairshift/keras3")
    message = str(err.value)
    assert "graph variable 'global_step' has no key in the checkpoint" in message
    assert "'dense/kernel': checkpoint shape [4, 1], graph shape [3, 1] (a Keras 3 kernel" in message
    assert "key(s) no graph variable restores: 'pair_model/dense/kernel'" in message


def test_a_call_with_other_inputs_names_the_inputs_the_signature_takes():
    takes = {"examples": ("string", [None])}
    restore.check_call("predict", takes, {"examples": ("string", [4])})
    with pytest.raises(ArtifactError) as err:
        restore.check_call("predict", takes, {"inputs": ("string", [4])})
    assert "signature 'predict' takes other inputs" in str(err.value)
    assert "expected: inputs 'examples' (examples string [None])" in str(err.value)
    assert "a call with 'inputs'" in str(err.value)
    with pytest.raises(ArtifactError) as err:
        restore.check_call("predict", takes, {"examples": ("float32", [2])})
    assert "expected: string of shape [None]" in str(err.value) and "found: float32 of shape [2]" in str(err.value)
    with pytest.raises(ArtifactError):
        restore.check_call("predict", takes, {"examples": ("string", [4, 1])})


SPEC = restore.spec_to_json({"item1": ("var_len", "string", []), "u1": ("fixed_len", "float32", [])})


def test_examples_lacking_a_feature_fail_instead_of_predicting_zero():
    restore.check_examples("predict", "examples", [{"item1": "bytes_list", "u1": "float_list"}], SPEC)
    with pytest.raises(ArtifactError) as err:
        restore.check_examples("predict", "examples", [{"item_1": "bytes_list", "u1": "float_list"}], SPEC)
    assert "missing 'item1' (has 'item_1', 'u1')" in str(err.value) and "predicts as if" in str(err.value)
    with pytest.raises(ArtifactError) as err:
        restore.check_examples("predict", "examples", [{"item1": "int64_list", "u1": "float_list"}], SPEC)
    assert "feature 'item1' is a int64_list, the spec wants bytes_list" in str(err.value)
    with pytest.raises(ArtifactError) as err:
        restore.check_examples("predict", "examples", [ValueError("Error parsing message")], SPEC)
    assert "input 'examples'[0] is not a serialized tf.train.Example" in str(err.value)


def test_example_rows_come_from_the_probe_columns_by_name():
    frame = pd.DataFrame({"item1": ["a", "b"], "u1": [0.5, 1.5], "dif": [0.0, 1.0]})
    rows = restore.example_rows(SPEC, frame)
    assert rows[1] == {"item1": ("bytes_list", [b"b"]), "u1": ("float_list", [1.5])}
    with pytest.raises(ArtifactError) as err:
        restore.example_rows(dict(SPEC, u2=SPEC["u1"]), frame)
    assert "the probe set has no column for feature(s) 'u2'" in str(err.value)


PARTED = {"linear/age/weights": np.asarray([[1.0], [2.0]], np.float32), "linear/region/weights":
          np.asarray([[3.0], [4.0], [5.0]], np.float32), "linear/bias_weights": np.asarray([0.5], np.float32),
          "linear/age/weights/part_0/Ftrl": np.zeros((2, 1), np.float32), "global_step": np.asarray(7, np.int64)}
PARTED_TF2 = {"linear_model/kernel[0:2]": "age", "linear_model/kernel[2:5]": "region", "linear_model/bias": "bias"}
PARTED_TF1 = {"linear/age/weights": "age", "linear/region/weights": "region", "linear/bias_weights": "bias"}
PARTED_WEIGHTS = {"linear_model/kernel": ((5, 1), "float32"), "linear_model/bias": ((1,), "float32")}


def test_row_slices_of_a_name_map_restore_several_keys_into_one_kernel_and_roll_back_apart():
    table = Table.from_names(PARTED_TF1, PARTED_TF2, STATE["ftrl"])
    assert table.to_dict()["targets"]["linear/region/weights"] == {"weight": "linear_model/kernel", "transform": "rows 2:5"}
    values, report = restore.plan_restore(table, PARTED, PARTED_WEIGHTS, "tf2/canned_linear/keras3")
    assert values["linear_model/kernel"][:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert report["restored"]["linear_model/kernel"] == ["linear/age/weights", "linear/region/weights"]
    assert sorted(report["unused"]) == ["global_step", "linear/age/weights/part_0/Ftrl"]
    out, _ = restore.plan_rollback(table, values, 7, "here")
    assert sorted(out) == sorted(list(PARTED_TF1) + ["global_step"])
    assert all(np.array_equal(out[k], PARTED[k]) for k in PARTED_TF1)


def test_row_slices_that_do_not_cover_the_kernel_or_misstate_a_key_fail_naming_both():
    short = dict(PARTED_TF2)
    del short["linear_model/kernel[2:5]"]
    short["linear_model/kernel[2:4]"] = "region"
    message = _fails(Table.from_names(PARTED_TF1, short, STATE["ftrl"]), PARTED, PARTED_WEIGHTS)
    assert "key 'linear/region/weights' -> 'linear_model/kernel': shape [3, 1], the model's weight (rows 2:4) is [2, 1]" \
        in message
    assert "the parts of 'linear_model/kernel' (linear/age/weights -> rows 0:2, linear/region/weights -> rows 2:4) do " \
           "not cover its 5 rows each once" in message
    with pytest.raises(ArtifactError) as err:
        restore.plan_rollback(Table.from_names(PARTED_TF1, short, STATE["ftrl"]),
                              {"linear_model/kernel": np.zeros((5, 1)), "linear_model/bias": np.zeros(1)}, 7, "here")
    assert str(err.value).count("do not cover its 5 rows each once") == 1


def test_a_weight_from_a_whole_key_and_parts_at_once_or_a_sliced_tf1_map_is_refused():
    with pytest.raises(ArtifactError) as err:
        Table({"a": Target("k", part=(0, 2)), "b": Target("k")})
    assert "'k' <- 'b', 'a'" in str(err.value)
    with pytest.raises(ArtifactError) as err:
        Table.from_names({"kernel[0:2]": "age"}, {"k[0:2]": "age"})
    assert "the tf1 name map slices rows of 'kernel[0:2]'" in str(err.value)
    with pytest.raises(ArtifactError):
        Target("k", part=(3, 3))

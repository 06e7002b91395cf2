"""Named tensors: element names, the JSON form, shared initial weights and name maps that fail loudly."""

import numpy as np
import pytest

from shared.core.case import Init, InitSpec
from shared.core.errors import RegistryError
from shared.core.weights import NameMap, as_arrays, draw, elements, max_abs_change, tiles, to_json

CANON = {"hidden_0/kernel": np.zeros((2, 3)), "hidden_0/bias": np.zeros(3)}
TABLE = {"dense/kernel": "hidden_0/kernel", "dense/bias": "hidden_0/bias"}


def test_elements_are_named_by_index_and_scalars_keep_their_name():
    named = dict(elements({"k": np.arange(6.0).reshape(2, 3), "W": 2.5}))
    assert named["k[1, 2]"] == 5.0 and named["W"] == 2.5 and len(named) == 7


def test_json_round_trip_keeps_shapes_and_float32_values():
    weights = {"k": np.float32([[0.1, 0.2]]), "b": np.float32(0.3)}
    back = as_arrays(to_json(weights))
    assert back["k"].shape == (1, 2) and back["b"].shape == ()
    assert back["k"].astype(np.float32).tolist() == weights["k"].tolist()
    assert isinstance(to_json(weights)["b"], float)


def test_name_map_translates_both_ways():
    names = NameMap("mlp/tf1/estimator", TABLE, CANON)
    live = {"dense/kernel:0": np.ones((2, 3)), "dense/bias": np.ones(3)}
    assert sorted(names.to_canonical(live)) == sorted(CANON)
    assert sorted(names.from_canonical(CANON)) == sorted(TABLE)


def test_an_unmapped_model_variable_is_named():
    names = NameMap("mlp/tf1/estimator", TABLE, CANON)
    with pytest.raises(RegistryError) as err:
        names.to_canonical({"dense/kernel": np.ones((2, 3)), "dense/bias": np.ones(3), "dense_9/kernel": np.ones(1)})
    assert "unmapped variable(s): 'dense_9/kernel'" in str(err.value)


def test_a_mapped_variable_the_model_lacks_is_named():
    names = NameMap("mlp/tf1/estimator", TABLE, CANON)
    with pytest.raises(RegistryError) as err:
        names.to_canonical({"dense/kernel": np.ones((2, 3))})
    assert "mapped but not in the model: 'dense/bias'" in str(err.value)


def test_a_canonical_weight_no_variable_provides_is_refused():
    with pytest.raises(RegistryError, match="covers no variable for canonical weight.*'hidden_0/bias'"):
        NameMap("x", {"dense/kernel": "hidden_0/kernel"}, CANON)


def test_two_variables_for_one_weight_are_refused():
    with pytest.raises(RegistryError, match="several variables"):
        NameMap("x", {"a": "hidden_0/kernel", "b": "hidden_0/kernel", "c": "hidden_0/bias"}, CANON)


def test_a_transposed_weight_is_a_shape_error():
    names = NameMap("x", TABLE, CANON)
    with pytest.raises(RegistryError, match="shapes differ"):
        names.to_canonical({"dense/kernel": np.ones((3, 2)), "dense/bias": np.ones(3)})


def test_shared_init_is_deterministic_float32_within_glorot_limits():
    spec = InitSpec(3, {"k": Init("glorot_uniform", (8, 16)), "b": Init("zeros", (16,)), "c": Init("constant", (2,), value=5)})
    a, b = draw(spec), draw(spec)
    assert all(np.array_equal(a[n], b[n]) for n in a) and a["k"].dtype == np.float32
    limit = np.sqrt(6.0 / 24)
    assert np.all(np.abs(a["k"]) <= limit) and a["k"].std() > limit / 3
    assert not a["b"].any() and a["c"].tolist() == [5.0, 5.0]
    assert not np.array_equal(draw(InitSpec(4, spec.weights))["k"], a["k"])


def test_max_abs_change():
    assert max_abs_change({"k": np.zeros(2)}, {"k": np.array([0.0, -0.5])}) == 0.5
    assert max_abs_change({"k": np.zeros(2)}, {"k": np.zeros(2)}) == 0.0


SLICED = {"kernel[0:2]": "area", "kernel[2:5]": "cross", "kernel[5:6]": "texture", "bias": "bias"}
PARTS = {"area": np.zeros((2, 1)), "cross": np.zeros((3, 1)), "texture": np.zeros((1, 1)), "bias": np.zeros(1)}


def test_row_slices_of_one_kernel_map_to_several_weights_and_back():
    names = NameMap("wd/tf2/keras3", SLICED, PARTS)
    kernel = np.arange(6.0).reshape(6, 1)
    out = names.to_canonical({"kernel": kernel, "bias": np.ones(1)})
    assert out["cross"].ravel().tolist() == [2.0, 3.0, 4.0] and out["texture"].ravel().tolist() == [5.0]
    back = names.from_canonical(out)
    assert sorted(back) == ["bias", "kernel"] and back["kernel"].ravel().tolist() == kernel.ravel().tolist()


def test_rows_no_slice_maps_are_refused_naming_the_variable():
    names = NameMap("wd/tf2/keras3", SLICED, PARTS)
    with pytest.raises(RegistryError, match="row slices of 'kernel' cover 6 row\\(s\\) of its 7"):
        names.to_canonical({"kernel": np.zeros((7, 1)), "bias": np.ones(1)})


def test_slices_with_a_gap_or_mixed_with_the_whole_variable_are_refused():
    with pytest.raises(RegistryError, match="do not follow each other"):
        NameMap("x", {"kernel[0:2]": "area", "kernel[3:5]": "cross", "kernel[5:6]": "texture", "bias": "bias"},
                PARTS).to_canonical({"kernel": np.zeros((6, 1)), "bias": np.ones(1)})
    with pytest.raises(RegistryError, match="both whole and by rows"):
        NameMap("x", {"kernel[0:2]": "area", "kernel": "cross", "k2": "texture", "bias": "bias"},
                PARTS).to_canonical({"kernel": np.zeros((6, 1)), "bias": np.ones(1)})


def test_slices_in_the_wrong_order_are_a_shape_error():
    swapped = {"kernel[0:3]": "area", "kernel[3:5]": "cross", "kernel[5:6]": "texture", "bias": "bias"}
    with pytest.raises(RegistryError, match="shapes differ"):
        NameMap("x", swapped, PARTS).to_canonical({"kernel": np.zeros((6, 1)), "bias": np.ones(1)})


def test_truncated_normal_init_stays_within_two_standard_deviations():
    spec = InitSpec(2, {"e": Init("truncated_normal", (500, 3), stddev=0.5)})
    e = draw(spec)["e"]
    assert e.dtype == np.float32 and np.all(np.abs(e) <= 1.0) and 0.3 < e.std() < 0.5
    assert np.array_equal(e, draw(spec)["e"])


def test_row_slices_tile_a_weight_from_row_0_each_row_once():
    assert tiles([(0, 5), (5, 6)]) and tiles([(0, 5), (5, 6)], 6)
    assert not tiles([(0, 5), (5, 6)], 7)  # a row left over
    assert not tiles([(1, 5), (5, 6)])  # not from row 0
    assert not tiles([(0, 5), (4, 6)]) and not tiles([(0, 4), (5, 6)])  # a row twice, a row missed
    assert tiles([]) and not tiles([], 3)

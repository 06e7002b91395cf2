"""Named tensors: element names, the JSON form, shared initial weights and name maps that fail loudly."""

import numpy as np
import pytest

from shared.core.case import Init, InitSpec
from shared.core.errors import RegistryError
from shared.core.weights import NameMap, as_arrays, draw, elements, max_abs_change, to_json

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

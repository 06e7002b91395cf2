"""shared.core.models.named: weight vectors by coefficient name, the one reader both sides and the bench use."""

import numpy as np

from shared.core.models import named


def test_values_come_back_as_float64_by_name_in_order():
    got = named(["a", "b", "c"], np.array([[1.5], [2.25], [-3.0]], dtype=np.float32))
    assert got == {"a": 1.5, "b": 2.25, "c": -3.0} and all(type(v) is float for v in got.values())


def test_unnamed_slots_are_dropped():
    assert named([None, "x", None, "y"], [9.0, 1.0, 9.0, 2.0]) == {"x": 1.0, "y": 2.0}

"""The closed-form oracle and the numpy models behind the loss curves."""

import numpy as np
import pytest

from shared.compare import oracle
from shared.core import data, models
from shared.core.registry import get_case


def _random_pairs(n=3000, k=40, seed=0):
    rs = np.random.RandomState(seed)
    a = rs.randint(0, k, n)
    b = (a + 1 + rs.randint(0, k - 1, n)) % k
    v = rs.normal(size=k)
    y = v[a] - v[b] + 0.01 * rs.normal(size=n)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    d = models.Design(["i%02d" % i for i in range(k)], rows, np.concatenate([a, b]),
                      np.concatenate([np.ones(n), -np.ones(n)]), y)
    return d, v


def test_dense_and_sparse_agree_and_are_minimum_norm():
    d, truth = _random_pairs()
    dense = np.array(list(oracle.solve(d, "dense").values()))
    assert abs(dense.mean()) < 1e-12
    assert np.max(np.abs((dense - dense.mean()) - (truth - truth.mean()))) < 0.01
    pytest.importorskip("scipy")
    sparse = np.array(list(oracle.solve(d, "sparse").values()))
    assert np.max(np.abs(dense - sparse)) < 1e-8


def test_linear_oracle_matches_numpy_lstsq(root):
    case = get_case("linear")
    ds = data.load(root, case)
    solution = oracle.solve(models.design(ds, case.hyperparameters))
    x = ds.frame["x"].to_numpy()
    coef = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), ds.frame["y"].to_numpy(), rcond=None)[0]
    assert abs(solution["W"] - coef[0]) < 1e-9 and abs(solution["b"] - coef[1]) < 1e-9


def test_pairlincorr_design_predicts_the_generator(root):
    case = get_case("pairlincorr")
    ds = data.load(root, case)
    d = models.design(ds, case.hyperparameters)
    solution = oracle.solve(d)
    assert d.mse(solution) < 0.011  # the generator's noise is 0.1 -> variance 0.01
    assert d.mse({}) > 10 * d.mse(solution)


def test_loss_curve_is_full_data_mse(root):
    case = get_case("linear")
    d = models.design(data.load(root, case), case.hyperparameters)
    curve = models.loss_curve(d, [{"W": 0.0, "b": 0.0}, {"W": 3.0, "b": 2.0}])
    assert curve[0] == pytest.approx(float(np.mean(d.y ** 2)))
    assert curve[1] < curve[0]

"""Each case's model in numpy: a sparse design matrix, predictions and the full-data loss.

Every case here is linear in its coefficients, ``y = X @ theta``, so one sparse triplet form
(row, column, value) serves the loss curves, the closed-form oracle and the benchmark, without
ever building a dense rows x items matrix.
"""

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from shared.core.errors import RegistryError


class Design(object):
    """``X`` as COO triplets plus the coefficient names of its columns and the target ``y``."""

    def __init__(self, names: List[str], rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, y: np.ndarray) -> None:
        self.names = list(names)
        self.rows = rows.astype(np.int64)
        self.cols = cols.astype(np.int64)
        self.vals = vals.astype(np.float64)
        self.y = y.astype(np.float64)
        self.n_rows = int(y.shape[0])

    def predict(self, theta: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.vals * theta[self.cols], minlength=self.n_rows)

    def theta(self, coefficients: Mapping[str, float]) -> np.ndarray:
        """Coefficients by name as a vector in column order (missing names count as 0)."""
        return np.array([float(coefficients.get(n, 0.0)) for n in self.names], dtype=np.float64)

    def mse(self, coefficients: Mapping[str, float]) -> float:
        """Mean squared error on the whole dataset, in float64."""
        residual = self.predict(self.theta(coefficients)) - self.y
        return float(np.mean(residual * residual))


def pair_coefficient(prefix: str, item: str) -> str:
    """Name of an item's coefficient: the item itself, or ``c[item]`` / ``d[item]``."""
    return item if not prefix else "%s[%s]" % (prefix, item)


# Weight groups of the pair models, in kernel order: one weight per item in each group.
PAIR_GROUPS = {"pairshift": ("",), "pairlincorr": ("c", "d")}


def named(names: Sequence[Optional[str]], values) -> Dict[str, float]:
    """A weight vector by coefficient name, as float64 (``None`` names, e.g. Keras 3's OOV slot, are dropped)."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    return dict((n, v) for n, v in zip(names, flat.tolist()) if n is not None)


def pair_names(kind: str, items: List[str]) -> List[List[str]]:
    """The coefficient names of a pair model, one list per weight group, in kernel order."""
    return [[pair_coefficient(prefix, item) for item in items] for prefix in PAIR_GROUPS[kind]]


def _pair_index(frame, items: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    first = pd.Categorical(frame["item1"].astype(str), categories=items).codes.astype(np.int64)
    second = pd.Categorical(frame["item2"].astype(str), categories=items).codes.astype(np.int64)
    return first, second


def design(dataset, hyperparameters: Mapping[str, float]) -> Design:
    """The design matrix of ``dataset`` for the model its generator describes."""
    frame = dataset.frame
    kind = dataset.generator
    if kind == "linear":
        n = len(frame)
        rows = np.repeat(np.arange(n), 2)
        cols = np.tile(np.array([0, 1]), n)
        vals = np.column_stack([frame["x"].to_numpy(np.float64), np.ones(n)]).ravel()
        return Design(["W", "b"], rows, cols, vals, frame["y"].to_numpy(np.float64))
    items = dataset.items()
    first, second = _pair_index(frame, items)
    n = len(frame)
    k = len(items)
    row = np.arange(n)
    if kind == "pairshift":
        names = pair_names(kind, items)[0]
        rows = np.concatenate([row, row])
        cols = np.concatenate([first, second])
        vals = np.concatenate([np.ones(n), -np.ones(n)])
        return Design(names, rows, cols, vals, frame["dif"].to_numpy(np.float64))
    if kind == "pairlincorr":
        u0 = float(hyperparameters["u0"])
        s1 = frame["u1"].to_numpy(np.float64) - u0
        s2 = frame["u2"].to_numpy(np.float64) - u0
        offsets, slopes = pair_names(kind, items)
        names = offsets + slopes
        rows = np.concatenate([row, row, row, row])
        cols = np.concatenate([first, second, k + first, k + second])
        vals = np.concatenate([np.ones(n), -np.ones(n), s1, -s2])
        return Design(names, rows, cols, vals, frame["dif"].to_numpy(np.float64))
    raise RegistryError(
        "no numpy model for dataset kind %r" % kind,
        expected="one of linear, pairshift, pairlincorr",
        found=repr(kind),
        fix="add the model to shared/core/models.py",
    )


def loss_curve(d: Design, snapshots: List[Dict[str, float]]) -> List[float]:
    """Full-data MSE after each epoch, from the coefficient snapshots an implementation took."""
    return [d.mse(s) for s in snapshots]


def loss_value(kind: str, outputs, labels) -> float:
    """The full-data loss in float64: ``mse`` of predictions, or ``logloss`` (sigmoid cross-entropy) of logits."""
    out = np.asarray(outputs, dtype=np.float64).reshape(-1)
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    if kind == "mse":
        return float(np.mean((out - y) ** 2))
    return float(np.mean(np.maximum(out, 0) - out * y + np.log1p(np.exp(-np.abs(out)))))


def forward_curve(case, dataset, snapshots: List[Dict[str, float]]) -> List[float]:
    """Full-data loss after each epoch from the case's numpy forward pass over the snapshots."""
    labels = dataset.frame[case.label].to_numpy(np.float64)
    return [loss_value(case.loss, case.forward(s, dataset.frame), labels) for s in snapshots]

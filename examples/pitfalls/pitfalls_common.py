"""Numpy helpers both sides of the catalogue share: the arrays each model is fed, and each model's forward pass.

Python 3.7 and 3.11, numpy only. The forward passes compute the full-data loss after every epoch
from the canonical weights (in float64), independent of either TensorFlow.
"""

from typing import Any, Dict, List, Mapping

import numpy as np

FEATURES = ["x0", "x1", "x2", "x3"]
CATS = ["a", "b", "c", "d"]  # the category vocabulary; "zz" in the data is unknown
TAGS = ["red", "green", "blue", "gold"]  # the tag vocabulary; "pink" is unknown, "" pads
N_ITEMS = 10
MAX_TAGS = 3
TF1_INPUT_ORDER = ["tags_embedding", "x"]  # input_layer concatenates its columns sorted by name
BN_EPSILON = 1e-3  # contrib batch_norm, tf.layers.batch_normalization and Keras all default to 1e-3


def features(frame) -> np.ndarray:
    """``x0..x3`` as float32 ``[rows, 4]``."""
    return np.stack([frame[c].to_numpy(np.float64) for c in FEATURES], axis=1).astype(np.float32)


def label(frame, column: str) -> np.ndarray:
    """The target as float32 ``[rows, 1]``."""
    return frame[column].to_numpy(np.float64).astype(np.float32).reshape(-1, 1)


def weights(frame) -> np.ndarray:
    """The sample weight ``w`` as float32 ``[rows]``."""
    return frame["w"].to_numpy(np.float64).astype(np.float32)


def items(frame) -> np.ndarray:
    """The item ids as int64 ``[rows]``."""
    return frame["item"].to_numpy(np.float64).astype(np.int64)


def cats(frame) -> np.ndarray:
    """The category of each row (strings)."""
    return np.asarray(frame["cat"].astype(str).tolist(), dtype=object)


def tags(frame) -> np.ndarray:
    """Each row's tags as ``[rows, 3]`` strings, padded with ``""`` (what a dense string input feeds)."""
    rows = [(t.split("|") + [""] * MAX_TAGS)[:MAX_TAGS] for t in frame["tags"].astype(str).tolist()]
    return np.asarray(rows, dtype=object)


def lookups_per_item(item_ids: np.ndarray) -> List[int]:
    """How often each item is looked up in a batch (duplicates are what sparse updates must sum)."""
    return np.bincount(item_ids, minlength=N_ITEMS).tolist()


def _w(weights_: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(weights_[name], dtype=np.float64)


def linear(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """``x @ kernel + bias``."""
    return (features(frame).astype(np.float64).dot(_w(weights_, "kernel")) + _w(weights_, "bias"))[:, 0]


def mlp(weights_: Mapping[str, Any], frame, hidden: str = "hidden", out: str = "out") -> np.ndarray:
    """One ReLU hidden layer, then a linear output (dropout is off at inference)."""
    x = features(frame).astype(np.float64)
    h = np.maximum(x.dot(_w(weights_, hidden + "/kernel")) + _w(weights_, hidden + "/bias"), 0.0)
    return (h.dot(_w(weights_, out + "/kernel")) + _w(weights_, out + "/bias"))[:, 0]


def dnn(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """The canned DNNRegressor's names: ``hidden`` then ``logits``."""
    return mlp(weights_, frame, "hidden", "logits")


def embedding(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """``sum(emb[item] * x[:, :2]) + bias``."""
    x = features(frame).astype(np.float64)[:, :2]
    return (_w(weights_, "emb")[items(frame)] * x).sum(axis=1) + _w(weights_, "bias")[0]


def batch_norm(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """Batch norm at inference (moving statistics; gamma 1 where the layer has none), then a dense output."""
    x = features(frame).astype(np.float64)
    gamma = _w(weights_, "bn/gamma") if "bn/gamma" in weights_ else 1.0
    h = (x - _w(weights_, "bn/moving_mean")) / np.sqrt(_w(weights_, "bn/moving_variance") + BN_EPSILON)
    h = h * gamma + _w(weights_, "bn/beta")
    return (h.dot(_w(weights_, "dense/kernel")) + _w(weights_, "dense/bias"))[:, 0]


def one_hot(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """``indicator_column`` semantics: row k of the kernel is vocabulary item k; an unknown value is all zeros."""
    kernel = _w(weights_, "kernel")[:, 0]
    index = dict((c, i) for i, c in enumerate(CATS))
    return np.array([kernel[index[c]] if c in index else 0.0 for c in cats(frame)]) + _w(weights_, "bias")[0]


def tag_embedding(weights_: Mapping[str, Any], frame) -> np.ndarray:
    """``embedding_column(combiner="mean")`` over the known tags (none known: zeros), then ``[emb, x]`` in TF1's order."""
    table = _w(weights_, "tags/embedding")
    index = dict((t, i) for i, t in enumerate(TAGS))
    pooled = []
    for row in tags(frame):
        known = [table[index[t]] for t in row if t in index]
        pooled.append(np.mean(known, axis=0) if known else np.zeros(table.shape[1]))
    x = features(frame).astype(np.float64)[:, :2]
    joined = np.concatenate([np.asarray(pooled), x], axis=1)
    return (joined.dot(_w(weights_, "dense/kernel")) + _w(weights_, "dense/bias"))[:, 0]


def rounded(value: float, digits: int = 3) -> float:
    """A measured ratio as a setting: rounded so that float32 noise in the 7th digit is not a difference."""
    return float(round(float(value), digits))


def moving_variance_ratio(start: Dict[str, Any], first: Dict[str, Any], batch_x: np.ndarray, momentum: float):
    """The batch variance the first moving-variance update implies, over the biased batch variance
    (1 when the update uses the biased variance, n/(n-1) when it uses the unbiased one; None when frozen)."""
    if momentum >= 1.0:
        return None
    implied = (np.asarray(first["bn/moving_variance"], np.float64) - momentum * np.asarray(
        start["bn/moving_variance"], np.float64)) / (1.0 - momentum)
    return rounded(float(np.mean(implied / batch_x.astype(np.float64).var(axis=0))))

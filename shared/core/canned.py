"""The canned Estimator cases' feature columns and their numpy models (float64), shared by both sides.

What both sides must agree on is declared once here: the columns each model reads, their
vocabularies and bucket boundaries, the canonical (TF1 checkpoint) names of every weight, and a
numpy forward pass over those weights for the full-data loss after each epoch. Feature columns are
combined in sorted name order (``tf.feature_column`` sorts them), so the inputs here are sorted too.
"""

from typing import Any, Dict, List, Mapping, Sequence

import numpy as np

from shared.core.datasets import AGE_BOUNDARIES, CANCER_BANDS, CANCER_NUMERIC, DNN_FEATURES, REGIONS

LINEAR = "linear/linear_model/"
EMBEDDING = "dnn/input_from_feature_columns/input_layer/smooth_band_embedding/embedding_weights"

# canned_linear: bucketized age, numeric income, categorical region (its sixth value is out of vocabulary)
REGION_VOCABULARY = REGIONS[:5]
LINEAR_WEIGHTS = {LINEAR + "age_bucketized/weights": (len(AGE_BOUNDARIES) + 1, 1), LINEAR + "income/weights": (1, 1),
                  LINEAR + "region/weights": (len(REGION_VOCABULARY), 1), LINEAR + "bias_weights": (1,)}

# canned_dnn: eight numeric columns, fed in sorted name order
DNN_INPUTS = sorted(DNN_FEATURES)

# canned_widedeep: linear part on two bands and their cross, deep part on six numerics and an embedded band
WIDE_NUMERIC = sorted(c for c, _ in CANCER_NUMERIC)
VOCABULARIES = dict((c, list(labels)) for c, _, labels in CANCER_BANDS)
CROSSED = ("area_band", "texture_band")  # crossed_column keys, in this order (the hash depends on it)
CROSS = "_X_".join(sorted(CROSSED))
BANDS = [c for c, _, _ in CANCER_BANDS]


def dnn_weights(n_in: int, hidden: Sequence[int]) -> Dict[str, tuple]:
    """Canonical names and shapes of a canned DNN's layers: ``dnn/hiddenlayer_<i>/kernel``, ..., ``dnn/logits/*``."""
    out = {}
    sizes = [n_in] + list(hidden)
    for i in range(len(hidden)):
        out["dnn/hiddenlayer_%d/kernel" % i] = (sizes[i], sizes[i + 1])
        out["dnn/hiddenlayer_%d/bias" % i] = (sizes[i + 1],)
    out["dnn/logits/kernel"] = (sizes[-1], 1)
    out["dnn/logits/bias"] = (1,)
    return out


def wide_weights(hash_buckets: int) -> Dict[str, tuple]:
    """Canonical names and shapes of the wide & deep model's linear part."""
    return {LINEAR + "area_band/weights": (len(VOCABULARIES["area_band"]), 1),
            LINEAR + CROSS + "/weights": (hash_buckets, 1),
            LINEAR + "texture_band/weights": (len(VOCABULARIES["texture_band"]), 1), LINEAR + "bias_weights": (1,)}


def vocabulary_ids(values: Sequence[Any], vocabulary: Sequence[str]) -> np.ndarray:
    """Each value's index in the vocabulary, -1 outside it (a vocabulary_list column without OOV buckets)."""
    index = dict((v, i) for i, v in enumerate(vocabulary))
    return np.array([index.get(str(v), -1) for v in values], dtype=np.int64)


def one_hot(ids: np.ndarray, depth: int) -> np.ndarray:
    """Rows of zeros with a one at each id; an id of -1 (out of vocabulary) leaves its row all zeros."""
    out = np.zeros((len(ids), depth))
    ok = ids >= 0
    out[np.nonzero(ok)[0], ids[ok]] = 1.0
    return out


def buckets(values: Any, boundaries: Sequence[float]) -> np.ndarray:
    """``bucketized_column``'s bucket: a value on a boundary goes to the upper bucket."""
    return np.searchsorted(np.asarray(boundaries, np.float64), np.asarray(values, np.float64), side="right")


def _w(weights: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(weights[name], dtype=np.float64)


def forward_linear(weights: Mapping[str, Any], frame) -> np.ndarray:
    """``LinearRegressor`` over age buckets, income and region (out-of-vocabulary regions add nothing)."""
    age = one_hot(buckets(frame["age"], AGE_BOUNDARIES), len(AGE_BOUNDARIES) + 1)
    region = one_hot(vocabulary_ids(frame["region"], REGION_VOCABULARY), len(REGION_VOCABULARY))
    out = age.dot(_w(weights, LINEAR + "age_bucketized/weights"))[:, 0]
    out += frame["income"].to_numpy(np.float64) * _w(weights, LINEAR + "income/weights").reshape(-1)[0]
    out += region.dot(_w(weights, LINEAR + "region/weights"))[:, 0]
    return out + _w(weights, LINEAR + "bias_weights").reshape(-1)[0]


def mlp(weights: Mapping[str, Any], x: np.ndarray) -> np.ndarray:
    """A canned DNN's hidden ReLU layers and its logits layer, as many layers as the weights hold."""
    h = x
    i = 0
    while "dnn/hiddenlayer_%d/kernel" % i in weights:
        h = np.maximum(h.dot(_w(weights, "dnn/hiddenlayer_%d/kernel" % i)) + _w(weights, "dnn/hiddenlayer_%d/bias" % i), 0.0)
        i += 1
    return (h.dot(_w(weights, "dnn/logits/kernel")) + _w(weights, "dnn/logits/bias"))[:, 0]


def forward_dnn(weights: Mapping[str, Any], frame) -> np.ndarray:
    """``DNNRegressor`` over the eight numeric columns in sorted name order."""
    return mlp(weights, frame[DNN_INPUTS].to_numpy(np.float64))


def forward_widedeep(weights: Mapping[str, Any], frame, cross_ids: np.ndarray) -> np.ndarray:
    """``DNNLinearCombinedClassifier``'s logits: linear part + deep part (cross bucket ids from the side's framework)."""
    lin = _w(weights, LINEAR + "bias_weights").reshape(-1)[0]
    for column in ("area_band", "texture_band"):
        ids = vocabulary_ids(frame[column], VOCABULARIES[column])
        lin = lin + one_hot(ids, len(VOCABULARIES[column])).dot(_w(weights, LINEAR + column + "/weights"))[:, 0]
    cross = _w(weights, LINEAR + CROSS + "/weights")
    lin = lin + one_hot(np.asarray(cross_ids, np.int64), cross.shape[0]).dot(cross)[:, 0]
    smooth = vocabulary_ids(frame["smooth_band"], VOCABULARIES["smooth_band"])
    embedded = one_hot(smooth, len(VOCABULARIES["smooth_band"])).dot(_w(weights, EMBEDDING))  # one id a row: 'mean' is it
    deep = np.concatenate([frame[WIDE_NUMERIC].to_numpy(np.float64), embedded], axis=1)  # sorted: mean_*, smooth_band_embedding
    return mlp(weights, deep) + lin


def losses(case, frame, snapshots: List[Mapping[str, Any]], cross_ids: np.ndarray) -> List[float]:
    """The wide & deep case's full-data loss after each epoch from its snapshots (the side's own cross ids)."""
    from shared.core.models import loss_value

    labels = frame[case.label].to_numpy(np.float64)
    return [loss_value(case.loss, forward_widedeep(s, frame, cross_ids), labels) for s in snapshots]


def bare_inputs(case, frame) -> Dict[str, np.ndarray]:
    """The benchmark floor's inputs of a canned case as dense float32 arrays (``wide``, ``numeric``, ``embed``, ``y``).

    The floor times the models' arithmetic fed ready-made one-hots; the crossed column's bucket is a
    stand-in (area id x 3 + texture id, modulo the buckets), since TF's hash is not the cost being measured.
    """
    y = frame[case.label].to_numpy(np.float64).astype(np.float32).reshape(-1, 1)
    if case.name == "canned_linear":
        wide = np.concatenate([one_hot(buckets(frame["age"], AGE_BOUNDARIES), len(AGE_BOUNDARIES) + 1),
                               frame[["income"]].to_numpy(np.float64),
                               one_hot(vocabulary_ids(frame["region"], REGION_VOCABULARY), len(REGION_VOCABULARY))], 1)
        return {"wide": wide.astype(np.float32), "y": y}
    if case.name == "canned_dnn":
        return {"numeric": frame[DNN_INPUTS].to_numpy(np.float64).astype(np.float32), "y": y}
    ids = dict((c, vocabulary_ids(frame[c], VOCABULARIES[c])) for c in BANDS)
    n_area, n_texture = len(VOCABULARIES["area_band"]), len(VOCABULARIES["texture_band"])
    stand_in = (ids["area_band"] * n_texture + ids["texture_band"]) % case.hyperparameters["hash_bucket_size"]
    wide = np.concatenate([one_hot(ids["area_band"], n_area), one_hot(stand_in, case.hyperparameters["hash_bucket_size"]),
                           one_hot(ids["texture_band"], n_texture)], 1)
    return {"wide": wide.astype(np.float32), "numeric": frame[WIDE_NUMERIC].to_numpy(np.float64).astype(np.float32),
            "embed": one_hot(ids["smooth_band"], len(VOCABULARIES["smooth_band"])).astype(np.float32), "y": y}

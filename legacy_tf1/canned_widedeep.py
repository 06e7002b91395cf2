"""``tf.estimator.DNNLinearCombinedClassifier``: linear part on two bands and their cross (FTRL), deep part on six
numerics and an embedded band (Adagrad), every default kept, warm-started from the kit's shared start."""

import hashlib

import numpy as np

from shared.core import canned
from shared.core.results import Trained

from legacy_tf1.canned import train
from legacy_tf1.device import session_config

IMPLS = ("estimator",)
BANDS = ("area_band", "texture_band", "smooth_band")


def columns(hp):
    """(linear columns, dnn columns, the crossed column): vocabulary lists without OOV buckets, a hashed cross."""
    from legacy_tf1.compat import tf

    fc = tf.feature_column
    bands = dict((c, fc.categorical_column_with_vocabulary_list(c, canned.VOCABULARIES[c])) for c in BANDS)
    cross = fc.crossed_column(list(canned.CROSSED), hash_bucket_size=hp["hash_bucket_size"])
    linear = [bands["area_band"], bands["texture_band"], cross]
    deep = [fc.embedding_column(bands["smooth_band"], dimension=hp["embedding_dimension"])] + [
        fc.numeric_column(c) for c in canned.WIDE_NUMERIC]
    return linear, deep, cross


def cross_ids(frame, cross) -> np.ndarray:
    """Each row's bucket of the crossed column, computed by the column itself (its indicator's one)."""
    from legacy_tf1.compat import tf

    graph = tf.Graph()
    with graph.as_default():
        features = dict((c, tf.constant(frame[c].astype(str).tolist())) for c in canned.CROSSED)
        dense = tf.feature_column.input_layer(features, [tf.feature_column.indicator_column(cross)])
        with tf.Session(graph=graph, config=session_config()) as session:
            onehot = session.run(dense)
    return onehot.argmax(axis=1).astype(np.int64)


def run(job) -> Trained:
    """FTRL min(0.005, 1/sqrt(3 columns)) for the linear part, Adagrad 0.001 for the deep part, SUM of the sigmoid
    cross-entropy; the full-data loss per epoch from the crossed buckets TF computes."""
    from legacy_tf1.compat import tf

    linear, deep, cross = columns(job.hp)
    ids = cross_ids(job.dataset.frame, cross)

    def make(config, warm):
        return tf.estimator.DNNLinearCombinedClassifier(
            linear_feature_columns=linear, dnn_feature_columns=deep, dnn_hidden_units=job.hp["hidden_units"],
            config=config, warm_start_from=warm)

    trained = train(job, make, list(BANDS), canned.WIDE_NUMERIC, linear + deep, key="logits",
                    more={"crossed_ids_sha256": hashlib.sha256(ids.astype("<i8").tobytes()).hexdigest()})
    trained.losses = canned.losses(job.case, job.dataset.frame, trained.snapshots, ids)
    return trained

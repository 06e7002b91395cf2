"""TF1 PairLinCorr: the PairShift Estimator with a slope correction per item around a fixed centre ``u0``."""

from shared.models import pair_names
from shared.results import Trained

from legacy_tf1 import pairs

IMPLS = ("estimator",)


def model_fn(features, labels, mode, params):
    """``y = [c1 + d1 (u1 - u0)] - [c2 + d2 (u2 - u0)]`` as one bias-free dense layer over [offsets, slopes]."""
    import tensorflow as tf

    col1, col2 = params["feature_columns"]
    u0 = float(params["hp"]["u0"])
    hot1 = tf.feature_column.input_layer({"item1": features["item1"]}, [col1])
    hot2 = tf.feature_column.input_layer({"item2": features["item2"]}, [col2])
    s1 = tf.expand_dims(features["u1"] - u0, -1)
    s2 = tf.expand_dims(features["u2"] - u0, -1)
    offsets = tf.subtract(hot1, hot2)
    slopes = tf.subtract(hot1 * s1, hot2 * s2)
    out = tf.layers.dense(tf.concat([offsets, slopes], axis=1), units=1, use_bias=False,
                          kernel_initializer=tf.zeros_initializer(), name="dense")
    head = pairs.regression_head(params["hp"])
    return head.create_estimator_spec(
        features=features, mode=mode, labels=labels, optimizer=pairs.ftrl(params["hp"]), logits=out)


def run(impl: str, case, dataset, plan) -> Trained:
    """Train the Estimator on the plan's batches; ``c[item]`` and ``d[item]`` come back by name."""
    items = dataset.items()
    params = {"feature_columns": pairs.item_columns(items), "hp": case.hyperparameters}
    input_fn = pairs.plan_input_fn(dataset, plan, ["item1", "item2"], ["u1", "u2"])
    names = sum(pair_names(dataset.generator, items), [])
    return pairs.train_estimator(model_fn, params, input_fn, plan, names)

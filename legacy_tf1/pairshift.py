"""The seed's TF1 PairShift: ``tf.estimator`` + feature columns + ``tf.contrib.estimator.regression_head`` + FTRL."""

from shared.models import pair_names
from shared.results import Trained

from legacy_tf1 import pairs

IMPLS = ("estimator",)


def model_fn(features, labels, mode, params):
    """``y = w[item1] - w[item2]``: one-hot per item column, their difference, a bias-free dense layer."""
    import tensorflow as tf

    col1, col2 = params["feature_columns"]
    hot1 = tf.feature_column.input_layer({"item1": features["item1"]}, [col1])
    hot2 = tf.feature_column.input_layer({"item2": features["item2"]}, [col2])
    subtracted = tf.subtract(hot1, hot2)
    out = tf.layers.dense(subtracted, units=1, use_bias=False, kernel_initializer=tf.zeros_initializer(), name="dense")
    head = pairs.regression_head(params["hp"])
    return head.create_estimator_spec(
        features=features, mode=mode, labels=labels, optimizer=pairs.ftrl(params["hp"]), logits=out)


def run(impl: str, case, dataset, plan) -> Trained:
    """Train the Estimator on the plan's batches; weights come back by item name."""
    items = dataset.items()
    params = {"feature_columns": pairs.item_columns(items), "hp": case.hyperparameters}
    input_fn = pairs.plan_input_fn(dataset, plan, ["item1", "item2"], [])
    names = sum(pair_names(dataset.generator, items), [])
    return pairs.train_estimator(model_fn, params, input_fn, plan, names)

"""The seed's TF1 PairShift: ``tf.estimator`` + feature columns + ``tf.contrib.estimator.regression_head`` + FTRL."""

from shared.core.results import Trained

from legacy_tf1 import pairs

IMPLS = ("estimator",)


def model_fn(features, labels, mode, params):
    """``y = w[item1] - w[item2]``: one-hot per item column, their difference, a bias-free dense layer."""
    from legacy_tf1.compat import tf

    hot1, hot2 = pairs.one_hots(features, params)
    return pairs.estimator_spec(features, labels, mode, params, tf.subtract(hot1, hot2))


def run(job) -> Trained:
    """Train the Estimator on the plan's batches; weights come back by item name."""
    return pairs.train_pair_model(model_fn, job, [])

"""TF1 PairLinCorr: the PairShift Estimator with a slope correction per item around a fixed centre ``u0``."""

from shared.core.results import Trained

from legacy_tf1 import pairs

IMPLS = ("estimator",)


def model_fn(features, labels, mode, params):
    """``y = [c1 + d1 (u1 - u0)] - [c2 + d2 (u2 - u0)]`` as one bias-free dense layer over [offsets, slopes]."""
    from legacy_tf1.compat import tf

    u0 = float(params["hp"]["u0"])
    hot1, hot2 = pairs.one_hots(features, params)
    s1 = tf.expand_dims(features["u1"] - u0, -1)
    s2 = tf.expand_dims(features["u2"] - u0, -1)
    offsets = tf.subtract(hot1, hot2)
    slopes = tf.subtract(hot1 * s1, hot2 * s2)
    return pairs.estimator_spec(features, labels, mode, params, tf.concat([offsets, slopes], axis=1))


def run(job) -> Trained:
    """Train the Estimator on the plan's batches; ``c[item]`` and ``d[item]`` come back by name."""
    return pairs.train_pair_model(model_fn, job, ["u1", "u2"])

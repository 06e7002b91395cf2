"""TF2 PairLinCorr: offsets and slope corrections per item in Keras 2 (feature columns) and Keras 3."""

from shared.core.results import Trained

from modern_tf2 import pairs

IMPLS = ("keras2", "keras2_fused", "keras3")


def _features(keras, hot1, hot2, inputs, u0: float):
    """``[hot1 - hot2, hot1 (u1 - u0) - hot2 (u2 - u0)]``: the design row of TF1's model_fn."""
    import tensorflow as tf

    hot1 = tf.cast(hot1, tf.float32)
    hot2 = tf.cast(hot2, tf.float32)
    s1 = tf.expand_dims(inputs["u1"] - u0, -1)
    s2 = tf.expand_dims(inputs["u2"] - u0, -1)
    return tf.concat([tf.subtract(hot1, hot2), tf.subtract(hot1 * s1, hot2 * s2)], axis=1)


def build_model(keras, impl: str, items, u0: float):
    """Keras 2: ``DenseFeatures`` per item column; Keras 3: ``StringLookup`` one-hot (OOV slot at 0)."""
    columns = pairs.item_columns(items) if impl != "keras3" else None

    class PairLinCorrModel(keras.Model):
        def __init__(self) -> None:
            super(PairLinCorrModel, self).__init__()
            if columns is not None:
                self.input1 = keras.layers.DenseFeatures([columns["item1"]])
                self.input2 = keras.layers.DenseFeatures([columns["item2"]])
            else:
                self.lookup1 = keras.layers.StringLookup(vocabulary=items, num_oov_indices=1, output_mode="one_hot")
                self.lookup2 = keras.layers.StringLookup(vocabulary=items, num_oov_indices=1, output_mode="one_hot")
            self.dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")

        def call(self, inputs):
            if columns is not None:
                hot1, hot2 = self.input1(inputs), self.input2(inputs)
            else:
                hot1, hot2 = self.lookup1(inputs["item1"]), self.lookup2(inputs["item2"])
            return self.dense(_features(keras, hot1, hot2, inputs, u0))

    return PairLinCorrModel()


def run(job) -> Trained:
    """Train on the plan's batches from zeros with explicit FTRL; ``c[item]`` and ``d[item]`` by name."""
    impl, u0 = job.impl, float(job.hp["u0"])
    return pairs.train_pair_model(job, lambda keras, items: build_model(keras, impl, items, u0), ["u1", "u2"])

"""TF2 PairShift: the seed's subclassed Keras model (Keras 2, feature columns) and its Keras 3 form."""

from shared.core.results import Trained

from modern_tf2 import pairs

IMPLS = ("keras2", "keras2_fused", "keras3")


def keras2_model(keras, columns):
    """The seed's ``PairModel``: ``DenseFeatures`` per item, ``Subtract``, ``Dense(1, use_bias=False)``."""

    class PairModel(keras.Model):
        def __init__(self) -> None:
            super(PairModel, self).__init__()
            self.input1 = keras.layers.DenseFeatures([columns["item1"]])
            self.input2 = keras.layers.DenseFeatures([columns["item2"]])
            self.subtracted = keras.layers.Subtract(name="sub")
            self.dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")

        def call(self, inputs):
            return self.dense(self.subtracted([self.input1(inputs), self.input2(inputs)]))

    return PairModel()


def keras3_model(keras, items):
    """Keras 3 has no feature columns: ``StringLookup`` one-hot per item (index 0 is the OOV slot)."""

    class PairModel(keras.Model):
        def __init__(self) -> None:
            super(PairModel, self).__init__()
            self.lookup1 = keras.layers.StringLookup(vocabulary=items, num_oov_indices=1, output_mode="one_hot")
            self.lookup2 = keras.layers.StringLookup(vocabulary=items, num_oov_indices=1, output_mode="one_hot")
            self.subtracted = keras.layers.Subtract(name="sub")
            self.dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")

        def call(self, inputs):
            return self.dense(self.subtracted([self.lookup1(inputs["item1"]), self.lookup2(inputs["item2"])]))

    return PairModel()


def run(job) -> Trained:
    """Train on the plan's batches from zeros with explicit FTRL; weights come back by item name."""
    def build(keras, items):
        return keras3_model(keras, items) if impl == "keras3" else keras2_model(keras, pairs.item_columns(items))

    impl = job.impl
    return pairs.train_pair_model(job, build, [])

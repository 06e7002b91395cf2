"""Ports of ``LinearRegressor``: tf_keras ``DenseFeatures`` + the premade ``LinearModel``, and Keras 3 preprocessing
layers (``Discretization``, ``StringLookup`` one-hot without its OOV slot) + ``Dense``; FTRL 0.2, SUM, zeros."""

from shared.core import canned
from shared.core.datasets import AGE_BOUNDARIES
from shared.core.results import Trained

from modern_tf2 import canned as port
from modern_tf2.feeding import keras_module, on_device

IMPLS = ("keras2", "keras3")
STRINGS, FLOATS = ["region"], ["age", "income"]


def keras2(keras):
    """The TF1 feature columns in ``DenseFeatures``, which concatenates them in sorted name order, then ``LinearModel``."""
    import tensorflow as tf

    fc = tf.feature_column
    columns = [fc.numeric_column("income"),
               fc.indicator_column(fc.categorical_column_with_vocabulary_list("region", canned.REGION_VOCABULARY)),
               fc.bucketized_column(fc.numeric_column("age"), boundaries=AGE_BOUNDARIES)]
    inputs = dict((c, keras.Input((1,), name=c, dtype="string" if c in STRINGS else "float32")) for c in STRINGS + FLOATS)
    x = keras.layers.DenseFeatures(columns, name="input_layer")(inputs)
    linear = keras.experimental.LinearModel(units=1, kernel_initializer="zeros", bias_initializer="zeros",
                                            name="linear_model")
    return keras.Model(inputs, linear(x)), linear


def keras3(keras):
    """Keras 3 has no feature columns: buckets, the number and the region one-hot, concatenated in sorted name order.
    ``StringLookup`` keeps an OOV index 0 (it refuses ``num_oov_indices=0`` on unseen values): its column is cut
    off, so an out-of-vocabulary region adds nothing, as in TF1."""
    inputs = dict((c, keras.Input((1,), name=c, dtype="string" if c in STRINGS else "float32")) for c in STRINGS + FLOATS)
    age = keras.layers.Discretization(bin_boundaries=AGE_BOUNDARIES, output_mode="one_hot", name="age_bucketized")(
        inputs["age"])
    region = keras.layers.StringLookup(vocabulary=canned.REGION_VOCABULARY, num_oov_indices=1, output_mode="one_hot",
                                       name="region_lookup")(inputs["region"])[:, 1:]
    x = keras.layers.Concatenate(name="columns")([age, inputs["income"], region])
    dense = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="linear_model")
    return keras.Model(inputs, dense(x)), dense


def run(job) -> Trained:
    """Zeros to start (set by the port, as TF1's linear model does), FTRL and the SUM of squared errors."""
    keras = keras_module(job.impl)
    make = keras2 if job.impl == "keras2" else keras3
    model, dense = on_device(lambda: make(keras))
    opt = port.optimizer(keras, job.hp)
    kernel, bias = port.snake(type(dense.kernel_initializer).__name__), port.snake(type(dense.bias_initializer).__name__)
    initializers = dict((n, bias if n.endswith("bias_weights") else kernel) for n in canned.LINEAR_WEIGHTS)
    trained = port.fit(job, keras, model, {"optimizer": opt}, port.loss(keras, job.hp, "mse"),
                       port.inputs(job.dataset.frame, STRINGS, FLOATS), port.inputs(job.probe.frame, STRINGS, FLOATS),
                       more={"initializers": initializers})
    port.keep(job, model, lambda: on_device(lambda: make(keras))[0], lambda frame: port.inputs(frame, STRINGS, FLOATS),
              [job.hp["optimizer"]])
    return trained

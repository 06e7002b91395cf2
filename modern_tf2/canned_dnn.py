"""Ports of ``DNNRegressor(hidden_units=[32, 16])``: tf_keras ``DenseFeatures`` + Dense layers and a Keras 3 Dense stack,
from the shared start, with ``Adagrad(0.05, initial_accumulator_value=0.1, epsilon=0)`` and the SUM of squared errors."""

from shared.core import canned
from shared.core.datasets import DNN_FEATURES
from shared.core.results import Trained

from modern_tf2 import canned as port
from modern_tf2.feeding import keras_module, on_device

IMPLS = ("keras2", "keras3")


def layers(keras, hp):
    """The canned DNN's layers under its own names: ``hiddenlayer_<i>`` (ReLU) and ``logits``."""
    return [keras.layers.Dense(units, activation=hp["activation"], name="hiddenlayer_%d" % i)
            for i, units in enumerate(hp["hidden_units"])] + [keras.layers.Dense(1, name="logits")]


def build(keras, impl, hp):
    """tf_keras feeds the TF1 numeric columns through ``DenseFeatures`` (sorted by name, as TF1's input_layer);
    Keras 3 concatenates its inputs in that sorted order itself."""
    inputs = dict((c, keras.Input((1,), name=c)) for c in DNN_FEATURES)
    if impl == "keras2":
        import tensorflow as tf

        h = keras.layers.DenseFeatures([tf.feature_column.numeric_column(c) for c in DNN_FEATURES],
                                       name="input_layer")(inputs)
    else:
        h = keras.layers.Concatenate(name="input_layer")([inputs[c] for c in canned.DNN_INPUTS])
    for layer in layers(keras, hp):
        h = layer(h)
    return keras.Model(inputs, h, name="dnn")


def run(job) -> Trained:
    keras = keras_module(job.impl)
    model = on_device(lambda: build(keras, job.impl, job.hp))
    trained = port.fit(job, keras, model, {"optimizer": port.optimizer(keras, job.hp)}, port.loss(keras, job.hp, "mse"),
                       port.inputs(job.dataset.frame, [], DNN_FEATURES), port.inputs(job.probe.frame, [], DNN_FEATURES))
    port.keep(job, model, lambda: on_device(lambda: build(keras, job.impl, job.hp)),
              lambda frame: port.inputs(frame, [], DNN_FEATURES), [job.hp["optimizer"]])
    return trained

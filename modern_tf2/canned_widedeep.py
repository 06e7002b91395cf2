"""Ports of ``DNNLinearCombinedClassifier``: tf_keras' premade ``WideDeepModel`` over feature columns with two
optimizers, and a Keras 3 model whose ``train_step`` applies FTRL to the linear part and Adagrad to the deep part.

One forward pass and one tape give both gradients, as TF1's model_fn minimizes the one loss with each
optimizer on its own variables. Keras 3 builds the embedding as a one-hot times a bias-free ``Dense``:
with one id per row, ``embedding_column``'s mean combiner is that row, and the gradient is dense (Keras 3
optimizers do not merge the repeated rows of an ``Embedding`` layer's sparse gradient as TF1 does).
"""

import numpy as np

from shared.core import canned
from shared.core.results import Trained

from modern_tf2 import canned as port
from modern_tf2.feeding import keras_module, on_device

IMPLS = ("keras2", "keras3")
BANDS = ["area_band", "texture_band", "smooth_band"]


def deep_layers(keras, hp):
    return [keras.layers.Dense(units, activation=hp["activation"], name="hiddenlayer_%d" % i)
            for i, units in enumerate(hp["hidden_units"])] + [keras.layers.Dense(1, name="logits")]


def keras2(keras, hp):
    """TF1's feature columns in ``DenseFeatures`` (which sorts them: the cross's indicator comes first in the linear
    kernel), a ``LinearModel`` and a Dense stack in the premade ``WideDeepModel``; returns it and the cross ids' model."""
    import tensorflow as tf

    fc = tf.feature_column
    bands = dict((c, fc.categorical_column_with_vocabulary_list(c, canned.VOCABULARIES[c])) for c in BANDS)
    cross = fc.crossed_column(list(canned.CROSSED), hash_bucket_size=hp["hash_bucket_size"])
    wide_in = dict((c, keras.Input((1,), name=c, dtype="string")) for c in canned.CROSSED)
    wide_x = keras.layers.DenseFeatures([fc.indicator_column(c) for c in (bands["area_band"], bands["texture_band"],
                                                                         cross)], name="linear_input_layer")(wide_in)
    linear = keras.experimental.LinearModel(units=1, kernel_initializer="zeros", bias_initializer="zeros",
                                            name="linear_model")
    deep_in = dict((c, keras.Input((1,), name=c)) for c in canned.WIDE_NUMERIC)
    deep_in["smooth_band"] = keras.Input((1,), name="smooth_band", dtype="string")
    start = tf.compat.v1.truncated_normal_initializer(stddev=hp["embedding_dimension"] ** -0.5, seed=0)  # TF1's default,
    h = keras.layers.DenseFeatures(  # seeded as op determinism requires; the shared start replaces it
        [fc.embedding_column(bands["smooth_band"], dimension=hp["embedding_dimension"], combiner="mean",
                             initializer=start)] +
        [fc.numeric_column(c) for c in canned.WIDE_NUMERIC], name="input_layer")(deep_in)
    for layer in deep_layers(keras, hp):
        h = layer(h)
    model = keras.experimental.WideDeepModel(keras.Model(wide_in, linear(wide_x), name="linear"),
                                             keras.Model(deep_in, h, name="dnn"), activation=None)
    ids = keras.layers.DenseFeatures([fc.indicator_column(cross)])
    return model, lambda wide: np.argmax(ids(wide).numpy(), axis=1)


def keras3(keras, hp):
    """Keras 3: ``StringLookup`` one-hots without their OOV column, ``HashedCrossing`` on the two band strings in
    TF1's key order (the same SparseCross hash and key), concatenated in TF1's sorted column order."""
    import tensorflow as tf

    wide_in = dict((c, keras.Input((1,), name=c, dtype="string")) for c in canned.CROSSED)

    def one_hot(column, x):
        return keras.layers.StringLookup(vocabulary=canned.VOCABULARIES[column], num_oov_indices=1,
                                         output_mode="one_hot", name=column + "_lookup")(x)[:, 1:]

    crossing = keras.layers.HashedCrossing(num_bins=hp["hash_bucket_size"], output_mode="one_hot", name=canned.CROSS)
    wide_x = keras.layers.Concatenate(name="linear_columns")([
        one_hot("area_band", wide_in["area_band"]), crossing(tuple(wide_in[c] for c in canned.CROSSED)),
        one_hot("texture_band", wide_in["texture_band"])])
    linear = keras.Model(wide_in, keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="zeros",
                                                     name="linear_model")(wide_x), name="linear")
    deep_in = dict((c, keras.Input((1,), name=c)) for c in canned.WIDE_NUMERIC)
    deep_in["smooth_band"] = keras.Input((1,), name="smooth_band", dtype="string")
    embedded = keras.layers.Dense(hp["embedding_dimension"], use_bias=False, name="smooth_band_embedding")(
        one_hot("smooth_band", deep_in["smooth_band"]))
    h = keras.layers.Concatenate(name="input_layer")([deep_in[c] for c in canned.WIDE_NUMERIC] + [embedded])
    for layer in deep_layers(keras, hp):
        h = layer(h)
    deep = keras.Model(deep_in, h, name="dnn")

    class WideDeep(keras.Model):
        """logits = deep + linear; one tape, FTRL on the linear variables, Adagrad on the deep ones."""

        def __init__(self, **kwargs):
            super(WideDeep, self).__init__(**kwargs)
            self.linear, self.deep = linear, deep

        def call(self, inputs, training=False):
            wide, dnn = inputs
            return self.deep(dnn, training=training) + self.linear(wide, training=training)

        def use(self, linear_optimizer, dnn_optimizer):
            self.linear_optimizer, self.dnn_optimizer = linear_optimizer, dnn_optimizer
            linear_optimizer.build(self.linear.trainable_variables)
            dnn_optimizer.build(self.deep.trainable_variables)

        def train_step(self, data):
            x, y = data
            wide_vars, deep_vars = self.linear.trainable_variables, self.deep.trainable_variables
            with tf.GradientTape() as tape:
                loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            wide_grads, deep_grads = tape.gradient(loss, (wide_vars, deep_vars))
            self.linear_optimizer.apply_gradients(zip(wide_grads, wide_vars))
            self.dnn_optimizer.apply_gradients(zip(deep_grads, deep_vars))
            return {"loss": loss}

    ids = keras.layers.HashedCrossing(num_bins=hp["hash_bucket_size"], output_mode="int")
    return WideDeep(name="wide_deep"), lambda wide: np.asarray(ids(tuple(wide[c] for c in canned.CROSSED))).reshape(-1)


def run(job) -> Trained:
    keras = keras_module(job.impl)
    make = keras2 if job.impl == "keras2" else keras3
    model, crossed = on_device(lambda: make(keras, job.hp))
    opts = {"linear_optimizer": port.optimizer(keras, job.hp, "linear_"),
            "dnn_optimizer": port.optimizer(keras, job.hp, "dnn_")}

    def compiled(model, loss_fn):
        if job.impl == "keras2":  # WideDeepModel takes [linear optimizer, dnn optimizer]
            model.compile(optimizer=list(opts.values()), loss=loss_fn, jit_compile=False)
        else:
            model.compile(optimizer=opts["dnn_optimizer"], loss=loss_fn, jit_compile=False)
            model.use(opts["linear_optimizer"], opts["dnn_optimizer"])

    def split(frame):
        wide = port.inputs(frame, list(canned.CROSSED), [])
        return wide, port.inputs(frame, ["smooth_band"], canned.WIDE_NUMERIC)

    features = split(job.dataset.frame)
    ids = np.asarray(crossed(features[0]), np.int64)
    trained = port.fit(job, keras, model, opts, port.loss(keras, job.hp, "logloss"), features, split(job.probe.frame),
                       compiled, more={"crossed_ids_sha256": port.crossed_sha256(ids)})
    trained.losses = canned.losses(job.case, job.dataset.frame, trained.snapshots, ids)
    port.keep(job, model, lambda: on_device(lambda: make(keras, job.hp))[0], split,
              [job.hp["linear_optimizer"], job.hp["dnn_optimizer"]])
    return trained

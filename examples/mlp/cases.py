"""A team's own migration, declared outside the kit: a regression MLP 8 -> 16 -> 8 -> 1 (ReLU), trained with Adam.

TF 1.x: ``tf.layers.dense`` in a ``model_fn`` under ``tf.estimator.Estimator`` with
``tf.train.AdamOptimizer`` (``tf1_mlp.py``). TF 2.x: a Keras 3 ``Sequential`` and its Keras 2
(``tf_keras``) twin (``tf2_mlp.py``). Both start from the same glorot-uniform weights, drawn once
by the kit and loaded by name; every Adam setting is explicit on both sides.

Run it: ``nox -s tf1 tf2 -- --cases-from examples/mlp``.
"""

import os

import numpy as np

from shared.core.case import Case, Check, DatasetSpec, Init, InitSpec

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["x%d" % i for i in range(8)]
LAYERS = (("hidden_0", 8, 16), ("hidden_1", 16, 8), ("output", 8, 1))  # canonical layer names and sizes

# Every Adam setting written out: TF1's AdamOptimizer defaults to epsilon 1e-8, Keras' Adam to 1e-7.
ADAM = {"optimizer": "adam", "learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
        "epochs": 10, "batch_size": 100, "shuffle": True, "plan_seed": 0, "loss_reduction": "mean"}


def init() -> InitSpec:
    weights = {}
    for name, fan_in, fan_out in LAYERS:
        weights[name + "/kernel"] = Init("glorot_uniform", (fan_in, fan_out))
        weights[name + "/bias"] = Init("zeros", (fan_out,))
    return InitSpec(seed=11, weights=weights)


def forward(weights, frame) -> np.ndarray:
    """The same network in numpy (float64), for the full-data loss after every epoch."""
    h = frame[FEATURES].to_numpy(np.float64)
    for i, (name, _, _) in enumerate(LAYERS):
        h = h.dot(np.asarray(weights[name + "/kernel"], np.float64)) + np.asarray(weights[name + "/bias"], np.float64)
        if i < len(LAYERS) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0]


def names(prefix: str, suffix: str, layer_names) -> dict:
    """``{variable name on that side: canonical name}`` for the three dense layers."""
    table = {}
    for (canonical, _, _), layer in zip(LAYERS, layer_names):
        for part in ("kernel", "bias"):
            table["%s%s/%s%s" % (prefix, layer, part, suffix)] = "%s/%s" % (canonical, part)
    return table


CASES = [
    Case(
        name="mlp",
        description="regression MLP 8-16-8-1 (ReLU), shared glorot init, Adam: Estimator + tf.layers vs Keras 3 / tf_keras",
        dataset=DatasetSpec("mlp", "csv", schema=[(c, "f") for c in FEATURES] + [("y", "f")],
                            source=os.path.join(HERE, "data", "mlp.csv")),
        hyperparameters=ADAM,
        impls={"tf1": {"estimator": "tf1_mlp:run"},
               "tf2": {"keras3": "tf2_mlp:run", "keras2": "tf2_mlp:run"}},
        reference="tf1/estimator",
        checks=[
            Check("weights", 1e-5, "same batches, start and Adam settings; float32 operation order over 200 Adam "
                                   "steps: 2.3e-6 measured (Keras 3 and tf_keras)"),
            Check("predictions", 1e-5, "probe predictions of the trained nets: 2.5e-6 to 2.6e-6 measured"),
            Check("loss", 2e-6, "full-data MSE per epoch, numpy float64 from each side's weights: 4.3e-7 measured"),
            # The Estimator's checkpoint and SavedModel in TF 2.x, and each Keras model's weights in TF 1.15:
            # the same weights in another runtime, so float32 rounding of the matmuls only.
            Check("checkpoint", 1e-6, "the TF1 checkpoint in each Keras model: 2.4e-7 measured (1 ulp at |y| = 2)"),
            Check("savedmodel", 1e-6, "the TF1 export served by TF 2.21 (signature, TFSMLayer): 2.4e-7 measured"),
            Check("rollback", 1e-6, "each Keras model's weights in TF 1.15's graph vs in the model: 2.4e-7 measured"),
        ],
        init=init(),
        # tf.layers.dense names its layers dense, dense_1, dense_2; the Keras twins name theirs h0, h1, out.
        names={"tf1": names("", "", ("dense", "dense_1", "dense_2")),
               "tf2/keras3": names("mlp/", "", ("h0", "h1", "out")),
               "tf2/keras2": names("", "", ("h0", "h1", "out"))},
        forward=forward,
        label="y",
    ),
]

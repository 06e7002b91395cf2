"""The team's TF 2.x ports: a Keras 3 ``Sequential`` and its Keras 2 (``tf_keras``) twin, Adam, from the shared start."""

import numpy as np

from shared.core.results import Trained

from modern_tf2 import artifacts, settings
from modern_tf2.device import placed
from modern_tf2.feeding import fit_plan, keras_module, on_device, plan_dataset

IMPLS = ("keras3", "keras2")
FEATURES = ["x%d" % i for i in range(8)]


def build(keras):
    """8 -> 16 -> 8 -> 1 with ReLU; layer names h0, h1, out (the case's name map reads them)."""
    return keras.Sequential([
        keras.Input(shape=(len(FEATURES),)),
        keras.layers.Dense(16, activation="relu", name="h0"),
        keras.layers.Dense(8, activation="relu", name="h1"),
        keras.layers.Dense(1, name="out"),
    ], name="mlp")


def variables(impl, model):
    """The model's variables by name as this Keras spells them: ``v.path`` in Keras 3, ``v.name`` less ``:0`` in Keras 2."""
    return dict((v.path if impl == "keras3" else v.name.rsplit(":", 1)[0], v) for v in model.weights)


def features(frame) -> np.ndarray:
    return frame[FEATURES].to_numpy(np.float64).astype(np.float32)


def run(job) -> Trained:
    """Load the shared start by name, fit the plan with Adam (every setting explicit), predict the probe set."""
    keras = keras_module(job.impl)
    hp = job.hp
    model = on_device(lambda: build(keras))
    live = variables(job.impl, model)
    for name, value in job.start_for(dict((n, v.numpy()) for n, v in live.items())).items():
        live[name].assign(value)  # the name map is checked first: an unmapped or unused variable is an error
    loss = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.Adam(learning_rate=hp["learning_rate"], beta_1=hp["beta_1"], beta_2=hp["beta_2"],
                                      epsilon=hp["epsilon"])
    model.compile(optimizer=optimizer, loss=loss)
    probe = features(job.probe.frame)
    forward = model.predict(probe, verbose=0)[:, 0]

    def read():
        return job.canonical(dict((n, v.numpy()) for n, v in variables(job.impl, model).items()))

    data = plan_dataset(job.plan, features(job.dataset.frame), job.dataset.floats("y").reshape(-1, 1))
    first = {}
    snapshots = fit_plan(keras, model, job.plan, data, read, first_step=first)
    trained = Trained(snapshots[-1], snapshots, {"device": placed(model.layers[0].kernel), "keras": keras.__version__},
                      predictions=model.predict(probe, verbose=0)[:, 0], start=job.init,
                      steps=int(optimizer.iterations.numpy()), settings=settings.record(optimizer, loss, job.plan),
                      stages={"forward": forward, "first_step": first["weights"]})
    # The TF1 checkpoint into a fresh model and this model's weights back to TF1, by the case's name maps;
    # the TF1 checkpoint also holds Adam's slots and the step counter, which no Keras weight takes.
    artifacts.keep(job, port(job.impl, model), lambda: port(job.impl, on_device(lambda: build(keras))),
                   artifacts.names_table(job, unused=artifacts.STATE["adam"]))
    return trained


def port(impl, model) -> artifacts.Port:
    """The model for the artifact steps: its weights by the names the case's name map uses, its probe predictions."""
    return artifacts.Port(model, variables(impl, model), lambda probe: model(features(probe.frame), training=False))

"""The TF 2.x side: Keras ``fit`` and a custom loop with ``strategy.run``, on one replica, two, and two workers
(pairshift), and the kit's canned DNN port the same way on one replica and two.

``*_mirrored`` (and the pitfall's ``faithful`` and ``naive`` loops) run under ``MirroredStrategy``
over ``replicas`` logical CPUs, ``loop_multiworker`` as that many ``MultiWorkerMirroredStrategy``
worker processes, the rest with no strategy. Every run
is fed the plan's whole batches; the strategy cuts each into consecutive per-replica slices.

The custom loop scales the loss as a distributed loop must: each replica's per-example losses summed
over the *global* batch (``tf.nn.compute_average_loss(..., global_batch_size=plan batch)``), whose
gradients the optimizer sums across replicas. ``naive`` averages over the replica's own share
(``tf.reduce_mean``) instead: its loss, and so its gradient, is the replica count times too large.
Every loop measures that scale at its first step (``settings.distribute.loss_scale``).
"""

import copy
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from shared.core.errors import RegistryError
from shared.core.models import named
from shared.core.replicas import loss_scale
from shared.core.results import Snapshots, Trained

from modern_tf2 import distribute, pairs, settings
from modern_tf2.feeding import fit_plan, keras_module, plan_dataset
from modern_tf2.pairshift import keras2_model

import mlp_example

IMPLS = ("keras3", "keras3_mirrored", "keras2", "keras2_mirrored", "loop", "loop_mirrored", "loop_multiworker",
         "faithful", "naive")
CANNED_LOSS_REDUCTIONS = ("sum", "mean")  # a custom loop's loss over the global batch, as the case states it
WORKER = "tf2_distributed:pairshift_worker"


def replicas(job) -> int:
    """How many replicas this implementation trains on: the case's ``replicas`` unless it runs alone."""
    return 1 if job.impl in ("keras3", "keras2", "loop") else int(job.hp["replicas"])


# ---------------------------------------------------------------- Keras fit
def keras3_model(keras, items: List[str]):
    """The kit's Keras 3 pair model with its ``StringLookup`` moved into tf.data (:func:`looked_up`): under a strategy,
    Keras 3's ``fit`` reduces the first batch across replicas to build the model, which strings cannot be.
    ``CategoryEncoding`` one-hots the indices; index 0 is the OOV slot, as before."""

    class PairModel(keras.Model):
        def __init__(self) -> None:
            super(PairModel, self).__init__()
            self.hot1 = keras.layers.CategoryEncoding(num_tokens=len(items) + 1, output_mode="one_hot")
            self.hot2 = keras.layers.CategoryEncoding(num_tokens=len(items) + 1, output_mode="one_hot")
            self.subtracted = keras.layers.Subtract(name="sub")
            self.dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")

        def call(self, inputs):
            return self.dense(self.subtracted([self.hot1(inputs["item1"]), self.hot2(inputs["item2"])]))

    return PairModel()


def looked_up(keras, data, items: List[str]):
    """The plan's batches with each item name replaced by its ``StringLookup`` index (one OOV slot first)."""
    lookups = dict((k, keras.layers.StringLookup(vocabulary=items, num_oov_indices=1)) for k in ("item1", "item2"))
    return data.map(lambda f, y: (dict((k, lookups[k](v)) for k, v in f.items()), y))


def pairshift_fit(job) -> Trained:
    """Keras 3 (``keras3*``) or Keras 2 (``keras2*``: the kit's ``DenseFeatures`` model) ``fit`` of the plan, FTRL."""
    modern = job.impl.startswith("keras3")
    keras = keras_module(job.impl)
    n, hp, plan = replicas(job), job.hp, job.plan
    items = job.dataset.items()
    names = pairs.kernel_names("keras3" if modern else "keras2", job.dataset.generator, items)
    data = plan_dataset(plan, pairs.pair_features(job.dataset, ["item1", "item2"], []),
                        job.dataset.floats("dif").reshape(-1, 1))
    # Keras 3's fit under a strategy fails with steps_per_execution > 1; alone (and in Keras 2) one call per epoch
    per_call = 1 if modern and n > 1 else plan.batches_per_epoch

    def train() -> Trained:
        model = keras3_model(keras, items) if modern else keras2_model(keras, pairs.item_columns(items))
        loss = keras.losses.MeanSquaredError(reduction="sum_over_batch_size")
        optimizer = pairs.ftrl(keras, hp)
        model.compile(optimizer=optimizer, loss=loss, steps_per_execution=per_call)
        snapshots = fit_plan(keras, model, plan, looked_up(keras, data, items) if modern else data,
                             lambda: named(names, model.dense.kernel.numpy()))
        return Trained(snapshots[-1], snapshots, {"keras": keras.__version__, "steps_per_execution": per_call},
                       steps=int(optimizer.iterations.numpy()), start=dict((m, 0.0) for m in names if m is not None),
                       settings=settings.record(optimizer, loss, plan))

    return distribute.trained_under(n, plan.batch_size, train)


def mlp_fit(job) -> Trained:
    """examples/mlp's own Keras 3 ``run``, unchanged, inside the strategy's scope."""
    example = mlp_example.module("tf2_mlp")
    inner = copy.copy(job)
    inner.impl = "keras3"  # the implementation name the example knows (its Keras and variable naming)
    return distribute.trained_under(replicas(job), job.plan.batch_size, lambda: example.run(inner))


# ---------------------------------------------------------------- custom loops
def custom_loop(strategy, forward: Callable, variables: List[Any], optimizer, data, plan, read: Callable[[], Dict],
                naive: bool, reduction: str = "mean") -> Tuple[Snapshots, Dict[str, Any], float]:
    """Train through the plan with ``strategy.run``; the weights after the first step and each epoch, the loss scale.

    Each replica's loss is ``compute_average_loss`` of its per-example losses over the global batch
    (``naive``: their mean over its own share); for ``reduction="sum"`` (a canned Estimator's SUM) their sum,
    so the replicas' losses add up to the global batch's. ``optimizer.apply_gradients`` sums the replicas'
    gradients.
    """
    import tensorflow as tf

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            per_example = tf.reshape(tf.square(forward(x) - y), [-1])
            if naive:
                loss = tf.reduce_mean(per_example)
            elif reduction == "sum":
                loss = tf.reduce_sum(per_example)
            else:
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=plan.batch_size)
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return tf.stack([loss, tf.reduce_sum(per_example), tf.cast(tf.size(per_example), tf.float32)])

    @tf.function
    def steps(iterator, count):
        first = tf.zeros([3])
        for s in tf.range(count):
            row = strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(replica_step, args=next(iterator)), axis=None)
            if s == 0:
                first = row
        return first

    iterator = iter(strategy.experimental_distribute_dataset(data))
    per_epoch = plan.batches_per_epoch
    scale = loss_scale(steps(iterator, tf.constant(1)).numpy())
    first = read()
    snapshots = Snapshots()
    for epoch in range(plan.epochs):
        steps(iterator, tf.constant(per_epoch - 1 if epoch == 0 else per_epoch))
        snapshots.take(read())
    return snapshots, first, scale


def _loop_settings(optimizer, plan, reduction: str = "mean") -> Dict[str, Any]:
    """A loop's effective settings: its optimizer as built, the MSE it writes by hand (a mean over the batch: the
    global batch's in ``compute_average_loss``, the replica's own in ``naive``; ``distribute.loss_scale`` tells;
    or a sum)."""
    return {"optimizer": settings.optimizer(optimizer), "loss": {"function": "mse", "reduction": reduction},
            "batch_size": plan.batch_size, "steps": plan.epochs * plan.batches_per_epoch, "dtype": "float32"}


def pairshift_design(job):
    """The plan's batches as ``(one_hot(item1) - one_hot(item2), dif)`` over the sorted item list."""
    import tensorflow as tf

    items = job.dataset.items()
    index = dict((item, i) for i, item in enumerate(items))
    ids = tuple(np.array([index[s] for s in job.dataset.strings(c)], np.int32) for c in ("item1", "item2"))
    data = plan_dataset(job.plan, ids, job.dataset.floats("dif").reshape(-1, 1))
    return items, data.map(lambda f, y: (tf.one_hot(f[0], len(items)) - tf.one_hot(f[1], len(items)), y))


def train_pairshift_loop(job, strategy, naive: bool) -> Trained:
    """pairshift's ``Dense(1, use_bias=False)`` from zeros with Keras 3 FTRL, in :func:`custom_loop`."""
    import keras

    items, data = pairshift_design(job)
    with strategy.scope(), distribute.capture() as created:
        dense = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")
        dense.build((None, len(items)))
        optimizer = pairs.ftrl(keras, job.hp)
        optimizer.build(dense.trainable_variables)

    def read() -> Dict[str, float]:
        return named(items, dense.kernel.numpy())

    snapshots, first, scale = custom_loop(strategy, dense, dense.trainable_variables, optimizer, data, job.plan, read,
                                          naive)
    trained = Trained(snapshots[-1], snapshots, {"keras": keras.__version__}, steps=int(optimizer.iterations.numpy()),
                      start=dict((item, 0.0) for item in items), settings=_loop_settings(optimizer, job.plan),
                      stages={"first_step": first})
    return distribute.record(trained, strategy, int(strategy.num_replicas_in_sync), created, job.plan.batch_size, scale)


def pairshift_loop(job) -> Trained:
    """``loop`` (no strategy), ``loop_mirrored`` and ``faithful`` (MirroredStrategy), ``naive`` (the per-replica mean)."""
    return train_pairshift_loop(job, distribute.strategy_for(replicas(job)), naive=job.impl == "naive")


def pairshift_worker(job, strategy) -> Trained:
    """One worker's part of ``loop_multiworker``: the same loop under ``MultiWorkerMirroredStrategy``."""
    return train_pairshift_loop(job, strategy, naive=False)


def pairshift_multiworker(job) -> Trained:
    """The loop as ``replicas`` worker processes of one CPU each on 127.0.0.1."""
    return distribute.multiworker(job, WORKER, workers=int(job.hp["replicas"]))


def keras3_loop(job, build: Callable[[], Any], variables: Callable[[Any], Dict[str, Any]],
                make_optimizer: Callable[[], Any], features: Callable[[Any], Any], label, reduction: str = "mean",
                more: Optional[Callable[[Any], Dict[str, Any]]] = None) -> Trained:
    """A Keras 3 network ``build()`` set to the shared start (``variables(model)``: its variables by name) and
    ``make_optimizer()``, both under the strategy, in :func:`custom_loop` on the plan's batches of
    ``features(frame)`` and ``label`` with the loss ``reduction`` over the global batch; probe predictions from the
    start and the end; ``more(logits)`` adds effective settings."""
    import keras

    n = replicas(job)
    strategy = distribute.strategy_for(n)
    with strategy.scope(), distribute.capture() as created:
        model = build()
        live = variables(model)
        for name, value in job.start_for(dict((k, v.numpy()) for k, v in live.items())).items():
            live[name].assign(value)
        optimizer = make_optimizer()
        optimizer.build(model.trainable_variables)
    probe = features(job.probe.frame)
    forward = np.asarray(model(probe), np.float64)[:, 0]

    def read() -> Dict[str, Any]:
        return job.canonical(dict((k, v.numpy()) for k, v in variables(model).items()))

    data = plan_dataset(job.plan, features(job.dataset.frame), label)
    snapshots, first, scale = custom_loop(strategy, model, model.trainable_variables, optimizer, data, job.plan, read,
                                          naive=False, reduction=reduction)
    logits = model(probe)
    used = dict(_loop_settings(optimizer, job.plan, reduction), **(more(logits) if more else {}))
    trained = Trained(snapshots[-1], snapshots, {"keras": keras.__version__},
                      predictions=np.asarray(logits, np.float64)[:, 0], start=job.init,
                      steps=int(optimizer.iterations.numpy()), settings=used,
                      stages={"forward": forward, "first_step": first})
    return distribute.record(trained, strategy, n, created, job.plan.batch_size, scale)


def mlp_loop(job) -> Trained:
    """examples/mlp's Keras 3 network from the shared start, Adam (every setting explicit), in :func:`keras3_loop`."""
    import keras

    example, hp = mlp_example.module("tf2_mlp"), job.hp
    return keras3_loop(job, lambda: example.build(keras), lambda model: example.variables("keras3", model),
                       lambda: keras.optimizers.Adam(learning_rate=hp["learning_rate"], beta_1=hp["beta_1"],
                                                     beta_2=hp["beta_2"], epsilon=hp["epsilon"]),
                       example.features, job.dataset.floats("y").reshape(-1, 1))

# ---------------------------------------------------------------- the canned DNN
def canned_dnn_fit(job) -> Trained:
    """The kit's ``canned_dnn`` port (Keras 3 or tf_keras, SUM, Adagrad as the case states), unchanged, inside the
    strategy's scope: with ``reduction="sum"`` each replica's loss is its share's sum, which Keras leaves unscaled."""
    from modern_tf2 import canned_dnn

    inner = copy.copy(job)
    inner.impl = "keras3" if job.impl.startswith("keras3") else "keras2"  # the implementation names the port knows
    return distribute.trained_under(replicas(job), job.plan.batch_size, lambda: canned_dnn.run(inner))


def canned_dnn_loop(job) -> Trained:
    """The port's Keras 3 network and optimizer, from the shared start, in :func:`keras3_loop` with the case's loss
    reduction over the global batch (its SUM: each replica sums its share)."""
    import keras

    from shared.core.datasets import DNN_FEATURES

    from modern_tf2 import canned as port
    from modern_tf2 import canned_dnn

    hp = job.hp
    if hp["loss_reduction"] not in CANNED_LOSS_REDUCTIONS:
        raise RegistryError("%s: loss_reduction %r" % (job.run_key, hp["loss_reduction"]),
                            expected="one of " + ", ".join(CANNED_LOSS_REDUCTIONS), found=repr(hp["loss_reduction"]),
                            fix="declare loss_reduction='sum' (the canned head's) or 'mean'")
    label = job.dataset.floats(job.case.label).astype(np.float32).reshape(-1, 1)
    return keras3_loop(job, lambda: canned_dnn.build(keras, "keras3", hp),
                       lambda model: port.variables("keras3", model), lambda: port.optimizer(keras, hp), lambda frame: port.inputs(frame, [], DNN_FEATURES), label,
                       reduction=hp["loss_reduction"],
                       more=lambda logits: {"label_shape": port.shape(label.shape),  # as the fit port and the
                                            "logits_shape": port.shape(logits.shape)})  # Estimator record them

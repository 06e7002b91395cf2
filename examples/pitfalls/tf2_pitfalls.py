"""The TF 2.21 ports of each pitfall: ``pNN_naive`` (what people write: Keras defaults) and ``pNN_faithful`` (the fix).

Keras 3 unless a port says ``tf_keras`` (Keras 2). Each port loads the case's shared start by name
(where the naive port would not, it says so), trains the plan's batches with ``fit`` (the pitfall
11 ports feed what their pitfall is about instead) and returns the weights by canonical name per
epoch, the probe predictions from the start and at the end, the weights after the first step and
the effective settings read from the live optimizer, loss, layer and lookup objects.
"""

import inspect
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np

from shared.core.results import Snapshots, Trained

from modern_tf2 import settings
from modern_tf2.device import current
from modern_tf2.feeding import fit_plan, on_device, plan_dataset, row_batches

import pitfalls_common as common


# ---------------------------------------------------------------------------------------------------------------
# The harness: variables by canonical name (whole or row-sliced), the shared start, one fit over the plan
# ---------------------------------------------------------------------------------------------------------------
class View(object):
    """One canonical weight's source: a Keras variable, or some of its rows (``rows``: a slice)."""

    def __init__(self, variable, rows: Optional[slice] = None) -> None:
        self.variable, self.rows = variable, rows

    def read(self) -> np.ndarray:
        value = np.asarray(self.variable.numpy() if hasattr(self.variable, "numpy") else self.variable)
        return value if self.rows is None else value[self.rows]

    def load(self, value) -> None:
        current_ = np.asarray(self.variable.numpy())
        if self.rows is None:
            current_ = np.asarray(value, np.float32).reshape(current_.shape)
        else:
            current_[self.rows] = np.asarray(value, np.float32).reshape(current_[self.rows].shape)
        self.variable.assign(current_)


def name_of(variable) -> str:
    """A variable's name as this Keras spells it: ``path`` in Keras 3, ``name`` less ``:0`` in Keras 2."""
    path = getattr(variable, "path", None)
    return path if path is not None else variable.name.rsplit(":", 1)[0]


def views(model, rows: Optional[Dict[str, slice]] = None, leave_out: Sequence[str] = ()) -> Dict[str, View]:
    """Every weight of the model by its name (``rows`` slices some; ``leave_out`` drops ones TF1 has no variable for)."""
    rows = rows or {}
    return dict((name_of(v), View(v, rows.get(name_of(v)))) for v in model.weights if name_of(v) not in leave_out)


class Port(object):
    """One port: the model, its optimizer and loss, its inputs, and what to record beyond the optimizer and loss."""

    def __init__(self, keras, model, optimizer, loss, inputs: Callable[[Any], Any], rows=None, leave_out=(),
                 load_start: bool = True, settings_: Optional[Callable[[Dict, Dict], Dict]] = None,
                 prepare: Optional[Callable[[], None]] = None, callbacks: Sequence[Any] = (),
                 sample_weight: Optional[Callable[[Any], Any]] = None) -> None:
        self.keras, self.model, self.optimizer, self.loss, self.inputs = keras, model, optimizer, loss, inputs
        self.views = views(model, rows, leave_out)
        self.load_start, self.settings, self.prepare = load_start, settings_, prepare
        self.callbacks, self.sample_weight = callbacks, sample_weight


def seed(job) -> None:
    """Keras 3's and tf_keras' global seeds (Python, numpy, TensorFlow) from the case's ``tf_seed``."""
    import keras
    import tf_keras

    for module in (keras, tf_keras):
        module.utils.set_random_seed(job.hp.get("tf_seed", 0))


def train(job, make: Callable[[], Port]) -> Trained:
    """Build the port, load the shared start by name, fit the plan, read the weights, predictions and settings."""
    seed(job)
    port = on_device(make)

    def read() -> Dict[str, np.ndarray]:
        return job.canonical(dict((n, v.read()) for n, v in port.views.items()))

    if port.load_start and job.init is not None:
        for name, value in job.start_for(dict((n, v.read()) for n, v in port.views.items())).items():
            port.views[name].load(value)
    port.model.compile(optimizer=port.optimizer, loss=port.loss)
    if port.prepare is not None:
        port.prepare()
    start = read()
    probe = port.inputs(job.probe.frame)
    forward = predict(port.model, probe)
    first = {}  # type: Dict[str, Any]
    snapshots = fit_plan(port.keras, port.model, job.plan, plan_data(job, port), read, first_step=first,
                         callbacks=port.callbacks)
    effective = settings.record(port.optimizer, port.loss, job.plan)
    if port.settings is not None:
        effective.update(port.settings(start, first["weights"]))
    return Trained(snapshots[-1], snapshots, {"device": current(), "keras": port.keras.__version__},
                   predictions=predict(port.model, probe), start=start, steps=int(port.optimizer.iterations.numpy()),
                   settings=effective, stages={"forward": forward, "first_step": first["weights"]})


def plan_data(job, port: Port):
    """The plan's batches of the port's inputs and the case's label (and its sample weights, when the port has them)."""
    frame = job.dataset.frame
    inputs, target = port.inputs(frame), common.label(frame, job.hp["label"])
    if port.sample_weight is None:
        return plan_dataset(job.plan, inputs, target)
    import tensorflow as tf

    x, y, w = tf.constant(inputs), tf.constant(target), tf.constant(common.weights(frame))
    batches = row_batches(*job.plan.blocks()).map(
        lambda rows: (tf.gather(x, rows), tf.gather(y, rows), port.sample_weight(tf.gather(w, rows))))
    return batches.prefetch(1)


def predict(model, inputs) -> np.ndarray:
    return np.asarray(model(inputs, training=False), np.float64).reshape(-1)


def snake(name: str) -> str:
    """``GlorotUniform`` -> ``glorot_uniform`` (Keras initializer classes by their string names)."""
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def linear_model(keras, **dense_kw):
    """``Sequential(name="linear")``: one ``Dense(1, name="dense")`` on x0..x3."""
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="dense", **dense_kw)], name="linear")


def linear(job, keras, optimizer: Callable, loss=None, **kw) -> Trained:
    """The linear model with ``optimizer()`` and ``loss`` (default: the batch-mean MSE); ``kw`` go to its Port."""
    def make() -> Port:
        return Port(keras, linear_model(keras), optimizer(), loss or keras.losses.MeanSquaredError(), common.features,
                    **kw)

    return train(job, make)


# ---------------------------------------------------------------------------------------------------------------
# 1. loss reduction
# ---------------------------------------------------------------------------------------------------------------
def p01a_naive(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.SGD(job.hp["learning_rate"]))


def p01a_faithful(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.SGD(job.hp["learning_rate"]),
                  keras.losses.MeanSquaredError(reduction="sum"))


def p01b_naive(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.SGD(job.hp["learning_rate"]), sample_weight=lambda w: w)


def p01b_faithful(job) -> Trained:
    """TF1 divides the weighted sum by the count of non-zero weights: rescale each batch's weights by n / that count."""
    import keras
    import tensorflow as tf

    def nonzero(w):
        n = tf.cast(tf.size(w), w.dtype)
        return w * tf.math.divide_no_nan(n, tf.cast(tf.math.count_nonzero(w), w.dtype))

    return linear(job, keras, lambda: keras.optimizers.SGD(job.hp["learning_rate"]), sample_weight=nonzero)


# ---------------------------------------------------------------------------------------------------------------
# 2. canned defaults
# ---------------------------------------------------------------------------------------------------------------
def kernel_init(layer) -> Callable[[Dict, Dict], Dict]:
    return lambda start, first: {"init": {"kernel": snake(type(layer.kernel_initializer).__name__)}}


def p02a_naive(job) -> Trained:
    """``Dense(1)`` as Keras makes it (glorot start, not the shared one), ``Ftrl()``, the mean loss."""
    import keras

    def make() -> Port:
        model = linear_model(keras)
        return Port(keras, model, keras.optimizers.Ftrl(), keras.losses.MeanSquaredError(), common.features,
                    load_start=False, settings_=kernel_init(model.get_layer("dense")))

    return train(job, make)


def p02a_faithful(job) -> Trained:
    import keras

    def make() -> Port:
        model = linear_model(keras, kernel_initializer="zeros")
        return Port(keras, model, keras.optimizers.Ftrl(0.2, initial_accumulator_value=0.1),
                    keras.losses.MeanSquaredError(reduction="sum"), common.features,
                    settings_=kernel_init(model.get_layer("dense")))

    return train(job, make)


def dnn(job, optimizer: Callable, loss) -> Trained:
    import keras

    def make() -> Port:
        hidden = keras.layers.Dense(job.hp["hidden"], activation="relu", name="hidden")
        model = keras.Sequential([keras.Input((4,)), hidden, keras.layers.Dense(1, name="logits")], name="mlp")
        return Port(keras, model, optimizer(), loss, common.features,
                    settings_=lambda start, first: {"model": {"hidden_activation": hidden.activation.__name__}})

    return train(job, make)


def p02b_naive(job) -> Trained:
    import keras

    return dnn(job, lambda: keras.optimizers.Adagrad(), keras.losses.MeanSquaredError())


def p02b_faithful(job) -> Trained:
    import keras

    return dnn(job, lambda: keras.optimizers.Adagrad(0.05, initial_accumulator_value=0.1, epsilon=0.0),
               keras.losses.MeanSquaredError(reduction="sum"))


# ---------------------------------------------------------------------------------------------------------------
# 3. RMSProp
# ---------------------------------------------------------------------------------------------------------------
def rmsprop(job, epsilon: Optional[float], ones: bool) -> Trained:
    """Keras 3 ``RMSprop``; ``ones``: build it and set every velocity (mean square) slot to ones, as TF1 starts it."""
    import keras

    def make() -> Port:
        model = linear_model(keras)
        kw = {} if epsilon is None else {"epsilon": epsilon}
        opt = keras.optimizers.RMSprop(job.hp["learning_rate"], **kw)

        def prepare() -> None:
            opt.build(model.trainable_variables)
            if ones:
                for v in opt._velocities:
                    v.assign(np.ones(tuple(v.shape), np.float32))
            state["start"] = float(np.mean(np.asarray(opt._velocities[0])))

        state = {}
        return Port(keras, model, opt, keras.losses.MeanSquaredError(), common.features, prepare=prepare,
                    settings_=lambda start, first: {"optimizer": dict(settings.optimizer(opt),
                                                                      mean_square_start=state["start"])})

    return train(job, make)


def p03_naive(job) -> Trained:
    return rmsprop(job, None, ones=False)


def p03_faithful(job) -> Trained:
    return rmsprop(job, 1e-10, ones=True)


# ---------------------------------------------------------------------------------------------------------------
# 4. epsilon defaults
# ---------------------------------------------------------------------------------------------------------------
def p04a_naive(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.Adadelta(job.hp["learning_rate"]))


def p04a_faithful(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.Adadelta(job.hp["learning_rate"], epsilon=1e-8))


def p04b_naive(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.Adam(job.hp["learning_rate"]))


def p04b_faithful(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.Adam(job.hp["learning_rate"], epsilon=1e-8))


def p04c_naive(job) -> Trained:
    """tf_keras' legacy ``Adagrad(epsilon=0)``: the constructor turns 0 into 1e-7 (``epsilon or backend epsilon``)."""
    import tf_keras

    return linear(job, tf_keras, lambda: tf_keras.optimizers.legacy.Adagrad(job.hp["learning_rate"], epsilon=0.0))


def p04c_faithful(job) -> Trained:
    import keras

    return linear(job, keras, lambda: keras.optimizers.Adagrad(job.hp["learning_rate"], epsilon=0.0))


# ---------------------------------------------------------------------------------------------------------------
# 5. momentum with a changing learning rate
# ---------------------------------------------------------------------------------------------------------------
def momentum(job, rescale: bool) -> Trained:
    """``SGD(ExponentialDecay, momentum)``; ``rescale``: TF1 keeps a = m*a + g and steps lr_t*a, Keras keeps
    v = m*v - lr_t*g: they agree while v == -lr_t*a, so when lr_t changes, scale v by lr_new / lr_old first."""
    import keras

    hp = job.hp

    def make() -> Port:
        schedule = keras.optimizers.schedules.ExponentialDecay(hp["learning_rate"], hp["decay_steps"], hp["decay_rate"],
                                                               staircase=True)
        opt = keras.optimizers.SGD(schedule, momentum=hp["momentum"])
        state = {"lr": None}

        class Rescale(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None) -> None:
                now = float(schedule(opt.iterations))
                if state["lr"] is not None and now != state["lr"]:
                    for slot in opt.momentums:
                        slot.assign(slot * (now / state["lr"]))
                state["lr"] = now

        return Port(keras, linear_model(keras), opt, keras.losses.MeanSquaredError(), common.features,
                    callbacks=[Rescale()] if rescale else [])

    return train(job, make)


def p05_naive(job) -> Trained:
    return momentum(job, rescale=False)


def p05_faithful(job) -> Trained:
    return momentum(job, rescale=True)


# ---------------------------------------------------------------------------------------------------------------
# 6. sparse updates
# ---------------------------------------------------------------------------------------------------------------
def embedding_model(keras):
    """``sum(Embedding(item) * x[:, :2]) + bias`` as a subclassed model named ``emb_model``."""
    import tensorflow as tf

    class EmbModel(keras.Model):
        def __init__(self) -> None:
            super(EmbModel, self).__init__(name="emb_model")
            self.emb = keras.layers.Embedding(common.N_ITEMS, 2, name="emb")
            self.bias = self.add_weight(shape=(1,), initializer="zeros", name="bias")

        def call(self, inputs):
            return tf.reduce_sum(self.emb(inputs["item"]) * inputs["x"][:, :2], 1, keepdims=True) + self.bias

    model = EmbModel()
    model({"item": np.zeros((1,), np.int64), "x": np.zeros((1, 4), np.float32)})
    return model


def embedding_inputs(frame) -> Dict[str, np.ndarray]:
    return {"item": common.items(frame), "x": common.features(frame)}


def sparse_after(job, model) -> Callable[[Dict, Dict], Dict]:
    """The gradient types of the embedding and the bias (``IndexedSlices`` means a sparse update), and what the
    first step did to the embedding rows: which moved, and how often each was looked up."""
    first_rows = next(job.plan.batches(0))

    def after(start, first) -> Dict[str, Any]:
        moved = [i for i in range(common.N_ITEMS) if np.any(np.asarray(first["emb"])[i] != np.asarray(start["emb"])[i])]
        return {"gradients": gradient_kinds(job, model, first_rows),
                "sparse": {"rows_moved_at_step_1": moved, "lookups_per_item_in_batch_1": common.lookups_per_item(
                    common.items(job.dataset.frame)[first_rows])}}

    return after


def gradient_kinds(job, model, rows) -> Dict[str, str]:
    """The type of each gradient of the MSE on one batch, by canonical name."""
    import keras
    import tensorflow as tf

    frame = job.dataset.frame
    inputs, target = embedding_inputs(frame), common.label(frame, job.hp["label"])[rows]
    variables = [v.value if isinstance(v, keras.Variable) else v for v in (model.emb.embeddings, model.bias)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(dict((k, v[rows]) for k, v in inputs.items())) - target))
    return dict(zip(("emb", "bias"), [gradient_kind(g) for g in tape.gradient(loss, variables)]))


def gradient_kind(gradient) -> str:
    """``IndexedSlices`` (a sparse update: rows and their values) or ``Tensor`` (dense)."""
    return "IndexedSlices" if type(gradient).__name__ == "IndexedSlices" else "Tensor"


def embedding(job, keras, optimizer: Callable, ones: bool = False) -> Trained:
    def make() -> Port:
        model = embedding_model(keras)
        opt = optimizer()

        def prepare() -> None:
            if ones:  # TF1's RMSProp starts its mean square at ones (pitfall 3, fixed here)
                opt.build(model.trainable_variables)
                for v in opt._velocities:
                    v.assign(np.ones(tuple(v.shape), np.float32))

        return Port(keras, model, opt, keras.losses.MeanSquaredError(), embedding_inputs, prepare=prepare,
                    settings_=sparse_after(job, model))

    return train(job, make)


def p06a_naive(job) -> Trained:
    import keras

    return embedding(job, keras, lambda: keras.optimizers.SGD(job.hp["learning_rate"], momentum=job.hp["momentum"]))


def p06a_faithful(job) -> Trained:
    """tf_keras' legacy SGD applies momentum to the rows in the batch only (``ResourceSparseApplyKerasMomentum``)."""
    import tf_keras

    return embedding(job, tf_keras, lambda: tf_keras.optimizers.legacy.SGD(job.hp["learning_rate"],
                                                                           momentum=job.hp["momentum"]))


def p06b_naive(job) -> Trained:
    import keras

    return embedding(job, keras, lambda: keras.optimizers.RMSprop(job.hp["learning_rate"], epsilon=1e-10), ones=True)


V1_ATTRIBUTES = (("_learning_rate", "learning_rate"), ("_decay", "rho"), ("_momentum", "momentum"),
                 ("_epsilon", "epsilon"))


def v1_optimizer(opt) -> Dict[str, Any]:
    """A ``tf.compat.v1.train`` optimizer's settings under the kit's common names (as ``legacy_tf1.settings``)."""
    out = {"name": type(opt).__name__.replace("Optimizer", "").lower(), "class": "tf.compat.v1.train." + type(opt).__name__}
    out.update((common_, float(getattr(opt, attr))) for attr, common_ in V1_ATTRIBUTES if hasattr(opt, attr))
    return out


def p06b_faithful(job) -> Trained:
    """``tf.compat.v1.train.RMSPropOptimizer`` (TF1's sparse kernel) in a ``GradientTape`` step on the Keras 3 model."""
    import keras
    import tensorflow as tf

    seed(job)
    plan, frame = job.plan, job.dataset.frame
    model = on_device(lambda: embedding_model(keras))
    port_views = views(model)

    def read() -> Dict[str, np.ndarray]:
        return job.canonical(dict((n, v.read()) for n, v in port_views.items()))

    for name, value in job.start_for(dict((n, v.read()) for n, v in port_views.items())).items():
        port_views[name].load(value)
    opt = tf.compat.v1.train.RMSPropOptimizer(job.hp["learning_rate"])
    variables = [model.emb.embeddings.value, model.bias.value]
    inputs, target = embedding_inputs(frame), common.label(frame, job.hp["label"])

    @tf.function
    def step(item, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model({"item": item, "x": x}) - y))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    start = read()
    probe = embedding_inputs(job.probe.frame)
    forward = predict(model, probe)
    snapshots, first, steps = Snapshots(), None, 0
    for epoch in range(plan.epochs):
        for rows in plan.batches(epoch):
            step(inputs["item"][rows], inputs["x"][rows], target[rows])
            steps += 1
            if steps == 1:
                first = read()
        snapshots.take(read())
    effective = {"optimizer": v1_optimizer(opt), "loss": {"function": "mse", "reduction": "mean"},
                 "batch_size": plan.batch_size, "steps": plan.epochs * plan.batches_per_epoch, "dtype": "float32"}
    effective.update(sparse_after(job, model)(start, first))
    return Trained(snapshots[-1], snapshots, {"device": current(), "keras": keras.__version__},
                   predictions=predict(model, probe), start=start, steps=steps, settings=effective,
                   stages={"forward": forward, "first_step": first})


def p06c_naive(job) -> Trained:
    import keras

    return embedding(job, keras, lambda: keras.optimizers.Ftrl(job.hp["learning_rate"]))


def p06c_faithful(job) -> Trained:
    """tf_keras' legacy Ftrl runs TF's fused sparse FTRL kernel (duplicates summed, untouched rows left alone)."""
    import tf_keras

    return embedding(job, tf_keras, lambda: tf_keras.optimizers.legacy.Ftrl(job.hp["learning_rate"]))


# ---------------------------------------------------------------------------------------------------------------
# 7. L2 regularisation
# ---------------------------------------------------------------------------------------------------------------
def l2(job, strength: Optional[float], measure: str) -> Trained:
    """``Dense(kernel_regularizer=L2(strength))`` (none when ``strength`` is None); ``measure`` names what to record:
    the penalty per sum(w^2) (7a) or the penalty in the training loss at the start (7b)."""
    import keras

    def make() -> Port:
        kw = {} if strength is None else {"kernel_regularizer": keras.regularizers.L2(strength)}
        model = linear_model(keras, **kw)

        def measured(start, first) -> Dict[str, Any]:
            penalty = float(sum(float(np.asarray(t)) for t in model.losses)) if model.losses else 0.0
            if measure == "l2_per_sum_w2":
                value = penalty / float((np.asarray(start["kernel"], np.float64) ** 2).sum())
            else:
                value = penalty
            return {"regularizer": {measure: common.rounded(value, 4)}}

        port = Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    common.features)
        state = {}
        port.prepare = lambda: state.update(measured=measured(port_start(port), None))
        port.settings = lambda start, first: state["measured"]
        return port

    return train(job, make)


def port_start(port: Port) -> Dict[str, np.ndarray]:
    """The port's linear kernel as it is now (before training: the start), for a penalty measured at the start."""
    return {"kernel": port.views["linear/dense/kernel"].read()}


def p07a_naive(job) -> Trained:
    return l2(job, job.hp["l2"], "l2_per_sum_w2")


def p07a_faithful(job) -> Trained:
    return l2(job, job.hp["l2"] / 2.0, "l2_per_sum_w2")


def p07b_naive(job) -> Trained:
    return l2(job, job.hp["l2"] / 2.0, "penalty_in_loss")


def p07b_faithful(job) -> Trained:
    return l2(job, None, "penalty_in_loss")


# ---------------------------------------------------------------------------------------------------------------
# 8. batch norm
# ---------------------------------------------------------------------------------------------------------------
def batch_norm_classes():
    """Keras 3 subclasses of ``BatchNormalization`` that reproduce TF1's two behaviours."""
    import keras
    from keras import ops

    class TF1FusedBatchNorm(keras.layers.BatchNormalization):
        """``tf.contrib.layers.batch_norm`` on 2-D input (the fused kernel): normalise with the biased batch
        variance, but feed the moving variance the unbiased one, var * n/(n-1)."""

        def call(self, inputs, training=None, mask=None):
            if not (training and self.trainable):
                return super(TF1FusedBatchNorm, self).call(inputs, training=False, mask=mask)
            x = ops.cast(inputs, "float32")
            mean, var = self._moments(x, mask)
            n = ops.cast(ops.shape(x)[0], var.dtype)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + var * (n / (n - 1.0)) * (1.0 - m))
            return ops.batch_normalization(x, mean, var, axis=self.axis, offset=self.beta if self.center else None,
                                           scale=self.gamma if self.scale else None, epsilon=self.epsilon)

    class InferenceModeBatchNorm(keras.layers.BatchNormalization):
        """``tf.layers.batch_normalization(x)`` with ``training`` left at False: always the moving statistics."""

        def call(self, inputs, training=None, mask=None):
            return super(InferenceModeBatchNorm, self).call(inputs, training=False, mask=mask)

    return TF1FusedBatchNorm, InferenceModeBatchNorm


def batch_norm(job, layer: Callable) -> Trained:
    """``Input(4) -> layer() -> Dense(1)``; a ``bn/gamma`` TF1 has no variable for (scale=False) is left out of the map."""
    import keras

    batch_x = common.features(job.dataset.frame)[next(job.plan.batches(0))]
    names = job.case.name_map(job.side, job.impl)

    def make() -> Port:
        bn = layer()
        inputs = keras.Input((4,))
        model = keras.Model(inputs, keras.layers.Dense(1, name="dense")(bn(inputs)))
        leave_out = [n for n in ("bn/gamma",) if n not in names]

        def recorded(start, first) -> Dict[str, Any]:
            moved = bool(np.any(np.asarray(first["bn/moving_mean"]) != np.asarray(start["bn/moving_mean"])))
            ratio = common.moving_variance_ratio(start, first, batch_x, bn.momentum) if moved else None
            return {"bn": {"momentum": float(bn.momentum), "scale": bool(bn.scale), "center": bool(bn.center),
                           "epsilon": float(bn.epsilon), "moving_stats_updated": moved, "moving_variance_ratio": ratio}}

        return Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    common.features, leave_out=leave_out, settings_=recorded)

    return train(job, make)


def p08a_naive(job) -> Trained:
    import keras

    return batch_norm(job, lambda: keras.layers.BatchNormalization(name="bn"))


def p08a_faithful(job) -> Trained:
    fused = batch_norm_classes()[0]
    return batch_norm(job, lambda: fused(momentum=0.999, scale=False, name="bn"))


def p08b_naive(job) -> Trained:
    fused = batch_norm_classes()[0]
    return batch_norm(job, lambda: fused(momentum=0.999, scale=False, name="bn"))


def p08b_faithful(job) -> Trained:
    fused = batch_norm_classes()[0]
    return batch_norm(job, lambda: fused(momentum=1.0, scale=False, name="bn"))


def p08c_naive(job) -> Trained:
    import keras

    return batch_norm(job, lambda: keras.layers.BatchNormalization(name="bn"))


def p08c_faithful(job) -> Trained:
    inference = batch_norm_classes()[1]
    return batch_norm(job, lambda: inference(name="bn"))


# ---------------------------------------------------------------------------------------------------------------
# 9. feature columns vs preprocessing layers
# ---------------------------------------------------------------------------------------------------------------
def one_hot(job, drop_oov: bool) -> Trained:
    """``StringLookup(output_mode="one_hot")`` into ``Dense(1)``; the naive port reads kernel rows by position."""
    import keras

    def make() -> Port:
        lookup = keras.layers.StringLookup(vocabulary=common.CATS, output_mode="one_hot")

        def encode(frame_or_values):
            values = common.cats(frame_or_values) if hasattr(frame_or_values, "columns") else frame_or_values
            out = np.asarray(lookup(np.asarray(values, dtype=str)), np.float32)
            return out[:, 1:] if drop_oov else out

        width = len(lookup.get_vocabulary()) - (1 if drop_oov else 0)
        model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(1, name="dense")], name="onehot")
        rows = None if drop_oov else {"onehot/dense/kernel": slice(0, len(common.CATS))}
        probe = encode(["a", "c", "zz"])

        def recorded(start, first) -> Dict[str, Any]:
            return {"features": {"cat": {
                "width": width, "num_oov": int(lookup.num_oov_indices), "unknown_id": int(np.asarray(
                    keras.layers.StringLookup(vocabulary=common.CATS)(np.array(["zz"])))[0]),
                "column_of": [int(np.argmax(probe[0])), int(np.argmax(probe[1]))],
                "unknown_encoding": probe[2].tolist()}}}

        port = Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    encode, rows=rows, settings_=recorded)
        if not drop_oov:  # the row past the position-read ones starts at 0
            kernel = model.get_layer("dense").kernel
            kernel.assign(np.zeros(tuple(kernel.shape), np.float32))
        return port

    return train(job, make)


def p09a_naive(job) -> Trained:
    return one_hot(job, drop_oov=False)


def p09a_faithful(job) -> Trained:
    return one_hot(job, drop_oov=True)


def tag_model(job, faithful: bool) -> Trained:
    """Tags through ``StringLookup`` and ``Embedding``, pooled, joined with x[:, :2], into ``Dense(1)``."""
    import keras
    from keras import ops

    class MaskedMean(keras.layers.Layer):
        """``embedding_column(combiner="mean")``: the mean over the known ids only (``ids >= first``); none: zeros."""

        combiner = "mean"

        def __init__(self, first: int, **kw) -> None:
            super(MaskedMean, self).__init__(**kw)
            self.first = first

        def call(self, emb, ids):
            known = ops.cast(ids >= self.first, emb.dtype)[..., None]
            return ops.sum(emb * known, axis=1) / ops.maximum(ops.sum(known, axis=1), 1.0)

    def make() -> Port:
        lookup = (keras.layers.StringLookup(vocabulary=common.TAGS, mask_token="") if faithful
                  else keras.layers.StringLookup(vocabulary=common.TAGS))
        vocab = lookup.get_vocabulary()
        ids = keras.Input((common.MAX_TAGS,), dtype="int64", name="ids")
        x = keras.Input((2,), name="x")
        emb = keras.layers.Embedding(len(vocab), 2, name="emb")
        if faithful:
            pool = MaskedMean(vocab.index(common.TAGS[0]))
            joined = keras.layers.Concatenate()([pool(emb(ids), ids), x])  # TF1's order: sorted by column name
            order, rows = list(common.TF1_INPUT_ORDER), slice(vocab.index(common.TAGS[0]), len(vocab))
        else:
            pool = keras.layers.GlobalAveragePooling1D()
            joined = keras.layers.Concatenate()([x, pool(emb(ids))])  # the order the columns were listed
            order, rows = ["x", "tags_embedding"], slice(0, len(common.TAGS))  # rows read by position
        model = keras.Model([ids, x], keras.layers.Dense(1, name="dense")(joined))

        def inputs(frame):
            return (np.asarray(lookup(np.asarray(common.tags(frame), dtype=str)), np.int64), common.features(frame)[:, :2])

        table = model.get_layer("emb").embeddings
        table.assign(np.zeros(tuple(table.shape), np.float32))  # rows outside the read ones start at 0
        return Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    inputs, rows={"emb/embeddings": rows},
                    settings_=lambda start, first: {"features": {"order": order, "tags": {
                        "combiner": getattr(pool, "combiner", type(pool).__name__)}}})

    return train(job, make)


def p09b_naive(job) -> Trained:
    return tag_model(job, faithful=False)


def p09b_faithful(job) -> Trained:
    return tag_model(job, faithful=True)


# ---------------------------------------------------------------------------------------------------------------
# 10. dropout
# ---------------------------------------------------------------------------------------------------------------
def kept(values: np.ndarray) -> Dict[str, float]:
    """The measured keep fraction (2 digits: sampling noise is ~1e-3) and the scale of the kept units."""
    nonzero = values[values != 0]
    return {"keep_fraction": common.rounded((values != 0).mean(), 2),
            "kept_scale": common.rounded(nonzero.mean() if nonzero.size else 0.0, 4)}


def dropout(job, rate: Optional[float]) -> Trained:
    """``Input(4) -> Dense(hidden, relu) -> Dropout(rate) -> Dense(1)`` (no dropout layer when ``rate`` is None)."""
    import keras

    def make() -> Port:
        inputs = keras.Input((4,))
        h = keras.layers.Dense(job.hp["hidden"], activation="relu", name="hidden")(inputs)
        drop = keras.layers.Dropout(rate) if rate is not None else None
        model = keras.Model(inputs, keras.layers.Dense(1, name="out")(drop(h) if drop is not None else h))
        ones = np.ones((1000, 100), np.float32)

        def measured(start, first) -> Dict[str, Any]:  # the layer as fit calls it (training=True), on 1e5 ones
            return {"dropout": kept(np.asarray(drop(ones, training=True)) if drop is not None else ones)}

        return Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    common.features, settings_=measured)

    return train(job, make)


def p10a_naive(job) -> Trained:
    return dropout(job, job.hp["keep_prob"])


def p10a_faithful(job) -> Trained:
    return dropout(job, 1.0 - job.hp["keep_prob"])


def p10b_naive(job) -> Trained:
    return dropout(job, job.hp["rate"])


def p10b_faithful(job) -> Trained:
    return dropout(job, None)


# ---------------------------------------------------------------------------------------------------------------
# 11. input functions
# ---------------------------------------------------------------------------------------------------------------
def fit_as_written(job, fit_args: Callable[[Any, Any], Dict[str, Any]], order: str, batch_size: int) -> Trained:
    """The linear model trained by ``model.fit(**fit_args(x, y))`` as the port writes it (no batch plan): its steps
    are what its input pipeline makes (recorded in the settings), not the plan's, so none are claimed against it."""
    import keras

    seed(job)
    model = on_device(lambda: linear_model(keras))
    port_views = views(model)

    def read() -> Dict[str, np.ndarray]:
        return job.canonical(dict((n, v.read()) for n, v in port_views.items()))

    for name, value in job.start_for(dict((n, v.read()) for n, v in port_views.items())).items():
        port_views[name].load(value)
    opt, loss = keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError()
    model.compile(optimizer=opt, loss=loss)
    start, probe = read(), common.features(job.probe.frame)
    forward = predict(model, probe)
    first, snapshots = {}, Snapshots()

    def after_batch(batch, logs) -> None:
        if "weights" not in first:
            first["weights"] = read()

    hooks = keras.callbacks.LambdaCallback(on_train_batch_end=after_batch,
                                           on_epoch_end=lambda epoch, logs: snapshots.take(read()))
    frame = job.dataset.frame
    model.fit(verbose=0, callbacks=[hooks], **fit_args(common.features(frame), common.label(frame, job.hp["label"])))
    steps = int(opt.iterations.numpy())
    effective = settings.record(opt, loss, job.plan, input={"order": order, "batch_size": batch_size, "steps": steps})
    return Trained(snapshots[-1], snapshots, {"device": current(), "keras": keras.__version__},
                   predictions=predict(model, probe), start=start, settings=effective,
                   stages={"forward": forward, "first_step": first["weights"]})


def fit_batch_size() -> int:
    """What ``fit`` batches by when no ``batch_size`` is given (its default None means 32)."""
    import keras

    default = inspect.signature(keras.Model.fit).parameters["batch_size"].default
    return 32 if default is None else int(default)


def p11a_naive(job) -> Trained:
    """``fit(shuffle=True)`` with Keras' global seed: reproducible in Keras, but not TF1's order."""
    plan = job.plan
    return fit_as_written(job, lambda x, y: {"x": x, "y": y, "batch_size": plan.batch_size, "epochs": plan.epochs,
                                             "shuffle": True}, "fit(shuffle=True)", plan.batch_size)


def p11a_faithful(job) -> Trained:
    """The fix: the same batch plan the TF1 reference is fed."""
    import keras

    def make() -> Port:
        return Port(keras, linear_model(keras), keras.optimizers.SGD(job.hp["learning_rate"]),
                    keras.losses.MeanSquaredError(), common.features)

    out = train(job, make)
    out.settings["input"] = {"order": "batch plan", "batch_size": job.plan.batch_size, "steps": out.steps}
    return out


def p11b_naive(job) -> Trained:
    epochs = job.plan.epochs
    return fit_as_written(job, lambda x, y: {"x": x, "y": y, "epochs": epochs, "shuffle": False},
                          "file order", fit_batch_size())


def p11b_faithful(job) -> Trained:
    """``pandas_input_fn``'s batching: the rows repeated ``num_epochs`` times, then cut into batches of 128."""
    import tensorflow as tf

    epochs, batch = job.plan.epochs, job.plan.batch_size
    return fit_as_written(job, lambda x, y: {"x": tf.data.Dataset.from_tensor_slices((x, y)).repeat(epochs).batch(batch),
                                             "epochs": 1, "shuffle": False}, "file order", batch)


# ---------------------------------------------------------------------------------------------------------------
# 12. initializer defaults
# ---------------------------------------------------------------------------------------------------------------
def initialized(job, activation: Optional[str], initializer: Callable[[int], Any]) -> Trained:
    """``Dense(hidden, activation, initializer(seed=1)) -> Dense(1, initializer(seed=2))``, started as they draw it."""
    import keras
    import tensorflow as tf

    def make() -> Port:
        tf.random.set_seed(job.hp["tf_seed"])  # TF1's graph seed, for tf.compat.v1 initializers
        hidden = keras.layers.Dense(job.hp["hidden"], activation=activation, kernel_initializer=initializer(1),
                                    name="hidden")
        model = keras.Sequential([keras.Input((4,)), hidden, keras.layers.Dense(1, kernel_initializer=initializer(2),
                                                                              name="out")], name="mlp")
        return Port(keras, model, keras.optimizers.SGD(job.hp["learning_rate"]), keras.losses.MeanSquaredError(),
                    common.features, load_start=False, settings_=lambda start, first: {
                        "init": {"kernel_stddev": float(hidden.kernel_initializer.stddev)},
                        "model": {"hidden_activation": hidden.activation.__name__}})

    return train(job, make)


def p12_naive(job) -> Trained:
    import keras

    return initialized(job, None, lambda s: keras.initializers.TruncatedNormal(seed=s))


def p12_faithful(job) -> Trained:
    """ReLU, and TF1's own initializer from ``tf.compat.v1`` under TF1's graph seed: the same start values."""
    import tensorflow as tf

    return initialized(job, "relu", lambda s: tf.compat.v1.truncated_normal_initializer(seed=s))


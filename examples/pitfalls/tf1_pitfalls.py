"""The real TF 1.15 code of each pitfall: placeholders and ``tf.Session``, canned and custom Estimators, ``tf.contrib``.

Each ``pNN(job)`` trains the plan's batches from the case's shared start (where the case has one)
and returns a ``Trained`` with the weights by canonical name after every epoch, the probe
predictions from the start (``forward``) and at the end, the weights after the first step and the
effective settings read from the live optimizer, head, layer and column objects. Python 3.7.
"""

import inspect
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from shared.core.results import Snapshots, Trained

from legacy_tf1 import settings
from legacy_tf1.device import current, session_config
from legacy_tf1.feeding import checkpoint_at, estimator_loop, plan_input_fn, probe_input_fn, trainable

import pitfalls_common as common

REDUCTIONS = {"weighted_sum": "sum", "weighted_sum_over_batch_size": "mean",
              "weighted_sum_by_nonzero_weights": "sum_by_nonzero_weights", "weighted_mean": "weighted_mean"}


# ---------------------------------------------------------------------------------------------------------------
# A tf.Session harness: placeholders fed the plan's batches
# ---------------------------------------------------------------------------------------------------------------
def arrays(frame, label: str) -> Dict[str, np.ndarray]:
    """Everything a session model may be fed, by placeholder key."""
    return {"x": common.features(frame), "y": common.label(frame, label), "w": common.weights(frame).reshape(-1, 1),
            "item": common.items(frame), "cat": common.cats(frame), "tags": common.tags(frame)}


def placeholders(keys: List[str]) -> Dict[str, Any]:
    import tensorflow as tf

    spec = {"x": (tf.float32, [None, 4]), "y": (tf.float32, [None, 1]), "w": (tf.float32, [None, 1]),
            "item": (tf.int64, [None]), "cat": (tf.string, [None]), "tags": (tf.string, [None, common.MAX_TAGS])}
    return dict((k, tf.placeholder(spec[k][0], spec[k][1], name=k)) for k in keys)


class Built(object):
    """What a session model's ``build(ph)`` returns: the training loss and op, the inference output, the
    optimizer and the loss reduction, and how to read extra effective settings once the session holds the start."""

    def __init__(self, loss, train_op, infer, opt, reduction: str, variables: Optional[List[Any]] = None,
                 more: Optional[Callable[[Any, Dict[str, Any]], Dict[str, Any]]] = None) -> None:
        self.loss, self.train_op, self.infer, self.opt, self.reduction = loss, train_op, infer, opt, reduction
        self.variables = variables
        self.more = more


def session_run(job, keys: List[str], build: Callable[[Dict[str, Any]], Built],
                after: Optional[Callable[[Any, Built, Dict[str, Any], Dict[str, Any]], Dict[str, Any]]] = None
                ) -> Trained:
    """Build the graph, load the shared start by name, train the plan, read everything the case compares."""
    import tensorflow as tf

    plan = job.plan
    data, probe = arrays(job.dataset.frame, job.hp["label"]), arrays(job.probe.frame, job.hp["label"])
    graph = tf.Graph()
    with graph.as_default(), tf.device(current()):
        tf.set_random_seed(job.hp.get("tf_seed", 0))
        ph = placeholders(keys)
        model = build(ph)
        variables = model.variables or tf.global_variables()
        state = set(v.op.name for v in (model.opt.variables() if model.opt is not None else []))
        variables = [v for v in variables if v.op.name != "global_step" and v.op.name not in state]
        init = [tf.global_variables_initializer(), tf.local_variables_initializer(), tf.tables_initializer()]

    def read(sess) -> Dict[str, np.ndarray]:
        return job.canonical(dict((v.op.name, value) for v, value in zip(variables, sess.run(variables))))

    def feed(source, rows):
        return dict((p, source[k][rows]) for k, p in ph.items())

    everything = np.arange(job.probe.n_rows)
    snapshots, steps = Snapshots(), 0
    with tf.Session(graph=graph, config=session_config()) as sess:
        sess.run(init)
        if job.init is not None:
            live = dict((v.op.name, v) for v in variables)
            for name, value in job.start_for(dict((n, sess.run(v)) for n, v in live.items())).items():
                live[name].load(np.asarray(value, np.float32).reshape(live[name].shape.as_list()), sess)
        start = read(sess)
        effective = settings.record(model.opt, "mse", model.reduction, plan)
        if model.more is not None:
            effective.update(model.more(sess, start))
        forward = sess.run(model.infer, feed(probe, everything))[:, 0]
        first = None
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                sess.run(model.train_op, feed(data, rows))
                steps += 1
                if steps == 1:
                    first = read(sess)
            snapshots.take(read(sess))
        predictions = sess.run(model.infer, feed(probe, everything))[:, 0]
        extra = {"device": variables[0].device or current()}
        if after is not None:
            effective.update(after(sess, model, start, first))
    return Trained(snapshots[-1], snapshots, extra, predictions=predictions, start=start, steps=steps,
                   settings=effective, stages={"forward": forward, "first_step": first})


def dense(ph_x, lr_opt, ph_y, **layer_kw) -> Built:
    """``tf.layers.dense(x, 1)`` with ``tf.losses.mean_squared_error`` (the batch mean without weights)."""
    import tensorflow as tf

    pred = tf.layers.dense(ph_x, 1, name="dense", **layer_kw)
    loss = tf.losses.mean_squared_error(ph_y, pred)
    opt = lr_opt()
    return Built(loss, opt.minimize(loss, global_step=tf.train.get_or_create_global_step()), pred, opt, "mean")


# ---------------------------------------------------------------------------------------------------------------
# Estimators: the plan through the kit's input_fn, the shared start loaded by a hook, the Estimator's own predict
# ---------------------------------------------------------------------------------------------------------------
CANNED = []  # the optimizer instance a canned Estimator built, recorded by the wrapper below


def record_canned_optimizers() -> None:
    """Record the optimizer instance canned Estimators build inside their model_fn (behaviour unchanged)."""
    from tensorflow_estimator.python.estimator.canned import optimizers

    if getattr(optimizers.get_optimizer_instance, "records_for_tfkit", False):
        return
    original = optimizers.get_optimizer_instance

    def recording(opt, learning_rate=None):
        instance = original(opt, learning_rate=learning_rate)
        CANNED.append(instance)
        return instance

    recording.records_for_tfkit = True
    optimizers.get_optimizer_instance = recording


def start_hook(values: Dict[str, np.ndarray]):
    """A hook that loads ``values`` (by variable name) into the trainable variables once the session exists."""
    import tensorflow as tf

    class Start(tf.train.SessionRunHook):
        def begin(self) -> None:
            self.variables = dict((v.op.name, v) for v in tf.trainable_variables())

        def after_create_session(self, session, coord) -> None:
            for name, value in values.items():
                var = self.variables[name]
                var.load(np.asarray(value, np.float32).reshape(var.shape.as_list()), session)
            self.read = dict((n, session.run(v)) for n, v in self.variables.items())

    return Start()


def stacked(input_fn: Callable) -> Callable:
    """The kit's input_fn with ``x0..x3`` stacked into one feature ``x`` of shape [batch, 4]."""
    import tensorflow as tf

    def join(feats):
        return {"x": tf.stack([feats[c] for c in common.FEATURES], axis=1)}

    def fn():
        out = input_fn()
        if isinstance(out, tf.data.Dataset):  # the probe set: a dataset of feature dicts
            return out.map(join)
        return (join(out[0]),) + tuple(out[1:])  # the plan: (features, labels) from the iterator

    return fn


def predictions(estimator, input_fn: Callable, key: str = "predictions", hooks=(), checkpoint: Optional[str] = None
                ) -> np.ndarray:
    """The Estimator's own predictions on the probe set (from its last checkpoint, or ``checkpoint``), float64."""
    out = estimator.predict(input_fn, hooks=list(hooks), checkpoint_path=checkpoint)
    return np.asarray([np.asarray(p[key], np.float64).reshape(-1)[0] for p in out])


def estimator_run(job, make: Callable, hooks=(), more: Optional[Callable] = None) -> Trained:
    """Train a canned ``make(config)`` on feature ``x`` through the plan from the shared start (loaded by a hook);
    predict the probe set from the start (the same hook on ``predict``) and at the end."""
    del CANNED[:]
    input_fn, feed = plan_input_fn(job.dataset, job.plan, [], common.FEATURES, label=job.hp["label"])
    input_fn, probe = stacked(input_fn), stacked(probe_input_fn(job.probe, [], common.FEATURES))
    start = job.start_values()
    load = start_hook(start)

    def keep(estimator, trajectory):
        return predictions(estimator, probe), predictions(estimator, probe, hooks=[start_hook(start)]), estimator

    trajectory, (final, forward, estimator) = estimator_loop(make, input_fn, job.plan, trainable,
                                                             [feed] + list(hooks) + [load], keep, checkpoints=True)
    snapshots = trajectory.snapshots.mapped(job.canonical)
    opt = CANNED[-1] if CANNED else None
    effective = more(estimator, opt) if more is not None else {}
    return Trained(snapshots[-1], snapshots, {"device": trajectory.device}, predictions=final,
                   start=job.canonical(load.read), steps=trajectory.steps, settings=effective,
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})


def closure(fn) -> Dict[str, Any]:
    """The free variables of a function (a canned Estimator's model_fn closes over its head and activation)."""
    return dict(zip(fn.__code__.co_freevars, [c.cell_contents for c in fn.__closure__ or ()]))


def head_reduction(estimator) -> str:
    head = closure(estimator._model_fn)["head"]
    return REDUCTIONS.get(head._loss_reduction, head._loss_reduction)


def x_column():
    import tensorflow as tf

    return [tf.feature_column.numeric_column("x", shape=(4,))]


# ---------------------------------------------------------------------------------------------------------------
# 1. loss reduction
# ---------------------------------------------------------------------------------------------------------------
def p01a(job) -> Trained:
    """``LinearRegressor`` with plain gradient descent: the V1 head sums the loss over the batch."""
    import tensorflow as tf

    record_canned_optimizers()
    lr = job.hp["learning_rate"]

    def more(estimator, opt):
        return settings.record(opt, "mse", head_reduction(estimator), job.plan)

    return estimator_run(job, lambda config: tf.estimator.LinearRegressor(
        feature_columns=x_column(), optimizer=tf.train.GradientDescentOptimizer(lr), config=config), more=more)


def p01b(job) -> Trained:
    """``tf.losses.mean_squared_error(weights=w)``: the default reduction divides by the non-zero weights."""
    import tensorflow as tf

    reduction = inspect.signature(tf.losses.mean_squared_error).parameters["reduction"].default

    def build(ph):
        pred = tf.layers.dense(ph["x"], 1, name="dense")
        loss = tf.losses.mean_squared_error(ph["y"], pred, weights=ph["w"])
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        return Built(loss, opt.minimize(loss), pred, opt, REDUCTIONS[reduction])

    return session_run(job, ["x", "y", "w"], build)


# ---------------------------------------------------------------------------------------------------------------
# 2. canned defaults
# ---------------------------------------------------------------------------------------------------------------
def p02a(job) -> Trained:
    """``LinearRegressor(feature_columns)`` with every default: FTRL 0.2, zero start, SUM."""
    import tensorflow as tf

    record_canned_optimizers()
    seen = {}

    class DefaultStart(tf.train.SessionRunHook):  # what the linear model starts from before the shared start loads
        def after_create_session(self, session, coord) -> None:
            values = session.run(tf.trainable_variables())
            seen["zeros"] = all(not np.any(v) for v in values)

    def more(estimator, opt):
        return settings.record(opt, "mse", head_reduction(estimator), job.plan,
                               init={"kernel": "zeros" if seen.get("zeros") else "not zeros"})

    return estimator_run(job, lambda config: tf.estimator.LinearRegressor(feature_columns=x_column(), config=config),
                         hooks=[DefaultStart()], more=more)


def p02b(job) -> Trained:
    """``DNNRegressor(hidden_units=[8])`` with every default: Adagrad 0.05, ReLU, glorot, SUM."""
    import tensorflow as tf

    record_canned_optimizers()

    def more(estimator, opt):
        return settings.record(opt, "mse", head_reduction(estimator), job.plan,
                               model={"hidden_activation": closure(estimator._model_fn)["activation_fn"].__name__})

    return estimator_run(job, lambda config: tf.estimator.DNNRegressor(
        hidden_units=[job.hp["hidden"]], feature_columns=x_column(), config=config), more=more)


# ---------------------------------------------------------------------------------------------------------------
# 3-5. optimizers on the linear model
# ---------------------------------------------------------------------------------------------------------------
def p03(job) -> Trained:
    """``RMSPropOptimizer``: its mean-square slot starts at ones (read from the live slot)."""
    import tensorflow as tf

    def build(ph):
        model = dense(ph["x"], lambda: tf.train.RMSPropOptimizer(job.hp["learning_rate"]), ph["y"])
        kernel = tf.trainable_variables()[0]
        model.more = lambda sess, start: {"optimizer": dict(settings.optimizer(model.opt), mean_square_start=float(
            np.mean(sess.run(model.opt.get_slot(kernel, "rms")))))}
        return model

    return session_run(job, ["x", "y"], build)


def p04a(job) -> Trained:
    import tensorflow as tf

    return session_run(job, ["x", "y"], lambda ph: dense(
        ph["x"], lambda: tf.train.AdadeltaOptimizer(job.hp["learning_rate"]), ph["y"]))


def p04b(job) -> Trained:
    import tensorflow as tf

    return session_run(job, ["x", "y"], lambda ph: dense(
        ph["x"], lambda: tf.train.AdamOptimizer(job.hp["learning_rate"]), ph["y"]))


def p04c(job) -> Trained:
    import tensorflow as tf

    return session_run(job, ["x", "y"], lambda ph: dense(
        ph["x"], lambda: tf.train.AdagradOptimizer(job.hp["learning_rate"]), ph["y"]))


def p05(job) -> Trained:
    """``MomentumOptimizer`` on a staircase ``exponential_decay``: TF1 accumulates gradients, then scales by lr_t."""
    import tensorflow as tf

    hp = job.hp

    def build(ph):
        pred = tf.layers.dense(ph["x"], 1, name="dense")
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        step = tf.train.get_or_create_global_step()
        lr = tf.train.exponential_decay(hp["learning_rate"], step, hp["decay_steps"], hp["decay_rate"], staircase=True)
        opt = tf.train.MomentumOptimizer(lr, hp["momentum"])
        return Built(loss, opt.minimize(loss, global_step=step), pred, opt, "mean")

    return session_run(job, ["x", "y"], build)


# ---------------------------------------------------------------------------------------------------------------
# 6. sparse updates of an embedding table
# ---------------------------------------------------------------------------------------------------------------
def embedding_model(job, make_opt: Callable) -> Trained:
    """``sum(embedding_lookup(emb, item) * x[:, :2]) + bias``: the gradient of ``emb`` is ``IndexedSlices``."""
    import tensorflow as tf

    first_rows = next(job.plan.batches(0))

    def build(ph):
        emb = tf.get_variable("emb", [common.N_ITEMS, 2])
        bias = tf.get_variable("bias", [1], initializer=tf.zeros_initializer())
        pred = tf.reduce_sum(tf.nn.embedding_lookup(emb, ph["item"]) * ph["x"][:, :2], 1, keepdims=True) + bias
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = make_opt()
        grads = opt.compute_gradients(loss, [emb, bias])
        model = Built(loss, opt.apply_gradients(grads), pred, opt, "mean", variables=[emb, bias])
        kinds = dict((v.op.name, "IndexedSlices" if type(g).__name__ == "IndexedSlices" else "Tensor")
                     for g, v in grads)  # emb and bias: already the canonical names
        model.more = lambda sess, start: {"gradients": kinds}
        return model

    def after(sess, model, start, first):
        moved = [i for i in range(common.N_ITEMS) if np.any(first["emb"][i] != start["emb"][i])]
        return {"sparse": {"rows_moved_at_step_1": moved, "lookups_per_item_in_batch_1": common.lookups_per_item(
            common.items(job.dataset.frame)[first_rows])}}

    return session_run(job, ["x", "y", "item"], build, after)


def p06a(job) -> Trained:
    import tensorflow as tf

    return embedding_model(job, lambda: tf.train.MomentumOptimizer(job.hp["learning_rate"], job.hp["momentum"]))


def p06b(job) -> Trained:
    import tensorflow as tf

    return embedding_model(job, lambda: tf.train.RMSPropOptimizer(job.hp["learning_rate"]))


def p06c(job) -> Trained:
    import tensorflow as tf

    return embedding_model(job, lambda: tf.train.FtrlOptimizer(job.hp["learning_rate"]))


# ---------------------------------------------------------------------------------------------------------------
# 7. L2 regularisation
# ---------------------------------------------------------------------------------------------------------------
def p07a(job) -> Trained:
    """``tf.contrib.layers.l2_regularizer(s)`` on the kernel, collected with ``tf.losses.get_regularization_loss``."""
    import tensorflow as tf

    scale = job.hp["l2"]

    def build(ph):
        pred = tf.layers.dense(ph["x"], 1, name="dense", kernel_regularizer=tf.contrib.layers.l2_regularizer(scale))
        penalty = tf.losses.get_regularization_loss()
        loss = tf.losses.mean_squared_error(ph["y"], pred) + penalty
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        model = Built(loss, opt.minimize(loss), pred, opt, "mean")
        kernel = [v for v in tf.trainable_variables() if v.op.name == "dense/kernel"][0]

        def more(sess, start):
            value, sum_w2 = sess.run([penalty, tf.reduce_sum(tf.square(kernel))])
            return {"regularizer": {"l2_per_sum_w2": common.rounded(value / sum_w2, 4)}}

        model.more = more
        return model

    return session_run(job, ["x", "y"], build)


def p07b(job) -> Trained:
    """An Estimator ``model_fn``: ``l2_regularizer`` on the layer, ``regression_head`` without ``regularization_losses``."""
    import tensorflow as tf

    hp, start = job.hp, job.start_values()
    seen = {}

    def model_fn(features, labels, mode, params):
        x = tf.stack([features[c] for c in common.FEATURES], axis=1)
        logits = tf.layers.dense(x, 1, name="dense", kernel_regularizer=tf.contrib.layers.l2_regularizer(hp["l2"]),
                                 kernel_initializer=tf.constant_initializer(start["dense/kernel"]),
                                 bias_initializer=tf.constant_initializer(start["dense/bias"]))
        head = tf.contrib.estimator.regression_head()
        opt = tf.train.GradientDescentOptimizer(hp["learning_rate"])
        spec = head.create_estimator_spec(features=features, mode=mode, labels=labels, logits=logits, optimizer=opt)
        if mode == tf.estimator.ModeKeys.TRAIN:
            mse = tf.losses.mean_squared_error(labels, logits, loss_collection=None)
            tf.add_to_collection("tfkit_penalty", spec.loss - mse)
            seen["settings"] = settings.record(opt, "mse", REDUCTIONS[head._loss_reduction], job.plan)
        return spec

    class Penalty(tf.train.SessionRunHook):  # training loss minus the plain MSE at the first step
        def begin(self) -> None:
            self.tensor = tf.get_collection("tfkit_penalty")[-1]

        def before_run(self, run_context):
            return tf.train.SessionRunArgs(self.tensor) if "penalty" not in seen else None

        def after_run(self, run_context, run_values) -> None:
            if "penalty" not in seen:
                seen["penalty"] = common.rounded(float(run_values.results), 4)

    input_fn, feed = plan_input_fn(job.dataset, job.plan, [], common.FEATURES, label=hp["label"])
    probe = probe_input_fn(job.probe, [], common.FEATURES)

    trajectory, (final, forward) = estimator_loop(
        lambda config: tf.estimator.Estimator(model_fn=model_fn, config=config), input_fn, job.plan, trainable,
        [feed, Penalty()], from_start_and_end(probe), checkpoints=True)
    effective = dict(seen["settings"], regularizer={"penalty_in_loss": seen["penalty"]})
    snapshots = trajectory.snapshots.mapped(job.canonical)
    return Trained(snapshots[-1], snapshots, {"device": trajectory.device}, predictions=final, start=job.init,
                   steps=trajectory.steps, settings=effective,
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})


def from_start_and_end(probe: Callable) -> Callable:
    """``keep`` for ``estimator_loop``: probe predictions from the last checkpoint and from the step-0 one (the start)."""
    def keep(estimator, trajectory):
        start = checkpoint_at(trajectory.model_dir, 0)
        return predictions(estimator, probe), predictions(estimator, probe, checkpoint=start)

    return keep


# ---------------------------------------------------------------------------------------------------------------
# 8. batch norm
# ---------------------------------------------------------------------------------------------------------------
def _bn_variables():
    import tensorflow as tf

    wanted = ("bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance", "dense/kernel", "dense/bias")
    return [v for v in tf.global_variables() if v.op.name in wanted]


def contrib_batch_norm(job, with_updates: bool) -> Trained:
    """``tf.contrib.layers.batch_norm`` (defaults) then ``tf.layers.dense``; its update ops attached or forgotten."""
    import tensorflow as tf

    defaults = inspect.signature(tf.contrib.layers.batch_norm).parameters
    batch_x = common.features(job.dataset.frame)[next(job.plan.batches(0))]
    op_types = []  # type: List[str]

    def net(x, training):
        h = tf.contrib.layers.batch_norm(x, is_training=training, scope="bn", reuse=tf.AUTO_REUSE)
        return tf.layers.dense(h, 1, name="dense", reuse=tf.AUTO_REUSE)

    def build(ph):
        pred, infer = net(ph["x"], True), net(ph["x"], False)
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(updates if with_updates else []):
            train_op = opt.minimize(loss)
        op_types[:] = [op.type for op in tf.get_default_graph().get_operations()]
        return Built(loss, train_op, infer, opt, "mean", variables=_bn_variables())

    def after(sess, model, start, first):
        return {"bn": bn_settings(defaults["decay"].default, defaults["scale"].default, defaults["center"].default,
                                  defaults["epsilon"].default, start, first, batch_x)}

    out = session_run(job, ["x", "y"], build, after)
    out.extra["fused"] = any(n.startswith("FusedBatchNorm") for n in op_types)  # rank 2, fused=None: the fused kernel
    return out


def bn_settings(momentum: float, scale: bool, center: bool, epsilon: float, start, first, batch_x) -> Dict[str, Any]:
    """A batch norm's effective settings: its arguments as called, and what its first step did to the moving statistics."""
    moved = bool(np.any(first["bn/moving_mean"] != start["bn/moving_mean"]))
    return {"momentum": float(momentum), "scale": bool(scale), "center": bool(center), "epsilon": float(epsilon),
            "moving_stats_updated": moved,
            "moving_variance_ratio": common.moving_variance_ratio(start, first, batch_x, momentum) if moved else None}


def p08a(job) -> Trained:
    return contrib_batch_norm(job, with_updates=True)


def p08b(job) -> Trained:
    return contrib_batch_norm(job, with_updates=False)


def p08c(job) -> Trained:
    """``tf.layers.batch_normalization(x)``: ``training`` defaults to False, so it always uses the moving statistics."""
    import tensorflow as tf

    defaults = inspect.signature(tf.layers.batch_normalization).parameters
    batch_x = common.features(job.dataset.frame)[next(job.plan.batches(0))]

    def build(ph):
        h = tf.layers.batch_normalization(ph["x"], name="bn")
        pred = tf.layers.dense(h, 1, name="dense")
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):  # none exist with training=False
            train_op = opt.minimize(loss)
        return Built(loss, train_op, pred, opt, "mean", variables=_bn_variables())

    def after(sess, model, start, first):
        return {"bn": bn_settings(defaults["momentum"].default, defaults["scale"].default, defaults["center"].default,
                                  defaults["epsilon"].default, start, first, batch_x)}

    return session_run(job, ["x", "y"], build, after)


# ---------------------------------------------------------------------------------------------------------------
# 9. feature columns
# ---------------------------------------------------------------------------------------------------------------
def p09a(job) -> Trained:
    """``indicator_column(categorical_column_with_vocabulary_list)`` into ``tf.layers.dense``."""
    import tensorflow as tf

    def build(ph):
        column = tf.feature_column.categorical_column_with_vocabulary_list("cat", common.CATS)
        indicator = tf.feature_column.indicator_column(column)
        net = tf.feature_column.input_layer({"cat": ph["cat"]}, [indicator])
        pred = tf.layers.dense(net, 1, name="dense")
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        probe = tf.feature_column.input_layer({"cat": tf.constant(["a", "c", "zz"])}, [indicator])
        model = Built(loss, opt.minimize(loss), pred, opt, "mean")

        def more(sess, start):
            encoded = sess.run(probe)
            return {"features": {"cat": {
                "width": int(net.shape[1]), "num_oov": column.num_oov_buckets, "unknown_id": column.default_value,
                "column_of": [int(np.argmax(encoded[0])), int(np.argmax(encoded[1]))],
                "unknown_encoding": encoded[2].tolist()}}}

        model.more = more
        return model

    return session_run(job, ["cat", "y"], build)


def p09b(job) -> Trained:
    """``input_layer([numeric_column("x", 2), embedding_column(tags, 2)])``: mean combiner, columns sorted by name."""
    import tensorflow as tf

    def build(ph):
        tags = tf.feature_column.categorical_column_with_vocabulary_list("tags", common.TAGS)
        emb = tf.feature_column.embedding_column(tags, dimension=2)
        x = tf.feature_column.numeric_column("x", shape=(2,))
        columns = [x, emb]  # listed x first
        net = tf.feature_column.input_layer({"x": ph["x"][:, :2], "tags": ph["tags"]}, columns)
        pred = tf.layers.dense(net, 1, name="dense")
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        model = Built(loss, opt.minimize(loss), pred, opt, "mean")
        order = [c.name for c in sorted(columns, key=lambda c: c.name)]  # what input_layer does (feature_column.py:199)
        model.more = lambda sess, start: {"features": {"order": order, "tags": {"combiner": emb.combiner}}}
        return model

    return session_run(job, ["x", "tags", "y"], build)


# ---------------------------------------------------------------------------------------------------------------
# 10. dropout
# ---------------------------------------------------------------------------------------------------------------
def dropout_mlp(job, drop: Callable) -> Trained:
    """4 -> hidden (ReLU) -> dropout in the training graph -> 1; the inference graph has no dropout."""
    import tensorflow as tf

    def net(x, training):
        with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
            h = tf.layers.dense(x, job.hp["hidden"], activation=tf.nn.relu, name="hidden")
            return tf.layers.dense(drop(h) if training else h, 1, name="out")

    def build(ph):
        pred, infer = net(ph["x"], True), net(ph["x"], False)
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        ones = drop(tf.ones([1000, 100]))  # the same layer call on 1e5 units of ones, to measure what it does
        model = Built(loss, opt.minimize(loss), infer, opt, "mean")
        model.ones = ones
        return model

    def after(sess, model, start, first):
        return {"dropout": kept(sess.run(model.ones))}

    return session_run(job, ["x", "y"], build, after)


def kept(values: np.ndarray) -> Dict[str, float]:
    """The measured keep fraction (2 digits: sampling noise is ~1e-3) and the scale of the kept units."""
    nonzero = values[values != 0]
    return {"keep_fraction": common.rounded((values != 0).mean(), 2),
            "kept_scale": common.rounded(nonzero.mean() if nonzero.size else 0.0, 4)}


def p10a(job) -> Trained:
    import tensorflow as tf

    return dropout_mlp(job, lambda h: tf.nn.dropout(h, keep_prob=job.hp["keep_prob"]))


def p10b(job) -> Trained:
    import tensorflow as tf

    return dropout_mlp(job, lambda h: tf.layers.dropout(h, rate=job.hp["rate"]))


# ---------------------------------------------------------------------------------------------------------------
# 11. input functions
# ---------------------------------------------------------------------------------------------------------------
def column_model_fn(job, seen: Dict[str, Any]) -> Callable:
    """``input_layer`` over numeric columns x0..x3, a dense layer from the shared start, the contrib regression head
    (its optimizer and head go to ``seen["settings"]``)."""
    import tensorflow as tf

    start, lr = job.start_values(), job.hp["learning_rate"]
    columns = [tf.feature_column.numeric_column(c) for c in common.FEATURES]

    def model_fn(features, labels, mode, params):
        net = tf.feature_column.input_layer(features, columns)
        logits = tf.layers.dense(net, 1, name="dense", kernel_initializer=tf.constant_initializer(start["dense/kernel"]),
                                 bias_initializer=tf.constant_initializer(start["dense/bias"]))
        head, opt = tf.contrib.estimator.regression_head(), tf.train.GradientDescentOptimizer(lr)
        if mode == tf.estimator.ModeKeys.TRAIN:
            seen["settings"] = settings.record(opt, "mse", REDUCTIONS[head._loss_reduction], job.plan)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels, logits=logits, optimizer=opt)

    return model_fn


def p11a_plan_fed(job) -> Trained:
    """The fix: the same model fed the kit's batch plan (no TF shuffle), through ``estimator_loop``."""
    import tensorflow as tf

    seen = {}  # type: Dict[str, Any]
    input_fn, feed = plan_input_fn(job.dataset, job.plan, [], common.FEATURES, label=job.hp["label"])
    probe = probe_input_fn(job.probe, [], common.FEATURES)
    trajectory, (final, forward) = estimator_loop(
        lambda config: tf.estimator.Estimator(column_model_fn(job, seen), config=config),
        input_fn, job.plan, trainable, [feed], from_start_and_end(probe), checkpoints=True)
    snapshots = trajectory.snapshots.mapped(job.canonical)
    effective = dict(seen["settings"], input={"order": "batch plan", "batch_size": job.plan.batch_size,
                                              "steps": trajectory.steps})
    return Trained(snapshots[-1], snapshots, {"device": trajectory.device}, predictions=final, start=job.init,
                   steps=trajectory.steps, settings=effective,
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})


def pandas_run(job, seed: int, **input_kw) -> Trained:
    """Train from ``tf.estimator.inputs.pandas_input_fn`` (its defaults unless given) until it runs out."""
    import shutil
    import tempfile

    import pandas as pd
    import tensorflow as tf

    frame = job.dataset.frame
    x = pd.DataFrame(dict((c, frame[c].to_numpy(np.float64).astype(np.float32)) for c in common.FEATURES))
    y = pd.Series(frame[job.hp["label"]].to_numpy(np.float64).astype(np.float32))
    defaults = inspect.signature(tf.estimator.inputs.pandas_input_fn).parameters
    kw = dict((k, defaults[k].default) for k in ("batch_size", "num_epochs", "queue_capacity", "num_threads"))
    kw.update(input_kw)
    input_fn = tf.estimator.inputs.pandas_input_fn(x, y, **kw)
    probe = probe_input_fn(job.probe, [], common.FEATURES)
    record = {"steps": 0}  # type: Dict[str, Any]

    class Steps(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values) -> None:
            record["steps"] += 1
            if record["steps"] == 1:
                record["first"] = trainable(run_context.session, tf.get_default_graph())

        def end(self, session) -> None:
            record["final"] = trainable(session, tf.get_default_graph())

    model_dir = tempfile.mkdtemp(prefix="tfkit-pandas-")
    try:
        config = tf.estimator.RunConfig(model_dir=model_dir, tf_random_seed=seed, save_summary_steps=None,
                                        save_checkpoints_steps=10 ** 9, save_checkpoints_secs=None,
                                        log_step_count_steps=10 ** 9, session_config=session_config())
        estimator = tf.estimator.Estimator(column_model_fn(job, record), config=config)
        estimator.train(input_fn, hooks=[Steps()])
        final = predictions(estimator, probe)
        forward = predictions(estimator, probe, checkpoint=checkpoint_at(model_dir, 0))
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)
    weights = job.canonical(record["final"])
    snapshots = Snapshots()
    snapshots.take(weights)
    order = "pandas_input_fn(shuffle=True)" if kw.get("shuffle") else "file order"
    effective = dict(record["settings"], input={"order": order, "batch_size": kw["batch_size"], "steps": record["steps"]})
    return Trained(weights, snapshots, {"tf_random_seed": seed}, predictions=final, start=job.init,
                   settings=effective, stages={"forward": forward, "first_step": job.canonical(record["first"])})


def p11a_shuffled(job) -> Trained:
    """The pitfall: ``pandas_input_fn(shuffle=True)``; the queue's start offset is drawn without a seed."""
    return pandas_run(job, job.hp["tf_seed"], batch_size=job.plan.batch_size, num_epochs=job.plan.epochs, shuffle=True)


def p11b(job) -> Trained:
    """``pandas_input_fn(shuffle=False, num_epochs=10)`` with its default ``batch_size`` (128)."""
    return pandas_run(job, 0, shuffle=False, num_epochs=job.plan.epochs)


# ---------------------------------------------------------------------------------------------------------------
# 12. initializer defaults
# ---------------------------------------------------------------------------------------------------------------
def p12(job) -> Trained:
    """``contrib.layers.fully_connected`` with ``truncated_normal_initializer()``: stddev 1.0, ReLU by default."""
    import tensorflow as tf

    defaults = inspect.signature(tf.contrib.layers.fully_connected).parameters

    def build(ph):
        first = tf.truncated_normal_initializer(seed=1)
        h = tf.contrib.layers.fully_connected(ph["x"], job.hp["hidden"], weights_initializer=first, scope="hidden")
        pred = tf.contrib.layers.fully_connected(h, 1, activation_fn=None, scope="out",
                                                 weights_initializer=tf.truncated_normal_initializer(seed=2))
        loss = tf.losses.mean_squared_error(ph["y"], pred)
        opt = tf.train.GradientDescentOptimizer(job.hp["learning_rate"])
        model = Built(loss, opt.minimize(loss), pred, opt, "mean")
        model.more = lambda sess, start: {"init": {"kernel_stddev": float(first.stddev)},
                                          "model": {"hidden_activation": defaults["activation_fn"].default.__name__}}
        return model

    return session_run(job, ["x", "y"], build)

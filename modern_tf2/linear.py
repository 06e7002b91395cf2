"""The seed's TF2 linear regression: eager GradientTape, the same step as a tf.function, and Keras."""

from shared.core.results import Snapshots, Trained

from modern_tf2.device import current, placed

IMPLS = ("eager", "function", "keras2", "keras3")


class Model(object):
    """A plain object holding ``W`` and ``b`` as ``tf.Variable``s, as in the seed."""

    def __init__(self, W0: float, b0: float) -> None:
        import tensorflow as tf

        self.W = tf.Variable(W0, dtype=tf.float32)
        self.b = tf.Variable(b0, dtype=tf.float32)

    def __call__(self, x):
        return self.W * x + self.b


def _step(model: Model, learning_rate: float):
    """One gradient-descent step on ``reduce_mean(square(pred - y))``."""
    import tensorflow as tf

    def step(x, y):
        with tf.GradientTape() as tape:
            current_loss = tf.reduce_mean(tf.square(model(x) - y))
        dW, db = tape.gradient(current_loss, [model.W, model.b])
        model.W.assign_sub(learning_rate * dW)
        model.b.assign_sub(learning_rate * db)

    return step


def _custom(impl: str, hp, x, y, plan) -> Trained:
    import tensorflow as tf

    with tf.device(current()):
        model = Model(float(hp["W0"]), float(hp["b0"]))
        step = _step(model, float(hp["learning_rate"]))
        traces = [0]
        if impl == "function":
            eager_step = step

            def traced(xb, yb):
                traces[0] += 1  # Python side effect: runs only while tracing
                eager_step(xb, yb)

            spec = [tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)]
            step = tf.function(traced, input_signature=spec)
        snapshots = Snapshots()
        steps = 0
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                step(tf.constant(x[rows]), tf.constant(y[rows]))
                steps += 1
            snapshots.take({"W": float(model.W.numpy()), "b": float(model.b.numpy())})
    extra = {"device": placed(model.W)}
    if impl == "function":
        extra["traces"] = traces[0]
    return Trained(snapshots[-1], snapshots, extra, steps=steps, start={"W": float(hp["W0"]), "b": float(hp["b0"])})


def _keras(impl: str, hp, x, y, plan) -> Trained:
    import tensorflow as tf

    from modern_tf2.feeding import fit_plan, keras_module, plan_dataset

    keras = keras_module(impl)
    with tf.device(current()):
        model = keras.Sequential([
            keras.Input(shape=(1,)),
            keras.layers.Dense(1, use_bias=True, kernel_initializer=keras.initializers.Constant(float(hp["W0"])),
                               bias_initializer=keras.initializers.Constant(float(hp["b0"]))),
        ])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=float(hp["learning_rate"])),
                      loss=keras.losses.MeanSquaredError())
        dense = model.layers[-1]

        def read():
            return {"W": float(dense.kernel.numpy().reshape(())), "b": float(dense.bias.numpy().reshape(()))}

        data = plan_dataset(plan, x.reshape(-1, 1), y.reshape(-1, 1))
        snapshots = fit_plan(keras, model, plan, data, read)
    return Trained(snapshots[-1], snapshots, {"device": placed(dense.kernel), "keras": keras.__version__},
                   steps=int(model.optimizer.iterations.numpy()), start={"W": float(hp["W0"]), "b": float(hp["b0"])})


def run(job) -> Trained:
    """Train ``y = W x + b`` from W0, b0 with plain gradient descent in the style ``impl``."""
    x = job.dataset.floats("x")
    y = job.dataset.floats("y")
    if job.impl in ("eager", "function"):
        return _custom(job.impl, job.hp, x, y, job.plan)
    return _keras(job.impl, job.hp, x, y, job.plan)

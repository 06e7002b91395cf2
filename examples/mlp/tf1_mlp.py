"""The team's TF 1.x model: ``tf.layers.dense`` in a ``model_fn`` under ``tf.estimator.Estimator``, Adam."""

from shared.core.results import Trained

from legacy_tf1 import artifacts, settings
from legacy_tf1.feeding import checkpoint_at, estimator_loop, plan_input_fn, predict, probe_input_fn, trainable

IMPLS = ("estimator",)
RECORDED = {}  # type: dict
FEATURES = ["x%d" % i for i in range(8)]


def model_fn(features, labels, mode, params):
    """8 -> 16 -> 8 -> 1 with ReLU; each layer starts from the shared initial weights (``params["start"]``).

    The Estimator deep-copies ``params``: what the model_fn records for the run goes to ``RECORDED``.
    """
    from legacy_tf1.compat import tf

    start, hp = params["start"], params["hp"]
    h = tf.stack([features[c] for c in FEATURES], axis=1)
    for name, units, activation in (("dense", 16, tf.nn.relu), ("dense_1", 8, tf.nn.relu), ("dense_2", 1, None)):
        h = tf.layers.dense(h, units, activation=activation, name=name,
                            kernel_initializer=tf.constant_initializer(start[name + "/kernel"]),
                            bias_initializer=tf.constant_initializer(start[name + "/bias"]))
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": h[:, 0]})
    loss = tf.reduce_mean(tf.square(h - labels))  # the batch mean, as Keras' mean_squared_error
    opt = tf.train.AdamOptimizer(learning_rate=hp["learning_rate"], beta1=hp["beta_1"], beta2=hp["beta_2"],
                                 epsilon=hp["epsilon"])
    RECORDED["settings"] = settings.record(opt, "mse", "mean", params["plan"])
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=opt.minimize(loss, tf.train.get_global_step()))


def run(job) -> Trained:
    """Train through the plan; weights by canonical name per epoch, the Estimator's own probe predictions."""
    from legacy_tf1.compat import tf

    params = {"start": job.start_values(), "hp": job.hp, "plan": job.plan}
    input_fn, feed = plan_input_fn(job.dataset, job.plan, [], FEATURES, label="y")
    probe = probe_input_fn(job.probe, [], FEATURES)

    def keep(estimator, trajectory):
        artifacts.keep(job, estimator, artifacts.parse_spec(floats=FEATURES), key="y")  # checkpoint + export for TF2
        return predict(estimator, probe, "y"), predict(estimator, probe, "y", checkpoint_at(trajectory.model_dir, 0))

    trajectory, (predictions, forward) = estimator_loop(
        lambda config: tf.estimator.Estimator(model_fn=model_fn, params=params, config=config),
        input_fn, job.plan, trainable, [feed], keep, checkpoints=True)
    snapshots = trajectory.snapshots.mapped(job.canonical)
    return Trained(snapshots[-1], snapshots, {"device": trajectory.device}, predictions=predictions,
                   start=job.init, steps=trajectory.global_step, settings=RECORDED.pop("settings", {}),
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})

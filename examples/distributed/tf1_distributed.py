"""The TF 1.x side: the pairshift Estimator, the canned DNNRegressor and examples/mlp's model_fn, with and without
``train_distribute``.

``estimator`` trains on one replica (no strategy), ``estimator_mirrored`` under
``RunConfig(train_distribute=MirroredStrategy)`` over ``replicas`` logical CPUs; both read the same
``input_fn``, which yields each plan batch as ``replicas`` consecutive slices (one slice when alone):
the strategy hands each element whole to one replica in turn, so one step is one plan batch.
"""

from typing import Any, Callable, Dict

from shared.core.cases import ftrl_kwargs
from shared.core.models import named, pair_names
from shared.core.results import Trained

from legacy_tf1 import distribute, pairs, settings
from legacy_tf1.feeding import checkpoint_at, estimator_loop, predict, probe_input_fn, trainable

import mlp_example

IMPLS = ("estimator", "estimator_mirrored")


def replicas(job) -> int:
    """How many replicas this implementation trains on: the case's ``replicas`` for ``*_mirrored``, else one."""
    return int(job.hp["replicas"]) if job.impl.endswith("_mirrored") else 1


def _train(job, model_fn: Callable, features: Dict[str, Any], label, read: Callable, run, params=None,
           keep=None, checkpoints: bool = False):
    """The Estimator through the whole plan on this implementation's replicas; what the replicas did, checked."""
    from legacy_tf1.compat import tf

    trajectory, kept = estimator_loop(
        lambda config: tf.estimator.Estimator(model_fn=model_fn, params=params, config=config),
        run.input_fn(features, label, job.plan), job.plan, read, run.hooks(), keep, checkpoints,
        run_config=run.run_config())
    return trajectory, kept, run.info()


def canned_dnn(job) -> Trained:
    """The kit's ``canned_dnn`` (``DNNRegressor`` warm-started from the shared start, its defaults), its own run with
    this implementation's replicas."""
    from legacy_tf1 import canned_dnn as kit

    return kit.run(job, replicas=replicas(job))


def pairshift(job) -> Trained:
    """The seed's pairshift Estimator (feature columns, contrib regression head, FTRL) on the plan's batches."""
    from legacy_tf1.compat import tf

    hp, n = job.hp, replicas(job)
    items = job.dataset.items()
    columns = {"feature_columns": pairs.item_columns(items)}
    run, recorded = distribute.Run(n), {}

    def model_fn(features, labels, mode):
        hot1, hot2 = pairs.one_hots(features, columns)
        out = tf.layers.dense(tf.subtract(hot1, hot2), units=1, use_bias=False, kernel_initializer=tf.zeros_initializer(),
                              name="dense")
        optimizer = distribute.ftrl(ftrl_kwargs(hp), mirrored=n > 1)
        spec = pairs.regression_head(hp).create_estimator_spec(features=features, mode=mode, labels=labels,
                                                               optimizer=optimizer, logits=out)
        if mode == tf.estimator.ModeKeys.TRAIN:
            run.note(spec.loss, tf.square(out - labels))
            recorded.update(settings.record(optimizer, "mse", hp["loss_reduction"], job.plan))
        return spec

    names = sum(pair_names(job.dataset.generator, items), [])

    def read(session, graph) -> Dict[str, float]:
        return named(names, trainable(session, graph)["dense/kernel"])  # a strategy makes it a resource variable

    features = dict((c, job.dataset.strings(c)) for c in ("item1", "item2"))
    trajectory, _, info = _train(job, model_fn, features, job.dataset.floats("dif").reshape(-1, 1), read, run)
    return Trained(trajectory.snapshots[-1], trajectory.snapshots, {"device": trajectory.device, "distribute": info},
                   steps=trajectory.steps, start=dict((name, 0.0) for name in names),
                   settings=dict(recorded, distribute=run.settings(info, job.plan.batch_size)),
                   stages={"first_step": trajectory.first_step})


def mlp(job) -> Trained:
    """examples/mlp's own ``model_fn``, unchanged (its hand-made batch-mean loss, Adam), on the plan's batches."""
    from legacy_tf1.compat import tf

    example = mlp_example.module("tf1_mlp")
    run = distribute.Run(replicas(job))

    def model_fn(features, labels, mode, params):
        scope = tf.get_default_graph().get_name_scope()  # "replica_1" for the second replica's copy of the graph
        spec = example.model_fn(features, labels, mode, params)
        if mode == tf.estimator.ModeKeys.TRAIN:
            output = tf.get_default_graph().get_tensor_by_name((scope + "/" if scope else "") + "dense_2/BiasAdd:0")
            run.note(spec.loss, tf.square(output - labels))
        return spec

    probe = probe_input_fn(job.probe, [], example.FEATURES)

    def keep(estimator, trajectory):
        return predict(estimator, probe, "y"), predict(estimator, probe, "y", checkpoint_at(trajectory.model_dir, 0))

    features = dict((c, job.dataset.floats(c)) for c in example.FEATURES)
    params = {"start": job.start_values(), "hp": job.hp, "plan": job.plan}
    trajectory, (predictions, forward), info = _train(
        job, model_fn, features, job.dataset.floats("y").reshape(-1, 1), trainable, run, params, keep, checkpoints=True)
    snapshots = trajectory.snapshots.mapped(job.canonical)
    return Trained(snapshots[-1], snapshots, {"device": trajectory.device, "distribute": info}, predictions=predictions,
                   start=job.init, steps=trajectory.steps,
                   settings=dict(example.RECORDED.pop("settings", {}),
                                 distribute=run.settings(info, job.plan.batch_size)),
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})

"""Feeding a TF 1.x Estimator the shared batch plan, and training it with a snapshot of its weights per epoch.

What every TF1 implementation (the kit's and a user's) needs: an ``input_fn`` that yields exactly
the plan's batches in the plan's order (never TF's own shuffles), an Estimator loop that records
the weights after the first step and after each epoch and checks the steps it ran, and
predictions on the probe set through the Estimator's own ``predict``.
"""

import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from shared.core.errors import TrainingError
from shared.core.results import Snapshots

from legacy_tf1.device import current, session_config


def row_batches(full, tail=None):
    """A dataset of the plan's batches of row indices, whole batches sliced from ``plan.blocks()`` (no per-row batching)."""
    from legacy_tf1.compat import tf

    @tf.autograph.experimental.do_not_convert  # no Python control flow to convert: AutoGraph's parse is start-up cost
    def epoch_batches(*blocks):
        batches = tf.data.Dataset.from_tensor_slices(blocks[0])
        return batches.concatenate(tf.data.Dataset.from_tensors(blocks[1])) if len(blocks) > 1 else batches

    epochs = tf.data.Dataset.from_tensor_slices((full,) if tail is None else (full, tail))
    return epochs.flat_map(epoch_batches)


def feed_on_start():
    """A hook that runs an initializer with its feed once the Estimator's session exists."""
    from legacy_tf1.compat import tf

    class Hook(tf.train.SessionRunHook):
        def set(self, initializer, values: Dict) -> None:
            self.initializer, self.values = initializer, values

        def after_create_session(self, session, coord) -> None:
            session.run(self.initializer, feed_dict=self.values)

    return Hook()


def columns_of(dataset, string_columns: List[str], float_columns: List[str]) -> Dict[str, np.ndarray]:
    """The feature columns of a dataset as the arrays an input_fn feeds (strings as objects, floats as float32)."""
    arrays = dict((c, np.asarray(dataset.strings(c), dtype=object)) for c in string_columns)
    arrays.update((c, dataset.floats(c).astype(np.float32)) for c in float_columns)
    return arrays


def plan_input_fn(dataset, plan, string_columns: List[str], float_columns: List[str],
                  label: str = "dif") -> Tuple[Callable, Any]:
    """An input_fn yielding the plan's batches, epoch after epoch, labels shaped ``[batch, 1]``, and its feed hook.

    The columns and the plan enter the graph as placeholders that the hook feeds once, when the
    session starts (TF1's way with in-memory arrays), not as constants: constants put every row
    into the GraphDef, which grows by tens of MB per million rows and is parsed at session start.
    """
    from legacy_tf1.compat import tf

    arrays = columns_of(dataset, string_columns, float_columns)
    target = dataset.floats(label).astype(np.float32).reshape(-1, 1)
    blocks = [b for b in plan.blocks() if b is not None]
    feed = feed_on_start()

    def input_fn():
        holders = dict((c, tf.placeholder(tf.string if v.dtype == object else tf.float32, v.shape, name="feed_" + c))
                       for c, v in sorted(arrays.items()))
        y = tf.placeholder(tf.float32, target.shape, name="feed_label")
        rows = [tf.placeholder(tf.int64, b.shape, name="feed_plan") for b in blocks]

        @tf.autograph.experimental.do_not_convert
        def gather(batch):
            return dict((c, tf.gather(t, batch)) for c, t in holders.items()), tf.gather(y, batch)

        iterator = tf.compat.v1.data.make_initializable_iterator(row_batches(*rows).map(gather).prefetch(1))
        values = dict((holders[c], v) for c, v in arrays.items())
        values.update(zip(rows, blocks))
        values[y] = target
        feed.set(iterator.initializer, values)
        return iterator.get_next()

    return input_fn, feed


def probe_input_fn(probe, string_columns: List[str], float_columns: List[str]) -> Callable:
    """An input_fn of the probe set's features, one batch, for ``Estimator.predict``."""
    from legacy_tf1.compat import tf

    arrays = columns_of(probe, string_columns, float_columns)

    def input_fn():
        return tf.data.Dataset.from_tensors(dict((c, tf.constant(v)) for c, v in sorted(arrays.items())))

    return input_fn


def trainable(session, graph) -> Dict[str, np.ndarray]:
    """Every trainable variable of the graph by its name (``hidden_0/kernel``), as the session holds it now."""
    from legacy_tf1.compat import tf

    variables = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
    return dict((v.op.name, value) for v, value in zip(variables, session.run(variables)))


class Trajectory(object):
    """What an Estimator loop recorded: the weights when its session started (after any warm start), after the
    first step and per epoch (timed), the session runs (``steps``) and the optimizer's own count of them
    (``global_step`` at the end), device, model_dir."""

    def __init__(self) -> None:
        self.snapshots = Snapshots()
        self.start = None  # type: Optional[Dict[str, Any]]
        self.first_step = None  # type: Optional[Dict[str, Any]]
        self.steps = 0
        self.global_step = None  # type: Optional[int]
        self.device = ""
        self.model_dir = ""


def estimator_loop(make: Callable[[Any], Any], input_fn: Callable, plan, read: Callable[[Any, Any], Dict[str, Any]],
                   hooks: Sequence[Any] = (), keep: Optional[Callable[[Any, Trajectory], Any]] = None,
                   checkpoints: bool = False, final_checkpoint: bool = True,
                   run_config: Optional[Dict[str, Any]] = None) -> Tuple[Trajectory, Any]:
    """Train ``make(config)`` (an Estimator) through the whole plan; ``read(session, graph)`` when its session
    starts, after the first step and after each epoch. ``keep(estimator, trajectory)`` runs on the trained
    Estimator before the model_dir is removed (predictions, artifacts), its final checkpoint saved for it unless
    ``final_checkpoint`` is False (a keep that needs none), and its value is returned; ``checkpoints`` also keeps
    the checkpoint of the start (step 0). ``run_config`` replaces ``RunConfig`` arguments
    (``legacy_tf1.distribute``: ``train_distribute`` and its session config)."""
    from legacy_tf1.compat import tf

    class EpochSnapshots(tf.train.SessionRunHook):
        def __init__(self, trajectory: Trajectory) -> None:
            self.t = trajectory

        def begin(self) -> None:
            self.graph = tf.get_default_graph()
            variables = self.graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
            self.t.device = variables[0].device if variables else ""
            self.global_step = tf.train.get_global_step()

        def end(self, session) -> None:
            if self.global_step is not None:
                self.t.global_step = int(session.run(self.global_step))

        def after_create_session(self, session, coord) -> None:
            self.t.start = read(session, self.graph)  # after the Scaffold's init and any warm start, before step 1

        def after_run(self, run_context, run_values) -> None:
            self.t.steps += 1
            if self.t.steps == 1:
                self.t.first_step = read(run_context.session, self.graph)
            if self.t.steps % plan.batches_per_epoch == 0:
                self.t.snapshots.take(read(run_context.session, self.graph))

    trajectory = Trajectory()
    model_dir = tempfile.mkdtemp(prefix="tfkit-estimator-")
    trajectory.model_dir = model_dir
    kept = None
    try:
        config = tf.estimator.RunConfig(**dict(dict(
            model_dir=model_dir,
            tf_random_seed=0,
            save_summary_steps=None,
            save_checkpoints_steps=10 ** 9 if checkpoints else None,  # step 0 (the start) and the end only
            save_checkpoints_secs=None,
            keep_checkpoint_max=2,
            log_step_count_steps=10 ** 9,
            session_config=session_config(),
            device_fn=lambda op: current(),
        ), **(run_config or {})))
        estimator = make(config)
        final = [FinalCheckpoint(model_dir)] if keep is not None and final_checkpoint and not checkpoints else []
        estimator.train(input_fn=input_fn, hooks=[EpochSnapshots(trajectory)] + list(hooks) + final, steps=None)
        if keep is not None:
            kept = keep(estimator, trajectory)
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)
    steps = plan.epochs * plan.batches_per_epoch
    if trajectory.steps != steps:
        raise TrainingError(
            "the Estimator ran %d steps" % trajectory.steps,
            expected="%d steps (%d epochs x %d batches)" % (steps, plan.epochs, plan.batches_per_epoch),
            found="%d" % trajectory.steps,
            fix="this is a bug in the input_fn; report it",
        )
    trajectory.device = trajectory.device or current()
    return trajectory, kept


def FinalCheckpoint(model_dir: str):  # noqa: N802 - a hook class made where TensorFlow is imported
    """A hook that saves the trained variables once, when training ends: no step-0 checkpoint, graph.pbtxt or
    meta graph, which the Estimator's own saver writes (what ``keep`` needs is the final checkpoint alone)."""
    import os

    from legacy_tf1.compat import tf

    class Hook(tf.train.SessionRunHook):
        def begin(self) -> None:
            self.saver = tf.train.Saver(sharded=False)
            self.step = tf.train.get_global_step()

        def end(self, session) -> None:
            self.saver.save(session, os.path.join(model_dir, "model.ckpt"), global_step=session.run(self.step),
                            write_meta_graph=False)

    return Hook()


def checkpoint_at(model_dir: str, step: int) -> str:
    """The path of the checkpoint the Estimator saved at ``step`` (0: the start it trained from)."""
    import os

    return os.path.join(model_dir, "model.ckpt-%d" % step)


def predict(estimator, input_fn: Callable, key: str = "predictions", checkpoint: Optional[str] = None) -> np.ndarray:
    """The Estimator's own predictions (``key``) on an input_fn, from its last or a given checkpoint, as float64."""
    out = [np.asarray(p[key], dtype=np.float64) for p in estimator.predict(input_fn, checkpoint_path=checkpoint,
                                                                           yield_single_examples=True)]
    return np.stack(out) if out else np.zeros((0,))



def predict_from(estimator, features: Dict[str, np.ndarray], key: str, weights: Sequence[Dict[str, np.ndarray]],
                 name: Callable[[str], str] = lambda n: n) -> List[np.ndarray]:
    """The Estimator's own predictions (``key``) on ``features`` from each set of trainable weights, as float64.

    What ``Estimator.predict`` computes, its model_fn in PREDICT mode, with the variables set to
    weights the training session held (``name`` maps a graph variable's name to their keys) instead of
    restored from a checkpoint: no checkpoint is written, and the graph and session are built once.
    """
    from legacy_tf1.compat import tf

    graph = tf.Graph()
    with graph.as_default(), tf.device(current()):
        tensors = dict((c, tf.constant(v)) for c, v in sorted(features.items()))
        out = estimator.model_fn(tensors, None, tf.estimator.ModeKeys.PREDICT, estimator.config).predictions[key]
        variables = graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
        holders = [tf.placeholder(v.dtype.base_dtype, v.shape) for v in variables]
        assign = tf.group(*[v.assign(h) for v, h in zip(variables, holders)])
        init = [tf.global_variables_initializer(), tf.tables_initializer()]
    values = []
    with tf.Session(graph=graph, config=session_config()) as session:
        session.run(init)
        for held in weights:
            missing = sorted(name(v.op.name) for v in variables if name(v.op.name) not in held)
            if missing:
                raise TrainingError("the predict graph has variables the training session did not hold",
                                    expected="the trainable variables of the training graph", found=", ".join(missing),
                                    fix="this is a bug in the model_fn's PREDICT mode; report it")
            session.run(assign, dict((h, held[name(v.op.name)]) for v, h in zip(variables, holders)))
            values.append(np.asarray(session.run(out), dtype=np.float64))
    return values

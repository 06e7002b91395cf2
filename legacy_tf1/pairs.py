"""What both TF1 pair models share: feature columns, an input_fn in the plan's order, and an Estimator loop.

The input_fn never shuffles: it gathers each epoch's rows in the order of the shared batch plan, so
the Estimator sees exactly the batches the TF2 side sees.
"""

import shutil
import tempfile
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from shared.core.cases import ftrl_kwargs
from shared.core.errors import TrainingError
from shared.core.models import named, pair_names
from shared.core.results import Snapshots, Trained

from legacy_tf1.device import current, session_config

KERNEL = "dense/kernel:0"


def item_columns(items: List[str]):
    """One indicator column over the item vocabulary per side of the pair, as in the seed."""
    import tensorflow as tf

    return [
        tf.feature_column.indicator_column(
            tf.feature_column.categorical_column_with_vocabulary_list(key, vocabulary_list=items))
        for key in ("item1", "item2")
    ]


def ftrl(hp: Dict[str, float]):
    """``tf.train.FtrlOptimizer`` with every setting explicit."""
    import tensorflow as tf

    return tf.train.FtrlOptimizer(**ftrl_kwargs(hp))


def contrib_estimator():
    """``tf.contrib.estimator``, taken from the module it re-exports, ``tensorflow_estimator.contrib.estimator``.

    The objects are the same (``tf.contrib.estimator.regression_head is contrib_estimator().regression_head``,
    checked by the end-to-end tests); going through ``tf.contrib`` would first import every other contrib
    module (0.3 s with compiled bytecode, 0.7 s without).
    """
    from tensorflow_estimator.contrib import estimator

    return estimator


def regression_head(hp: Dict[str, float]):
    """``tf.contrib.estimator.regression_head``: MSE averaged over the batch (``loss_reduction`` "mean") or summed."""
    import tensorflow as tf

    reduction = {"mean": tf.losses.Reduction.SUM_OVER_BATCH_SIZE, "sum": tf.losses.Reduction.SUM}[hp["loss_reduction"]]
    return contrib_estimator().regression_head(label_dimension=1, loss_reduction=reduction)


def one_hots(features, params):
    """``tf.feature_column.input_layer`` of each item column on its own feature, as in the seed's model_fn."""
    import tensorflow as tf

    col1, col2 = params["feature_columns"]
    return (tf.feature_column.input_layer({"item1": features["item1"]}, [col1]),
            tf.feature_column.input_layer({"item2": features["item2"]}, [col2]))


def estimator_spec(features, labels, mode, params, design):
    """The bias-free dense layer over a model_fn's design rows, under the contrib regression head and FTRL."""
    import tensorflow as tf

    out = tf.layers.dense(design, units=1, use_bias=False, kernel_initializer=tf.zeros_initializer(), name="dense")
    return regression_head(params["hp"]).create_estimator_spec(
        features=features, mode=mode, labels=labels, optimizer=ftrl(params["hp"]), logits=out)


def train_pair_model(model_fn: Callable, case, dataset, plan, float_columns: List[str]) -> Trained:
    """Train a pair model's Estimator on the plan's batches; its kernel comes back by coefficient name."""
    items = dataset.items()
    params = {"feature_columns": item_columns(items), "hp": case.hyperparameters}
    input_fn, feed = plan_input_fn(dataset, plan, ["item1", "item2"], float_columns)
    return train_estimator(model_fn, params, input_fn, plan, sum(pair_names(dataset.generator, items), []), [feed])


def plan_input_fn(dataset, plan, string_columns: List[str], float_columns: List[str]) -> Tuple[Callable, Any]:
    """An input_fn yielding the plan's batches, epoch after epoch, labels shaped ``[batch, 1]``, and its feed hook.

    The columns and the plan enter the graph as placeholders that the hook feeds once, when the
    session starts (TF1's way with in-memory arrays), not as constants: constants put every row
    into the GraphDef, which grows by tens of MB per million rows and is parsed at session start.
    """
    import tensorflow as tf

    arrays = dict((c, np.asarray(dataset.strings(c), dtype=object)) for c in string_columns)
    arrays.update((c, dataset.floats(c).astype(np.float32)) for c in float_columns)
    label = dataset.floats("dif").astype(np.float32).reshape(-1, 1)
    blocks = [b for b in plan.blocks() if b is not None]
    feed = feed_on_start()

    def input_fn():
        holders = dict((c, tf.placeholder(tf.string if v.dtype == object else tf.float32, v.shape, name="feed_" + c))
                       for c, v in sorted(arrays.items()))
        y = tf.placeholder(tf.float32, label.shape, name="feed_label")
        rows = [tf.placeholder(tf.int64, b.shape, name="feed_plan") for b in blocks]

        def gather(batch):
            return dict((c, tf.gather(t, batch)) for c, t in holders.items()), tf.gather(y, batch)

        iterator = tf.compat.v1.data.make_initializable_iterator(row_batches(*rows).map(gather).prefetch(1))
        values = dict((holders[c], v) for c, v in arrays.items())
        values.update(zip(rows, blocks))
        values[y] = label
        feed.set(iterator.initializer, values)
        return iterator.get_next()

    return input_fn, feed


def feed_on_start():
    """A hook that runs an initializer with its feed once the Estimator's session exists."""
    import tensorflow as tf

    class Hook(tf.train.SessionRunHook):
        def set(self, initializer, values: Dict) -> None:
            self.initializer, self.values = initializer, values

        def after_create_session(self, session, coord) -> None:
            session.run(self.initializer, feed_dict=self.values)

    return Hook()


def row_batches(full, tail=None):
    """A dataset of the plan's batches of row indices, whole batches sliced from ``plan.blocks()`` (no per-row batching)."""
    import tensorflow as tf

    def epoch_batches(*blocks):
        batches = tf.data.Dataset.from_tensor_slices(blocks[0])
        return batches.concatenate(tf.data.Dataset.from_tensors(blocks[1])) if len(blocks) > 1 else batches

    epochs = tf.data.Dataset.from_tensor_slices((full,) if tail is None else (full, tail))
    return epochs.flat_map(epoch_batches)


def train_estimator(model_fn: Callable, params: Dict, input_fn: Callable, plan, names: List[str],
                    hooks: Sequence[Any] = ()) -> Trained:
    """Train a ``tf.estimator.Estimator`` through the whole plan; snapshot the kernel after each epoch."""
    import tensorflow as tf

    class EpochSnapshots(tf.train.SessionRunHook):
        def __init__(self) -> None:
            self.step = 0
            self.snapshots = Snapshots()

        def begin(self) -> None:
            self.kernel = tf.get_default_graph().get_tensor_by_name(KERNEL)
            self.device = self.kernel.device

        def after_run(self, run_context, run_values) -> None:
            self.step += 1
            if self.step % plan.batches_per_epoch == 0:
                self.snapshots.take(named(names, run_context.session.run(self.kernel)))

    model_dir = tempfile.mkdtemp(prefix="tfkit-estimator-")
    try:
        config = tf.estimator.RunConfig(
            model_dir=model_dir,
            tf_random_seed=0,
            save_summary_steps=None,
            save_checkpoints_steps=None,
            save_checkpoints_secs=None,
            log_step_count_steps=10 ** 9,
            session_config=session_config(),
            device_fn=lambda op: current(),
        )
        estimator = tf.estimator.Estimator(model_fn=model_fn, params=params, config=config)
        hook = EpochSnapshots()
        estimator.train(input_fn=input_fn, hooks=[hook] + list(hooks), steps=None)
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)
    steps = plan.epochs * plan.batches_per_epoch
    if hook.step != steps:
        raise TrainingError(
            "the Estimator ran %d steps" % hook.step,
            expected="%d steps (%d epochs x %d batches)" % (steps, plan.epochs, plan.batches_per_epoch),
            found="%d" % hook.step,
            fix="this is a bug in the input_fn; report it",
        )
    return Trained(hook.snapshots[-1], hook.snapshots, {"device": hook.device or current(), "steps": hook.step},
                   steps=hook.step, start=dict((n, 0.0) for n in names))

"""What both TF1 pair models share: feature columns, an input_fn in the plan's order, and an Estimator loop.

The input_fn never shuffles: it gathers each epoch's rows in the order of the shared batch plan, so
the Estimator sees exactly the batches the TF2 side sees.
"""

import shutil
import tempfile
from typing import Callable, Dict, List

import numpy as np

from shared.cases import ftrl_kwargs
from shared.errors import TrainingError
from shared.models import pair_names
from shared.results import Snapshots, Trained

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
    input_fn = plan_input_fn(dataset, plan, ["item1", "item2"], float_columns)
    return train_estimator(model_fn, params, input_fn, plan, sum(pair_names(dataset.generator, items), []))


def plan_input_fn(dataset, plan, string_columns: List[str], float_columns: List[str]) -> Callable:
    """An input_fn yielding the plan's batches, epoch after epoch, labels shaped ``[batch, 1]``."""
    strings = dict((c, dataset.strings(c)) for c in string_columns)
    floats = dict((c, dataset.floats(c)) for c in float_columns)
    label = dataset.floats("dif")
    full, tail = plan.blocks()

    def input_fn():
        import tensorflow as tf

        tensors = dict((c, tf.constant(list(v), dtype=tf.string)) for c, v in strings.items())
        tensors.update((c, tf.constant(v, dtype=tf.float32)) for c, v in floats.items())
        y = tf.constant(label.reshape(-1, 1), dtype=tf.float32)

        def gather(rows):
            return dict((c, tf.gather(t, rows)) for c, t in tensors.items()), tf.gather(y, rows)

        return row_batches(full, tail).map(gather).prefetch(1)

    return input_fn


def row_batches(full, tail):
    """A dataset of the plan's batches of row indices, whole batches sliced from ``plan.blocks()`` (no per-row batching)."""
    import tensorflow as tf

    def epoch_batches(*blocks):
        batches = tf.data.Dataset.from_tensor_slices(blocks[0])
        return batches.concatenate(tf.data.Dataset.from_tensors(blocks[1])) if len(blocks) > 1 else batches

    epochs = tf.data.Dataset.from_tensor_slices((full,) if tail is None else (full, tail))
    return epochs.flat_map(epoch_batches)


def train_estimator(model_fn: Callable, params: Dict, input_fn: Callable, plan, names: List[str]) -> Trained:
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
                self.snapshots.take(_named(names, run_context.session.run(self.kernel)))

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
        estimator.train(input_fn=input_fn, hooks=[hook], steps=None)
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
    return Trained(hook.snapshots[-1], hook.snapshots, {"device": hook.device or current(), "steps": hook.step})


def _named(names: List[str], kernel) -> Dict[str, float]:
    values = np.asarray(kernel, dtype=np.float64).reshape(-1)
    return dict(zip(names, values.tolist()))

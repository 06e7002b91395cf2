"""Feeding TF 2.x models the shared batch plan: Keras 2 / Keras 3 by name, plan-ordered tf.data, one fit per plan.

What every TF2 implementation (the kit's and a user's) needs: ``tf_keras`` (Keras 2) and ``keras``
(Keras 3) imported by name so one interpreter runs both, a ``tf.data.Dataset`` of exactly the plan's
batches (never Keras' own shuffles), and a ``fit`` over the whole plan that snapshots the weights
after each epoch (and, when asked, after the first step).
"""

from typing import Callable, Dict, Optional, Sequence

from shared.core.results import Snapshots

from modern_tf2.compat import keras_module  # noqa: F401 - implementations take Keras 2 / Keras 3 from here
from modern_tf2.device import current


def plan_dataset(plan, features, label):
    """A ``tf.data.Dataset`` of every epoch's batches in the plan's order (no shuffle of its own).

    ``features`` is an array or a dict of arrays (rows first), ``label`` an array; each batch gathers
    its rows by the plan's order, and epochs never share a batch.
    """
    import tensorflow as tf

    tensors = tf.nest.map_structure(tf.constant, (features, label))

    @tf.autograph.experimental.do_not_convert  # no Python control flow to convert: AutoGraph's parse is start-up cost
    def gather(rows):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)

    return row_batches(*plan.blocks()).map(gather).prefetch(1)


def row_batches(full, tail=None):
    """A dataset of the plan's batches of row indices, whole batches sliced from ``plan.blocks()`` (no per-row batching)."""
    import tensorflow as tf

    @tf.autograph.experimental.do_not_convert
    def epoch_batches(*blocks):
        batches = tf.data.Dataset.from_tensor_slices(blocks[0])
        return batches.concatenate(tf.data.Dataset.from_tensors(blocks[1])) if len(blocks) > 1 else batches

    epochs = tf.data.Dataset.from_tensor_slices((full,) if tail is None else (full, tail))
    return epochs.flat_map(epoch_batches)


def fit_plan(keras, model, plan, data, read: Callable[[], Dict[str, float]],
             first_step: Optional[Dict[str, object]] = None, callbacks: Sequence[object] = ()) -> Snapshots:
    """One ``fit`` over the whole plan (``steps_per_epoch`` keeps the iterator across epochs); a snapshot per epoch.

    ``first_step``, a dict, receives the weights after the first step (``first_step["weights"]``): this
    needs a compile without ``steps_per_execution``, since batch callbacks fire once per execution.
    ``callbacks`` run before the kit's own (e.g. one that adjusts optimizer state before each step).
    """
    snapshots = Snapshots()

    def after_batch(batch, logs) -> None:
        if first_step is not None and "weights" not in first_step:
            first_step["weights"] = read()

    hooks = {"on_epoch_end": lambda epoch, logs: snapshots.take(read())}
    if first_step is not None:
        hooks["on_train_batch_end"] = after_batch
    snap = keras.callbacks.LambdaCallback(**hooks)
    model.fit(data, epochs=plan.epochs, steps_per_epoch=plan.batches_per_epoch, shuffle=False, verbose=0,
              callbacks=list(callbacks) + [snap])
    return snapshots


def on_device(build: Callable):
    """Build a model under the pinned device."""
    import tensorflow as tf

    with tf.device(current()):
        return build()

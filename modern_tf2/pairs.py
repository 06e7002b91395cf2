"""What the TF2 pair models share: Keras 2 / Keras 3 selection, FTRL, plan-ordered tf.data, a Keras loop.

Keras 2 is the ``tf_keras`` package (TF >= 2.16 ships Keras 3 as ``tf.keras``); both are imported by
name so one interpreter runs both. Batches come from the shared plan, never from Keras' shuffles.
"""

from typing import Callable, Dict, List, Optional

import numpy as np

from shared.core.cases import ftrl_kwargs
from shared.core.models import named, pair_names
from shared.core.results import Trained

from modern_tf2 import artifacts
from modern_tf2.device import placed
from modern_tf2.feeding import fit_plan, keras_module, on_device, plan_dataset


def ftrl(keras, hp: Dict[str, float], fused: bool = False):
    """Keras FTRL with every setting explicit; ``fused`` picks Keras 2's legacy optimizer (TF1's kernel)."""
    cls = keras.optimizers.legacy.Ftrl if fused else keras.optimizers.Ftrl
    return cls(beta=hp["beta"], **ftrl_kwargs(hp))


def item_columns(items: List[str]) -> Dict[str, object]:
    """The seed's indicator columns over the item vocabulary, one per side of the pair (Keras 2 only)."""
    import tensorflow as tf

    return dict(
        (key, tf.feature_column.indicator_column(
            tf.feature_column.categorical_column_with_vocabulary_list(key, vocabulary_list=items)))
        for key in ("item1", "item2"))


def pair_features(dataset, string_columns: List[str], float_columns: List[str]) -> Dict[str, np.ndarray]:
    """The model inputs of a pair dataset by column name."""
    out = dict((c, dataset.strings(c).astype(str)) for c in string_columns)
    out.update((c, dataset.floats(c)) for c in float_columns)
    return out


def train_keras(impl: str, model, hp: Dict[str, float], data, plan, read: Callable[[], Dict[str, float]],
                start: Dict[str, float]) -> Trained:
    """Compile with explicit FTRL and MSE (mean over the batch, like the contrib head), fit the plan.

    ``steps_per_execution`` runs a whole epoch's steps in one call of the compiled train function: the
    same updates in the same order, without Keras' per-step Python round trip.
    """
    keras = keras_module(impl)
    loss = keras.losses.MeanSquaredError(reduction={"mean": "sum_over_batch_size", "sum": "sum"}[hp["loss_reduction"]])
    model.compile(optimizer=ftrl(keras, hp, fused=impl.endswith("_fused")), loss=loss, run_eagerly=False,
                  steps_per_execution=plan.batches_per_epoch)
    snapshots = fit_plan(keras, model, plan, data, read)
    return Trained(snapshots[-1], snapshots, {"device": placed(model.dense.kernel), "keras": keras.__version__},
                   steps=int(model.optimizer.iterations.numpy()), start=start)


def train_pair_model(job, build: Callable, float_columns: List[str]) -> Trained:
    """Build ``build(keras, items)`` on the pinned device, fit it on the plan's batches, read its kernel by name;
    then cross the TF1 artifacts over (the TF1 checkpoint into a fresh model, this one's weights back to TF1)."""
    impl, dataset, plan = job.impl, job.dataset, job.plan
    keras = keras_module(impl)
    items = dataset.items()
    names = kernel_names(impl, dataset.generator, items)
    model = on_device(lambda: build(keras, items))
    data = plan_dataset(plan, pair_features(dataset, ["item1", "item2"], float_columns), dataset.floats("dif").reshape(-1, 1))
    zeros = dict((n, 0.0) for n in names if n is not None)  # the layers' kernel_initializer
    trained = train_keras(impl, model, job.hp, data, plan, lambda: named(names, model.dense.kernel.numpy()), zeros)

    def fresh() -> artifacts.Port:
        return port(on_device(lambda: build(keras, items)), float_columns)

    artifacts.keep(job, port(model, float_columns), fresh, restore_table(impl, dataset.generator, items))
    return trained


def port(model, float_columns: List[str]) -> artifacts.Port:
    """A pair model for the artifact steps: its one kernel, named as TF1's, and its predictions on a probe set."""
    def predict(probe):
        import tensorflow as tf

        inputs = dict((k, tf.constant(v)) for k, v in pair_features(probe, ["item1", "item2"], float_columns).items())
        return model(inputs, training=False).numpy()

    if not model.built:
        import tensorflow as tf

        one = dict((k, tf.constant(["?"])) for k in ("item1", "item2"))
        one.update((c, tf.zeros([1])) for c in float_columns)
        model(one)  # creates the kernel
    return artifacts.Port(model, {KERNEL: model.dense.kernel}, predict)


KERNEL = "dense/kernel"  # the TF1 name of the one kernel both sides hold


def restore_table(impl: str, kind: str, items: List[str]) -> artifacts.Table:
    """TF1's kernel (one row per coefficient name) to this model's (the same names, Keras 3 with its OOV slots),
    the FTRL slots and the step counter left in the checkpoint."""
    rows = (sum(pair_names(kind, items), []), kernel_names(impl, kind, items))
    return artifacts.Table({KERNEL: artifacts.Target(KERNEL, rows=rows)}, unused=artifacts.STATE["ftrl"])


def kernel_names(impl: str, kind: str, items: List[str]) -> List[Optional[str]]:
    """Names of the dense kernel's rows: Keras 3's ``StringLookup`` puts an OOV slot (``None``) before each group."""
    oov = [None] if impl == "keras3" else []
    return [name for group in pair_names(kind, items) for name in oov + group]

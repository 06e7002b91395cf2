"""What both TF1 pair models share: feature columns, an input_fn in the plan's order, and an Estimator loop.

The input_fn never shuffles: it gathers each epoch's rows in the order of the shared batch plan, so
the Estimator sees exactly the batches the TF2 side sees.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence

from shared.core.cases import ftrl_kwargs
from shared.core.errors import EnvError
from shared.core.models import named, pair_names
from shared.core.results import Trained

from legacy_tf1 import artifacts
from legacy_tf1.feeding import estimator_loop, plan_input_fn

KERNEL = "dense/kernel:0"


def item_columns(items: List[str]):
    """One indicator column over the item vocabulary per side of the pair, as in the seed."""
    from legacy_tf1.compat import tf

    return [
        tf.feature_column.indicator_column(
            tf.feature_column.categorical_column_with_vocabulary_list(key, vocabulary_list=items))
        for key in ("item1", "item2")
    ]


def ftrl(hp: Dict[str, float]):
    """``tf.train.FtrlOptimizer`` with every setting explicit."""
    from legacy_tf1.compat import tf

    return tf.train.FtrlOptimizer(**ftrl_kwargs(hp))


def contrib_estimator():
    """``tf.contrib.estimator``, taken from the module it re-exports, ``tensorflow_estimator.contrib.estimator``.

    The objects are the same (``tf.contrib.estimator.regression_head is contrib_estimator().regression_head``,
    checked by the end-to-end tests); going through ``tf.contrib`` would first import every other contrib
    module (0.3 s with compiled bytecode, 0.7 s without). TF 1.x only: on TF 2.x ``compat.regression_head``.
    """
    from tensorflow_estimator.contrib import estimator

    return estimator


def regression_head(hp: Dict[str, float]):
    """``tf.contrib.estimator.regression_head``: MSE averaged over the batch (``loss_reduction`` "mean") or summed."""
    from legacy_tf1 import compat
    from legacy_tf1.compat import tf

    reduction = {"mean": tf.losses.Reduction.SUM_OVER_BATCH_SIZE, "sum": tf.losses.Reduction.SUM}[hp["loss_reduction"]]
    return compat.regression_head(label_dimension=1, loss_reduction=reduction)


def one_hots(features, params):
    """``tf.feature_column.input_layer`` of each item column on its own feature, as in the seed's model_fn."""
    from legacy_tf1.compat import tf

    col1, col2 = params["feature_columns"]
    return (tf.feature_column.input_layer({"item1": features["item1"]}, [col1]),
            tf.feature_column.input_layer({"item2": features["item2"]}, [col2]))


def estimator_spec(features, labels, mode, params, design):
    """The bias-free dense layer over a model_fn's design rows, under the contrib regression head and FTRL."""
    from legacy_tf1.compat import tf

    out = tf.layers.dense(design, units=1, use_bias=False, kernel_initializer=tf.zeros_initializer(), name="dense")
    return regression_head(params["hp"]).create_estimator_spec(
        features=features, mode=mode, labels=labels, optimizer=ftrl(params["hp"]), logits=out)


def train_pair_model(model_fn: Callable, job, float_columns: List[str]) -> Trained:
    """Train a pair model's Estimator on the plan's batches; its kernel comes back by coefficient name.

    The trained Estimator keeps its artifacts (checkpoint, parsing export, probe predictions) for TF2.
    """
    from legacy_tf1 import compat

    if not compat.has_estimator():
        raise EnvError(
            "tf.estimator is not in this TensorFlow",
            expected="TensorFlow 1.15, or 2.x <= 2.15 (the last with tensorflow-estimator)",
            found="no tensorflow_estimator package (TensorFlow >= 2.16)",
            fix="run the Estimator cases on TF 1.15 or a TF 2.x <= 2.15 env; here only linear runs",
        )
    items = job.dataset.items()
    params = {"feature_columns": item_columns(items), "hp": job.hp}
    input_fn, feed = plan_input_fn(job.dataset, job.plan, ["item1", "item2"], float_columns)
    spec = artifacts.parse_spec(params["feature_columns"], floats=float_columns)
    return train_estimator(model_fn, params, input_fn, job.plan, sum(pair_names(job.dataset.generator, items), []),
                           [feed], keep=lambda estimator, trajectory: artifacts.keep(job, estimator, spec))


def train_estimator(model_fn: Callable, params: Dict, input_fn: Callable, plan, names: List[str],
                    hooks: Sequence[Any] = (), keep: Optional[Callable[[Any, Any], Any]] = None) -> Trained:
    """Train a ``tf.estimator.Estimator`` through the whole plan; its kernel by coefficient name after each epoch.
    ``keep(estimator, trajectory)`` runs on the trained Estimator (its final checkpoint saved for it)."""
    from legacy_tf1.compat import tf

    def read(session, graph) -> Dict[str, float]:
        return named(names, session.run(graph.get_tensor_by_name(KERNEL)))

    trajectory, _ = estimator_loop(lambda config: tf.estimator.Estimator(model_fn=model_fn, params=params, config=config),
                                   input_fn, plan, read, hooks, keep)
    return Trained(trajectory.snapshots[-1], trajectory.snapshots, {"device": trajectory.device, "steps": trajectory.steps},
                   steps=trajectory.global_step, start=dict((n, 0.0) for n in names),
                   stages={"first_step": trajectory.first_step})

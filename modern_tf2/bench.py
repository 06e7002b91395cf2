"""``python -m modern_tf2.bench``: one benchmark measurement on TF 2.x, and the bare training loop floor."""

import sys
import time
from typing import Any, Dict, Tuple

from shared.core.bench_side import ell, side_main, start_values
from shared.core.models import named
from shared.core.results import Snapshots
from shared.core.cases import ftrl_kwargs

from modern_tf2.device import current, setup


def optimizer(hp: Dict[str, Any]):
    """The case's optimizer with TF1's kernels (``tf.compat.v1.train``), every FTRL setting explicit."""
    import tensorflow as tf

    if hp["optimizer"] == "sgd":
        return tf.compat.v1.train.GradientDescentOptimizer(hp["learning_rate"])
    return tf.compat.v1.train.FtrlOptimizer(**ftrl_kwargs(hp))


def bare(case, design, plan) -> Tuple[float, Snapshots]:
    """The floor: gather-based ``y = sum(v * w[c])``, batch-mean MSE, the case's optimizer; one tf.function call per step."""
    import tensorflow as tf

    cols, vals, y = ell(design)
    width = cols.shape[1]
    with tf.device(current()):
        w = tf.Variable(start_values(case, len(design.names)), name="w")
        opt = optimizer(case.hyperparameters)

        @tf.function(input_signature=[tf.TensorSpec([None, width], tf.int64), tf.TensorSpec([None, width], tf.float32),
                                      tf.TensorSpec([None], tf.float32)])
        def step(c, v, t):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(tf.reduce_sum(v * tf.gather(w, c), axis=1) - t))
            opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))

        snapshots = Snapshots()
        t0 = time.perf_counter()
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                step(cols[rows], vals[rows], y[rows])
            snapshots.take(named(design.names, w.numpy()))
        seconds = time.perf_counter() - t0
    return seconds, snapshots


if __name__ == "__main__":
    sys.exit(side_main(sys.argv[1:], "tf2", setup, bare))

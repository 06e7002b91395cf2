"""``python -m legacy_tf1.bench``: one benchmark measurement on TF 1.15, and the bare training loop floor."""

import sys
import time
from typing import Any, Dict, Tuple

from shared.core.bench_side import ell, side_main, start_values
from shared.core.models import named
from shared.core.results import Snapshots

from legacy_tf1.device import current, session_config, setup


def optimizer(hp: Dict[str, Any]):
    """The case's optimizer as TF1 builds it (FTRL for the pair models, SGD for linear)."""
    from legacy_tf1.compat import tf

    if hp["optimizer"] == "sgd":
        return tf.train.GradientDescentOptimizer(hp["learning_rate"])
    from legacy_tf1.pairs import ftrl

    return ftrl(hp)


def bare(case, design, plan) -> Tuple[float, Snapshots]:
    """The floor: gather-based ``y = sum(v * w[c])``, batch-mean MSE, the case's optimizer; one session.run per step."""
    from legacy_tf1.compat import tf

    cols, vals, y = ell(design)
    width = cols.shape[1]
    graph = tf.Graph()
    with graph.as_default(), tf.device(current()):
        c = tf.placeholder(tf.int64, [None, width])
        v = tf.placeholder(tf.float32, [None, width])
        t = tf.placeholder(tf.float32, [None])
        w = tf.Variable(start_values(case, len(design.names)), name="w")
        loss = tf.reduce_mean(tf.square(tf.reduce_sum(v * tf.gather(w, c), axis=1) - t))
        step = optimizer(case.hyperparameters).minimize(loss)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, config=session_config()) as session:
        session.run(init)
        snapshots = Snapshots()
        t0 = time.perf_counter()
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                session.run(step, {c: cols[rows], v: vals[rows], t: y[rows]})
            snapshots.take(named(design.names, session.run(w)))
        seconds = time.perf_counter() - t0
    return seconds, snapshots


if __name__ == "__main__":
    sys.exit(side_main(sys.argv[1:], "tf1", setup, bare))

"""``python -m legacy_tf1.bench``: one benchmark measurement on TF 1.15, and the bare training loop floor."""

import sys
import time
from typing import Any, Dict, Tuple

from shared.core.bench_side import ell, net_prefix, net_start, side_main, start_values, unprefixed
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


def net_optimizer(hp: Dict[str, Any]):
    """A canned case's optimizer as its Estimator builds it (FTRL or Adagrad), from its plain-named settings."""
    from legacy_tf1.compat import tf

    if hp["optimizer"] == "ftrl":
        from legacy_tf1.pairs import ftrl

        return ftrl(hp)
    return tf.train.AdagradOptimizer(hp["learning_rate"], initial_accumulator_value=hp["initial_accumulator_value"])


def bare_net(case, inputs: Dict[str, Any], plan) -> float:
    """The floor of a canned case: its linear part and/or ReLU stack on dense inputs, the SUM loss, its optimizer(s)."""
    from legacy_tf1.compat import tf

    start = net_start(case, inputs)
    graph = tf.Graph()
    with graph.as_default(), tf.device(current()):
        holders = dict((k, tf.placeholder(tf.float32, [None, v.shape[1]])) for k, v in inputs.items())
        parts, logits = {}, 0.0
        if "wide" in start:
            parts["linear"] = [tf.Variable(v) for v in start["wide"]]
            logits = tf.matmul(holders["wide"], parts["linear"][0]) + parts["linear"][1]
        if "layers" in start:
            layers = [(tf.Variable(k), tf.Variable(b)) for k, b in start["layers"]]
            parts["dnn"] = [v for layer in layers for v in layer]
            h = holders["numeric"]
            if "embedding" in start:
                table = tf.Variable(start["embedding"])
                parts["dnn"].append(table)
                h = tf.concat([h, tf.matmul(holders["embed"], table)], axis=1)
            for kernel, bias in layers[:-1]:
                h = tf.nn.relu(tf.matmul(h, kernel) + bias)
            logits = logits + tf.matmul(h, layers[-1][0]) + layers[-1][1]
        y = holders["y"]
        loss = tf.reduce_sum(tf.square(logits - y) if case.loss == "mse" else
                             tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        steps = [net_optimizer(unprefixed(case.hyperparameters, net_prefix(case, scope))).minimize(loss, var_list=v)
                 for scope, v in sorted(parts.items())]
        variables = [v for scope in sorted(parts) for v in parts[scope]]
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph, config=session_config()) as session:
        session.run(init)
        t0 = time.perf_counter()
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                session.run(steps, dict((holders[k], v[rows]) for k, v in inputs.items()))
            session.run(variables)
        return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(side_main(sys.argv[1:], "tf1", setup, bare, bare_net))

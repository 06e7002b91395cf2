"""``python -m modern_tf2.bench``: one benchmark measurement on TF 2.x, and the bare training loop floor."""

import sys
import time
from typing import Any, Dict, Tuple

from shared.core.bench_side import ell, net_prefix, net_start, side_main, start_values, unprefixed
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


def net_optimizer(hp: Dict[str, Any]):
    """A canned case's optimizer with TF1's kernels (``tf.compat.v1.train``), from its plain-named settings."""
    import tensorflow as tf

    if hp["optimizer"] == "ftrl":
        return tf.compat.v1.train.FtrlOptimizer(**ftrl_kwargs(hp))
    return tf.compat.v1.train.AdagradOptimizer(hp["learning_rate"], initial_accumulator_value=hp["initial_accumulator_value"])


def bare_net(case, inputs: Dict[str, Any], plan) -> float:
    """The floor of a canned case: its linear part and/or ReLU stack on dense inputs, the SUM loss, its optimizer(s);
    one tf.function call per step."""
    import tensorflow as tf

    start = net_start(case, inputs)
    keys = sorted(inputs)
    with tf.device(current()):
        parts = {}
        if "wide" in start:
            parts["linear"] = [tf.Variable(v) for v in start["wide"]]
        if "layers" in start:
            parts["dnn"] = [tf.Variable(v) for layer in start["layers"] for v in layer]
            if "embedding" in start:
                parts["dnn"].append(tf.Variable(start["embedding"]))
        n_layers = len(start.get("layers", ()))
        opts = dict((scope, net_optimizer(unprefixed(case.hyperparameters, net_prefix(case, scope)))) for scope in parts)

        def forward(x):
            logits = 0.0
            if "linear" in parts:
                logits = tf.matmul(x["wide"], parts["linear"][0]) + parts["linear"][1]
            if "dnn" in parts:
                h = x["numeric"]
                if "embed" in x:
                    h = tf.concat([h, tf.matmul(x["embed"], parts["dnn"][-1])], axis=1)
                for i in range(n_layers):
                    h = tf.matmul(h, parts["dnn"][2 * i]) + parts["dnn"][2 * i + 1]
                    h = tf.nn.relu(h) if i < n_layers - 1 else h
                logits = logits + h
            return logits

        @tf.function(input_signature=[dict((k, tf.TensorSpec([None, inputs[k].shape[1]], tf.float32)) for k in keys)])
        def step(x):
            with tf.GradientTape() as tape:
                logits = forward(x)
                loss = tf.reduce_sum(tf.square(logits - x["y"]) if case.loss == "mse" else
                                     tf.nn.sigmoid_cross_entropy_with_logits(labels=x["y"], logits=logits))
            grads = tape.gradient(loss, dict((scope, parts[scope]) for scope in parts))  # one tape, both parts
            for scope in sorted(parts):
                opts[scope].apply_gradients(zip(grads[scope], parts[scope]))

        t0 = time.perf_counter()
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                step(dict((k, inputs[k][rows]) for k in keys))
            [v.numpy() for scope in sorted(parts) for v in parts[scope]]
        return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(side_main(sys.argv[1:], "tf2", setup, bare, bare_net))

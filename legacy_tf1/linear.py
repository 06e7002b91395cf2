"""The seed's TF1 linear regression: placeholders, ``tf.Session``, ``GradientDescentOptimizer``."""

from shared.core.results import Snapshots, Trained

from legacy_tf1.device import current, session_config

IMPLS = ("session",)


def run(job) -> Trained:
    """Train ``y = W x + b`` from W0, b0 with plain gradient descent, feeding the plan's batches."""
    from legacy_tf1.compat import tf

    hp, plan = job.hp, job.plan
    x = job.dataset.floats("x")
    y = job.dataset.floats("y")
    graph = tf.Graph()
    with graph.as_default(), tf.device(current()):
        X = tf.placeholder(tf.float32, shape=[None], name="X")
        Y = tf.placeholder(tf.float32, shape=[None], name="Y")
        W = tf.Variable(float(hp["W0"]), dtype=tf.float32, name="weight")
        b = tf.Variable(float(hp["b0"]), dtype=tf.float32, name="bias")
        pred = tf.add(tf.multiply(X, W), b)
        loss = tf.reduce_mean(tf.square(pred - Y))
        train = tf.train.GradientDescentOptimizer(float(hp["learning_rate"])).minimize(loss)
        init = tf.global_variables_initializer()
    snapshots = Snapshots()
    steps = 0
    with tf.Session(graph=graph, config=session_config()) as sess:
        sess.run(init)
        for epoch in range(plan.epochs):
            for rows in plan.batches(epoch):
                sess.run(train, feed_dict={X: x[rows], Y: y[rows]})
                steps += 1
            w_val, b_val = sess.run([W, b])
            snapshots.take({"W": float(w_val), "b": float(b_val)})
    return Trained(snapshots[-1], snapshots, {"device": W.device or current()}, steps=steps,
                   start={"W": float(hp["W0"]), "b": float(hp["b0"])})

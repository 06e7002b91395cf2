"""TF 1.15 implementations (graphs, tf.Session, tf.estimator, tf.contrib), one module per case."""

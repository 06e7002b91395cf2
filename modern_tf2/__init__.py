"""TF 2.x implementations (eager, tf.function, Keras 2 via tf_keras, Keras 3), mirroring legacy_tf1's modules."""

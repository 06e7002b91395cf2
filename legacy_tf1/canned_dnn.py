"""``tf.estimator.DNNRegressor(hidden_units=[32, 16])`` with its defaults, warm-started from the kit's shared start."""

from typing import Optional

from shared.core import canned
from shared.core.datasets import DNN_FEATURES
from shared.core.results import Trained

from legacy_tf1.canned import train

IMPLS = ("estimator",)


def run(job, replicas: Optional[int] = None) -> Trained:
    """Adagrad 0.05, ReLU and the SUM reduction are its defaults; the columns are given in the file's order
    (``input_layer`` sorts them by name, which fixes the rows of ``dnn/hiddenlayer_0/kernel``). ``replicas``: under
    ``train_distribute`` (``legacy_tf1.canned.train``)."""
    from legacy_tf1.compat import tf

    columns = [tf.feature_column.numeric_column(c) for c in DNN_FEATURES]

    def make(config, warm):
        return tf.estimator.DNNRegressor(hidden_units=job.hp["hidden_units"], feature_columns=columns, config=config,
                                         warm_start_from=warm)

    assert sorted(DNN_FEATURES) == canned.DNN_INPUTS
    return train(job, make, [], DNN_FEATURES, columns, replicas=replicas)

"""``tf.estimator.LinearRegressor`` as teams run it: bucketized, numeric and categorical columns, every default kept."""

from shared.core import canned
from shared.core.datasets import AGE_BOUNDARIES
from shared.core.results import Trained

from legacy_tf1.canned import train

IMPLS = ("estimator",)


def columns():
    """Given unsorted on purpose: the linear model sorts its columns by name."""
    from legacy_tf1.compat import tf

    fc = tf.feature_column
    return [fc.numeric_column("income"),
            fc.categorical_column_with_vocabulary_list("region", vocabulary_list=canned.REGION_VOCABULARY),
            fc.bucketized_column(fc.numeric_column("age"), boundaries=AGE_BOUNDARIES)]


def run(job) -> Trained:
    """Its default optimizer ('Ftrl', learning rate 0.2) and loss reduction (SUM); zeros to start, its own initializer."""
    from legacy_tf1.compat import tf

    return train(job, lambda config, warm: tf.estimator.LinearRegressor(feature_columns=columns(), config=config),
                 ["region"], ["age", "income"], columns())

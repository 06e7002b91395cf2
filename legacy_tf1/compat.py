"""The TF1 API that legacy_tf1 is written against, on TF 1.15 and on TF 2.x under ``tf.compat.v1``.

TF 1.x: ``tensorflow`` itself and ``tf.contrib.estimator.regression_head``, as before.
TF 2.x: ``tensorflow.compat.v1`` with the V2 behaviour turned off (graph mode, reference variables,
V1 control flow and shapes), its V1 ``Estimator``, and the V1 regression head that
``tf.contrib.estimator.regression_head`` returned in 1.15 (``tensorflow_estimator``'s
``canned.head._regression_head``). That head calls ``optimizer.minimize(loss, global_step)``, so it
takes the ``tf.compat.v1.train`` optimizers; the V2 ``tf.estimator.RegressionHead`` refuses them.
``tf.estimator`` exists up to TF 2.15; on TF >= 2.16 only the Session code (``linear``) runs.
"""

import os

import tensorflow as _tf

TF1 = _tf.__version__.startswith("1.")

if TF1:
    tf = _tf
else:
    import tensorflow.compat.v1 as tf  # noqa: F811


OPT_IN = "TFKIT_TF1_COMPAT"  # =1: run on TF 2.x under tf.compat.v1; without it TF 2.x is refused as before


def supported() -> bool:
    """TF 1.x, or TF 2.x (whose ``tf.compat.v1`` carries the TF1 API) when the env opts in with TFKIT_TF1_COMPAT=1."""
    return TF1 or (_tf.__version__.startswith("2.") and os.environ.get(OPT_IN) == "1")


def enable() -> None:
    """On TF 2.x turn the TF1 behaviour on, once, before any graph is built; nothing to do on TF 1.x."""
    if not TF1:
        tf.disable_v2_behavior()


def has_estimator() -> bool:
    """``tf.estimator`` (the tensorflow-estimator package) exists: TF <= 2.15."""
    try:
        import tensorflow_estimator  # noqa: F401
    except ImportError:
        return False
    return True


def regression_head(**kwargs):
    """``tf.contrib.estimator.regression_head(**kwargs)`` on TF 1.x; the same V1 head on TF 2.x."""
    if TF1:
        from tensorflow_estimator.contrib import estimator

        return estimator.regression_head(**kwargs)
    from tensorflow_estimator.python.estimator.canned import head

    return head._regression_head(**kwargs)  # pylint: disable=protected-access

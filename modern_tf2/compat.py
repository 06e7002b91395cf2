"""The version branches of modern_tf2 in one place: which Keras is Keras 2 and which is Keras 3 on each TF 2.x.

TF >= 2.16 ships Keras 3 as ``keras`` and Keras 2 as the ``tf_keras`` package; TF <= 2.15 has no
``tf_keras`` and no Keras 3: Keras 2 is ``tf.keras`` there (the ``keras`` 2.x package TensorFlow pins).
"""

from shared.core._compat import dist_version
from shared.core.errors import EnvError


def keras_module(impl: str):
    """``tf_keras`` (Keras 2) for ``keras2*`` implementations, ``keras`` (Keras 3) otherwise.

    TF <= 2.15 has no ``tf_keras`` package and no Keras 3: Keras 2 is ``tf.keras`` there (the ``keras``
    2.x package TensorFlow pins), and ``keras3`` is refused rather than run on Keras 2.
    """
    if impl.startswith("keras2"):
        try:
            import tf_keras

            return tf_keras
        except ImportError:
            if keras_major() != 2:
                raise
            return builtin_keras2()
    import keras

    if keras_major() != 3:
        raise EnvError(
            "%s needs Keras 3" % impl,
            expected="keras 3.x (TensorFlow >= 2.16)",
            found="keras %s (TensorFlow <= 2.15 pins Keras 2)" % keras.__version__,
            fix="run %s in a TF >= 2.16 env; here only the Keras 2 implementations run" % impl,
        )
    return keras


def keras_major() -> int:
    """Major version of the installed ``keras`` package: 2 on TF <= 2.15, 3 on TF >= 2.16."""
    import keras

    return int(keras.__version__.split(".")[0])


def builtin_keras2():
    """TF <= 2.15's ``tf.keras`` as the module behind its lazy loader; TF 2.15's lacks ``__version__``, so it is set."""
    import importlib

    import tensorflow as tf

    module = importlib.import_module(tf.keras.__name__)  # keras.api._v2.keras
    if getattr(module, "__version__", None) is None:
        module.__version__ = dist_version("keras")
    return module


def autograph_skips_tf_keras() -> None:
    """TF 2.16's AutoGraph skips ``keras`` but not ``tf_keras`` (2.21 has the rule), so the first fit of every
    tf_keras model transpiles its whole train step (8 to 24 s measured); add the rule where it is missing."""
    from tensorflow.python.autograph.core import config

    if not any(getattr(rule, "_prefix", None) == "tf_keras" for rule in config.CONVERSION_RULES):
        config.CONVERSION_RULES = config.CONVERSION_RULES + (config.DoNotConvert("tf_keras"),)

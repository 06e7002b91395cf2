"""The effective settings of a TF 1.x run, read from the live objects after building (not copied from the spec).

The names are the kit's common ones, shared with ``modern_tf2.settings``, so that the comparison can
put both sides next to each other and name every setting that differs.
"""

from typing import Any, Dict

# TF1 optimizer attribute -> common name; an optimizer without a setting records the value its update implies.
ATTRIBUTES = (
    ("_learning_rate", "learning_rate"), ("_lr", "learning_rate"), ("_beta1", "beta_1"), ("_beta2", "beta_2"),
    ("_epsilon", "epsilon"), ("_initial_accumulator_value", "initial_accumulator_value"),
    ("_learning_rate_power", "learning_rate_power"), ("_l1_regularization_strength", "l1"),
    ("_l2_regularization_strength", "l2"), ("_l2_shrinkage_regularization_strength", "l2_shrinkage"),
    ("_decay", "rho"), ("_rho", "rho"), ("_momentum", "momentum"), ("_use_nesterov", "nesterov"),
)
IMPLIED = {  # what TF1's kernels do where the optimizer takes no argument
    "adagrad": {"epsilon": 0.0},  # accum += g^2; w -= lr * g / sqrt(accum): no epsilon
    "ftrl": {"beta": 0.0},  # TF 1.15's FTRL has no beta
}


def _plain(value: Any) -> Any:
    if hasattr(value, "op") and hasattr(value, "graph"):  # a tensor (a schedule): by its op's scope, as Keras names it
        return value.op.name.split("/")[0]
    try:
        import numpy as np

        if hasattr(value, "dtype") or isinstance(value, np.generic):
            return float(value)
    except ImportError:
        pass
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value if isinstance(value, str) else repr(value)


def optimizer(opt) -> Dict[str, Any]:
    """``{"name": "adagrad", "learning_rate": 0.05, ...}`` of a ``tf.train.Optimizer`` as built."""
    name = type(opt).__name__.replace("Optimizer", "").lower()
    name = {"gradientdescent": "sgd", "momentum": "sgd"}.get(name, name)  # Keras: SGD(momentum=...)
    out = {"name": name, "class": "tf.train." + type(opt).__name__}  # type: Dict[str, Any]
    for attribute, common in ATTRIBUTES:
        if hasattr(opt, attribute) and common not in out:
            value = getattr(opt, attribute)
            if not callable(value):
                out[common] = _plain(value)
    out.update((k, v) for k, v in IMPLIED.get(name, {}).items() if k not in out)
    return out


def record(opt, loss: str, reduction: str, plan, dtype: str = "float32", **more: Any) -> Dict[str, Any]:
    """The effective settings of one run: optimizer, loss and its reduction over the batch, batch, steps, dtype."""
    out = {"optimizer": optimizer(opt), "loss": {"function": loss, "reduction": reduction},
           "batch_size": plan.batch_size, "steps": plan.epochs * plan.batches_per_epoch, "dtype": dtype}
    out.update(more)
    return out

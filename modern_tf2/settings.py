"""The effective settings of a TF 2.x run, read from the live objects after building (not copied from the spec).

The names are the kit's common ones, shared with ``legacy_tf1.settings``, so that the comparison can
put both sides next to each other and name every setting that differs.
"""

from typing import Any, Dict

CONFIG = (  # Keras optimizer config key -> common name
    ("learning_rate", "learning_rate"), ("beta_1", "beta_1"), ("beta_2", "beta_2"), ("epsilon", "epsilon"),
    ("initial_accumulator_value", "initial_accumulator_value"), ("learning_rate_power", "learning_rate_power"),
    ("l1_regularization_strength", "l1"), ("l2_regularization_strength", "l2"),
    ("l2_shrinkage_regularization_strength", "l2_shrinkage"), ("beta", "beta"), ("rho", "rho"),
    ("momentum", "momentum"), ("nesterov", "nesterov"), ("amsgrad", "amsgrad"),
)
DEFAULT_OFF = {"amsgrad": False}  # recorded only when on: TF1 has no such setting


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "numpy"):
        return float(value.numpy())
    if hasattr(value, "dtype") and hasattr(value, "item"):  # a numpy scalar
        return float(value)
    return value if isinstance(value, str) else repr(value)


def optimizer(opt) -> Dict[str, Any]:
    """``{"name": "adagrad", "learning_rate": 0.05, ...}`` of a Keras optimizer as built (Keras 2 or 3, legacy or not)."""
    config = opt.get_config()
    name = type(opt).__name__.lower()
    out = {"name": {"gradientdescent": "sgd"}.get(name, name),
           "class": "%s.%s" % (type(opt).__module__.split(".")[0], type(opt).__name__)}  # type: Dict[str, Any]
    for key, common in CONFIG:
        if key in config and not (key in DEFAULT_OFF and config[key] == DEFAULT_OFF[key]):
            value = config[key]
            if isinstance(value, dict):  # a schedule: record what it is, not a number
                value = value.get("class_name", repr(value))
            out[common] = _plain(value)
    if out["name"] == "sgd" and not out.get("momentum"):
        out.pop("momentum", None)
        out.pop("nesterov", None)
    return out


def loss(fn) -> Dict[str, Any]:
    """A Keras loss object's function and its reduction over the batch (``mean`` or ``sum``)."""
    reduction = str(getattr(fn, "reduction", "sum_over_batch_size")).lower().split(".")[-1]
    name = getattr(fn, "name", type(fn).__name__)
    return {"function": {"mean_squared_error": "mse", "binary_crossentropy": "logloss"}.get(name, name),
            "reduction": {"sum_over_batch_size": "mean", "auto": "mean", "sum": "sum"}.get(reduction, reduction)}


def record(opt, loss_fn, plan, dtype: str = "float32", **more: Any) -> Dict[str, Any]:
    """The effective settings of one run: optimizer, loss and its reduction over the batch, batch, steps, dtype."""
    out = {"optimizer": optimizer(opt), "loss": loss(loss_fn), "batch_size": plan.batch_size,
           "steps": plan.epochs * plan.batches_per_epoch, "dtype": dtype}
    out.update(more)
    return out

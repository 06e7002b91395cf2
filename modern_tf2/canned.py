"""What the Keras ports of the canned Estimators share on TF 2.x: optimizers and loss from the case's settings,
variables by name, the shared start loaded by name, and one fit on the plan.

A faithful port sets what the canned Estimator did by default and Keras does otherwise: the SUM
reduction (Keras averages), the optimizers' learning rates and every other setting (Keras' Adagrad
adds an epsilon TF1's has not), and no XLA. Each setting comes from the case's hyperparameters, so an
``--override`` of one of them makes exactly that port unfaithful. After training, each port takes over
the TF1 Estimator's artifacts (its checkpoint restored by the case's name maps into a fresh model) and
writes its own weights back under the canned names (:func:`keep`).
"""

import hashlib
import inspect
import re
from typing import Any, Callable, Dict, List, Mapping, Optional

import numpy as np

from shared.core import artifacts as store
from shared.core.results import Trained

from modern_tf2 import artifacts, settings
from modern_tf2.device import placed
from modern_tf2.feeding import fit_plan, plan_dataset

CLASSES = {"ftrl": "Ftrl", "adagrad": "Adagrad", "sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}
REDUCTIONS = {"sum": "sum", "mean": "sum_over_batch_size"}  # the case's name -> Keras'


def optimizer(keras, hp: Mapping[str, Any], prefix: str = ""):
    """The Keras optimizer ``hp[prefix + "optimizer"]`` with every setting of it the case states, no XLA."""
    name = hp[prefix + "optimizer"]
    cls = getattr(keras.optimizers, CLASSES[name])
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = dict((k[len(prefix):], hp[k]) for k in hp if k.startswith(prefix) and k[len(prefix):] in accepted
                  and k[len(prefix):] not in ("name",))
    if "jit_compile" in accepted:
        kwargs["jit_compile"] = False
    return cls(**kwargs)


def loss(keras, hp: Mapping[str, Any], kind: str):
    """Mean squared error on the predictions or sigmoid cross-entropy on the logits, reduced as the case says."""
    reduction = REDUCTIONS[hp["loss_reduction"]]
    if kind == "mse":
        return keras.losses.MeanSquaredError(reduction=reduction)
    return keras.losses.BinaryCrossentropy(from_logits=True, reduction=reduction)


def variables(impl: str, model) -> Dict[str, Any]:
    """The model's variables by name as this Keras spells them: ``v.path`` in Keras 3, ``v.name`` less ``:0`` in Keras 2."""
    return dict((v.path if impl == "keras3" else v.name.rsplit(":", 1)[0], v) for v in model.weights)


def inputs(frame, strings: List[str], floats: List[str], rows: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """The model's inputs by column, each ``[rows, 1]`` (strings as str, numbers as float32)."""
    out = dict((c, frame[c].astype(str).to_numpy().astype(str)) for c in strings)
    out.update((c, frame[c].to_numpy(np.float64).astype(np.float32)) for c in floats)
    return dict((c, (v if rows is None else v[rows]).reshape(-1, 1)) for c, v in out.items())


def snake(name: str) -> str:
    """``GlorotUniform`` -> ``glorot_uniform``: a Keras initializer's class as TF1 names its op."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def shape(static) -> List[Optional[int]]:
    """A tensor's static shape with its batch dimension left open (the batch size is a setting of its own)."""
    dims = list(static)
    return [None] + [int(d) if d is not None else None for d in dims[1:]]


def crossed_sha256(ids: np.ndarray) -> str:
    return hashlib.sha256(np.asarray(ids, np.int64).astype("<i8").tobytes()).hexdigest()


def fit(job, keras, model, optimizers: Mapping[str, Any], loss_fn, features, probe, compiled: Optional[Callable] = None,
        more: Optional[Dict[str, Any]] = None) -> Trained:
    """Load the shared start by name (when the case has one), compile, predict the probe from the start, fit the plan
    with the weights after the first step and each epoch, predict the probe again; settings read from the live objects.

    ``optimizers`` maps the settings key (``optimizer``, or ``linear_optimizer`` and ``dnn_optimizer``) to each
    optimizer; ``compiled(model, loss_fn)`` replaces the plain ``compile`` of one optimizer.
    """
    live = variables(job.impl, model)
    if job.init is not None:
        for name, value in job.start_for(dict((n, v.numpy()) for n, v in live.items())).items():
            live[name].assign(value)  # the name map is checked first: an unmapped or unused variable is an error
    if compiled is None:
        model.compile(optimizer=list(optimizers.values())[0], loss=loss_fn, jit_compile=False)
    else:
        compiled(model, loss_fn)

    def read():
        return job.canonical(dict((n, v.numpy()) for n, v in variables(job.impl, model).items()))

    start = read()
    at_start = model(probe, training=False)
    forward = np.asarray(at_start, np.float64)[:, 0]
    label = job.dataset.frame[job.case.label].to_numpy(np.float64).astype(np.float32).reshape(-1, 1)
    data = plan_dataset(job.plan, features, label)
    first = {}  # type: Dict[str, Any]
    snapshots = fit_plan(keras, model, job.plan, data, read, first_step=first)
    used = {"loss": settings.loss(loss_fn), "batch_size": job.plan.batch_size,
            "steps": job.plan.epochs * job.plan.batches_per_epoch, "dtype": at_start.dtype.name,
            "label_shape": shape(data.element_spec[1].shape), "logits_shape": shape(at_start.shape)}
    used.update((key, settings.optimizer(opt)) for key, opt in optimizers.items())
    used.update(more or {})
    kernel = next(iter(model.trainable_weights))
    return Trained(snapshots[-1], snapshots, {"device": placed(kernel), "keras": keras.__version__},
                   predictions=np.asarray(model(probe, training=False), np.float64)[:, 0], start=start,
                   steps=int(list(optimizers.values())[-1].iterations.numpy()), settings=used,
                   stages={"forward": forward, "first_step": first["weights"]})


def port_of(job, model, features: Callable[[Any], Any]) -> artifacts.Port:
    """A port for the artifact steps: every weight by the name its name map uses, its probe predictions (logits for
    the classifier, as its ``predictions``) from ``features(probe frame)``."""
    return artifacts.Port(model, variables(job.impl, model), lambda probe: model(features(probe.frame), training=False))


def keep(job, model, build: Callable[[], Any], features: Callable[[Any], Any], optimizers: List[str]) -> None:
    """The TF1 checkpoint into ``build()`` (a fresh model) and ``model``'s weights back to TF1, by the case's name
    maps (a kernel's row slices included); the slots of ``optimizers`` and the step counter stay in the checkpoint."""
    if not store.keeps(job):  # built only where the run keeps artifacts
        return
    unused = {}  # type: Dict[str, str]
    for name in optimizers:
        unused.update(artifacts.STATE[name])
    artifacts.keep(job, port_of(job, model, features), lambda: port_of(job, build(), features),
                   artifacts.names_table(job, unused=unused))

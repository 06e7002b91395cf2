"""TF 1.x Estimators under ``RunConfig(train_distribute=MirroredStrategy)`` on logical CPU devices, checked.

What a distributed TF1 run needs beyond ``legacy_tf1.feeding``:

- a strategy over N distinct CPU devices that really exist in the session (``device_count``); asked
  for N replicas and given fewer, or the same device twice, is an error. With soft placement (the
  Estimator's default) a missing device is silently replaced by CPU:0, so this checks the list;
- an ``input_fn`` whose dataset elements are the *per-replica* batches: the strategy deals whole
  elements to the replicas in turn (element ``j`` to replica ``j % N``), so each plan batch is yielded
  as N consecutive slices and one step trains on exactly one plan batch. It is a
  ``Dataset.from_generator`` (no placeholders: the strategy's iterator initializer runs with no feed);
- an FTRL whose slots can be made on mirrored variables (TF 1.15's ``FtrlOptimizer`` fails under
  any strategy);
- the loss scale as trained, measured at the first step: the loss the summed replica gradients come
  from, over the mean loss of the global batch (1 when TF1's optimizer divides each replica's mean
  by N, as it does for a ``tf.losses`` mean or a hand-made mean);
- every replica's copy of each variable read at the end (they must be equal).
"""

import threading
from typing import Any, Callable, Dict, List, Mapping

import numpy as np

from shared.core.errors import RegistryError
from shared.core.replicas import check as replicas_check
from shared.core.replicas import copies
from shared.core.replicas import loss_scale
from shared.core.replicas import settings as distribute_settings

from legacy_tf1.device import cpu_devices, current
from legacy_tf1.device import session_config as base_session_config

DEVICES = "/device:CPU:%d"


def session_config(replicas: int):
    """A session holding ``replicas`` CPU devices, no soft placement, the run's thread pools."""
    config = base_session_config()
    config.device_count["CPU"] = int(replicas)
    return config


def strategy_for(replicas: int):
    """``None`` for one replica (no strategy), else a ``MirroredStrategy`` over ``replicas`` distinct CPU devices,
    each checked to exist in a session of :func:`session_config`; anything less is a ``DeviceError``."""
    from legacy_tf1.compat import tf
    from tensorflow.python.client import device_lib

    if replicas == 1:
        return None
    asked = [DEVICES % i for i in range(replicas)]
    fix = "run the side with --cpu-devices %d (nox -s distributed does)" % replicas
    strategy = tf.distribute.MirroredStrategy(devices=asked)
    available = [d.name for d in device_lib.list_local_devices(session_config(min(replicas, cpu_devices())))]
    replicas_check(replicas, strategy.num_replicas_in_sync, strategy.extended.worker_devices, available, fix)
    return strategy


def run_config(strategy, replicas: int) -> Dict[str, Any]:
    """The ``RunConfig`` arguments of a distributed run: the strategy, its session, no device function (which
    would pin every op to one device)."""
    if strategy is None:
        return {}
    return {"train_distribute": strategy, "session_config": session_config(replicas), "device_fn": None}


def split_input_fn(features: Mapping[str, np.ndarray], label: np.ndarray, plan, replicas: int) -> Callable:
    """An input_fn yielding each plan batch as ``replicas`` consecutive slices (one per replica, in turn)."""
    from legacy_tf1.compat import tf

    full, tail = plan.blocks()
    if tail is not None or plan.batch_size % replicas:
        raise RegistryError(
            "the plan's batches of %d rows do not split into %d replicas" % (plan.batch_size, replicas),
            expected="a batch size that divides the rows and is a multiple of the replica count",
            found="%d rows, batch %d, %d replicas" % (plan.n_rows, plan.batch_size, replicas),
            fix="choose batch_size and the replica count so that every global batch splits evenly",
        )
    k = plan.batch_size // replicas
    arrays = dict((c, np.asarray(v).astype(str) if np.asarray(v).dtype == object else np.asarray(v))
                  for c, v in features.items())

    def rows():
        for epoch in full:
            for batch in epoch:
                for r in range(replicas):
                    part = batch[r * k:(r + 1) * k]
                    yield dict((c, v[part]) for c, v in arrays.items()), label[part]

    def input_fn():
        types = (dict((c, tf.string if v.dtype.kind == "U" else tf.float32) for c, v in arrays.items()), tf.float32)
        shapes = (dict((c, tf.TensorShape([k] + list(v.shape[1:]))) for c, v in arrays.items()),
                  tf.TensorShape([k] + list(label.shape[1:])))
        return tf.data.Dataset.from_generator(rows, types, shapes).prefetch(2)

    return input_fn


def ftrl(kwargs: Mapping[str, float], mirrored: bool):
    """``tf.train.FtrlOptimizer``; under a strategy a subclass that makes the same slots (``accum`` at the
    initial accumulator value, ``linear`` at zero) the way ``AdagradOptimizer`` does: the stock one wraps slot
    creation in ``colocate_with(v)``, which reads ``v.handle`` of a mirrored variable outside a replica
    context and raises."""
    from legacy_tf1.compat import tf
    from tensorflow.python.ops import init_ops

    if not mirrored:
        return tf.train.FtrlOptimizer(**kwargs)

    class FtrlOptimizer(tf.train.FtrlOptimizer):  # the same optimizer, its slots made mirror-safe
        def _create_slots(self, var_list):
            for v in var_list:
                dtype = v.dtype.base_dtype
                init = init_ops.constant_initializer(self._initial_accumulator_value, dtype=dtype)
                self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype, "accum",
                                                        self._accum_name or self._name)
                self._zeros_slot(v, "linear", self._linear_name or self._name)

    return FtrlOptimizer(**kwargs)


class Replicas(object):
    """What the replicas of one training did: the first step's loss scale and, at the end, every variable copy.

    A model_fn calls :meth:`note` in each replica after building its train op; :meth:`hooks` measure.
    """

    def __init__(self) -> None:
        self.parts = []  # type: List[Tuple[Any, Any, Any, Any]]
        self.loss_scale = None  # type: Optional[float]
        self.copies = {}  # type: Dict[str, List[Tuple[str, np.ndarray]]]

    def note(self, loss, per_example) -> None:
        """This replica's training loss and its per-example losses; the optimizer's own scaling is read here."""
        from legacy_tf1.compat import tf

        graph = tf.get_default_graph()
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        scale = 1.0 / replicas if getattr(graph, "_is_loss_scaled_by_optimizer", False) else 1.0
        flat = tf.reshape(per_example, [-1])
        self.parts.append((graph, loss * scale, tf.reduce_sum(flat), tf.cast(tf.size(flat), tf.float32)))

    def hooks(self) -> List[Any]:
        from legacy_tf1.compat import tf

        owner = self

        class Measure(tf.train.SessionRunHook):
            def begin(self) -> None:
                graph = tf.get_default_graph()
                self.fetch = [p[1:] for p in owner.parts if p[0] is graph]
                self.variables = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
                self.step = 0

            def before_run(self, run_context):
                self.step += 1
                return tf.train.SessionRunArgs(self.fetch) if self.step == 1 and self.fetch else None

            def after_run(self, run_context, run_values) -> None:
                if self.step == 1 and self.fetch:
                    parts = run_values.results
                    owner.loss_scale = loss_scale(parts)

            def end(self, session) -> None:
                copies = [(v.op.name, list(getattr(v, "_values", None) or (v,))) for v in self.variables]
                values = session.run([c for _, cs in copies for c in cs])
                it = iter(values)
                for name, cs in copies:
                    owner.copies[name] = [(c.device, np.asarray(next(it))) for c in cs]

        return [Measure()]

    def info(self, strategy, replicas: int) -> Dict[str, Any]:
        """Strategy, replica count, devices and where each copy lived; copies that differ are a TrainingError."""
        held = copies(list(self.copies.items()), replicas,
                      fix="give the Estimator RunConfig(train_distribute=..., session_config=...) from "
                          "legacy_tf1.distribute.run_config")
        devices = list(strategy.extended.worker_devices) if strategy is not None else [current()]
        name = type(strategy).__name__ if strategy is not None else "none"
        return {"strategy": name[:-2] if name.endswith("V1") else name, "replicas": int(replicas),
                "devices": devices, "copy_devices": held["copy_devices"], "copy_spread": held["copy_spread"],
                "loss_scale": self.loss_scale}


class Run(object):
    """One Estimator training on ``replicas`` replicas as a TF1 team set it up: the strategy (none for one), its
    ``RunConfig`` arguments, the split input_fn, and what the replicas did (:class:`Replicas`).

    A hand-written model_fn calls :meth:`note` after building its train op; a canned Estimator's head is
    watched instead (:meth:`watch`), since its model_fn cannot be edited.
    """

    def __init__(self, replicas: int) -> None:
        self.replicas = int(replicas)
        self.strategy = strategy_for(self.replicas)
        self.seen = Replicas()

    def run_config(self) -> Dict[str, Any]:
        return run_config(self.strategy, self.replicas)

    def input_fn(self, features: Mapping[str, np.ndarray], label: np.ndarray, plan) -> Callable:
        return split_input_fn(features, label, plan, self.replicas)

    def hooks(self) -> List[Any]:
        return self.seen.hooks()

    def note(self, loss, per_example) -> None:
        self.seen.note(loss, per_example)

    def watch(self, head) -> None:
        """Note each replica's training loss and per-example losses as ``head`` (a canned V1 head) builds its train op:
        ``create_loss`` gives the per-example losses, ``create_estimator_spec`` returns after the optimizer scaled."""
        from legacy_tf1.compat import tf

        create_loss, create_spec = head.create_loss, head.create_estimator_spec
        last = {}  # type: Dict[int, Any]  # by thread: the strategy builds each replica in a thread of its own

        def loss(features, mode, logits, labels):
            spec = create_loss(features, mode, logits, labels)
            last[threading.current_thread().ident] = spec.unreduced_loss
            return spec

        def estimator_spec(**kwargs):
            spec = create_spec(**kwargs)
            if kwargs.get("mode") == tf.estimator.ModeKeys.TRAIN:
                self.note(spec.loss, last.pop(threading.current_thread().ident))
            return spec

        head.create_loss, head.create_estimator_spec = loss, estimator_spec

    def info(self) -> Dict[str, Any]:
        return self.seen.info(self.strategy, self.replicas)

    def settings(self, info: Dict[str, Any], global_batch: int) -> Dict[str, Any]:
        """The ``distribute`` block of the effective settings from this run's ``info()``, the loss scale as
        measured at the first step."""
        return distribute_settings(info["strategy"], self.replicas, global_batch, self.seen.loss_scale)

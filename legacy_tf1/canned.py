"""What the canned Estimator cases share on TF 1.15: the shared start as a warm-start checkpoint under the canned
variable names, the optimizers and head the canned ``model_fn`` really builds, and one training run on the plan.

A canned Estimator takes no initializers: the kit's initial weights are written to a checkpoint
keyed by the canned names (``dnn/hiddenlayer_0/kernel``) and the Estimator warm-starts from it;
every variable is then read back when the session starts and must equal the shared start. Its
optimizers are read at the factory the canned model_fns call (``get_optimizer_instance``), wrapped
only while the Estimator runs, and its loss reduction and label/logits shapes from its head. The
trained Estimator keeps its artifacts for TF 2.x (its final checkpoint, saved once when training
ends, a parsing export of its feature columns and its own probe predictions).
"""

import contextlib
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from shared.core.errors import TrainingError
from shared.core.results import Trained
from shared.core.weights import max_abs_change

from legacy_tf1 import artifacts, distribute, settings
from legacy_tf1.device import session_config
from legacy_tf1.feeding import columns_of, estimator_loop, plan_input_fn, predict_from

REDUCTIONS = {"weighted_sum": "sum", "weighted_sum_over_batch_size": "mean"}  # tf.losses.Reduction -> common name
HP_SETTINGS = (("learning_rate", "learning_rate"), ("learning_rate_power", "learning_rate_power"),
               ("initial_accumulator_value", "initial_accumulator_value"), ("l1_regularization_strength", "l1"),
               ("l2_regularization_strength", "l2"), ("l2_shrinkage_regularization_strength", "l2_shrinkage"),
               ("epsilon", "epsilon"), ("beta", "beta"))


def checkpoint_name(name: str) -> str:
    """A graph variable's name as its checkpoint keys it: ``.../kernel/part_0`` -> ``.../kernel`` (one partition)."""
    base, sep, part = name.rpartition("/part_")
    if not sep:
        return name
    if part != "0":
        raise TrainingError("variable %s is split into partitions" % base, expected="one partition per variable",
                            found=name, fix="build the canned Estimator without a partitioner")
    return base


def read(session, graph) -> Dict[str, np.ndarray]:
    """Every trainable variable by its checkpoint name, as the session holds it now."""
    from legacy_tf1.compat import tf

    variables = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
    return dict((checkpoint_name(v.op.name), value) for v, value in zip(variables, session.run(variables)))


def write_start(weights: Mapping[str, np.ndarray], folder: str) -> str:
    """The shared initial weights as a TF1 checkpoint keyed by their canonical (canned) names; returns its prefix."""
    from legacy_tf1.compat import tf

    graph = tf.Graph()
    with graph.as_default():
        variables = dict((name, tf.Variable(np.asarray(value, np.float32), name="start_%d" % i))
                         for i, (name, value) in enumerate(sorted(weights.items())))
        saver = tf.train.Saver(variables)
        with tf.Session(graph=graph, config=session_config()) as session:
            session.run(tf.global_variables_initializer())
            return saver.save(session, os.path.join(folder, "start"))


@contextlib.contextmanager
def built_optimizers() -> Iterator[List[Any]]:
    """Every optimizer the canned model_fns build meanwhile, caught at the factory they call; restored on exit."""
    from tensorflow_estimator.python.estimator.canned import optimizers

    original = optimizers.get_optimizer_instance
    built = []  # type: List[Any]

    def catch(opt, learning_rate=None):
        instance = original(opt, learning_rate=learning_rate)
        built.append(instance)
        return instance

    optimizers.get_optimizer_instance = catch
    try:
        yield built
    finally:
        optimizers.get_optimizer_instance = original


def head_of(estimator):
    """The head object a canned Estimator's model_fn closes over (the one that computes its loss)."""
    for cell in getattr(estimator._model_fn, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "_loss_reduction"):
            return cell.cell_contents
    raise TrainingError("no head found in %s's model_fn" % type(estimator).__name__,
                        expected="a canned Estimator of tensorflow-estimator 1.15", found=repr(estimator._model_fn),
                        fix="this is a bug in legacy_tf1/canned.py for this tensorflow-estimator; report it")


def watch_loss(head, seen: Dict[str, Any]) -> None:
    """Record the logits and labels this head's loss receives (shapes, dtype) in ``seen``."""
    original = head.create_loss

    def create_loss(features, mode, logits, labels):
        seen.update(logits_shape=[None] + logits.shape.as_list()[1:], label_shape=[None] + labels.shape.as_list()[1:],
                    dtype=logits.dtype.name)  # the batch dimension left open: the batch size is a setting of its own
        return original(features, mode, logits, labels)

    head.create_loss = create_loss


def trained_optimizers(built: Sequence[Any]) -> Dict[str, Any]:
    """The optimizers that trained (they hold slots), by the scope of the variables they update (``linear``, ``dnn``)."""
    out = {}  # type: Dict[str, Any]
    for opt in built:
        slots = [v for table in opt._slots.values() for v in table.values()]
        if slots:
            out[slots[0].op.name.split("/")[0]] = opt
    return out


def initializers(graph) -> Dict[str, str]:
    """Each trainable variable's initializer, by checkpoint name, as its initial value's op names it (``zeros``)."""
    from legacy_tf1.compat import tf

    out = {}
    for v in graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES):
        op = v.initial_value.op.name
        out[checkpoint_name(v.op.name)] = op.split("/Initializer/", 1)[1].split("/")[0] if "/Initializer/" in op else op
    return out


def effective(opts: Mapping[str, Any], head, seen: Mapping[str, Any], plan) -> Dict[str, Any]:
    """The settings the Estimator really used: its optimizer(s), loss and reduction, shapes, batch, steps, dtype."""
    name = type(head).__name__
    loss = "mse" if "MeanSquaredError" in name else "logloss" if "SigmoidCrossEntropy" in name else name
    out = {"loss": {"function": loss, "reduction": REDUCTIONS.get(str(head._loss_reduction), str(head._loss_reduction))},
           "batch_size": plan.batch_size, "steps": plan.epochs * plan.batches_per_epoch,
           "dtype": seen.get("dtype"), "label_shape": seen.get("label_shape"), "logits_shape": seen.get("logits_shape")}
    for scope, opt in opts.items():
        out["optimizer" if len(opts) == 1 else scope + "_optimizer"] = settings.optimizer(opt)
    return out


def check_declared(run_key: str, used: Mapping[str, Any], hp: Mapping[str, Any]) -> None:
    """The case's hyperparameters must state what the canned Estimator really did (its defaults): else an error
    naming each setting, since a port made from them would then not be faithful."""
    wrong = []
    for key, live in sorted(used.items()):
        if not key.endswith("optimizer"):
            continue
        prefix = key[:-len("optimizer")]
        declared = {"name": hp.get(prefix + "optimizer")}
        declared.update((common, hp[prefix + k]) for k, common in HP_SETTINGS if prefix + k in hp)
        wrong += ["%s.%s %r (declared %r)" % (key, k, live.get(k), v) for k, v in sorted(declared.items())
                  if not (live.get(k) == v or isinstance(v, (int, float)) and isinstance(live.get(k), float)
                          and np.float32(live[k]) == np.float32(v))]
    if used["loss"]["reduction"] != hp.get("loss_reduction"):
        wrong.append("loss.reduction %r (declared %r)" % (used["loss"]["reduction"], hp.get("loss_reduction")))
    if wrong:
        raise TrainingError(
            "%s: the canned Estimator trained with other settings than the case declares" % run_key,
            expected="the case's hyperparameters = what the canned Estimator builds by default",
            found="; ".join(wrong),
            fix="declare the Estimator's real settings in the case (an --override of them on the tf1 side does not "
                "reach a canned Estimator's defaults)",
        )


def check_start(run_key: str, start: Mapping[str, Any], init: Mapping[str, Any]) -> None:
    """Every variable must hold the shared start when the session starts (the warm start reached all of them)."""
    off = sorted(n for n in init if n not in start or max_abs_change({n: init[n]}, {n: start[n]}) != 0.0)
    extra = sorted(set(start) - set(init))
    if off or extra:
        raise TrainingError(
            "%s did not start from the shared initial weights" % run_key,
            expected="every variable warm-started from the kit's checkpoint, equal to it",
            found="differ or missing: %s; not in the init: %s" % (", ".join(off) or "none", ", ".join(extra) or "none"),
            fix="check WarmStartSettings(vars_to_warm_start=...) and the checkpoint's names",
        )


def train(job, make: Callable[[Any, Any], Any], strings: List[str], floats: List[str], columns: Sequence[Any],
          key: str = "predictions", more: Optional[Dict[str, Any]] = None, replicas: Optional[int] = None) -> Trained:
    """Train the canned Estimator ``make(config, warm_start)`` through the plan, from the shared start when the case
    has one; weights by canonical name per epoch, its own probe predictions at the end and from the start (``key``),
    and its effective settings (``more`` adds some the case measured itself). ``columns`` are the feature columns
    it was built with: its export parses them (``make_parse_example_spec``).

    ``replicas`` trains it as ``legacy_tf1.distribute`` does (``RunConfig(train_distribute=MirroredStrategy)`` over
    that many CPUs, none for 1; each plan batch split between them) and records what the replicas did."""
    from legacy_tf1.compat import tf

    folder = tempfile.mkdtemp(prefix="tfkit-start-")
    seen = {}  # type: Dict[str, Any]
    graphs = []  # type: List[Any]

    class Graph(tf.train.SessionRunHook):
        def begin(self) -> None:
            graphs.append(tf.get_default_graph())

    def build(config):
        warm = None
        if job.init is not None:
            warm = tf.estimator.WarmStartSettings(ckpt_to_initialize_from=write_start(job.init, folder),
                                                  vars_to_warm_start=".*")
        estimator = make(config, warm)
        seen["head"] = head_of(estimator)
        watch_loss(seen["head"], seen)
        if run is not None:
            run.watch(seen["head"])
        return estimator

    if replicas is None:
        run, options = None, {}
        input_fn, feed = plan_input_fn(job.dataset, job.plan, strings, floats, label=job.case.label)
        hooks = [feed]
    else:
        run = distribute.Run(replicas)
        options = {"run_config": run.run_config()}
        label = job.dataset.floats(job.case.label).astype(np.float32).reshape(-1, 1)
        input_fn = run.input_fn(columns_of(job.dataset, strings, floats), label, job.plan)
        hooks = run.hooks()
    probe = columns_of(job.probe_set(), strings, floats)  # also where the case checks artifacts but not predictions

    spec = artifacts.parse_spec(columns=columns)

    def keep(estimator, trajectory):
        final, start = predict_from(estimator, probe, key, [trajectory.snapshots[-1], trajectory.start],
                                    checkpoint_name)  # the model_fn in PREDICT mode, set to the session's weights
        # checkpoint, export and predictions for TF2: the final checkpoint holds the last snapshot's tensors, so its
        # predictions are these
        artifacts.keep(job, estimator, spec, key=key, predicted=lambda prefix: final[:, 0])
        return final[:, 0], start[:, 0]

    try:
        with built_optimizers() as built:
            trajectory, (predictions, forward) = estimator_loop(build, input_fn, job.plan, read, hooks + [Graph()], keep,
                                                                final_checkpoint=artifacts.keeps(job), **options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if job.init is not None:
        check_start(job.run_key, trajectory.start, job.init)
    used = effective(trained_optimizers(built), seen["head"], seen, job.plan)
    if job.init is None:
        used["initializers"] = initializers(graphs[0])  # checkpoint names: the canned cases' canonical ones
    used.update(more or {})
    check_declared(job.run_key, used, job.hp)
    extra = {"device": trajectory.device}  # type: Dict[str, Any]
    if run is not None:
        extra["distribute"] = run.info()
        used["distribute"] = run.settings(extra["distribute"], job.plan.batch_size)
    snapshots = trajectory.snapshots.mapped(job.canonical)
    return Trained(snapshots[-1], snapshots, extra, predictions=predictions,
                   start=job.canonical(trajectory.start), steps=trajectory.global_step, settings=used,
                   stages={"forward": forward, "first_step": job.canonical(trajectory.first_step)})

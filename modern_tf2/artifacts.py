"""TF1 artifacts in TF 2.x: the Estimator's checkpoint restored by name into Keras models, its SavedModel served,
and the TF2-trained weights written back as a TF1 name-based checkpoint (rollback).

``keep`` is the one call a TF2 implementation makes after training, for a case whose TF1 run kept
artifacts: it restores the TF1 checkpoint (``tf.train.load_checkpoint``, every tensor read) into a
freshly built model through a restore table, with a coverage report, and predicts the probe set;
then writes the trained model's weights under their TF1 names with a ``tf.compat.v1.train.Saver``.
``serve`` runs once per case: ``tf.saved_model.load`` of each TF1 export, every signature that
serves the predictions called with serialized ``tf.train.Example``s of the probe set, and Keras 3's
``TFSMLayer`` on the same export.
"""

import contextlib
import logging
import os
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping

import numpy as np

from shared.core import artifacts as store
from shared.core import data, restore
from shared.core.envs import SIDES
from shared.core.errors import ArtifactError
from shared.core.restore import STATE, Table, Target  # noqa: F401 - what an implementation builds its table from


class Port(object):
    """A TF2 model as the artifact steps see it: ``weights`` by the names its restore table uses (every weight of
    ``model``, trainable or not, exactly once) and ``predict(probe)`` on a probe :class:`~shared.core.data.Dataset`."""

    def __init__(self, model, weights: Mapping[str, Any], predict: Callable[[Any], Any]) -> None:
        self.model = model
        self.weights = dict(weights)
        self.predict = predict

    def shapes(self, where: str) -> Dict[str, Any]:
        """``{name: (shape, dtype)}`` of the named weights, after checking they are all of the model's weights."""
        named = dict((id(v), n) for n, v in self.weights.items())
        unnamed = [_label(v) for v in self.model.weights if id(v) not in named]
        if unnamed:
            raise ArtifactError("%s: model weight(s) the port does not name: %s" % (where, ", ".join(unnamed)),
                                expected="every weight of the model in Port(model, weights=...)",
                                found="named: %s" % ", ".join(sorted(self.weights)),
                                fix="name each weight of the model (moving statistics included)")
        import tensorflow as tf

        return dict((n, (tuple(int(d) for d in v.shape), tf.as_dtype(v.dtype).name)) for n, v in self.weights.items())

    def values(self, where: str) -> Dict[str, np.ndarray]:
        self.shapes(where)
        return dict((n, np.asarray(v.numpy())) for n, v in self.weights.items())


def names_table(job, unused: Mapping[str, str]) -> Table:
    """The restore table the case's name maps imply: TF1 variable -> canonical name -> this implementation's
    variable (the names ``Port.weights`` uses), with the checkpoint keys ``unused`` declares left over."""
    side, impl = job.case.reference.split("/", 1)
    tf1_impl = impl if side == "tf1" else job.case.impls["tf1"][0]
    tf1, tf2 = job.case.name_map("tf1", tf1_impl), job.case.name_map(job.side, job.impl)
    if tf1 is None or tf2 is None:
        raise ArtifactError("%s: the case declares no name map for %s" % (job.run_id, "tf1" if tf1 is None else job.side),
                            expected="names={'tf1': {...}, '%s' or '%s/%s': {...}}" % (job.side, job.side, job.impl),
                            found="names for %s" % (", ".join(sorted(job.case.names)) or "nothing"),
                            fix="declare both name maps in the case, or build a Table(...) yourself")
    return Table.from_names(tf1, tf2, unused, where=job.run_id)


def _label(variable) -> str:
    return str(getattr(variable, "path", None) or variable.name)


rows = restore.prediction_rows  # predictions as rows


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """TF's Python log at ERROR for the block: loading a TF1 export warns per reference variable."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_checkpoint(prefix: str) -> Dict[str, np.ndarray]:
    """Every tensor of a name-based checkpoint, read now: a damaged file fails here, naming the keys it lost."""
    import tensorflow as tf

    return store.read_checkpoint(prefix, tf.train.load_checkpoint)


def restore_into(prefix: str, port: Port, table: Table, where: str) -> Dict[str, Any]:
    """Assign a TF1 checkpoint's tensors to ``port``'s weights through ``table``; everything is checked first.

    Never ``tf.train.Checkpoint(model).restore(tf1_prefix)``: on a TF1 checkpoint it falls back to
    matching global variable names, restores nothing into a subclassed or Keras 3 model, and says so
    only to ``assert_consumed()``.
    """
    values = read_checkpoint(prefix)
    assignments, report = restore.plan_restore(table, values, port.shapes(where), where)
    for name, value in assignments.items():
        port.weights[name].assign(value)
    return report


def write_checkpoint(prefix: str, tensors: Mapping[str, np.ndarray]) -> str:
    """``tensors`` as a TF1 name-based checkpoint at ``prefix``: ``tf.compat.v1`` variables saved by a
    ``tf.compat.v1.train.Saver`` whose ``var_list`` keys are the checkpoint keys (relative paths in its state)."""
    import tensorflow as tf

    threads = tf.config.threading.get_intra_op_parallelism_threads()
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
    graph = tf.Graph()
    with graph.as_default():
        variables = dict((key, tf.compat.v1.Variable(value, name="v%d" % i, trainable=False))
                         for i, (key, value) in enumerate(sorted(tensors.items())))
        saver = tf.compat.v1.train.Saver(var_list=variables, save_relative_paths=True)
        with tf.compat.v1.Session(graph=graph, config=config) as session:
            session.run(tf.compat.v1.variables_initializer(list(variables.values())))
            return saver.save(session, prefix, write_meta_graph=False)


def keep(job, trained: Port, build: Callable[[], Port], table: Table) -> None:
    """For a case whose TF1 run kept artifacts: restore the TF1 checkpoint into ``build()`` (a fresh model) and
    predict the probe set; write ``trained``'s weights as a TF1 checkpoint, with its own probe predictions.

    Call it at the end of ``run(job)``. Results land in ``job.artifacts`` (``checkpoint.json``,
    ``rollback/``, ``rollback.json``); a failure is recorded there (the comparison reports it, naming
    the key or file) and never fails the training run.
    """
    if not store.keeps(job):  # the benchmark, or a case that checks no artifacts
        return
    sources = store.tf1_sources(job.results, SIDES["tf1"].home_env, job.case)
    if not sources:
        return
    with store.staged(job.artifacts) as tmp:
        restored = {"run_id": job.run_id, "table": table.to_dict(), "sources": {}}  # type: Dict[str, Any]
        for tf1_impl, source in sorted(sources.items()):
            where = "%s <- %s" % (job.run_id, source.get("run_id"))
            if store.unusable(source):
                restored["sources"][tf1_impl] = store.unusable(source)
                continue
            try:
                restored["sources"][tf1_impl] = _restore(source, build, table, job.probe_set(), where)
            except Exception as exc:  # noqa: BLE001 - recorded and reported by the comparison
                restored["sources"][tf1_impl] = {"status": "error", "error": store.error_of(exc)}
                print("%s: checkpoint FAILED: %s: %s" % (where, type(exc).__name__, str(exc).splitlines()[0]))
        store.write_record(os.path.join(tmp, store.RESTORED), restored)
        try:
            record = _rollback(job, trained, table, job.probe_set(), tmp)
        except Exception as exc:  # noqa: BLE001
            record = {"status": "error", "error": store.error_of(exc)}
            print("%s: rollback FAILED: %s: %s" % (job.run_id, type(exc).__name__, str(exc).splitlines()[0]))
        store.write_record(os.path.join(tmp, store.ROLLBACK_RECORD), dict(record, run_id=job.run_id))


def _restore(source: Mapping[str, Any], build: Callable[[], Port], table: Table, probe, where: str) -> Dict[str, Any]:
    t0 = time.perf_counter()
    store.verify(source["folder"], source["files"], "tf1 checkpoint of %s" % source["run_id"], only=store.CHECKPOINT)
    port = build()
    t1 = time.perf_counter()
    report = restore_into(os.path.join(source["folder"], source["checkpoint"]), port, table, where)
    t2 = time.perf_counter()
    predictions = rows(port.predict(probe), probe.n_rows)
    return {"status": "ok", "predictions": predictions, "coverage": report, "source_sha256": source["content_sha256"],
            "probe_sha256": probe.sha256,
            "timings": {"build_s": t1 - t0, "restore_s": t2 - t1, "predict_s": time.perf_counter() - t2,
                        "total_s": time.perf_counter() - t0}}


def _rollback(job, trained: Port, table: Table, probe, tmp: str) -> Dict[str, Any]:
    t0 = time.perf_counter()
    step = job.plan.epochs * job.plan.batches_per_epoch
    tensors, report = restore.plan_rollback(table, trained.values(job.run_id), step, job.run_id)
    name = "model.ckpt-%d" % step
    write_checkpoint(os.path.join(tmp, store.ROLLBACK, name), tensors)
    t1 = time.perf_counter()
    predictions = rows(trained.predict(probe), probe.n_rows)
    files = dict(("%s/%s" % (store.ROLLBACK, k), v) for k, v in store.manifest(os.path.join(tmp, store.ROLLBACK)).items())
    return {"status": "ok", "checkpoint": "%s/%s" % (store.ROLLBACK, name), "files": files, "predictions": predictions,
            "keys": dict((k, {"shape": list(v.shape), "dtype": v.dtype.name}) for k, v in tensors.items()),
            "written": report, "probe_sha256": probe.sha256,
            "timings": {"write_s": t1 - t0, "predict_s": time.perf_counter() - t1, "total_s": time.perf_counter() - t0}}


def serialized(spec: Mapping[str, Mapping[str, Any]], frame):
    """The probe rows as a string tensor of serialized ``tf.train.Example``s with the features of ``spec``."""
    import tensorflow as tf

    return tf.constant(restore.serialized_examples(tf.train, spec, frame))


def decoded(examples) -> List[Any]:
    """What each serialized Example holds: ``{feature: kind}``, or the exception where it does not parse."""
    import tensorflow as tf

    out = []  # type: List[Any]
    for raw in examples.numpy().tolist():
        try:
            example = tf.train.Example.FromString(raw)
            out.append(dict((f, v.WhichOneof("kind")) for f, v in example.features.feature.items()))
        except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError
            out.append(exc)
    return out


def call_signature(signature, name: str, given: Mapping[str, Any], spec: Mapping[str, Mapping[str, Any]]):
    """Call a loaded TF1 serving signature with ``given`` (``{input: value}``), after checking the call against it
    (input names, dtype, shape) and every serialized Example against the export's parse spec."""
    import tensorflow as tf

    _, takes = signature.structured_input_signature
    inputs = dict((n, (s.dtype.name, None if s.shape.rank is None else s.shape.as_list())) for n, s in takes.items())
    tensors = dict((n, tf.convert_to_tensor(v)) for n, v in given.items())
    restore.check_call(name, inputs, dict((n, (t.dtype.name, t.shape.as_list())) for n, t in tensors.items()))
    for n, t in tensors.items():
        if t.dtype == tf.string:
            restore.check_examples(name, n, decoded(t), spec)
    return signature(**tensors)


def serve(root: str, env: str, case, log: Callable[[str], None] = print) -> None:
    """Serve each TF1 export of ``case`` in TF 2.x (signatures and Keras 3 ``TFSMLayer``); records per TF1 impl."""
    sources = store.tf1_sources(root, SIDES["tf1"].home_env, case)
    if not sources:
        return
    try:
        probe, unreadable = data.load_probe(root, case), None  # once for every TF1 export of the case
    except Exception as exc:  # noqa: BLE001 - recorded for each export below
        probe, unreadable = None, exc
    with store.staged(os.path.join(store.case_dir(root, env, case.name), store.SAVEDMODEL)) as tmp:
        for tf1_impl, source in sorted(sources.items()):
            record = {"run_id": source.get("run_id"), "calls": {}, "source_sha256": source.get("content_sha256")}
            if source.get("status") == "ok":
                try:
                    if unreadable is not None:
                        raise unreadable
                    record["calls"] = _serve(source, probe, "%s/%s" % (env, case.name))
                    record.update(status="ok", probe_sha256=probe.sha256)
                except Exception as exc:  # noqa: BLE001 - recorded and reported by the comparison
                    record.update(status="error", error=store.error_of(exc))
            else:
                record.update(store.unusable(source))
            for call, result in sorted(record["calls"].items()):
                if result.get("status") == "error":
                    log("%s/%s %s: savedmodel FAILED: %s" % (env, case.name, call, result["error"]["message"].splitlines()[0]))
            if record.get("status") == "error":
                log("%s/%s: savedmodel FAILED: %s" % (env, case.name, record["error"]["message"].splitlines()[0]))
            store.write_record(os.path.join(tmp, tf1_impl + ".json"), record)


def _serve(source: Mapping[str, Any], probe, where: str) -> Dict[str, Dict[str, Any]]:
    import tensorflow as tf

    export = os.path.join(source["folder"], source["savedmodel"])
    store.verify(source["folder"], source["files"], "tf1 export of %s" % source["run_id"], only=source["savedmodel"])
    spec = source["parse_spec"]
    examples = serialized(spec, probe.frame)
    t0 = time.perf_counter()
    with quiet():
        loaded = tf.saved_model.load(export)
    load_s = time.perf_counter() - t0
    calls = {}  # type: Dict[str, Dict[str, Any]]
    for key, info in sorted(source["signatures"].items()):
        if info.get("serves") is None:
            continue  # a signature of other outputs (class scores, say): nothing of the probe predictions to compare
        t0 = time.perf_counter()
        try:
            if key not in loaded.signatures:
                raise ArtifactError("%s: the loaded export has no signature %r" % (where, key),
                                    expected="the signatures TF1 exported (%s)" % ", ".join(sorted(source["signatures"])),
                                    found=", ".join(sorted(loaded.signatures)), fix="export again (nox -s tf1)")
            (name,) = sorted(info["inputs"])
            out = call_signature(loaded.signatures[key], key, {name: examples}, spec)
            calls["signature:%s" % key] = {"status": "ok", "predictions": rows(out[info["serves"]].numpy(), probe.n_rows),
                                           "input": name, "output": info["serves"],
                                           "timings": {"call_s": time.perf_counter() - t0, "load_s": load_s}}
        except Exception as exc:  # noqa: BLE001
            calls["signature:%s" % key] = {"status": "error", "error": store.error_of(exc)}
    endpoint = source.get("endpoint")
    t0 = time.perf_counter()
    try:
        import keras

        if not keras.__version__.startswith("3."):
            calls["TFSMLayer:%s" % endpoint] = {"status": "skipped", "why": "Keras %s has no TFSMLayer" % keras.__version__}
            return calls
        with quiet():
            layer = keras.layers.TFSMLayer(export, call_endpoint=endpoint)  # Keras 3 refuses TF1 exports in load_model
        out = layer(examples)
        served = source["signatures"][endpoint]["serves"]
        calls["TFSMLayer:%s" % endpoint] = {"status": "ok", "predictions": rows(np.asarray(out[served]), probe.n_rows),
                                           "output": served, "keras": keras.__version__,
                                           "timings": {"total_s": time.perf_counter() - t0}}
    except Exception as exc:  # noqa: BLE001
        calls["TFSMLayer:%s" % endpoint] = {"status": "error", "error": store.error_of(exc)}
    return calls

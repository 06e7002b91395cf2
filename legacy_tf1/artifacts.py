"""A TF 1.x Estimator's trained artifacts kept for TF 2.x, and TF 2.x weights restored by TF 1.15 (rollback).

``keep`` is the one call an Estimator implementation makes, from ``estimator_loop``'s ``keep``
callback (``checkpoints=True``): it keeps the final checkpoint, a SavedModel exported with a
parsing serving input receiver and the Estimator's own predictions on the probe set under
``job.artifacts``, with a SHA-256 per file. ``python -m legacy_tf1.artifacts`` runs after the TF2
side: it loads each TF2 model's weights, written as a TF1 name-based checkpoint, with a
``tf.train.Saver`` into the graph of that export (the Estimator's own PREDICT graph behind its
parsing receiver) and predicts the probe set from them.
"""

import os
import shutil
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional

import numpy as np

from shared.core import artifacts as store
from shared.core import restore
from shared.core.errors import ArtifactError, KitError

from legacy_tf1.device import session_config
from legacy_tf1.feeding import predict

SERVE = "serve"


def parse_spec(columns: Iterable[Any] = (), floats: Iterable[str] = (), strings: Iterable[str] = (),
               ints: Iterable[str] = ()) -> Dict[str, Any]:
    """The parse spec of the export: the feature columns' own, plus the raw features a model_fn reads itself
    (one value per example each: ``features["u1"]`` of a float, say)."""
    from legacy_tf1.compat import tf

    spec = dict(tf.feature_column.make_parse_example_spec(list(columns))) if columns else {}
    for names, dtype in ((floats, tf.float32), (strings, tf.string), (ints, tf.int64)):
        for name in names:
            spec[name] = tf.io.FixedLenFeature([], dtype)
    return spec


def spec_json(spec: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """A parse spec as data, for the manifest and the other side."""
    from legacy_tf1.compat import tf

    out = {}
    for name, feature in spec.items():
        if isinstance(feature, tf.io.VarLenFeature):
            out[name] = ("var_len", tf.as_dtype(feature.dtype).name, [])
        elif isinstance(feature, tf.io.FixedLenFeature):
            out[name] = ("fixed_len", tf.as_dtype(feature.dtype).name, list(feature.shape))
        else:
            raise ArtifactError("feature %r is parsed as %s" % (name, type(feature).__name__),
                                expected="VarLenFeature or FixedLenFeature", found=type(feature).__name__,
                                fix="export with feature columns that parse to those (categorical, numeric)")
    return restore.spec_to_json(out)


def serialized(spec: Dict[str, Dict[str, Any]], frame) -> List[bytes]:
    """Each row of ``frame`` as a serialized ``tf.train.Example`` with the features of ``spec``."""
    from legacy_tf1.compat import tf

    return restore.serialized_examples(tf.train, spec, frame)


def _probe_input_fn(probe, spec: Dict[str, Dict[str, Any]]):
    """An input_fn of the probe set's features as the model_fn reads them in training (dense, one batch)."""
    from legacy_tf1.compat import tf

    arrays = {}
    for name, entry in sorted(spec.items()):
        if entry["dtype"] == "string":
            arrays[name] = np.asarray(probe.strings(name), dtype=object)
        elif entry["dtype"] == "float32":
            arrays[name] = probe.floats(name)
        else:
            arrays[name] = probe.frame[name].to_numpy(np.int64)

    def input_fn():
        return tf.data.Dataset.from_tensors(dict((n, tf.constant(v)) for n, v in arrays.items()))

    return input_fn


flat = restore.prediction_rows  # predictions as rows


def signatures(export: str, key: str) -> Dict[str, Dict[str, Any]]:
    """The serving signatures of an export, read from its ``saved_model.pb``; ``serves`` names the output that is
    the tensor of prediction ``key`` (None where a signature serves other outputs, e.g. class scores)."""
    from legacy_tf1.compat import tf
    from tensorflow.core.protobuf import saved_model_pb2

    meta = _meta_graph(export, saved_model_pb2)

    def info(m, tensors):
        return dict((n, dict({"dtype": tf.as_dtype(t.dtype).name,
                              "shape": None if t.tensor_shape.unknown_rank else [d.size for d in t.tensor_shape.dim]},
                             **({"tensor": t.name} if tensors else {}))) for n, t in sorted(m.items()))

    found = [s.outputs[key].name for s in meta.signature_def.values() if key in s.outputs]
    if not found:
        raise ArtifactError("the export serves no output %r" % key,
                            expected="a signature with the prediction the probe set is compared on",
                            found=", ".join("%s: %s" % (k, sorted(s.outputs)) for k, s in sorted(meta.signature_def.items())),
                            fix="pass keep(..., key=) the predictions key the model_fn returns")
    out = {}
    for name, sig in sorted(meta.signature_def.items()):
        serves = [n for n, t in sorted(sig.outputs.items()) if t.name == found[0]]
        out[name] = {"method": sig.method_name, "inputs": info(sig.inputs, False), "outputs": info(sig.outputs, True),
                     "serves": serves[0] if serves else None}
    return out


def _meta_graph(export: str, saved_model_pb2):
    model = saved_model_pb2.SavedModel()
    with open(os.path.join(export, "saved_model.pb"), "rb") as handle:
        model.ParseFromString(handle.read())
    for meta in model.meta_graphs:
        if SERVE in meta.meta_info_def.tags:
            return meta
    raise ArtifactError("export %s has no %r graph" % (export, SERVE), expected="a SavedModel tagged 'serve'",
                        found="tags %s" % [list(m.meta_info_def.tags) for m in model.meta_graphs],
                        fix="export with Estimator.export_saved_model")


keeps = store.keeps  # whether a run keeps artifacts (the Estimator loops ask it before saving a final checkpoint)


def keep(job, estimator, spec: Dict[str, Any], key: str = "predictions",
         predicted: Optional[Callable[[str], np.ndarray]] = None) -> Optional[np.ndarray]:
    """Keep the Estimator's final checkpoint, a parsing SavedModel and its probe predictions under ``job.artifacts``.

    Call it in ``estimator_loop``'s ``keep`` callback (``checkpoints=True``, before the model_dir goes)
    with the parse spec of the features (:func:`parse_spec`) and the key of the predictions dict to
    compare. The probe predictions come from ``Estimator.predict`` on the final checkpoint, or from
    ``predicted(checkpoint prefix)`` where the caller computes them itself from that checkpoint's
    tensors (the canned cases: their model_fn in PREDICT mode, in the predict graph they already
    built). Returns the probe predictions; when keeping fails the manifest records why (the comparison
    reports it) and None is returned: training itself is not failed by it.
    """
    from legacy_tf1.compat import tf

    if not keeps(job):
        return None
    t0 = time.perf_counter()
    folder = job.artifacts
    head = {"env": job.env, "case": job.case.name, "impl": job.impl, "run_id": job.run_id,
            "tensorflow": tf.__version__, "key": key}
    try:
        probe = job.probe_set()
        with store.staged(folder) as tmp:
            record = _keep(job, estimator, spec, key, probe, tmp, predicted)
            values = record.pop("values")
            record.update(head, status="ok")
            record["timings"]["total_s"] = time.perf_counter() - t0
            store.write_record(os.path.join(tmp, store.MANIFEST), record)
        return np.asarray(values)
    except Exception as exc:  # noqa: BLE001 - recorded: the comparison names it, the run's training stands
        with store.staged(folder) as tmp:
            store.write_record(os.path.join(tmp, store.MANIFEST), dict(head, status="error", error=store.error_of(exc)))
        print("%s: artifacts FAILED: %s: %s" % (job.run_id, type(exc).__name__, str(exc).splitlines()[0]))
        return None


def _keep(job, estimator, spec: Dict[str, Any], key: str, probe, tmp: str,
          predicted: Optional[Callable[[str], np.ndarray]] = None) -> Dict[str, Any]:
    from legacy_tf1.compat import tf

    timings = {}
    t0 = time.perf_counter()
    prefix = estimator.latest_checkpoint()
    if not prefix:
        raise ArtifactError("%s: the Estimator saved no checkpoint" % job.run_id,
                            expected="the final checkpoint in the model_dir", found="none",
                            fix="train with estimator_loop(..., keep=..., checkpoints=True)")
    ckpt = os.path.join(tmp, store.CHECKPOINT)
    os.makedirs(ckpt)
    base = os.path.basename(prefix)
    folder = os.path.dirname(prefix)
    for name in sorted(os.listdir(folder)):
        if name == base + ".index" or name.startswith(base + ".data-"):
            shutil.copyfile(os.path.join(folder, name), os.path.join(ckpt, name))
    with open(os.path.join(ckpt, "checkpoint"), "w") as handle:  # relative paths: the folder can move
        handle.write('model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n' % (base, base))
    reader = tf.train.NewCheckpointReader(os.path.join(ckpt, base))
    dtypes = reader.get_variable_to_dtype_map()
    keys = dict((k, {"shape": list(s), "dtype": dtypes[k].name}) for k, s in sorted(reader.get_variable_to_shape_map().items()))
    timings["checkpoint_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    parse = spec_json(spec)
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
    exports = os.path.join(tmp, ".exports")
    export = estimator.export_saved_model(exports, receiver, checkpoint_path=prefix)
    export = export.decode("utf-8") if isinstance(export, bytes) else export
    os.rename(export, os.path.join(tmp, store.SAVEDMODEL))
    shutil.rmtree(exports, ignore_errors=True)
    served = signatures(os.path.join(tmp, store.SAVEDMODEL), key)
    timings["export_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    if predicted is None:
        values = predict(estimator, _probe_input_fn(probe, parse), key, checkpoint=prefix)
    else:
        values = predicted(os.path.join(ckpt, base))  # the kept copy: the tensors TF2 restores
    predictions = flat(values, probe.n_rows)
    store.write_record(os.path.join(tmp, store.PREDICTIONS), {"key": key, "probe_sha256": probe.sha256,
                                                              "predictions": predictions})
    timings["predict_s"] = time.perf_counter() - t0

    files = store.manifest(tmp)
    endpoint = "predict" if served.get("predict", {}).get("serves") == key else next(
        (k for k, s in sorted(served.items()) if s["serves"] == key), None)
    extra = {"parse_spec": parse, "signatures": served, "key": key, "endpoint": endpoint}
    return dict(extra, values=predictions, timings=timings, files=files, keys=keys, step=int(reader.get_tensor(restore.STEP)) if restore.STEP in keys else None,
                checkpoint="%s/%s" % (store.CHECKPOINT, base), savedmodel=store.SAVEDMODEL,
                data_sha256=job.dataset.sha256, probe_sha256=probe.sha256, spec_sha256=job.case.spec_sha256(),
                plan_sha256=job.plan.sha256(), content_sha256=store.content_sha256(files, extra))


# ---------------------------------------------------------------------------------------------- rollback


def read_checkpoint(prefix: str) -> Dict[str, np.ndarray]:
    """Every tensor of a name-based checkpoint, read now: a damaged file fails here, naming the keys it lost."""
    from legacy_tf1.compat import tf

    return store.read_checkpoint(prefix, tf.train.NewCheckpointReader)


def checkpoint_variables(variables) -> Dict[str, Any]:
    """``{checkpoint key: (shape, dtype)}`` of the variables a graph's Saver restores: a partitioned variable (a canned
    Estimator's ``dnn/hiddenlayer_0/kernel/part_0``) by the full name and shape its slices are saved under."""
    out = {}  # type: Dict[str, Any]
    for v in variables:
        info = getattr(v, "_save_slice_info", None)
        if info is not None:
            out[info.full_name] = (list(info.full_shape), v.dtype.base_dtype.name)
        else:
            out[v.op.name] = (v.shape.as_list(), v.dtype.base_dtype.name)
    return out


class Graph(object):
    """The graph of a TF1 export (``source``: its manifest), imported once, with its own ``tf.train.Saver`` and a
    session: each rollback checkpoint is restored into it in turn and predicts the probe set."""

    def __init__(self, source: Dict[str, Any], probe) -> None:
        from legacy_tf1.compat import tf
        from tensorflow.core.protobuf import saved_model_pb2

        t0 = time.perf_counter()
        store.verify(source["folder"], source["files"], "tf1 export of %s" % source["run_id"], only=source["savedmodel"])
        self.source = source
        self.probe = probe
        meta = _meta_graph(os.path.join(source["folder"], source["savedmodel"]), saved_model_pb2)
        self.endpoint = source["endpoint"]
        signature = meta.signature_def[self.endpoint]
        (name,) = list(signature.inputs)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.saver = tf.train.import_meta_graph(meta, clear_devices=True)
            self.variables = checkpoint_variables(tf.global_variables())
            self.init = (tf.get_collection("saved_model_main_op") or [tf.tables_initializer()])[0]
        self.output = signature.outputs[source["signatures"][self.endpoint]["serves"]].name
        self.feed = {signature.inputs[name].name: serialized(source["parse_spec"], probe.frame)}
        self.session = tf.Session(graph=self.graph, config=session_config())
        self.ready = False
        self.build_s = time.perf_counter() - t0

    def roll_back(self, record: Dict[str, Any], folder: str, where: str) -> Dict[str, Any]:
        """Restore a TF2 model's weights (``record``: its rollback.json, in ``folder``) and predict the probe set."""
        t0 = time.perf_counter()
        store.verify(folder, record["files"], "rollback checkpoint of %s" % record["run_id"], only=store.ROLLBACK)
        prefix = os.path.join(folder, record["checkpoint"])
        values = read_checkpoint(prefix)
        restore.preflight(self.variables, dict((k, (list(v.shape), v.dtype.name)) for k, v in values.items()), where)
        self.saver.restore(self.session, prefix)
        timings = {}
        if not self.ready:
            self.session.run(self.init)
            self.ready = True
            timings["graph_s"] = self.build_s  # the export's graph is imported once, for every model restored into it
        out = self.session.run(self.output, self.feed)
        timings["total_s"] = time.perf_counter() - t0
        return {"status": "ok", "predictions": flat(out, self.probe.n_rows), "restored": sorted(self.variables),
                "endpoint": self.endpoint, "source_sha256": self.source["content_sha256"], "timings": timings}

    def close(self) -> None:
        self.session.close()


def _pending(root: str, env: str, cases) -> List[Any]:
    """``(case, tf2 env, tf2 impl, folder, record)`` of every TF2 model that wrote its weights as a TF1 checkpoint."""
    from shared.core.envs import side_of_env

    out = []
    base = os.path.join(root, store.ARTIFACTS)
    envs = sorted(e for e in (os.listdir(base) if os.path.isdir(base) else []) if side_of_env(e) == "tf2")
    for case in cases:
        for tf2 in envs:
            for impl in case.impls.get("tf2", ()):
                folder = store.impl_dir(root, tf2, case.name, impl)
                path = os.path.join(folder, store.ROLLBACK_RECORD)
                if os.path.isfile(path):
                    out.append((case, tf2, impl, folder, path))
    return out


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m legacy_tf1.artifacts``: TF 1.15 restores every TF2 model's rollback checkpoint and predicts.

    Takes the side's options (``--results``, ``--cases``, ``--cases-from``, ``--threads``, ...); imports
    TensorFlow only when there is something to restore. 0: every restore matched its graph, 1: some
    failed (recorded, and reported by the comparison), 2: nothing could run.
    """
    from shared.core import writelock
    from shared.core.registry import select, use_folders
    from shared.core.results import results_root
    from shared.core.runner import parser

    args = parser("tf1").parse_args(argv)
    root = results_root(args.results)
    try:
        use_folders(args.cases_from)
        cases = select(args.cases)
        with writelock.hold(root, wait=not args.no_wait, command=" ".join(["python -m legacy_tf1.artifacts"] + list(
                argv or []))):
            return _roll_back_all(args, root, cases)
    except KitError as exc:
        print("error: %s" % exc)
        return 2


def _roll_back_all(args, root: str, cases) -> int:
    """What ``main`` does while it holds the results folder: clear, then restore every pending TF2 model."""
    from shared.core import data

    from legacy_tf1.device import setup

    for case in cases:
        store.remove(os.path.join(store.case_dir(root, args.env, case.name), store.ROLLBACK))
    pending = _pending(root, args.env, cases)
    if not pending:
        return 0
    t0 = time.perf_counter()
    setup("cpu", args.threads, args.tf_log)
    failed = 0
    graphs, sources_of = {}, {}  # type: Dict[Any, Any], Dict[str, Dict[str, Any]]
    for case, tf2, impl, folder, path in pending:
        if case.name not in sources_of:  # the TF1 manifests of a case, read once for all its TF2 models
            sources_of[case.name] = store.tf1_sources(root, args.env, case)
        sources = sources_of[case.name]
        record = store.read_record(path)
        result = {"case": case.name, "tf2": "%s/%s/%s" % (tf2, case.name, impl),
                  "record_sha256": store.sha256_file(path), "sources": {}}
        for tf1_impl, source in sorted(sources.items()):
            where = "%s/%s/%s <- %s" % (args.env, case.name, tf1_impl, result["tf2"])
            unusable = store.unusable(source)
            if unusable is not None and unusable["status"] == "error":  # a damaged manifest
                failed += 1
                result["sources"][tf1_impl] = unusable
                print("%s: rollback FAILED: %s" % (where, source["error"]["message"].splitlines()[0]))
                continue
            if source.get("status") != "ok" or record.get("status") != "ok":
                result["sources"][tf1_impl] = {"status": "skipped", "why": "no artifacts to restore from (%s)" % (
                    "tf1 kept none" if source.get("status") != "ok" else "tf2 wrote none")}
                continue
            try:
                if (case.name, tf1_impl) not in graphs:
                    graphs[(case.name, tf1_impl)] = Graph(source, data.load_probe(root, case))
                result["sources"][tf1_impl] = graphs[(case.name, tf1_impl)].roll_back(record, folder, where)
            except Exception as exc:  # noqa: BLE001 - recorded and reported; the other restores still run
                failed += 1
                result["sources"][tf1_impl] = {"status": "error", "error": store.error_of(exc)}
                print("%s: rollback FAILED: %s: %s" % (where, type(exc).__name__, str(exc).splitlines()[0]))
        store.write_record(os.path.join(store.case_dir(root, args.env, case.name), store.ROLLBACK, tf2, impl + ".json"),
                           result)
    for graph in graphs.values():
        graph.close()
    print("%s: TF 1.15 restored %d TF2 model(s) from TF1 checkpoints in %.2fs%s" % (
        args.env, len(pending), time.perf_counter() - t0, ", %d failed" % failed if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    from shared.core.runner import exit_now

    exit_now(main(sys.argv[1:]))

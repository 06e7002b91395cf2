"""TF 2.x ``tf.distribute`` on logical CPU devices and on worker processes, checked and recorded.

- :func:`strategy_for` gives the default strategy for one replica, else a ``MirroredStrategy`` over N
  distinct logical CPUs (the side splits the host CPU with ``--cpu-devices N``); asked for N replicas
  and given fewer, or the same device twice, is an error. ``MirroredStrategy(devices=[cpu:0, cpu:1])``
  on an unsplit CPU reports 2 replicas and puts both copies on CPU:0, so the devices are checked;
- :func:`trained_under` runs any training function inside a strategy's scope and records every
  variable it created with the device of each copy (the copies must be equal at the end);
- :func:`multiworker` trains one implementation as N ``MultiWorkerMirroredStrategy`` worker processes
  on 127.0.0.1 started by ``shared.core.launcher`` (bounded in time, none left behind), each running
  ``python -m modern_tf2.distribute --job FILE`` (:func:`worker_main`), and checks that the workers
  ended with the same weights.

A ``tf.data`` dataset of the plan's whole batches goes to ``experimental_distribute_dataset`` (or to
Keras ``fit``) unchanged: the strategy cuts each global batch into consecutive per-replica slices
(across workers too: with auto-sharding each worker keeps its own slice).
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np

from shared.core import atomic, launcher
from shared.core.errors import DeviceError, TrainingError
from shared.core.replicas import check as replicas_check
from shared.core.replicas import copies, device_key
from shared.core.results import Trained
from shared.core.weights import as_arrays, to_json

from modern_tf2.device import cpu_devices, current

DEVICES = "/device:CPU:%d"
TIMEOUT_S = 300.0  # bound of one multi-worker run, start-up included (the launcher stops it after this)
COLLECTIVE_TIMEOUT_S = 120.0  # a worker waiting on a peer that is gone gives up after this


_MIRRORED = {}  # type: Dict[int, Any]


def strategy_for(replicas: int):
    """The default strategy for one replica, else a ``MirroredStrategy`` over ``replicas`` distinct logical CPUs.

    One strategy per replica count per process, made once: a second ``MirroredStrategy`` starts its
    collective instance keys where the first did, and its all-reduces then meet the first one's
    shapes ("Shape mismatch in the collective instance 100", which aborts every later collective).
    """
    import tensorflow as tf

    if replicas == 1:
        return tf.distribute.get_strategy()
    if replicas in _MIRRORED:
        return _MIRRORED[replicas]
    strategy = tf.distribute.MirroredStrategy(devices=[DEVICES % i for i in range(replicas)])
    available = [d.name for d in tf.config.list_logical_devices("CPU")]
    replicas_check(replicas, strategy.num_replicas_in_sync, strategy.extended.worker_devices, available,
                   "run the side with --cpu-devices %d (nox -s distributed does; this run has %d)" % (
                       replicas, cpu_devices()))
    _MIRRORED[replicas] = strategy
    return strategy


def multiworker_strategy(workers: int):
    """``MultiWorkerMirroredStrategy`` from this worker's ``TF_CONFIG``: one CPU replica per worker, checked."""
    import tensorflow as tf

    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING, timeout_seconds=COLLECTIVE_TIMEOUT_S)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    local = list(strategy.extended.worker_devices)  # this worker's: /job:worker/replica:0/task:<i>/device:CPU:0
    available = [d.name for d in tf.config.list_logical_devices("CPU")]  # the cluster's
    replicas_check(1, len(local), local, available, "give each worker one CPU device (no --cpu-devices in a worker)")
    if strategy.num_replicas_in_sync != workers:
        raise DeviceError("asked for %d replicas (one per worker), the strategy has %d" % (
            workers, strategy.num_replicas_in_sync), expected="%d workers in TF_CONFIG, one CPU each" % workers,
            found="num_replicas_in_sync %d" % strategy.num_replicas_in_sync, fix="start the workers with the launcher")
    return strategy


API_NAMES = {"CollectiveAllReduceStrategy": "MultiWorkerMirroredStrategy"}  # class name -> tf.distribute name


def name_of(strategy) -> str:
    """The strategy as ``tf.distribute`` calls it; ``none`` for the default strategy (no distribution)."""
    name = type(strategy).__name__
    return "none" if name.startswith("_Default") else API_NAMES.get(name, name)


def local_devices(strategy) -> List[str]:
    """This process's replica devices (the default strategy: the pinned device)."""
    try:
        return list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy has none
        return [current()]


@contextlib.contextmanager
def capture() -> Iterator[List[Any]]:
    """Every variable created inside, as the strategy in scope made it (mirrored where it mirrors)."""
    import tensorflow as tf

    created = []  # type: List[Any]

    def creator(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append(variable)
        return variable

    with tf.variable_creator_scope(creator):
        yield created


def copies_of(strategy, variables: Sequence[Any], replicas: int) -> Dict[str, Any]:
    """Where each trainable variable's replica copies live, checked: as many copies as local replicas, on distinct
    devices, all equal; a :class:`TrainingError` otherwise. (Metric accumulators are per replica by design.)"""
    weights = [v for v in variables if getattr(v, "trainable", False)]
    held = [(getattr(v, "name", "?"), [(str(getattr(c, "device", "") or current()), np.asarray(c.numpy()))
                                       for c in strategy.experimental_local_results(v)]) for v in weights]
    out = copies(held, replicas, fix="create the model and optimizer inside strategy.scope() on a side split with "
                                     "--cpu-devices")
    return dict(out, variables=len(weights))


def record(trained: Trained, strategy, replicas: int, variables: Sequence[Any], global_batch: int,
           loss_scale: Optional[float] = None, **more: Any) -> Trained:
    """Put the strategy, replica count, devices and copies into ``extra``, and the ``distribute`` settings."""
    from shared.core.replicas import settings

    devices = local_devices(strategy)
    info = {"strategy": name_of(strategy), "replicas": int(replicas), "devices": devices}
    info.update(copies_of(strategy, variables, len(devices)))
    info.update(more)
    trained.extra["distribute"] = info
    trained.settings["distribute"] = settings(info["strategy"], replicas, global_batch, loss_scale)
    return trained


def trained_under(replicas: int, global_batch: int, train: Callable[[], Trained]) -> Trained:
    """``train()`` inside the scope of :func:`strategy_for` ``(replicas)``; the copies of every variable it made
    are checked and recorded with the strategy (the loss scale is not measured: Keras applies its own)."""
    strategy = strategy_for(replicas)
    with strategy.scope(), capture() as created:
        trained = train()
    return record(trained, strategy, replicas, created, global_batch)


# ---------------------------------------------------------------- multi-worker: the parent's end
def _repo() -> str:
    import shared

    return os.path.dirname(os.path.dirname(os.path.abspath(shared.__file__)))


def multiworker(job, target: str, workers: int = 2, timeout: float = TIMEOUT_S) -> Trained:
    """Train ``target`` (``module:function(job, strategy) -> Trained``) as ``workers`` MWMS worker processes."""
    folder = os.path.abspath(job.artifacts)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # an earlier launch's record, logs and results are never read as this one's
        os.remove(os.path.join(folder, name))
    spec = os.path.join(folder, "job.json")
    atomic.write_json(spec, {"root": os.path.abspath(job.results), "case": job.case.name, "impl": job.impl,
                             "folders": [job.case.folder] if job.case.folder else [],
                             "hyperparameters": job.hp, "plan_sha256": job.plan.sha256(), "target": target,
                             "workers": int(workers), "threads": _threads(), "env": job.env})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([_repo()] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("TF_CONFIG", None)  # a stray TF_CONFIG turns MirroredStrategy() into a cluster run
    cmd = [sys.executable, "-m", "shared.core.launcher", "--workers", str(workers), "--timeout", str(timeout),
           "--dir", folder, "--watch-stdin", "--", sys.executable, "-m", "modern_tf2.distribute", "--job", spec]
    t0 = time.perf_counter()
    with open(os.path.join(folder, "launcher.log"), "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=_repo())
    try:
        code = proc.wait(timeout=timeout + 30.0)
    except BaseException:  # past its own bound, or this process is interrupted: the launcher stops every worker
        proc.terminate()
        try:
            proc.wait(timeout=15.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        proc.stdin.close()  # EOF: a launcher still running stops every worker
    launch = _read(os.path.join(folder, "launch.json"))
    launch["wall_s"] = launch.get("wall_s", time.perf_counter() - t0)
    if code != 0:
        raise TrainingError(
            "the %d-worker run of %s did not finish" % (workers, job.run_key),
            expected="every worker exits 0 within %g s" % timeout,
            found="launcher exit status %s, outcome %s, worker exit codes %s; %s" % (
                code, launch.get("outcome"), launch.get("exit_codes"), _tails(folder, workers)),
            fix="read the worker logs in %s" % folder,
        )
    return _merge(job, [_read(launcher.worker_result(i, folder)) for i in range(workers)], launch)


def _threads() -> int:
    import tensorflow as tf

    return int(tf.config.threading.get_intra_op_parallelism_threads())


def _read(path: str) -> Dict[str, Any]:
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _tails(folder: str, workers: int) -> str:
    out = []
    for i in range(workers):
        try:
            with open(os.path.join(folder, "worker%d.log" % i), "rb") as handle:
                lines = handle.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            lines = ["(no log)"]
        out.append("worker %d: %s" % (i, " | ".join(lines[-3:])))
    return "; ".join(out)


def _merge(job, results: List[Dict[str, Any]], launch: Dict[str, Any]) -> Trained:
    """The workers' results as one: worker 0's, after checking that every worker ended with the same weights."""
    if not all(r.get("weights") for r in results):
        raise TrainingError("a worker of %s wrote no result" % job.run_key, expected="worker<i>.json from every worker",
                            found="results from %d of %d" % (sum(1 for r in results if r.get("weights")), len(results)),
                            fix="read the worker logs in %s" % job.artifacts)
    first = as_arrays(results[0]["weights"])
    for i, other in enumerate(results[1:], 1):
        theirs = as_arrays(other["weights"])
        worst = max(float(np.max(np.abs(first[n] - theirs[n]))) for n in first) if set(first) == set(theirs) else None
        if worst != 0.0:
            raise TrainingError("the workers of %s ended with different weights" % job.run_key,
                                expected="worker 0 and worker %d identical (one mirrored model)" % i,
                                found="max |difference| %s" % worst, fix="this is a bug in the multi-worker setup")
    tasks = [r["extra"]["distribute"]["task"] for r in results]
    devices = [device_key(d) for r in results for d in r["extra"]["distribute"]["devices"]]  # worker:<i>/CPU:0
    if len(set(devices)) != len(results):
        raise DeviceError("asked for %d workers of one replica each, found %s" % (len(results), ", ".join(devices)),
                          expected="%d distinct (task, device) replicas" % len(results), found=", ".join(devices),
                          fix="start the workers with the launcher, one TF_CONFIG task each")
    r = results[0]
    trained = Trained(first, r["snapshots"], dict(r["extra"]), predictions=r.get("predictions"), start=r.get("start"),
                      steps=r.get("steps"), settings=r.get("settings"), stages=r.get("stages"))
    info = trained.extra["distribute"]
    info.update(devices=devices, workers=[{"task": t, "pid": w.get("pid")} for t, w in
                                          zip(tasks, launch.get("workers", []))],
                launch=dict((k, launch.get(k)) for k in ("ports", "cluster", "netns", "outcome", "exit_codes", "wall_s",
                                                         "timeout_s")))
    return trained


# ---------------------------------------------------------------- multi-worker: one worker
def _as_dict(trained: Trained) -> Dict[str, Any]:
    points = trained.stage_points()  # the start (when there is one) and the stages, in JSON form
    return {"weights": trained.coefficients, "snapshots": [to_json(s) for s in trained.snapshots],
            "start": points.pop("start", None), "steps": trained.steps, "settings": trained.settings, "stages": points,
            "extra": trained.extra, "pid": os.getpid(),
            "predictions": trained.predictions.tolist() if trained.predictions is not None else None}


def worker_main(argv: Sequence[str]) -> None:
    """One worker: rebuild the job from the results folder, join the cluster, train, write the result, wait for
    the peers, leave without TensorFlow's teardown (it can block on a peer that is gone)."""
    import argparse
    import importlib
    import traceback

    launcher.watch_launcher()
    parser = argparse.ArgumentParser(prog="python -m modern_tf2.distribute",
                                     description="One worker of a multi-worker run (started by shared.core.launcher).")
    parser.add_argument("--job", required=True, help="the job.json the parent wrote")
    spec = _read(parser.parse_args(argv).job)
    try:
        from shared.core.registry import get_case, use_folders
        from shared.core.runner import Job, case_data, with_overrides

        from modern_tf2.device import setup

        setup("cpu", int(spec["threads"]))
        use_folders(spec["folders"])
        case = with_overrides(get_case(spec["case"]), spec["hyperparameters"])  # the case as the parent trains it
        root = spec["root"]
        dataset, plan, probe, init = case_data(root, case)
        if plan.sha256() != spec["plan_sha256"]:
            raise TrainingError("worker plan differs from the parent's", expected=spec["plan_sha256"][:12],
                                found=plan.sha256()[:12], fix="run the workers on the parent's results folder")
        job = Job("tf2", spec["impl"], case, dataset, plan, probe, init, os.environ.get(launcher.DIR_ENV), spec["env"],
                  root)
        task = json.loads(os.environ["TF_CONFIG"])["task"]
        strategy = multiworker_strategy(int(spec["workers"]))
        print("worker %d: strategy up, %d replicas in sync, pid %d" % (task["index"], strategy.num_replicas_in_sync,
                                                                      os.getpid()), flush=True)
        module, function = spec["target"].split(":")
        trained = getattr(importlib.import_module(module), function)(job, strategy)
        trained.extra.setdefault("distribute", {})["task"] = task
        atomic.write_json(launcher.worker_result(task["index"]), _as_dict(trained))
        ok = launcher.peers_done(task["index"], int(spec["workers"]))
    except BaseException:  # noqa: BLE001 - reported in the worker's log, then a plain exit
        traceback.print_exc()
        ok = False
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    from modern_tf2 import distribute  # the module proper, not this __main__ copy

    distribute.worker_main(sys.argv[1:])

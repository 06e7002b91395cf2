"""Runs every registered case of one side in one interpreter (TensorFlow imported once) and writes results."""

import argparse
import atexit
import copy
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from shared.core import SCHEMA_VERSION, artifacts, data, jobs, models, results, writelock
from shared.core.errors import KitError, RegistryError, TrainingError
from shared.core.fingerprint import base as fingerprint_base
from shared.core.plan import for_case
from shared.core.case import Case
from shared.core import envs
from shared.core.envs import SIDES
from shared.core.registry import select, use_folders
from shared.core.staging import Stage
from shared.core.weights import NameMap, Weights
from shared.core.results import results_root
from shared.core.counts import whole_number
from shared.core.threads import DEFAULT_THREADS, default_threads, threads_arg


def parser(side: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m %s" % SIDES[side].package,
                                description="Train every registered case on the %s side and write results." % side)
    p.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    p.add_argument("--env", default=side, help="name of this environment in results/runs/ (default: %s)" % side)
    p.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
    p.add_argument("--cases-from", action="append", default=[], metavar="DIR",
                   help="also load the cases declared in DIR/cases.py (repeatable; or $TFKIT_CASES)")
    p.add_argument("--tf-log", action="store_true", help="show TensorFlow's own C++ and Python log (quiet by default)")
    p.add_argument("--impls", nargs="*", default=None, help="implementation names (default: all of each case)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cpu hides GPUs; cuda requires one")
    p.add_argument("--threads", type=threads_arg, default=default_threads(),
                   help="TensorFlow's inter- and intra-op threads (default: $TFKIT_THREADS or %d; 0 = one per core)"
                        % DEFAULT_THREADS)
    p.add_argument("--cpu-devices", type=cpu_devices_arg, default=1, metavar="N",
                   help="logical CPU devices TensorFlow may place replicas on (distributed cases; default 1)")
    p.add_argument("--jobs", type=jobs.jobs_arg, default=jobs.default_jobs(), metavar="N",
                   help="processes that train the cases side by side, each importing TensorFlow once (default: "
                        "$TFKIT_JOBS, or 0: one per core the --threads leave, at most %d and one per case; 1 on "
                        "cuda and with --cpu-devices > 1)" % jobs.MAX_AUTO_JOBS)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # a claims folder: this is a worker of a side
    p.add_argument("--lock", default=None, help="lock file this env was installed from (hash goes into results)")
    p.add_argument("--prepare", action="store_true", help="generate the shared data first when it is missing")
    p.add_argument("--no-wait", action="store_true",
                   help="fail at once when another run is writing the results folder (default: wait for it)")
    p.add_argument("--stand-in-baseline", action="store_true", help=argparse.SUPPRESS)  # for compare, via nox posargs
    p.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                   help="sensitivity check: change one hyperparameter on this side only (recorded in each result)")
    return p


def cpu_devices_arg(text: str) -> int:
    """``--cpu-devices``: a whole number >= 1."""
    return whole_number(text, 1, "a whole number >= 1 (logical CPU devices)")


def parse_overrides(items: Sequence[str], case: Case) -> Dict[str, Any]:
    """``KEY=VALUE`` pairs (VALUE as JSON when it parses, else a string) for keys the case has."""
    out = {}  # type: Dict[str, Any]
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in case.hyperparameters:
            raise RegistryError(
                "bad --override %r for case %r" % (item, case.name),
                expected="KEY=VALUE with KEY one of " + ", ".join(sorted(case.hyperparameters)),
                found=repr(item),
                fix="e.g. --override initial_accumulator_value=0.5",
            )
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def with_overrides(case: Case, overrides: Mapping[str, Any]) -> Case:
    """A copy of ``case`` whose hyperparameters carry ``overrides`` (the registry's case is untouched)."""
    if not overrides:
        return case
    changed = copy.copy(case)
    changed.hyperparameters = dict(case.hyperparameters, **overrides)
    return changed


def check_impls(module, case: Case, impls: Sequence[str]) -> None:
    """Every implementation the case lists in ``module`` must be one the module declares in ``IMPLS`` (when it has one)."""
    declared = getattr(module, "IMPLS", None)
    if declared is None:
        return
    unknown = [i for i in impls if i not in tuple(declared)]
    if unknown:
        raise RegistryError(
            "%s does not implement %s of case %r" % (module.__name__, ", ".join(unknown), case.name),
            expected="one of %s (its IMPLS)" % (", ".join(declared) or "nothing"),
            found=", ".join(unknown),
            fix="add the implementation to %s or fix impls in the case's declaration" % module.__name__,
        )


def resolve(case: Case, side: str, impl: str) -> Callable[["Job"], Any]:
    """The function that trains ``side/impl`` of ``case``, imported from its ``module:function`` target."""
    target = case.implementations[side][impl]
    try:
        module = importlib.import_module(target.module)
    except ImportError as exc:
        raise RegistryError(
            "case %r: %s/%s names module %r, which does not import" % (case.name, side, impl, target.module),
            expected="an importable module%s" % (" in %s" % case.folder if case.folder else ""),
            found="%s: %s" % (type(exc).__name__, exc),
            fix="check the target %r in the case's impls" % target.target,
        ) from None
    check_impls(module, case, [impl])
    function = getattr(module, target.function, None)
    if not callable(function):
        raise RegistryError(
            "case %r: %s has no function %r" % (case.name, target.module, target.function),
            expected="def %s(job) -> Trained in %s" % (target.function, target.module),
            found="functions: " + ", ".join(sorted(n for n in dir(module) if callable(getattr(module, n)) and
                                                   not n.startswith("_"))[:10]),
            fix="fix the target %r in the case's impls" % target.target,
        )
    return function


class Job(object):
    """What an implementation's ``run(job)`` is handed: its case, data, plan and, where the case has them,
    the probe set, the shared initial weights and its name map; ``artifacts`` is the folder where this run
    keeps what it trained (checkpoints, exports) and ``results`` the results folder of this run."""

    def __init__(self, side: str, impl: str, case: Case, dataset, plan, probe=None, init: Optional[Weights] = None,
                 artifacts: Optional[str] = None, env: Optional[str] = None, results: Optional[str] = None) -> None:
        self.side = side
        self.impl = impl
        self.env = env or side
        self.run_key = "%s/%s" % (side, impl)
        self.run_id = "%s/%s/%s" % (self.env, case.name, impl)
        self.case = case
        self.hp = case.hyperparameters
        self.dataset = dataset
        self.plan = plan
        self.probe = probe
        self.init = init
        self.artifacts = artifacts
        self.results = results
        self._probe_set = probe
        table = case.name_map(side, impl)
        self.names = NameMap("%s/%s/%s" % (case.name, side, impl), table, init) if table is not None else None

    def probe_set(self):
        """The case's probe set, checksummed: ``job.probe`` where the case checks predictions, else read for the
        artifacts (the rows both versions predict on when a trained model crosses over)."""
        if self._probe_set is None:
            self._probe_set = data.load_probe(self.results or results_root(), self.case)
        return self._probe_set

    def canonical(self, live: Mapping[str, Any]) -> Weights:
        """The model's variables (``name -> value``) by canonical name, through the case's name map."""
        if self.names is None:
            return dict(live)
        return self.names.to_canonical(live)

    def start_for(self, live: Mapping[str, Any]) -> Dict[str, Any]:
        """The shared start for the model's variables (``name -> current value``), keyed by those names,
        after checking that the name map covers them both ways, with the case's shapes."""
        self.canonical(live)
        start = self.start_values()
        return dict((name, start[NameMap.key(name)] if self.names is not None else start[name]) for name in live)

    def start_values(self) -> Dict[str, Any]:
        """The shared initial weights by this implementation's variable names."""
        if self.init is None:
            raise RegistryError("case %r declares no init" % self.case.name, expected="Case(..., init=InitSpec(...))",
                                found="init=None", fix="declare the shared initial weights in the case")
        if self.names is None:
            return dict(self.init)
        return self.names.from_canonical(self.init)


def case_data(root: str, case: Case):
    """What a job of ``case`` (as trained, overrides included) is handed from ``root``: its dataset, the plan
    over it, the probe set where the case checks predictions, and the shared initial weights where it has them."""
    dataset = data.load(root, case)
    plan = for_case(case, dataset.n_rows)
    probe = data.load_probe(root, case) if case.check("predictions") else None
    init = data.load_init(root, case) if case.init is not None else None
    return dataset, plan, probe, init


def _error(exc: BaseException) -> Dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}


def _prepare(args: argparse.Namespace, root: str, cases: Sequence[Case], log: Callable[[str], None]) -> None:
    """Make (``--prepare``) and verify the data of ``cases`` before anything trains."""
    if args.prepare:
        data.ensure(root, cases, log=log)
    for case in cases:
        data.verify(root, case.dataset.name)


class _Side(object):
    """One side's run: its arguments, fingerprint and what it has written so far."""

    def __init__(self, args: argparse.Namespace, root: str, side: str, package: str, fingerprint: Dict[str, Any],
                 log: Callable[[str], None], stage: Stage, after_case: Optional[Callable[..., None]] = None) -> None:
        self.after_case = after_case
        self.args = args
        self.stage = stage
        self.root = root
        self.side = side
        self.package = package
        self.fingerprint = fingerprint
        self.import_s = float(fingerprint.get("import_s", 0.0))
        self.log = log
        self.failures = []  # type: List[str]
        self.written = []  # type: List[str]

    def _write(self, result: results.Result) -> None:
        if result.status not in ("ok", "skipped"):
            self.failures.append(result.run_id)
        results.write(self.root, result, self.stage.result_path(result.inputs.case, result.impl))
        self.written.append(results.result_path(self.root, result.env, result.inputs.case, result.impl))

    def run_case(self, case: Case) -> None:
        """Load the case's data, plan, probe set, init and numpy model once, then train each implementation here."""
        impls = self.impls_of(case)
        inputs = results.CaseInputs(case)
        impls = [i for i in impls if not self._skipped(case, i, inputs)]
        if not impls:
            return
        try:
            overrides = parse_overrides(self.args.override, case)
            trained_case = with_overrides(case, overrides)
            dataset, plan, probe, init = case_data(self.root, trained_case)
            design = models.design(dataset, trained_case.hyperparameters) if case.model else None
            functions = dict((impl, resolve(case, self.side, impl)) for impl in impls)
            inputs = results.CaseInputs(case, dataset, plan, overrides, probe,
                                        data.init_sha(self.root, case) if init is not None else None)
        except Exception as exc:  # noqa: BLE001 - recorded in every result of this case
            for impl in impls:
                self._write(self._result(impl, inputs).failed(_error(exc)))
            self.log("%s/%s: FAILED before training: %s" % (self.args.env, case.name, exc))
            return
        for impl in impls:
            job = Job(self.side, impl, trained_case, dataset, plan, probe, init,
                      artifacts.impl_dir(self.root, self.args.env, case.name, impl), self.args.env, self.root)
            self._write(self.run_impl(self._result(impl, inputs), job, design, functions[impl]))
        if self.after_case is not None:
            try:
                self.after_case(self.root, self.args.env, trained_case, self.log)
            except Exception as exc:  # noqa: BLE001 - the next cases still run; what it records says the rest
                self.log("%s/%s: FAILED after its implementations: %s: %s" % (
                    self.args.env, case.name, type(exc).__name__, exc))

    def _skipped(self, case: Case, impl: str, inputs: results.CaseInputs) -> bool:
        """Record an implementation this env cannot run (see the env table's ``provides``) as skipped, with why."""
        needs = case.implementations[self.side][impl].needs
        lacking = envs.missing(self.args.env, needs)
        if not lacking:
            return False
        reason = "needs %s; %s provides %s" % (", ".join("%s (%s)" % (n, envs.CAPABILITIES.get(n, n)) for n in lacking),
                                              self.args.env, ", ".join(envs.provides(self.args.env)) or "nothing")
        self._write(self._result(impl, inputs).skipped(reason))
        self.log("%s: skipped: %s" % (results.run_id(self.args.env, case.name, impl), reason))
        return True

    def _result(self, impl: str, inputs: results.CaseInputs) -> results.Result:
        return results.Result(self.args.env, self.side, impl, self.fingerprint, inputs)

    def run_impl(self, result: results.Result, job: Job, design: Optional[models.Design],
                 train: Callable[[Job], Any]) -> results.Result:
        """Train one implementation and check what it returned; any exception becomes a failed result."""
        t0 = time.perf_counter()
        rid = result.run_id
        try:
            trained = train(job)
            train_s = time.perf_counter() - t0
            trained.loss_history = self._loss_history(job, design, trained)
            trained.check_finite(rid)
            _check_weights(job, trained, rid)
            trained.check_trained(rid, job.plan.epochs * job.plan.batches_per_epoch, job.init)
            result.trained(trained, dict(trained.epoch_timings(t0), import_s=self.import_s, train_s=train_s,
                                         total_s=time.perf_counter() - t0))
            self.log("%s: ok in %.2fs, final loss %.6g" % (
                rid, train_s, trained.loss_history[-1] if trained.loss_history else float("nan")))
        except Exception as exc:  # noqa: BLE001 - one failing implementation must not hide the others
            result.failed(_error(exc), {"import_s": self.import_s, "train_s": None, "total_s": time.perf_counter() - t0})
            self.log("%s: FAILED: %s: %s" % (rid, type(exc).__name__, exc))
        return result

    @staticmethod
    def _loss_history(job: Job, design: Optional[models.Design], trained) -> List[float]:
        """The full-data loss per epoch: from the case's numpy model where it has one, else as the side measured it."""
        if design is not None:
            return models.loss_curve(design, trained.snapshots)
        if job.case.forward is not None:
            return models.forward_curve(job.case, job.dataset, trained.snapshots)
        if trained.losses is None:
            if job.case.check("loss"):
                raise TrainingError(
                    "%s returned no loss curve" % job.run_key,
                    expected="Trained(..., losses=[full-data loss after each of the %d epochs])" % job.plan.epochs,
                    found="losses=None (the case has no numpy model to compute them)",
                    fix="evaluate the model on the whole dataset after each epoch and return the values",
                )
            return []
        if len(trained.losses) != job.plan.epochs:
            raise TrainingError("%s returned %d losses" % (job.run_key, len(trained.losses)),
                                expected="one per epoch (%d)" % job.plan.epochs, found=str(len(trained.losses)),
                                fix="evaluate the full-data loss once at the end of every epoch")
        return list(trained.losses)

    def run_cases(self, cases: Sequence[Case], claims: Optional[jobs.Claims] = None) -> None:
        """Train ``cases`` in order; with ``claims``, only those this process takes first, each marked done with
        what it wrote (the processes of a ``--jobs`` run share them)."""
        for case in cases:
            if claims is None:
                self.run_case(case)
                continue
            if not claims.take(case.name):
                continue
            written, failed = len(self.written), len(self.failures)
            self.run_case(case)
            claims.done(case.name, self.written[written:], self.failures[failed:])

    def impls_of(self, case: Case) -> List[str]:
        """The implementations of ``case`` this run trains on its side (``--impls`` applied)."""
        return [i for i in case.impls.get(self.side, ()) if not self.args.impls or i in self.args.impls]

    def gather(self, cases: Sequence[Case], claims: jobs.Claims, exits: Mapping[int, int]) -> None:
        """After a ``--jobs`` run: every process's results, in registry order; a case a worker took and did not
        finish (it died) gets a failed result for each implementation it did not write, naming the worker."""
        written, failures = [], []  # type: List[str], List[str]
        for case in cases:
            record = claims.record(case.name)
            if record is None:
                record = self._orphaned(case, claims.owner(case.name), exits)
            written += record["written"]
            failures += record["failures"]
        self.written, self.failures = written, failures

    def _orphaned(self, case: Case, pid: Optional[int], exits: Mapping[int, int]) -> Dict[str, List[str]]:
        written, failures = [], []  # type: List[str], List[str]
        how = jobs.describe_exit(exits.get(pid)) if pid in exits else "an unknown end"
        self.log("%s/%s: the worker process %s that trained it ended (%s) before it finished" % (
            self.args.env, case.name, pid, how))
        error = {"type": "WorkerDied", "traceback": "",
                 "message": "the worker process (pid %s) that trained this case ended with %s before it wrote this "
                            "result; rerun the side (--jobs 1 trains every case in the side's own process)" % (pid, how)}
        for impl in self.impls_of(case):
            staged = self.stage.result_path(case.name, impl)
            if os.path.exists(staged):
                status = results.read(staged).get("status")
            else:
                self._write(self._result(impl, results.CaseInputs(case)).failed(dict(error)))
                status = "error"
            written.append(results.result_path(self.root, self.args.env, case.name, impl))
            if status not in ("ok", "skipped"):
                failures.append(results.run_id(self.args.env, case.name, impl))
        return {"written": written, "failures": failures}

    def finish(self, started: float, lock_wait_s: float, processes: Optional[Dict[str, Any]] = None) -> int:
        """Swap the staged side in with its ``env.json`` (what ran, what failed, wall time, the processes that
        trained it); 1 when any implementation failed."""
        self.stage.commit({
            "schema": SCHEMA_VERSION,
            "env": self.args.env,
            "side": self.side,
            "fingerprint": self.fingerprint,
            "results": [os.path.relpath(p, self.root) for p in self.written],
            "failures": self.failures,
            "wall_s": time.perf_counter() - started,
            "writer": {"lock_wait_s": lock_wait_s, "stage_open_s": self.stage.open_s},
            "jobs": processes or {"processes": 1},
        })
        if self.failures:
            self.log("%s: %d implementation(s) failed: %s" % (self.args.env, len(self.failures), ", ".join(self.failures)))
            return 1
        return 0


def _check_weights(job: Job, trained, run_id: str) -> None:
    """The returned weights are exactly the case's canonical ones (when it declares an init), with their shapes;
    probe predictions are there when the case checks them, one row per probe row."""
    if job.init is not None:
        missing = sorted(set(job.init) - set(trained.weights))
        extra = sorted(set(trained.weights) - set(job.init))
        if missing or extra:
            raise TrainingError(
                "%s returned other weights than the case's" % run_id,
                expected="exactly the canonical weights " + ", ".join(sorted(job.init)),
                found="missing %s; unknown %s" % (", ".join(missing) or "none", ", ".join(extra) or "none"),
                fix="map the model's variables through job.canonical(...) (the case's names table)",
            )
        NameMap(run_id, dict((n, n) for n in job.init), job.init).to_canonical(trained.weights)
    if job.probe is not None:
        if trained.predictions is None or trained.predictions.shape[0] != job.probe.n_rows:
            raise TrainingError(
                "%s returned no predictions on the probe set" % run_id if trained.predictions is None else
                "%s returned %d probe predictions" % (run_id, trained.predictions.shape[0]),
                expected="one prediction per probe row (%d)" % job.probe.n_rows,
                found="none" if trained.predictions is None else str(trained.predictions.shape[0]),
                fix="predict on job.probe after training and return Trained(..., predictions=...)",
            )


def run_side(
    argv: Optional[Sequence[str]],
    side: str,
    package: str,
    setup: Callable[[str, int], Dict[str, Any]],
    log: Callable[[str], None] = print,
    after_case: Optional[Callable[..., None]] = None,
    relaunch: Optional[Sequence[str]] = None,
) -> int:
    """Entry point of ``python -m legacy_tf1`` / ``python -m modern_tf2``.

    ``setup(device, threads, tf_log, cpu_devices)`` imports TensorFlow once, checks the device, sizes its
    thread pools, makes ``cpu_devices`` logical CPU devices available and returns the TF part of the
    fingerprint (with ``import_s``). ``after_case(root, env, case, log)`` runs
    once a case's implementations have run (the TF2 side serves the case's TF1 exports there).
    ``relaunch`` is the command that starts this side again (default ``python -m <package>``): a
    ``--jobs`` run starts its workers with it. Returns the process exit code: 0 all ok, 1 some
    implementation failed (recorded in its result), 2 nothing could run (message logged).
    """
    started = time.perf_counter()
    args = parser(side).parse_args(argv)
    root = results_root(args.results)
    if args.worker:
        return _work(args, root, side, package, setup, log, after_case)
    command = " ".join(["python -m " + package] + list(argv or []))
    relaunch = list(relaunch or [sys.executable, "-m", package])
    try:
        with writelock.hold(root, wait=not args.no_wait, command=command, log=log):
            return _locked(args, root, side, package, setup, log, started, command, after_case,
                           lambda claims, count, say: jobs.start(relaunch, argv or [], claims, count, say))
    except KitError as exc:
        log("error: %s" % exc)
        return 2


def _setup(args: argparse.Namespace, setup: Callable[..., Dict[str, Any]]) -> Dict[str, Any]:
    """The fingerprint of this process's runs: the env's, TensorFlow's (imported now), and the process's PID
    (which process of a ``--jobs`` run trained a result)."""
    fingerprint = fingerprint_base(args.lock)
    fingerprint.update(setup(args.device, args.threads, args.tf_log, args.cpu_devices))
    fingerprint["pid"] = os.getpid()
    return fingerprint


def _locked(args: argparse.Namespace, root: str, side: str, package: str, setup: Callable[..., Dict[str, Any]],
            log: Callable[[str], None], started: float, command: str,
            after_case: Optional[Callable[..., None]] = None,
            start_workers: Optional[Callable[..., List[jobs.Worker]]] = None) -> int:
    """A side's run while it holds the results folder: stage, check the data and device, train, swap in.

    With more than one job, the workers start before this process imports TensorFlow (the imports
    overlap), every process takes cases from one order, and this one gathers and commits them."""
    lock_wait_s = time.perf_counter() - started
    use_folders(args.cases_from)
    cases = select(args.cases)
    stage = Stage(results.runs_dir(root), args.env, [c.name for c in cases], command).open()
    for case in cases:  # a rerun's artifacts go with its results: none of the previous run's are left to mix in
        artifacts.clear(root, args.env, case.name)
    claims, workers = None, []  # type: Optional[jobs.Claims], List[jobs.Worker]
    try:
        _prepare(args, root, cases, log)
        count = jobs.choose(args.jobs, len(cases), args.threads, args.device, args.cpu_devices)
        if count > 1 and start_workers is not None:
            log = jobs.serialized(log)
            claims = jobs.Claims.create(jobs.by_cost(previous_seconds(root, args.env), [c.name for c in cases]),
                                        stage.path)
            workers = start_workers(claims, count - 1, log)
            log("%s: %d processes train the %d cases (--jobs %d): this one and pid %s" % (
                args.env, count, len(cases), count, ", ".join(str(w.pid) for w in workers)))
        fingerprint = _setup(args, setup)
        log("%s: TensorFlow %s (Keras %s) on %s, imported in %.1fs" % (
            args.env, fingerprint.get("tensorflow"), fingerprint.get("keras"), fingerprint.get("device"),
            float(fingerprint.get("import_s", 0.0))))
        run = _Side(args, root, side, package, fingerprint, log, stage, after_case)
        trained = time.perf_counter()
        if claims is None:
            run.run_cases(cases)
            return run.finish(started, lock_wait_s, {"processes": 1, "train_wall_s": time.perf_counter() - trained})
        order = dict((c.name, c) for c in cases)
        run.run_cases([order[name] for name in claims.plan()["order"]], claims)
        exits = jobs.wait_all(workers)
        run.gather(cases, claims, exits)
        claims.remove()
        return run.finish(started, lock_wait_s, {
            "processes": count, "train_wall_s": time.perf_counter() - trained,
            "workers": [{"pid": pid, "exit": code} for pid, code in sorted(exits.items())]})
    except BaseException as exc:
        stage.fail(exc)
        raise
    finally:
        jobs.stop_all(workers)
        if claims is not None:
            claims.remove()


def _work(args: argparse.Namespace, root: str, side: str, package: str, setup: Callable[..., Dict[str, Any]],
          log: Callable[[str], None], after_case: Optional[Callable[..., None]] = None) -> int:
    """A worker of a ``--jobs`` run: import TensorFlow, then take cases from the run's order and train them
    into its staging folder until none is left; the side's process holds the lock and commits."""
    claims = jobs.Claims(args.worker)
    try:
        plan = claims.plan()
    except (OSError, ValueError) as exc:
        log("error: %s is not a live --jobs run's claims folder (%s)" % (args.worker, exc))
        return 2
    if jobs.parent_gone(plan):
        return 2
    try:
        use_folders(args.cases_from)
        cases = dict((c.name, c) for c in select(args.cases))
        fingerprint = _setup(args, setup)
    except KitError as exc:
        log("%s: worker %d: error: %s" % (args.env, os.getpid(), exc))
        return 2
    log("%s: worker %d: TensorFlow %s imported in %.1fs" % (
        args.env, os.getpid(), fingerprint.get("tensorflow"), float(fingerprint.get("import_s", 0.0))))
    stage = Stage(results.runs_dir(root), args.env, sorted(cases)).joining(plan["stage"])
    run = _Side(args, root, side, package, fingerprint, log, stage, after_case)
    for name in plan["order"]:
        if jobs.parent_gone(plan):  # the side's process died: nothing would gather this worker's results
            return 2
        run.run_cases([cases[name]], claims)
    return 0


def previous_seconds(root: str, env: str) -> Callable[[str], Optional[float]]:
    """The seconds each case took in ``env``'s last complete run (the sum of its results' ``total_s``), by name."""
    def seconds(case: str) -> Optional[float]:
        folder = os.path.join(results.runs_dir(root), env, case)
        try:
            names = [n for n in os.listdir(folder) if n.endswith(".json")]
        except OSError:
            return None
        total = 0.0
        for name in names:
            try:
                with open(os.path.join(folder, name)) as handle:
                    total += float(((json.load(handle).get("timings") or {}).get("total_s")) or 0.0)
            except (OSError, ValueError, TypeError, AttributeError):
                return None
        return total if names else None

    return seconds


def exit_now(code: int) -> None:
    """End a side's process once its results are written, skipping the interpreter's teardown.

    Tearing down an interpreter that has imported TensorFlow takes about 0.6 s (TF 2.21; 0.2 s for 1.15)
    and writes nothing: every result and ``env.json`` is already written atomically. Exit handlers still
    run and the standard streams are flushed; only module and C++ static destruction is skipped.
    Under a profiler or tracer (cProfile, coverage) the process exits normally, so they can write.
    """
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

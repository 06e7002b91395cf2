"""Runs every registered case of one side in one interpreter (TensorFlow imported once) and writes results."""

import argparse
import atexit
import copy
import importlib
import json
import os
import shutil
import sys
import time
import traceback
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from shared.core import SCHEMA_VERSION, atomic, data, models, results
from shared.core.errors import KitError, RegistryError
from shared.core.fingerprint import base as fingerprint_base
from shared.core.plan import for_case
from shared.core.registry import PACKAGES, Case, select
from shared.core.results import results_root
from shared.core.threads import DEFAULT_THREADS, default_threads, threads_arg


def parser(side: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m %s" % PACKAGES[side],
                                description="Train every registered case on the %s side and write results." % side)
    p.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    p.add_argument("--env", default=side, help="name of this environment in results/runs/ (default: %s)" % side)
    p.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
    p.add_argument("--impls", nargs="*", default=None, help="implementation names (default: all of each case)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="cpu hides GPUs; cuda requires one")
    p.add_argument("--threads", type=threads_arg, default=default_threads(),
                   help="TensorFlow's inter- and intra-op threads (default: $TFKIT_THREADS or %d; 0 = one per core)"
                        % DEFAULT_THREADS)
    p.add_argument("--lock", default=None, help="lock file this env was installed from (hash goes into results)")
    p.add_argument("--prepare", action="store_true", help="generate the shared data first when it is missing")
    p.add_argument("--stand-in-baseline", action="store_true", help=argparse.SUPPRESS)  # for compare, via nox posargs
    p.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                   help="sensitivity check: change one hyperparameter on this side only (recorded in each result)")
    return p


def _clear_env_runs(root: str, env: str, case_names: Sequence[str]) -> None:
    """Remove this env's previous results of these cases first: a crash leaves a missing side, never a stale one."""
    for name in case_names:
        folder = os.path.join(results.runs_dir(root), env, name)
        if os.path.isdir(folder):
            trash = os.path.join(results.runs_dir(root), ".%s-%s.old-%d" % (env, name, os.getpid()))
            os.rename(folder, trash)
            shutil.rmtree(trash, ignore_errors=True)


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


def _case_payload(case: Case, env: str, side: str, fingerprint: Dict[str, Any], dataset=None, plan=None,
                  overrides: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """What every result of ``case`` in this env shares; hashes are computed here, once per case."""
    return {
        "schema": SCHEMA_VERSION,
        "env": env,
        "side": side,
        "case": case.name,
        "status": "error",
        "fingerprint": fingerprint,
        "data_sha256": dataset.sha256 if dataset is not None else None,
        "arrays_sha256": dataset.arrays_sha256() if dataset is not None else None,
        "plan_sha256": plan.sha256() if plan is not None else None,
        "plan": plan.to_dict() if plan is not None else None,
        "spec_sha256": case.spec_sha256(),
        "hyperparameters": dict(case.hyperparameters, **(overrides or {})),
        "overrides": dict(overrides or {}),
        "coefficients": {},
        "loss_history": [],
        "timings": {},
        "extra": {},
    }


def _for_impl(common: Mapping[str, Any], impl: str) -> Dict[str, Any]:
    payload = dict(common, impl=impl)
    payload["run_id"] = results.run_id(common["env"], common["case"], impl)
    return payload


def check_impls(module, case: Case, impls: Sequence[str]) -> None:
    """Every implementation the registry lists for this side must be one the module declares in ``IMPLS``."""
    declared = tuple(getattr(module, "IMPLS", ()))
    unknown = [i for i in impls if i not in declared]
    if unknown:
        raise RegistryError(
            "%s does not implement %s of case %r" % (module.__name__, ", ".join(unknown), case.name),
            expected="one of %s (its IMPLS)" % (", ".join(declared) or "nothing"),
            found=", ".join(unknown),
            fix="add the implementation to %s or fix impls in shared/core/cases.py" % module.__name__,
        )


def _error(exc: BaseException) -> Dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}


def _prepare(args: argparse.Namespace, root: str, log: Callable[[str], None]) -> List[Case]:
    """Select the cases, clear their old results of this env, then make and verify their data."""
    cases = select(args.cases)
    _clear_env_runs(root, args.env, [c.name for c in cases])
    if args.prepare:
        data.ensure(root, cases, log=log)
    for case in cases:
        data.verify(root, case.dataset.name)
    return cases


class _Side(object):
    """One side's run: its arguments, fingerprint and what it has written so far."""

    def __init__(self, args: argparse.Namespace, root: str, side: str, package: str, fingerprint: Dict[str, Any],
                 log: Callable[[str], None]) -> None:
        self.args = args
        self.root = root
        self.side = side
        self.package = package
        self.fingerprint = fingerprint
        self.import_s = float(fingerprint.get("import_s", 0.0))
        self.log = log
        self.failures = []  # type: List[str]
        self.written = []  # type: List[str]

    def _write(self, payload: Dict[str, Any]) -> None:
        if payload["status"] != "ok":
            self.failures.append(payload["run_id"])
        self.written.append(results.write(self.root, payload))

    def run_case(self, case: Case) -> None:
        """Load the case's data, module, plan and design once, then train each implementation on this side."""
        impls = [i for i in case.impls.get(self.side, ()) if not self.args.impls or i in self.args.impls]
        if not impls:
            return
        common = _case_payload(case, self.args.env, self.side, self.fingerprint)
        try:
            dataset = data.load(self.root, case)
            plan = for_case(case, dataset.n_rows)
            module = importlib.import_module("%s.%s" % (self.package, case.name))
            check_impls(module, case, impls)
            overrides = parse_overrides(self.args.override, case)
            trained_case = with_overrides(case, overrides)
            design = models.design(dataset, trained_case.hyperparameters)
            common = _case_payload(case, self.args.env, self.side, self.fingerprint, dataset, plan, overrides)
        except Exception as exc:  # noqa: BLE001 - recorded in every result of this case
            for impl in impls:
                self._write(dict(_for_impl(common, impl), error=_error(exc)))
            self.log("%s/%s: FAILED before training: %s" % (self.args.env, case.name, exc))
            return
        for impl in impls:
            self._write(self.run_impl(_for_impl(common, impl), design,
                                      lambda impl=impl: module.run(impl, trained_case, dataset, plan)))

    def run_impl(self, payload: Dict[str, Any], design: models.Design, train: Callable[[], Any]) -> Dict[str, Any]:
        """Train one implementation; any exception becomes a failed result instead of hiding the others."""
        t0 = time.perf_counter()
        try:
            trained = train()
            train_s = time.perf_counter() - t0
            trained.loss_history = models.loss_curve(design, trained.snapshots)
            trained.check_finite(payload["run_id"])
            payload.update(status="ok", coefficients=trained.coefficients, loss_history=trained.loss_history,
                           extra=trained.extra)
            payload["timings"] = dict(trained.epoch_timings(t0), import_s=self.import_s, train_s=train_s,
                                      total_s=time.perf_counter() - t0)
            self.log("%s: ok in %.2fs, final loss %.6g" % (
                payload["run_id"], train_s, trained.loss_history[-1] if trained.loss_history else float("nan")))
        except Exception as exc:  # noqa: BLE001 - one failing implementation must not hide the others
            payload["error"] = _error(exc)
            payload["timings"] = {"import_s": self.import_s, "train_s": None, "total_s": time.perf_counter() - t0}
            self.log("%s: FAILED: %s: %s" % (payload["run_id"], type(exc).__name__, exc))
        return payload

    def finish(self, started: float) -> int:
        """Write ``env.json`` (what ran, what failed, wall time); 1 when any implementation failed."""
        atomic.write_json(os.path.join(results.runs_dir(self.root), self.args.env, "env.json"), {
            "schema": SCHEMA_VERSION,
            "env": self.args.env,
            "side": self.side,
            "fingerprint": self.fingerprint,
            "results": [os.path.relpath(p, self.root) for p in self.written],
            "failures": self.failures,
            "wall_s": time.perf_counter() - started,
        })
        if self.failures:
            self.log("%s: %d implementation(s) failed: %s" % (self.args.env, len(self.failures), ", ".join(self.failures)))
            return 1
        return 0


def run_side(
    argv: Optional[Sequence[str]],
    side: str,
    package: str,
    setup: Callable[[str, int], Dict[str, Any]],
    log: Callable[[str], None] = print,
) -> int:
    """Entry point of ``python -m legacy_tf1`` / ``python -m modern_tf2``.

    ``setup(device, threads)`` imports TensorFlow once, checks the device, sizes its thread pools and
    returns the TF part of the fingerprint (with ``import_s``). Returns the process exit code: 0 all ok, 1 some
    implementation failed (recorded in its result), 2 nothing could run (message logged).
    """
    started = time.perf_counter()
    args = parser(side).parse_args(argv)
    root = results_root(args.results)
    try:
        cases = _prepare(args, root, log)
        fingerprint = fingerprint_base(args.lock)
        fingerprint.update(setup(args.device, args.threads))
    except KitError as exc:
        log("error: %s" % exc)
        return 2
    log("%s: TensorFlow %s (Keras %s) on %s, imported in %.1fs" % (
        args.env, fingerprint.get("tensorflow"), fingerprint.get("keras"), fingerprint.get("device"),
        float(fingerprint.get("import_s", 0.0))))
    run = _Side(args, root, side, package, fingerprint, log)
    for case in cases:
        run.run_case(case)
    return run.finish(started)


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

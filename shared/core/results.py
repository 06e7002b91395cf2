"""Result files: one small versioned JSON per implementation, written atomically."""

import json
import math
import os
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from shared.core import SCHEMA_VERSION, atomic
from shared.core.errors import ResultError, TrainingError
from shared.core.weights import all_finite, as_arrays, max_abs_change, to_json

REQUIRED = (
    "schema",
    "run_id",
    "env",
    "side",
    "case",
    "impl",
    "status",
    "fingerprint",
    "data_sha256",
    "arrays_sha256",
    "plan_sha256",
    "spec_sha256",
    "hyperparameters",
    "coefficients",
    "loss_history",
    "timings",
)


class Snapshots(list):
    """The weights after each epoch, and when (``time.perf_counter``) each epoch ended."""

    def __init__(self) -> None:
        super(Snapshots, self).__init__()
        self.times = []  # type: List[float]

    def take(self, weights: Mapping[str, Any]) -> None:
        """Record one epoch's end: its weights and the time now."""
        self.append(dict(weights))
        self.times.append(time.perf_counter())

    def mapped(self, convert) -> "Snapshots":
        """The same epochs, each snapshot passed through ``convert`` (e.g. to canonical names), times kept."""
        out = Snapshots()
        out.extend(convert(s) for s in self)
        out.times = list(self.times)
        return out


class Trained(object):
    """What an implementation's ``run`` returns.

    - ``weights``: the final weights by canonical name (floats or arrays of any shape);
    - ``snapshots``: the weights after each epoch (a :class:`Snapshots` also times them);
    - ``predictions``: the model's output on the case's probe set (cases with a ``predictions`` check);
    - ``losses``: the full-data loss after each epoch, evaluated by the side itself, for cases without
      a numpy model (the runner computes the curve from the snapshots where the case has one);
    - ``start``: the weights training started from (read from the live model), so that a run that did
      not train is caught; ``steps``: optimizer steps taken;
    - ``settings``: the effective settings read from the live objects (optimizer, loss, batch, dtype);
    - ``stages``: ``forward`` (probe predictions from the start) and ``first_step`` (weights after one step);
    - ``extra``: anything else worth recording (device, traces, versions).
    """

    def __init__(
        self,
        weights: Mapping[str, Any],
        snapshots: Optional[List[Mapping[str, Any]]] = None,
        extra: Optional[Dict[str, Any]] = None,
        predictions: Any = None,
        losses: Optional[Sequence[float]] = None,
        start: Optional[Mapping[str, Any]] = None,
        steps: Optional[int] = None,
        settings: Optional[Dict[str, Any]] = None,
        stages: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.weights = as_arrays(weights)
        self.snapshots = [as_arrays(s) for s in (snapshots or [])]
        self.epoch_ends = list(getattr(snapshots, "times", []))  # type: List[float]
        self.predictions = None if predictions is None else np.asarray(predictions, dtype=np.float64)
        self.losses = None if losses is None else [float(v) for v in losses]
        self.start = None if start is None else as_arrays(start)
        self.steps = steps
        self.settings = dict(settings or {})
        self.stages = dict(stages or {})
        self.loss_history = []  # type: List[float]
        self.extra = dict(extra or {})

    @property
    def coefficients(self) -> Dict[str, Any]:
        """The weights in their JSON form (a scalar as a float, a tensor as nested lists)."""
        return to_json(self.weights)

    def stage_points(self) -> Dict[str, Any]:
        """The staged-comparison points in JSON form: ``start`` and what the implementation recorded."""
        out = {}  # type: Dict[str, Any]
        if self.start is not None:
            out["start"] = to_json(self.start)
        for key, value in self.stages.items():
            out[key] = to_json(value) if isinstance(value, Mapping) else np.asarray(value, dtype=np.float64).tolist()
        return out

    def epoch_timings(self, started: float) -> Dict[str, Optional[float]]:
        """``first_epoch_s`` (from ``started``: start-up included) and ``epoch_s``, the mean of the later epochs.

        The later epochs are the steady state: graphs built, functions traced. With one epoch, or
        snapshots taken without times, the unknown values are None.
        """
        ends = self.epoch_ends
        first = ends[0] - started if ends else None
        steady = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else None
        return {"first_epoch_s": first, "epoch_s": steady}

    def check_finite(self, run_id: str) -> None:
        """Refuse weights, predictions or losses that diverged to NaN or infinity."""
        bad = all_finite(self.weights)
        preds_bad = self.predictions is not None and not np.all(np.isfinite(self.predictions))
        if bad or preds_bad or not all(math.isfinite(v) for v in self.loss_history):
            first_bad_epoch = next((i for i, v in enumerate(self.loss_history) if not math.isfinite(v)), None)
            raise TrainingError(
                "%s diverged" % run_id,
                expected="finite weights, predictions and losses",
                found="non-finite weights %s; first non-finite loss at epoch %s%s"
                % (", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "") if bad else "none", first_bad_epoch,
                   "; non-finite predictions" if preds_bad else ""),
                fix="lower the learning rate or check the data for extreme values",
            )

    def check_trained(self, run_id: str, planned_steps: int, shared_start: Optional[Mapping[str, Any]] = None) -> None:
        """Refuse a run that did not train: fewer optimizer steps than the plan, weights still at their start
        (the one it returned, else the case's ``shared_start``), or a loss curve that never moved."""
        problems = []
        if self.steps is not None and self.steps < planned_steps:
            problems.append("%d optimizer step(s) of the plan's %d" % (self.steps, planned_steps))
        start = self.start if self.start is not None else (as_arrays(shared_start) if shared_start else None)
        if start is not None and set(start) & set(self.weights) and max_abs_change(start, self.weights) == 0.0:
            problems.append("every weight still equals its start")
        curve = self.loss_history
        if len(curve) > 1 and max(curve) == min(curve):
            problems.append("the loss never moved over %d epochs (%.6g)" % (len(curve), curve[0]))
        if problems:
            raise TrainingError(
                "%s did not train" % run_id,
                expected="%d optimizer steps that move the weights and the loss" % planned_steps,
                found="; ".join(problems),
                fix="check that the optimizer is really applied (a train_op that runs, a loss that reaches the "
                    "variables; under TF 2.x Estimators a V1 head with a tf.compat.v1 optimizer)",
            )


class CaseInputs(object):
    """What every result of one case in one env shares: the hashes of what it trained on, taken once per case."""

    def __init__(self, case, dataset=None, plan=None, overrides: Optional[Mapping[str, Any]] = None, probe=None,
                 init_sha256: Optional[str] = None) -> None:
        self.case = case.name
        self.data_sha256 = dataset.sha256 if dataset is not None else None
        self.arrays_sha256 = dataset.arrays_sha256() if dataset is not None else None
        self.plan_sha256 = plan.sha256() if plan is not None else None
        self.plan = plan.to_dict() if plan is not None else None
        self.probe_sha256 = probe.sha256 if probe is not None else None
        self.init_sha256 = init_sha256
        self.spec_sha256 = case.spec_sha256()
        self.hyperparameters = dict(case.hyperparameters, **(overrides or {}))
        self.overrides = dict(overrides or {})

    def to_dict(self) -> Dict[str, Any]:
        return dict(vars(self))


class Result(object):
    """One implementation's result, as ``runs/<env>/<case>/<impl>.json`` holds it: who ran, on what, and the outcome.

    Built by the runner only; :meth:`trained` and :meth:`failed` set the outcome, :meth:`to_dict`
    is what :func:`write` validates and writes.
    """

    def __init__(self, env: str, side: str, impl: str, fingerprint: Mapping[str, Any], inputs: CaseInputs) -> None:
        self.env = env
        self.side = side
        self.impl = impl
        self.run_id = run_id(env, inputs.case, impl)
        self.fingerprint = dict(fingerprint)
        self.inputs = inputs
        self.status = "error"
        self.outcome = {"coefficients": {}, "loss_history": [], "timings": {}, "extra": {}}  # type: Dict[str, Any]

    def trained(self, trained: "Trained", timings: Mapping[str, Any]) -> "Result":
        """A finished run: its weights (JSON form, with shapes), curve, probe predictions, steps, settings, stages."""
        self.status = "ok"
        self.outcome = {
            "coefficients": trained.coefficients, "shapes": dict((n, list(np.shape(v))) for n, v in trained.weights.items()),
            "loss_history": list(trained.loss_history), "extra": dict(trained.extra), "settings": dict(trained.settings),
            "stages": trained.stage_points(), "steps": trained.steps, "timings": dict(timings),
            "predictions": trained.predictions.tolist() if trained.predictions is not None else None,
        }
        return self

    def failed(self, error: Mapping[str, Any], timings: Optional[Mapping[str, Any]] = None) -> "Result":
        """A run that raised: its error (type, message, traceback) and what timings there are."""
        self.status = "error"
        self.outcome = {"coefficients": {}, "loss_history": [], "extra": {}, "timings": dict(timings or {}),
                        "error": dict(error)}
        return self

    def skipped(self, reason: str) -> "Result":
        """An implementation this env cannot run (it lacks what the implementation needs): not applicable, not failed."""
        self.status = "skipped"
        self.outcome = {"coefficients": {}, "loss_history": [], "extra": {}, "timings": {}, "skipped": reason}
        return self

    def to_dict(self) -> Dict[str, Any]:
        out = self.inputs.to_dict()
        out.update(self.outcome)
        out.update(schema=SCHEMA_VERSION, env=self.env, side=self.side, impl=self.impl, run_id=self.run_id,
                   status=self.status, fingerprint=self.fingerprint)
        return out


DEFAULT_RESULTS = "results"


def results_root(explicit: Optional[str] = None) -> str:
    """``--results``, else ``$TFKIT_RESULTS``, else ``results``."""
    return explicit or os.environ.get("TFKIT_RESULTS") or DEFAULT_RESULTS


def run_id(env: str, case: str, impl: str) -> str:
    return "%s/%s/%s" % (env, case, impl)


def runs_dir(results: str) -> str:
    return os.path.join(results, "runs")


def result_path(results: str, env: str, case: str, impl: str) -> str:
    return os.path.join(runs_dir(results), env, case, impl + ".json")


def write(results: str, payload: Any, path: Optional[str] = None) -> str:
    """Validate and atomically write one result (a :class:`Result` or its dict) to ``path``, else its place in
    ``results``; returns its path."""
    payload = payload.to_dict() if isinstance(payload, Result) else dict(payload)
    payload.setdefault("schema", SCHEMA_VERSION)
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        raise ResultError(
            "result %s is incomplete" % payload.get("run_id", "?"),
            expected="keys " + ", ".join(REQUIRED),
            found="missing " + ", ".join(missing),
            fix="this is a bug in the implementation wrapper; report it",
        )
    path = path or result_path(results, payload["env"], payload["case"], payload["impl"])
    atomic.write_json(path, payload)
    return path


def read(path: str) -> Dict[str, Any]:
    """Read and validate a result file."""
    try:
        with open(path) as handle:
            payload = json.load(handle)
    except (OSError, IOError) as exc:
        raise ResultError(
            "result %s cannot be read" % path,
            expected="a JSON result file",
            found=str(exc),
            fix="run the environment again",
        ) from None
    except ValueError as exc:
        raise ResultError(
            "result %s is not valid JSON (partial or corrupted)" % path,
            expected="a complete JSON result",
            found=str(exc),
            fix="delete it and run the environment again",
        ) from None
    if not isinstance(payload, dict):
        raise ResultError("result %s is not a JSON object" % path, expected="an object", found=type(payload).__name__)
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        raise ResultError(
            "result %s is incomplete" % path,
            expected="keys " + ", ".join(REQUIRED),
            found="missing " + ", ".join(missing),
            fix="delete it and run the environment again",
        )
    if payload["schema"] != SCHEMA_VERSION:
        raise ResultError(
            "result %s has schema %r" % (path, payload["schema"]),
            expected="schema %d" % SCHEMA_VERSION,
            found="schema %r" % payload["schema"],
            fix="run the environment again with this version of the kit",
        )
    return payload


def admissible(run: Mapping[str, Any], case, data_sha: Optional[str], plan_sha: Optional[str]) -> Optional[str]:
    """Why ``run`` must not be compared (a failed run, other data, other spec, other plan), or None."""
    rid = run["run_id"]
    if run.get("status") != "ok":
        err = (run.get("error") or {}).get("message", "no error recorded")
        return "%s did not finish (%s): %s" % (rid, run.get("status"), err.strip().splitlines()[0] if err.strip() else err)
    if data_sha is not None and run.get("data_sha256") != data_sha:
        return "%s was trained on other data (sha256 %s, current %s); run its environment again" % (
            rid, str(run.get("data_sha256"))[:12], data_sha[:12])
    if run.get("spec_sha256") != case.spec_sha256():
        return "%s was made from another case spec (spec %s, current %s); run its environment again" % (
            rid, str(run.get("spec_sha256"))[:12], case.spec_sha256()[:12])
    if plan_sha is not None and run.get("plan_sha256") != plan_sha:
        return "%s used another batch plan (%s, expected %s)" % (rid, str(run.get("plan_sha256"))[:12], plan_sha[:12])
    return None

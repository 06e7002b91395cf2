"""Result files: one small versioned JSON per implementation, written atomically."""

import json
import math
import os
import time
from typing import Any, Dict, List, Mapping, Optional

from shared.core import SCHEMA_VERSION, atomic
from shared.core.errors import ResultError, TrainingError

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
    """The coefficients after each epoch, and when (``time.perf_counter``) each epoch ended."""

    def __init__(self) -> None:
        super(Snapshots, self).__init__()
        self.times = []  # type: List[float]

    def take(self, coefficients: Mapping[str, float]) -> None:
        """Record one epoch's end: its coefficients and the time now."""
        self.append(dict(coefficients))
        self.times.append(time.perf_counter())


class Trained(object):
    """What an implementation's ``run`` returns: coefficients by name, one snapshot per epoch, extras.

    The runner turns the snapshots into the loss history with the case's numpy model, so every
    implementation's curve is the same full-data float64 loss.
    """

    def __init__(
        self,
        coefficients: Mapping[str, float],
        snapshots: Optional[List[Mapping[str, float]]] = None,
        extra: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.coefficients = dict((str(k), float(v)) for k, v in coefficients.items())
        self.snapshots = [dict(s) for s in (snapshots or [])]
        self.epoch_ends = list(getattr(snapshots, "times", []))  # type: List[float]
        self.loss_history = []  # type: List[float]
        self.extra = dict(extra or {})

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
        """Refuse coefficients or losses that diverged to NaN or infinity."""
        bad = sorted(k for k, v in self.coefficients.items() if not math.isfinite(v))
        if bad or not all(math.isfinite(v) for v in self.loss_history):
            first_bad_epoch = next((i for i, v in enumerate(self.loss_history) if not math.isfinite(v)), None)
            raise TrainingError(
                "%s diverged" % run_id,
                expected="finite coefficients and losses",
                found="non-finite coefficients %s; first non-finite loss at epoch %s"
                % (", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "") if bad else "none", first_bad_epoch),
                fix="lower the learning rate or check the data for extreme values",
            )


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


def write(results: str, payload: Dict[str, Any]) -> str:
    """Validate and atomically write one result; returns its path."""
    payload = dict(payload)
    payload.setdefault("schema", SCHEMA_VERSION)
    missing = [k for k in REQUIRED if k not in payload]
    if missing:
        raise ResultError(
            "result %s is incomplete" % payload.get("run_id", "?"),
            expected="keys " + ", ".join(REQUIRED),
            found="missing " + ", ".join(missing),
            fix="this is a bug in the implementation wrapper; report it",
        )
    path = result_path(results, payload["env"], payload["case"], payload["impl"])
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

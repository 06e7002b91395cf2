"""Where the golden TF1 baselines live and how one is read: folder, paths, ids, schema check, per-case load."""

import json
import os
from typing import Any, Dict, Optional

from shared.core import SCHEMA_VERSION
from shared.core.errors import KitError
from shared.core.case import Case
from shared.core.envs import baseline_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BASELINE = os.path.join(REPO, "baselines")
ENV_VAR = "TFKIT_BASELINE"
SIDE = ENV = baseline_env().name  # the TF 1.15 reference env (the env table marks it)
KIND = "tfkit-baseline"
REGENERATE = "nox -s tf1 && nox -s baseline -- --force"

# What a baseline stands for; a second recording that differs in any of these is an overwrite.
SUBSTANCE = ("coefficients", "data_sha256", "arrays_sha256", "plan_sha256", "spec_sha256", "hyperparameters")


class BaselineError(KitError):
    """A baseline that cannot be recorded or read."""


def baseline_root(explicit: Optional[str] = None, case: Optional[Case] = None) -> str:
    """``--baseline``, else ``$TFKIT_BASELINE``, else ``baselines/`` of the case's own folder (a user's case) or of the kit."""
    if explicit or os.environ.get(ENV_VAR):
        return explicit or os.environ[ENV_VAR]
    if case is not None and case.folder:
        return os.path.join(case.folder, "baselines")
    return DEFAULT_BASELINE


def baseline_path(base: str, case: str, impl: str) -> str:
    return os.path.join(base, SIDE, case, impl + ".json")


def baseline_id(case: str, impl: str) -> str:
    return "baseline/%s/%s" % (case, impl)


def shown(path: str) -> str:
    """``path`` relative to the repository when it lies inside it (short, machine-independent messages)."""
    full = os.path.abspath(path)
    return os.path.relpath(full, REPO) if full.startswith(REPO + os.sep) else full


def read(path: str) -> Dict[str, Any]:
    """One baseline file, checked for the keys ``compare_case`` relies on."""
    try:
        with open(path) as handle:
            payload = json.load(handle)
    except (OSError, IOError, ValueError) as exc:
        raise BaselineError("baseline %s cannot be read" % shown(path), expected="a JSON file written by "
                            "'python -m shared.baseline record'", found=str(exc), fix=REGENERATE) from None
    missing = [k for k in ("kind", "case", "impl") + SUBSTANCE if not isinstance(payload, dict) or k not in payload]
    if missing or payload.get("kind") != KIND or payload.get("schema") != SCHEMA_VERSION:
        raise BaselineError(
            "baseline %s does not fit the baseline schema" % shown(path),
            expected="kind %r, schema %d and keys %s" % (KIND, SCHEMA_VERSION, ", ".join(SUBSTANCE)),
            found="missing %s" % ", ".join(missing) if missing else "kind %r, schema %r" % (
                payload.get("kind"), payload.get("schema")),
            fix=REGENERATE,
        )
    return payload


def load_case(case: Case, base: Optional[str] = None) -> Dict[str, Any]:
    """``{impl: baseline or BaselineError}`` for the case's TF1 implementations that have a file."""
    base = baseline_root(base, case)
    found = {}  # type: Dict[str, Any]
    for impl in case.impls.get(SIDE, ()):
        path = baseline_path(base, case.name, impl)
        if os.path.exists(path):
            try:
                found[impl] = read(path)
            except BaselineError as exc:
                found[impl] = exc
    return found

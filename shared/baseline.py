"""Golden baselines: TF 1.15 results committed under ``baselines/`` that every later run is checked against."""

import argparse
import os
import sys
from typing import Any, Dict, Optional, Sequence

from shared import data
from shared.baseline_compare import compare_case
from shared.baseline_fit import made_with, reference_impl, refusal
from shared.baseline_record import record
from shared.baseline_store import (ENV_VAR, SIDE, BaselineError, baseline_id, baseline_path, baseline_root,
                                   load_case, shown)
from shared.errors import KitError
from shared.registry import Case
from shared.results import results_root

__all__ = ["SIDE", "compare_case", "covers", "main", "stand_in", "summary_info"]


def covers(case: Case, root: str, impl: Optional[str] = None, base: Optional[str] = None) -> bool:
    """True when a usable baseline (same data, same spec) can stand in for the missing fresh TF1 run ``impl``."""
    refs = load_case(case, base)
    wanted = impl or reference_impl(case, list(refs))
    ref = refs.get(wanted) if wanted else None
    if ref is None or isinstance(ref, BaselineError):
        return False
    return refusal(case, ref, data.dataset_sha(root, case.dataset.name)) is None


def stand_in(case: Case, rid: str, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """A passing note for a missing fresh TF1 run ``rid`` that a usable baseline covers (see ``covers``)."""
    impl = rid.rsplit("/", 1)[-1]
    base = baseline_root(base)
    refs = load_case(case, base)
    ref = refs.get(impl) if impl in refs else refs.get(reference_impl(case, list(refs)) or "")
    made = made_with(ref) if isinstance(ref, dict) else "?"
    return {
        "case": case.name,
        "left": rid,
        "right": baseline_id(case.name, impl),
        "kind": "baseline-stands-in",
        "max_abs_diff": None,
        "rms_diff": None,
        "tolerance": None,
        "passed": True,
        "worst": [],
        "reference_source": "baseline",
        "message": "%s: no fresh TF 1.15 result here; the committed baseline %s (%s) stands in as the reference "
                   "(see the kind 'baseline' comparisons)" % (rid, shown(baseline_path(base, case.name, impl)), made),
    }


def summary_info(case: Case, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """What the summary says about the case's baseline: ``{"baseline": "none" | "used" | "refused", ...}``."""
    base = baseline_root(base)
    refs = load_case(case, base)
    if not refs:
        return {"baseline": "none", "baseline_dir": shown(os.path.join(base, SIDE, case.name))}
    data_sha = data.dataset_sha(root, case.dataset.name)
    reasons = dict((impl, str(ref) if isinstance(ref, BaselineError) else refusal(case, ref, data_sha))
                   for impl, ref in sorted(refs.items()))
    return {
        "baseline": "refused" if any(reasons.values()) else "used",
        "baseline_files": [shown(baseline_path(base, case.name, impl)) for impl in sorted(refs)],
        "baseline_recorded_with": dict((impl, made_with(ref)) for impl, ref in sorted(refs.items())
                                       if isinstance(ref, dict)),
        "baseline_refused": dict((impl, why) for impl, why in reasons.items() if why),
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared.baseline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    rec = sub.add_parser("record", help="record the TF1 results (env tf1) as the golden baseline")
    rec.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    rec.add_argument("--baseline", default=None, help="baseline folder (default: $%s or <repo>/baselines)" % ENV_VAR)
    rec.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
    rec.add_argument("--force", action="store_true", help="overwrite a baseline that differs (regenerating is explicit)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "record":
        _parser().print_help()
        return 2
    try:
        record(results_root(args.results), args.baseline, args.cases, args.force)
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Golden baselines: TF 1.15 results committed under ``baselines/`` that every later run is checked against."""

import argparse
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared.core import data, writelock
from shared.baselines.against import compare_runs
from shared.baselines.fit import made_with, other_data, reference_impl, refusal
from shared.compare.record import Comparison, Kind
from shared.baselines import record as recording
from shared.baselines.store import (ENV_VAR, SIDE, BaselineError, baseline_id, baseline_path, baseline_root,
                                   load_case, shown)
from shared.core.errors import KitError
from shared.core.case import Case
from shared.core.results import results_root

__all__ = ["SIDE", "CaseBaseline", "compare_case", "covers", "for_case", "main", "stand_in", "summary_info"]


class CaseBaseline(object):
    """A case's committed baselines, read once, with why each one may not be used on the current data and spec."""

    def __init__(self, case: Case, data_sha: Optional[str], base: Optional[str] = None) -> None:
        self.case = case
        self.data_sha = data_sha
        self.base = baseline_root(base, case)
        self.refs = load_case(case, self.base)
        self.refused = {}  # type: Dict[str, str]
        self.elsewhere = {}  # type: Dict[str, str]
        self.usable = {}  # type: Dict[str, Dict[str, Any]]
        for impl, ref in sorted(self.refs.items()):
            if not isinstance(ref, BaselineError):
                other = other_data(case, ref, data_sha)
                if other:
                    self.elsewhere[impl] = other
                    continue
            why = str(ref) if isinstance(ref, BaselineError) else refusal(case, ref, data_sha)
            if why:
                self.refused[impl] = why
            else:
                self.usable[impl] = ref

    def covers(self, impl: Optional[str] = None) -> bool:
        """True when a usable baseline can stand in for the missing fresh TF1 run ``impl``."""
        wanted = impl or reference_impl(self.case, list(self.refs))
        return wanted in self.usable

    def stand_in(self, rid: str) -> Comparison:
        """A passing note for a missing fresh TF1 run ``rid`` that a usable baseline covers (see ``covers``)."""
        impl = rid.rsplit("/", 1)[-1]
        ref = self.usable.get(impl)
        return Comparison(
            self.case.name, rid, baseline_id(self.case.name, impl), Kind.BASELINE_STANDS_IN,
            "%s: no fresh TF 1.15 result here; the committed baseline %s (%s) stands in as the reference "
            "(see the kind 'baseline' comparisons)" % (
                rid, shown(baseline_path(self.base, self.case.name, impl)), made_with(ref) if ref else "?"),
            True, reference_source="baseline")

    def compare(self, runs: Mapping[str, Dict[str, Any]]) -> List[Comparison]:
        """Every finished run of the case against its baseline (kind ``baseline``)."""
        return compare_runs(self, runs)

    def info(self) -> Dict[str, Any]:
        """What the summary says about the case's baseline: ``{"baseline": "none" | "used" | "refused", ...}``."""
        if not self.refs:
            return {"baseline": "none", "baseline_dir": shown(os.path.join(self.base, SIDE, self.case.name))}
        if not self.usable and not self.refused:
            return {"baseline": "none for this data", "baseline_dir": shown(os.path.join(self.base, SIDE, self.case.name)),
                    "baseline_other_data": dict(self.elsewhere)}
        return {
            "baseline": "refused" if self.refused else "used",
            "baseline_files": [shown(baseline_path(self.base, self.case.name, impl)) for impl in sorted(self.refs)],
            "baseline_recorded_with": dict((impl, made_with(ref)) for impl, ref in sorted(self.refs.items())
                                           if isinstance(ref, dict)),
            "baseline_refused": dict(self.refused),
        }


def for_case(case: Case, root: str, base: Optional[str] = None) -> CaseBaseline:
    """``case``'s baselines checked against the data manifest of the results folder ``root``."""
    return CaseBaseline(case, data.dataset_sha(root, case.dataset.name), base)


def covers(case: Case, root: str, impl: Optional[str] = None, base: Optional[str] = None) -> bool:
    """True when a usable baseline (same data, same spec) can stand in for the missing fresh TF1 run ``impl``."""
    return for_case(case, root, base).covers(impl)


def stand_in(case: Case, rid: str, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """A passing note for a missing fresh TF1 run ``rid`` that a usable baseline covers."""
    return for_case(case, root, base).stand_in(rid)


def compare_case(case: Case, runs: Mapping[str, Dict[str, Any]], root: str, base: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every finished run of ``case`` against its committed baseline (kind ``baseline``); none without one."""
    return for_case(case, root, base).compare(runs)


def summary_info(case: Case, root: str, base: Optional[str] = None) -> Dict[str, Any]:
    """What the summary says about the case's baseline."""
    return for_case(case, root, base).info()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared.baselines", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    rec = sub.add_parser("record", help="record the TF1 results (env tf1) as the golden baseline")
    rec.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    rec.add_argument("--baseline", default=None, help="baseline folder (default: $%s or <repo>/baselines)" % ENV_VAR)
    rec.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
    rec.add_argument("--force", action="store_true", help="overwrite a baseline that differs (regenerating is explicit)")
    rec.add_argument("--no-wait", action="store_true",
                     help="fail at once when another run is writing the results folder (default: wait for it)")
    rec.add_argument("--cases-from", action="append", default=[], metavar="DIR",
                     help="record the cases declared in DIR/cases.py, into DIR/baselines unless --baseline says otherwise")
    rec.add_argument("--device", default=None, help=argparse.SUPPRESS)  # shared posargs of nox -s tf1 tf2 -- ...
    rec.add_argument("--threads", default=None, help=argparse.SUPPRESS)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "record":
        _parser().print_help()
        return 2
    root = results_root(args.results)
    try:
        with writelock.hold(root, wait=not args.no_wait, command="python -m shared.baselines record",
                            log=lambda line: print(line, file=sys.stderr, flush=True)):
            recording.record(root, args.baseline, args.cases, args.force, cases_from=args.cases_from)
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    return 0


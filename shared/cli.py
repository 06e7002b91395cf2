"""Command line of the host side: ``prepare``, ``compare`` and ``cases``."""

import argparse
import os
import sys
from typing import List, Optional

from shared.core import writelock
from shared.core.errors import KitError
from shared.core.registry import all_cases, select, use_folders
from shared.core.results import results_root


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared", description="Host side of the TF1 -> TF2 reproduction kit.")
    sub = p.add_subparsers(dest="command")
    prep = sub.add_parser("prepare", help="generate the shared data once and write its SHA-256 manifest")
    comp = sub.add_parser("compare", help="compare every run, write summary.json and the report")
    cases = sub.add_parser("cases", help="list the registered cases")
    for q in (prep, comp, cases):
        q.add_argument("--cases-from", action="append", default=[], metavar="DIR",
                       help="also load the cases declared in DIR/cases.py (repeatable; or $TFKIT_CASES)")
    for q in (prep, comp):
        q.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
        q.add_argument("--cases", nargs="*", default=None, help="case names (default: all registered)")
        q.add_argument("--no-wait", action="store_true",
                       help="fail at once when another run is writing the results folder (default: wait for it)")
    prep.add_argument("--pairs-csv", default=None, help="bring your own pairs file for the one case named by --cases")
    prep.add_argument("--items", default=None, help="with --pairs-csv: the item list (one name per line) rows must stay within")
    prep.add_argument("--allow-duplicates", action="store_true", help="with --pairs-csv: keep exact duplicate rows")
    comp.add_argument("--no-report", action="store_true", help="write summary.json only (no Markdown/HTML/plots)")
    comp.add_argument("--device", default=None, help=argparse.SUPPRESS)  # shared posargs of nox -s tf1 tf2 -- ...
    comp.add_argument("--threads", default=None, help=argparse.SUPPRESS)
    comp.add_argument("--cpu-devices", default=None, help=argparse.SUPPRESS)
    comp.add_argument("--tf-log", action="store_true", help=argparse.SUPPRESS)
    comp.add_argument("--stand-in-baseline", action="store_true",
                      default=os.environ.get("TFKIT_STAND_IN_BASELINE") == "1",
                      help="runner without TF 1.15: let the committed baseline stand in for missing TF1 runs")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Run one host command; numpy and pandas are imported only by the commands that need them."""
    args = _parser().parse_args(argv)
    try:
        if args.command:
            use_folders(args.cases_from)
        if args.command in ("prepare", "compare"):
            root = results_root(args.results)
            with writelock.hold(root, wait=not args.no_wait, command="python -m shared " + " ".join(argv or sys.argv[1:]),
                                log=_stderr):
                if args.command == "prepare":
                    return _prepare(root, args)
                return _compare(root, args.cases, not args.no_report, args.stand_in_baseline)
        if args.command == "cases":
            for case in all_cases():
                print("%-16s %s%s" % (case.name, case.description, "  [%s]" % case.folder if case.folder else ""))
            return 0
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    _parser().print_help()
    return 2


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _prepare(root: str, args: argparse.Namespace) -> int:
    """Generate the data of the selected cases (or import a pairs file) and verify it."""
    from shared.core import data

    if args.pairs_csv:
        return _import(root, args)
    data.ensure(root, select(args.cases))
    for case in select(args.cases):
        data.verify(root, case.dataset.name)
    return 0


def _import(root: str, args: argparse.Namespace) -> int:
    from shared.core import userdata

    if not args.cases or len(args.cases) != 1:
        print("error: --pairs-csv needs exactly one case: --cases pairshift (or pairlincorr)", file=sys.stderr)
        return 2
    userdata.import_user(root, select(args.cases)[0], args.pairs_csv, args.items, args.allow_duplicates)
    return 0


def _compare(root: str, cases: Optional[List[str]], with_report: bool, stand_in: bool) -> int:
    from shared import compare

    summary = compare.summarize(root, cases, stand_in=stand_in)
    print(compare.table(summary))
    if with_report:
        from shared import report

        path = report.write(root, summary)
        print("report: %s" % path)
    return 0 if summary["passed"] else 1

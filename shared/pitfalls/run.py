"""Train a catalogue's cases on both sides (each TensorFlow in its built env), compare them, judge the catalogue."""

import os
import subprocess
import sys
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

from shared.core.envs import ENVS, SIDES, main_envs
from shared.core.errors import EnvError, RegistryError
from shared.pitfalls.entries import Entry

if TYPE_CHECKING:  # annotations only: importing the verdict pulls in the comparison (numpy)
    from shared.pitfalls.verdict import Catalogue  # noqa: F401

RUNS = "pitfalls-run"  # the catalogue's own results folder, inside the results root
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def select(entries: Sequence[Entry], ids: Optional[Sequence[str]]) -> List[Entry]:
    """The entries named by id (all when none are named); an unknown id lists the known ones."""
    if not ids:
        return list(entries)
    known = [e.id for e in entries]
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise RegistryError("unknown catalogue entr%s %s" % ("y" if len(unknown) == 1 else "ies", ", ".join(unknown)),
                            expected="ids among " + ", ".join(known), found=", ".join(unknown),
                            fix="name entries by their id, e.g. --entries 01a 04b")
    return [e for e in entries if e.id in ids]


def side_python(env_name: str, root: str = REPO) -> str:
    """The interpreter of a side's built env: ``$TFKIT_<SIDE>_PYTHON`` (nox sets it), else ``.nox/<env>/bin/python``,
    checked to exist and to be synced to its lock."""
    from shared.envtools import venv_stamp

    env = ENVS[env_name]
    python = os.environ.get("TFKIT_%s_PYTHON" % env.side.upper()) or os.path.join(root, ".nox", env.name, "bin", "python")
    if not os.path.exists(python):
        raise EnvError("the %s env is not built" % env.name, expected="its interpreter at %s" % python,
                       found="no such file", fix="run 'nox -s tf1 tf2' once (it builds .nox/tf1 and .nox/tf2), then "
                                                 "'nox -s pitfalls'")
    venv = os.path.dirname(os.path.dirname(python))
    lock = env.lock_path(root)
    if os.path.exists(os.path.join(venv, venv_stamp.STAMP)) and not venv_stamp.is_synced(lock, venv):
        raise EnvError("the %s env at %s is not synced to %s" % (env.name, venv, lock),
                       expected="a venv synced from the current lock", found="a stale stamp",
                       fix="run 'nox -s tf1 tf2' (it syncs both envs), then 'nox -s pitfalls'")
    return python


def train_sides(args: Sequence[str], label: str, what: str = "", log=print) -> Dict[str, float]:
    """Each main env's side package in its built env, one after the other, with ``args`` (the first run also
    prepares the data); wall time per env. Exit 1 (an implementation failed) is left to the verdict."""
    timings = OrderedDict()  # type: Dict[str, float]
    pythons = OrderedDict((env.name, side_python(env.name)) for env in main_envs())
    for i, (name, python) in enumerate(pythons.items()):
        env = ENVS[name]
        cmd = [python, "-m", SIDES[env.side].package, "--env", name, "--lock", env.lock_path(".")] + list(args) + (
            ["--prepare"] if i == 0 else [])
        log("%s: %s side (%s)%s" % (label, env.side, name, what))
        t0 = time.perf_counter()
        code = subprocess.call(cmd, cwd=REPO)
        timings[name] = time.perf_counter() - t0
        if code not in (0, 1):  # 1: some implementation failed, recorded in its result and judged below
            raise EnvError("the %s side could not run (exit %d)" % (name, code), expected="results of every case",
                           found="no results", fix="see its output above")
    return timings


def train(folder: str, runs: str, cases: Sequence[str], log=print) -> Dict[str, float]:
    """Each side's package in its env, one after the other, on ``cases`` into ``runs``; wall time per side."""
    return train_sides(["--results", runs, "--cases-from", folder, "--cases"] + list(cases), "pitfalls",
                       ", %d cases" % len(cases), log)


def run(folder: str, root: str, ids: Optional[Sequence[str]] = None, with_training: bool = True, log=print) -> int:
    """Train (unless ``with_training`` is False), compare, judge; write the catalogue into ``root``. 0 when it holds."""
    from shared import compare
    from shared.pitfalls import entries as entries_mod
    from shared.pitfalls import page
    from shared.pitfalls.verdict import judge

    started = time.perf_counter()
    chosen = select(entries_mod.load(folder), ids)
    cases = list(OrderedDict((e.case, None) for e in chosen))
    runs = os.path.join(root, RUNS)
    timings = train(folder, runs, cases, log) if with_training else OrderedDict()
    t0 = time.perf_counter()
    summary = compare.summarize(runs, cases, cases_from=[folder])
    catalogue = judge(chosen, summary, compare.load_runs(runs))
    timings["compare"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    path = page.write(root, catalogue, shown(os.path.join(runs, "summary.json")), timings)
    log(terminal(catalogue))
    log("catalogue: %s (and .html, .json)" % path)
    return 0 if catalogue.passed else 1


def shown(path: str) -> str:
    """A path relative to the working folder when it lies inside it (generated pages name no machine paths)."""
    here = os.path.abspath(os.getcwd())
    full = os.path.abspath(path)
    return os.path.relpath(full, here) if full.startswith(here + os.sep) else path


def terminal(catalogue: "Catalogue") -> str:
    """One line per entry, then what fails the catalogue, then the verdict."""
    from shared.pitfalls.page import pair

    lines = ["%-4s  %-4s  %-27s  %-22s  %-12s  %-22s  %s" % ("", "id", "naive", "weights / predictions", "first stage",
                                                             "faithful", "weights / predictions")]
    for j in catalogue.judged:
        lines.append("%-4s  %-4s  %-27s  %-22s  %-12s  %-22s  %s" % (
            "ok" if j.ok else "FAIL", j.entry.id, j.naive_outcome(), pair(j.naive), j.naive.stage() or "-",
            j.faithful_outcome(), pair(j.faithful)))
    lines += ["FAIL " + f for f in catalogue.failures]
    lines.append("%s: %d entries, %d failed" % ("PASSED" if catalogue.passed else "FAILED", len(catalogue.judged),
                                                sum(1 for j in catalogue.judged if not j.ok)))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    import argparse

    from shared.core.errors import KitError
    from shared.core.results import results_root

    p = argparse.ArgumentParser(prog="python -m shared.pitfalls", description="The TF1 -> TF2 pitfalls catalogue.")
    sub = p.add_subparsers(dest="command")
    for name, text in (("run", "train both sides on the catalogue's cases, compare, judge, write the catalogue"),
                       ("catalogue", "judge an existing run folder again and rewrite the catalogue (no training)")):
        q = sub.add_parser(name, help=text)
        q.add_argument("--results", default=None, help="where pitfalls.{json,md,html} go, runs in its %s/ "
                                                       "(default: $TFKIT_RESULTS or ./results)" % RUNS)
        q.add_argument("--cases-from", default=os.path.join("examples", "pitfalls"), metavar="DIR",
                       help="the case folder whose cases.py declares PITFALLS (default: examples/pitfalls)")
        q.add_argument("--entries", nargs="*", default=None, help="entry ids (default: all)")
    args = p.parse_args(argv)
    if not args.command:
        p.print_help()
        return 2
    try:
        return run(args.cases_from, results_root(args.results), args.entries, with_training=args.command == "run")
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2

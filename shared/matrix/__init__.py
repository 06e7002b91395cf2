"""The version matrix: build every env of the table, run them several at once, compare every run, draw the heatmap.

``nox -s matrix [-- --envs tf2-215 tf2-216 --cases pairshift --jobs 2]``. Each env runs its side's
package in its own venv (``.nox/<venv>``, the one ``nox -s <env>`` would use) on the same shared
data; the comparison is the kit's usual one, so every run is checked against TF 1.15 (``strict``,
``predictions``, ``loss``), against the same implementation on the current TF 2.x (``env``) and
against the committed baselines; an implementation an env cannot run is skipped with the reason.
Like ``nox -s tf1 tf2``, the rollback step follows the sides: once the TF1 home env has run, TF 1.15
restores the weights every TF 2.x env of the run wrote as a TF1 checkpoint.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict, List, Optional, Sequence

from shared.core import atomic
from shared.core.envs import ENVS, Env, SIDES
from shared.core.errors import KitError
from shared.core.results import results_root

RUN_TIMEOUT_S = 1800  # one env's side: the kit's cases take well under a minute; a hung TF is stopped


def selected(names: Optional[Sequence[str]], only: bool = False) -> List[Env]:
    """The envs asked for (all of the table by default) plus each side's home env, which the others are checked
    against (``only``: exactly those asked for, e.g. one CI job per env)."""
    unknown = [n for n in names or () if n not in ENVS]
    if unknown:
        raise KitError("unknown env(s) %s" % ", ".join(unknown), expected="names from the env table: " + ", ".join(ENVS),
                       found=", ".join(unknown), fix="pick envs from shared/core/envs.py (python -m shared.core.envs)")
    wanted = list(names or ENVS)
    homes = [] if only else [SIDES[s].home_env for s in SIDES]
    return [e for e in ENVS.values() if e.name in wanted or e.name in homes]


def side_command(python: str, e: Env, results: str, kit_args: Sequence[str], side_jobs: int = 0) -> List[str]:
    """One env's side run; ``side_jobs`` sets its ``--jobs`` (0: the side's own choice)."""
    jobs = ["--jobs", str(side_jobs)] if side_jobs else []
    return [python, "-m", e.package, "--env", e.name, "--lock", e.lock_path(), "--results", results] + jobs + list(
        kit_args)


def rollback_command(python: str, results: str, kit_args: Sequence[str]) -> List[str]:
    """The rollback step in the TF1 home env's interpreter, with the side options the envs ran with."""
    return [python, "-m", SIDES["tf1"].package + ".artifacts", "--results", results] + list(kit_args)


def roll_back(envs: Sequence[Env], pythons: Dict[str, str], runs: Sequence[Dict[str, object]], results: str,
              kit_args: Sequence[str], log: Callable[[str], None]) -> Optional[Dict[str, object]]:
    """Run the rollback step after the sides when the TF1 home env ran cleanly next to a TF 2.x env (else None).

    The TF1 home env's run replaces its side's folder, restored checkpoints included, so without this step
    the comparison would find every TF2 model's rollback checkpoint unrestored."""
    home = SIDES["tf1"].home_env
    ran = dict((r["env"], r["exit"]) for r in runs)
    if ran.get(home) != 0 or not any(e.side == "tf2" and ran.get(e.name) == 0 for e in envs):
        return None
    return logged_run("rollback", rollback_command(pythons[home], results, kit_args), results, dict(os.environ), log)


def run_env(e: Env, python: str, results: str, kit_args: Sequence[str], log: Callable[[str], None],
            side_jobs: int = 0) -> Dict[str, object]:
    """Run one env's side into ``results``; its output goes to ``results/matrix/<env>.log``."""
    return logged_run(e.name, side_command(python, e, results, kit_args, side_jobs), results,
                      dict(os.environ, **dict(e.environment)), log)


def logged_run(name: str, cmd: Sequence[str], results: str, env: Dict[str, str],
               log: Callable[[str], None]) -> Dict[str, object]:
    """Run ``cmd`` with its output in ``results/matrix/<name>.log``, stopped after RUN_TIMEOUT_S (exit 124)."""
    log_path = os.path.join(results, "matrix", name + ".log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    t0 = time.perf_counter()
    with open(log_path, "w") as handle:
        proc = subprocess.Popen(list(cmd), stdout=handle, stderr=subprocess.STDOUT, env=env)
        try:
            code = proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = 124
    wall = time.perf_counter() - t0
    log("%s: exit %d in %.1f s (log %s)" % (name, code, wall, log_path))
    return {"env": name, "exit": code, "wall_s": wall, "log": os.path.relpath(log_path, results)}


def run(names: Optional[Sequence[str]], results: str, kit_args: Sequence[str], jobs: int,
        log: Callable[[str], None] = print, only: bool = False, with_compare: bool = True) -> int:
    """Build, run and compare the matrix; 0 when every comparison passed (without compare: when every side ran)."""
    from shared.envtools import venvs

    envs = selected(names, only)
    started = time.perf_counter()
    log("matrix: %s (%d at a time)" % (", ".join(e.name for e in envs), jobs))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pythons = dict(zip([e.name for e in envs], pool.map(lambda e: venvs.env_python(e.name, log=log), envs)))
    build_s = time.perf_counter() - started
    prep = subprocess.run([pythons[envs[0].name], "-m", "shared", "prepare", "--results", results] + _prepare_args(kit_args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if prep.returncode != 0:
        raise KitError("preparing the data failed", expected="exit 0", found=prep.stdout[-3000:],
                       fix="run: nox -s tf1 (it prepares the data) and look at its output")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        side_jobs = 1 if jobs > 1 else 0  # envs side by side share the cores already: one process each
        runs = list(pool.map(lambda e: run_env(e, pythons[e.name], results, kit_args, log, side_jobs), envs))
    rolled = roll_back(envs, pythons, runs, results, kit_args, log)
    run_s = time.perf_counter() - t0
    failed = [r["env"] for r in runs + ([rolled] if rolled else []) if r["exit"] != 0]
    if not with_compare:
        log("matrix: ran %s in %.1f s; compare with: nox -s compare -- --results %s" % (
            ", ".join(e.name for e in envs), run_s, results))
        return 1 if failed else 0
    from shared import compare, report

    summary = compare.summarize(results, _values(kit_args, "--cases"), cases_from=_values(kit_args, "--cases-from"))
    print(compare.table(summary))
    record = {"envs": [e.name for e in envs], "jobs": jobs, "build_s": build_s, "run_s": run_s,
              "sum_of_env_runs_s": sum(r["wall_s"] for r in runs), "wall_s": time.perf_counter() - started,
              "runs": runs, "rollback": rolled, "passed": summary["passed"]}
    atomic.write_json(os.path.join(results, "matrix.json"), record)
    log("report: %s" % report.write(results, summary))
    log("matrix: env runs %.1f s in all, %.1f s wall with %d at a time; builds %.1f s" % (
        record["sum_of_env_runs_s"], run_s, jobs, build_s))
    if failed:
        log("matrix: side(s) failed: %s (see their logs)" % ", ".join(failed))
    return 0 if summary["passed"] and not failed else 1


def _values(args: Sequence[str], flag: str) -> Optional[List[str]]:
    """The values of ``flag`` (``--cases a b`` or ``--cases-from DIR``, repeatable) in a side's argument list."""
    out = []  # type: List[str]
    i = 0
    while i < len(args):
        if args[i] == flag:
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                out.append(args[i])
                i += 1
            continue
        i += 1
    return out or None


def _prepare_args(kit_args: Sequence[str]) -> List[str]:
    out = []  # type: List[str]
    for flag in ("--cases", "--cases-from"):
        values = _values(kit_args, flag)
        if values and flag == "--cases":
            out += [flag] + values
        elif values:
            for v in values:
                out += [flag, v]
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m shared.matrix", description=__doc__.splitlines()[0],
                                epilog="Other arguments (--cases, --cases-from, --threads, ...) go to every side.")
    p.add_argument("--envs", nargs="*", default=None, help="envs of the table (default: all); the home envs always run")
    p.add_argument("--only", action="store_true", help="run exactly --envs, without the home envs (one CI job per env)")
    p.add_argument("--no-compare", action="store_true", help="run the sides only; compare later (nox -s compare)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="envs run at once (default: one per core)")
    p.add_argument("--results", default=None, help="output folder (default: $TFKIT_RESULTS or ./results)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args, kit_args = _parser().parse_known_args(argv)
    try:
        return run(args.envs, results_root(args.results), kit_args, args.jobs, only=args.only,
                   with_compare=not args.no_compare)
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2

"""Benchmark: what a run costs against its floor, and how one epoch's cost grows with the data.

Host side (``python -m shared.bench run [--quick]``, stdlib only at import): times bare imports,
the warm and cold ``nox -s tf1 tf2``, uv against pip, and a pairshift scale sweep in subprocesses
of the built envs; writes ``results/bench.json`` and ``results/plots/bench_*.png``.
Env side: ``shared.bench_side`` (``python -m legacy_tf1.bench`` / ``python -m modern_tf2.bench``).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from shared.core import atomic
from shared.core.staging import read_env
from shared.core.bench_side import BATCH, MARK, bench_case, peak_rss_mib, synthetic
from shared.bench.speedups import SPEEDUPS
from shared.core.registry import PACKAGES as SIDES, get_case

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMPLS = get_case("pairshift").impls  # what the sweep measures: every implementation of the pair model
FULL_GRID = [(10 ** 4, 10 ** 3), (10 ** 5, 10 ** 3), (10 ** 6, 10 ** 3), (10 ** 6, 10 ** 2), (10 ** 6, 10 ** 4)]
QUICK_GRID = [(10 ** 4, 10 ** 2), (10 ** 5, 10 ** 2)]


# ---------------------------------------------------------------- host side: measuring

def _run(cmd: Sequence[str], timeout: float = 1800, env: Optional[Dict[str, str]] = None,
         cwd: str = ROOT) -> Tuple[float, int, str]:
    """(wall seconds, exit code, stdout+stderr) of one command."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=timeout)
        return time.perf_counter() - t0, proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        text = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode("utf-8", "replace")
        return time.perf_counter() - t0, 124, text


def parse_mark(text: str) -> Optional[Dict[str, Any]]:
    """The last ``BENCH {json}`` line of a child's output."""
    for line in reversed(text.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return None


def env_python(envdir: str, env: str) -> str:
    return os.path.join(envdir, env, "bin", "python")


def ratio(spent: Optional[float], floor: Optional[float]) -> Optional[float]:
    """``spent / floor`` (None when either is missing or the floor is not positive)."""
    if spent is None or floor is None or floor <= 0:
        return None
    return spent / floor


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def bare_import(python: str, repeat: int = 3) -> Dict[str, Any]:
    """Wall time of ``python -c 'import tensorflow'``: median and best of ``repeat``, after one warming run."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1")
    _run([python, "-c", "import tensorflow"], env=env)
    walls = [_run([python, "-c", "import tensorflow"], env=env)[0] for _ in range(repeat)]
    return {"median_s": median(walls), "best_s": min(walls), "runs_s": walls}


def kit_breakdown(results: str) -> Dict[str, Any]:
    """What each side spent, from its env.json and result timings."""
    out = {}  # type: Dict[str, Any]
    for env in SIDES:
        path = os.path.join(results, "runs", env, "env.json")
        if not os.path.exists(path):
            continue
        summary = read_env(path)
        train = {}
        for rel in summary.get("results", []):
            with open(os.path.join(results, rel)) as handle:
                run = json.load(handle)
            train[run["run_id"]] = (run.get("timings") or {}).get("train_s")
        import_s = float(summary["fingerprint"].get("import_s") or 0.0)
        train_s = sum(v for v in train.values() if v)
        processes = summary.get("jobs") or {}
        train_wall = processes.get("train_wall_s", train_s)  # the training phase's wall time (all its processes)
        out[env] = {"wall_s": summary["wall_s"], "import_s": import_s, "train_s": train_s, "train_wall_s": train_wall,
                    "processes": processes.get("processes", 1), "other_s": summary["wall_s"] - import_s - train_wall,
                    "train_by_run_s": train}
    return out


def kit_run(envdir: Optional[str], results: str, label: str, jobs: Optional[int] = None) -> Dict[str, Any]:
    """One ``nox -s tf1 tf2`` (warm with ``.nox``, cold with a fresh ``envdir``), then a timed compare alone;
    ``jobs`` sets the sides' ``TFKIT_JOBS`` (default: theirs)."""
    cmd = [sys.executable, "-m", "nox"] + (["--envdir", envdir] if envdir else []) + [
        "-s", "tf1", "tf2", "--", "--results", results]
    env = dict(os.environ, TFKIT_JOBS=str(jobs)) if jobs is not None else None
    wall, rc, text = _run(cmd, env=env)
    out = {"label": label, "command": ("TFKIT_JOBS=%d " % jobs if jobs is not None else "") + " ".join(["nox"] + cmd[3:]),
           "wall_s": wall, "rc": rc, "sides": kit_breakdown(results)}
    if rc != 0:
        out["tail"] = text[-2000:]
    compare_py = env_python(envdir or os.path.join(ROOT, ".nox"), "compare")
    out["compare_s"], _, _ = _run([compare_py, "-m", "shared", "compare", "--results", results])
    side_s = sum(s["wall_s"] for s in out["sides"].values())
    out["nox_overhead_s"] = wall - side_s - out["compare_s"]
    return out


def matrix_run(results: str) -> Dict[str, Any]:
    """A warm ``nox -s matrix`` (after one warming run that builds the envs): the sum of the env runs against the
    wall time with one env per core, from the matrix's own ``matrix.json``."""
    cmd = [sys.executable, "-m", "nox", "-s", "matrix", "--", "--results", results]
    _run(cmd)  # builds or reuses every env of the table
    wall, rc, text = _run(cmd)
    with open(os.path.join(results, "matrix.json")) as handle:
        record = json.load(handle)
    cores = max(1, int(record["jobs"]))
    ideal = record["sum_of_env_runs_s"] / cores
    return {"wall_s": wall, "rc": rc, "envs": record["envs"], "jobs": cores, "run_s": record["run_s"],
            "sum_of_env_runs_s": record["sum_of_env_runs_s"], "sum_over_cores_s": ideal,
            "run_over_sum_over_cores": ratio(record["run_s"], ideal), "build_s_warm": record["build_s"]}


def floor_run(envdir: str, results: str, repeat: int = 3) -> Dict[str, Any]:
    """Per env: bare ``import tensorflow`` plus the bare training loop of every (case, implementation).

    Each is measured ``repeat`` times; the floor takes the medians, as the warm run does.
    """
    out = {}  # type: Dict[str, Any]
    for env, package in SIDES.items():
        python = env_python(envdir, env)
        samples = []
        for _ in range(repeat):
            _, rc, text = _run([python, "-m", package + ".bench", "floor", "--results", results])
            got = parse_mark(text)
            if got is None:
                break
            samples.append(got)
        if len(samples) < repeat:
            out[env] = {"error": text[-2000:]}
            continue
        imp = bare_import(python, repeat)
        loops = [sum(c["bare_s"] * c["impls"] for c in got["cases"].values()) for got in samples]
        middle = samples[loops.index(median(loops))] if repeat % 2 else samples[0]
        out[env] = {"import_s": imp["median_s"], "import_runs_s": imp["runs_s"], "bare_loops_s": median(loops),
                    "bare_loops_runs_s": loops, "data_s": sum(c["data_s"] for c in middle["cases"].values()),
                    "cases": middle["cases"], "floor_s": imp["median_s"] + median(loops)}
    return out


def ratios(kit: Dict[str, Any], floor: Dict[str, Any]) -> Dict[str, Any]:
    """Spent / floor, per env and for the whole ``nox -s tf1 tf2``."""
    out = {}  # type: Dict[str, Any]
    total_floor = kit.get("compare_s") or 0.0
    for env in SIDES:
        side, fl = kit["sides"].get(env), floor.get(env)
        if not side or not fl or "floor_s" not in fl:
            continue
        total_floor += fl["floor_s"]
        out[env] = {
            "side_wall_over_floor": ratio(side["wall_s"], fl["floor_s"]),
            "import_over_bare_import": ratio(side["import_s"], fl["import_s"]),
            "train_over_bare_loops": ratio(side.get("train_wall_s", side["train_s"]), fl["bare_loops_s"]),
            "train_sum_over_bare_loops": ratio(side["train_s"], fl["bare_loops_s"]),
            "other_s": side["other_s"], "data_load_s": fl["data_s"],
        }
    out["floor_total_s"] = total_floor
    out["session_over_floor"] = ratio(kit.get("wall_s"), total_floor)
    out["target"] = 1.5
    return out


def env_build(tmp: str) -> Dict[str, Any]:
    """Build the tf2 env from envs/tf2.txt with uv and with pip (venv + pip --require-hashes); both compile bytecode."""
    lock = os.path.join(ROOT, "envs", "tf2.txt")
    uv_dir, pip_dir = os.path.join(tmp, "uv-tf2"), os.path.join(tmp, "pip-tf2")
    pip_cache = os.path.expanduser("~/.cache/pip")
    out = {"lock": "envs/tf2.txt", "pip_cache_present_before": os.path.isdir(pip_cache) and bool(os.listdir(pip_cache)),
           "uv_cache_present_before": os.path.isdir(os.path.expanduser("~/.cache/uv"))}  # type: Dict[str, Any]
    t_venv, rc1, _ = _run(["uv", "venv", "--quiet", "--python", "3.11", uv_dir])
    t_sync, rc2, text = _run(["uv", "pip", "sync", "--quiet", "--require-hashes", "--compile-bytecode", "--python",
                              os.path.join(uv_dir, "bin", "python"), lock])
    out["uv"] = {"venv_s": t_venv, "install_s": t_sync, "total_s": t_venv + t_sync, "rc": rc1 or rc2}
    py311 = shutil.which("python3.11") or sys.executable
    t_venv, rc1, _ = _run([py311, "-m", "venv", pip_dir])
    t_inst, rc2, text = _run([os.path.join(pip_dir, "bin", "python"), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", "--require-hashes", "-r", lock])
    out["pip"] = {"venv_s": t_venv, "install_s": t_inst, "total_s": t_venv + t_inst, "rc": rc1 or rc2}
    if rc2:
        out["pip"]["tail"] = text[-1500:]
    out["pip_over_uv"] = ratio(out["pip"]["total_s"], out["uv"]["total_s"])
    out["note"] = ("uv links from its warm cache (~/.cache/uv, filled by earlier nox runs); pip %s, so its time %s "
                   "downloads over this machine's network" % (
                       "had a warm cache" if out["pip_cache_present_before"] else "started with an empty cache",
                       "excludes" if out["pip_cache_present_before"] else "includes"))
    for folder in (uv_dir, pip_dir):
        shutil.rmtree(folder, ignore_errors=True)
    return out


def sweep_point(envdir: str, env: str, impl: str, rows: int, items: int, timeout: float,
                epochs: int = 2, threads: int = 0) -> Dict[str, Any]:
    """One (env, impl, rows, items) measurement in its own process (so peak RSS is its own)."""
    if env == "oracle":
        cmd = [env_python(envdir, "compare"), "-m", "shared.bench", "oracle", "--rows", str(rows), "--items", str(items)]
    else:
        cmd = [env_python(envdir, env), "-m", SIDES[env] + ".bench", "epoch", "--rows", str(rows), "--items", str(items),
               "--impl", impl, "--epochs", str(epochs), "--threads", str(threads)]
    wall, rc, text = _run(cmd, timeout=timeout)
    got = parse_mark(text) or {"error": text[-1500:], "rc": rc}
    got.update(env=env, impl=impl, rows=rows, items=items, process_wall_s=wall)
    return got


def sweep(envdir: str, grid: Sequence[Tuple[int, int]], timeout: float, log=print, epochs: int = 2,
          threads: int = 0) -> List[Dict[str, Any]]:
    """Every implementation, both bare loops and the oracle at each (rows, items), each in its own process."""
    points = []
    for rows, items in grid:
        jobs = [("tf1", "bare"), ("tf2", "bare")] + [(e, i) for e in SIDES for i in IMPLS[e]] + [("oracle", "lsqr")]
        for env, impl in jobs:
            got = sweep_point(envdir, env, impl, rows, items, timeout, epochs, threads)
            log("bench: %-6s %-12s rows %-8d items %-6d epoch %s s (first %s s), peak %s MiB" % (
                env, impl, rows, items, _fmt(got.get("epoch_s")), _fmt(got.get("first_epoch_s")),
                _fmt(got.get("peak_rss_mib"))))
            points.append(got)
    return points


def _fmt(v: Any) -> str:
    return "%.2f" % v if isinstance(v, (int, float)) else "-"


def oracle_main(rows: int, items: int) -> Dict[str, Any]:
    """Time the closed-form oracle (sparse LSQR) on a synthetic pairshift set."""
    from shared.compare import oracle
    from shared.core import models

    t0 = time.perf_counter()
    dataset = synthetic(rows, items)
    design = models.design(dataset, bench_case().hyperparameters)
    data_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    oracle.solve(design, "sparse")
    solve_s = time.perf_counter() - t0
    return {"schema": 1, "env": "oracle", "impl": "lsqr", "rows": rows, "items": items, "data_s": data_s,
            "train_s": solve_s, "epoch_s": solve_s, "peak_rss_mib": peak_rss_mib()}


def rows_trend(points: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Per (env, impl, items): the log-log slope of epoch time over rows (1.0 = linear)."""
    import math

    groups = {}  # type: Dict[str, List[Tuple[int, float]]]
    for p in points:
        if isinstance(p.get("epoch_s"), (int, float)) and p["epoch_s"] > 0:
            groups.setdefault("%s/%s@items=%d" % (p["env"], p["impl"], p["items"]), []).append((p["rows"], p["epoch_s"]))
    out = {}
    for key, pts in sorted(groups.items()):
        pts.sort()
        if len(pts) >= 2 and pts[-1][0] > pts[0][0]:
            def slope(a, b):
                return math.log(b[1] / a[1]) / math.log(float(b[0]) / a[0])

            out[key] = {"rows": [r for r, _ in pts], "epoch_s": [s for _, s in pts], "loglog_slope": slope(pts[0], pts[-1]),
                        "loglog_slopes": [slope(a, b) for a, b in zip(pts, pts[1:])]}
    return out


def targets(bench: Dict[str, Any]) -> Dict[str, Any]:
    """The issue's targets against this run's figures: session/floor, memory at the largest point, linearity."""
    out = {}  # type: Dict[str, Any]
    ratio_ = (bench.get("ratios") or {}).get("session_over_floor")
    out["warm_within_1.5x_floor"] = {"value": ratio_, "target": 1.5, "met": ratio_ is not None and ratio_ <= 1.5}
    points = [p for p in bench.get("sweep", []) if p.get("env") in SIDES]
    if points:
        top = max((p["rows"], p["items"]) for p in points)
        at_top = [p for p in points if (p["rows"], p["items"]) == top]
        peaks = dict(("%s/%s" % (p["env"], p["impl"]), p.get("peak_rss_mib")) for p in at_top)
        trained = all(isinstance(p.get("epoch_s"), (int, float)) for p in at_top)
        out["largest_point_under_4GiB"] = {"rows": top[0], "items": top[1], "peak_rss_mib": peaks, "all_trained": trained,
                                           "met": trained and all(isinstance(v, (int, float)) and v < 4096
                                                                  for v in peaks.values())}
    trend = dict((k, v) for k, v in (bench.get("rows_trend") or {}).items() if not k.startswith("oracle/"))
    if trend:
        last = dict((k, v["loglog_slopes"][-1]) for k, v in trend.items())
        out["epoch_time_linear_in_rows"] = {
            "last_decade_loglog_slopes": last,
            "rule": "log-log slope of the steady epoch time over the last decade of rows within 0.8-1.2",
            "met": all(0.8 <= s <= 1.2 for s in last.values())}
    return out


def notes(points: Sequence[Dict[str, Any]]) -> List[str]:
    """What the numbers mean, with the dense-per-batch cost measured at the largest item count."""
    out = [
        "Every implementation is fed batches of 1000 rows from the shared plan; no implementation builds a dense "
        "rows x items matrix of the whole dataset (data stays as string columns and the plan's row indices).",
        "The feature-column design (TF1 indicator_column, Keras 2 DenseFeatures, Keras 3 StringLookup one_hot) IS "
        "dense per batch: each step materializes two batch x items float32 one-hot tensors and their difference.",
        "epoch_s is the steady state: the mean wall time of the epochs after the first, from the time each epoch's "
        "snapshot was taken. first_epoch_s also holds each implementation's fixed start-up (Estimator graph and "
        "session, Keras trace); the oracle's epoch_s is its whole solve. The bare loop is a sparse gather + the same "
        "TF optimizer (tf.compat.v1 FTRL) fed per step, i.e. the cost of the math with the least framework around it.",
        "The machine has 2 cores and is shared with other engineers' builds: compare ratios within one run, not "
        "absolute seconds across runs.",
    ]
    big = [p for p in points if isinstance(p.get("epoch_s"), (int, float))]
    if big:
        top = max(p["items"] for p in big)
        rows = max(p["rows"] for p in big if p["items"] == top)
        at = dict(("%s/%s" % (p["env"], p["impl"]), p) for p in big if p["items"] == top and p["rows"] == rows)
        for env in SIDES:
            bare = at.get("%s/bare" % env)
            for impl in IMPLS[env]:
                p = at.get("%s/%s" % (env, impl))
                if p and bare:
                    out.append("dense per batch at %d rows x %d items: %s/%s %.1f s/epoch, peak %.0f MiB vs the sparse "
                               "bare loop %.1f s, %.0f MiB (x%.1f time; one batch's one-hot pair is %.0f MiB)" % (
                                   rows, top, env, impl, p["epoch_s"], p["peak_rss_mib"], bare["epoch_s"],
                                   bare["peak_rss_mib"], p["epoch_s"] / bare["epoch_s"], 2 * BATCH * top * 4 / 2.0 ** 20))
    return out


# ---------------------------------------------------------------- host side: the session

def plot(path: str, plots: str) -> List[str]:
    """bench_floor.png (spent vs floor per env) and bench_sweep.png (epoch time and peak memory vs rows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(path) as handle:
        bench = json.load(handle)
    os.makedirs(plots, exist_ok=True)
    written = []
    kit, floor = bench.get("warm"), bench.get("floor", {})
    if kit and floor:
        fig, ax = plt.subplots(figsize=(7, 4))
        envs = [e for e in SIDES if e in kit["sides"] and "floor_s" in floor.get(e, {})]
        x = range(len(envs))
        ax.bar([i - 0.2 for i in x], [floor[e]["import_s"] for e in envs], 0.4, label="floor: bare import", color="#9ecae1")
        ax.bar([i - 0.2 for i in x], [floor[e]["bare_loops_s"] for e in envs], 0.4,
               bottom=[floor[e]["import_s"] for e in envs], label="floor: bare training loops", color="#3182bd")
        bottom = [0.0] * len(envs)
        for key, colour in (("import_s", "#fdae6b"), ("train_s", "#e6550d"), ("other_s", "#a63603")):
            vals = [kit["sides"][e][key] for e in envs]
            ax.bar([i + 0.2 for i in x], vals, 0.4, bottom=bottom, label="kit: " + key[:-2], color=colour)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_xticks(list(x))
        ax.set_xticklabels(envs)
        ax.set_ylabel("seconds")
        ax.set_title("warm nox -s tf1 tf2: %.1f s vs floor %.1f s (x%.2f)" % (
            kit["wall_s"], bench["ratios"]["floor_total_s"], bench["ratios"]["session_over_floor"] or 0))
        ax.legend(fontsize=7)
        fig.tight_layout()
        out = os.path.join(plots, "bench_floor.png")
        fig.savefig(out, dpi=100)
        plt.close(fig)
        written.append(out)
    points = [p for p in bench.get("sweep", []) if isinstance(p.get("epoch_s"), (int, float))]
    if points:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        keys = sorted(set((p["env"], p["impl"], p["items"]) for p in points))
        for env, impl, items in keys:
            pts = sorted((p["rows"], p["epoch_s"], p["peak_rss_mib"]) for p in points
                         if (p["env"], p["impl"], p["items"]) == (env, impl, items))
            label = "%s/%s items=%d" % (env, impl, items)
            a1.plot([r for r, _, _ in pts], [s for _, s, _ in pts], marker="o", label=label)
            a2.plot([r for r, _, _ in pts], [m for _, _, m in pts], marker="o", label=label)
        for ax, name in ((a1, "seconds per epoch"), (a2, "peak RSS (MiB)")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("rows")
            ax.set_ylabel(name)
        a2.axhline(4096, color="red", linestyle="--", linewidth=1)
        a1.legend(fontsize=5, ncol=2)
        fig.tight_layout()
        out = os.path.join(plots, "bench_sweep.png")
        fig.savefig(out, dpi=100)
        plt.close(fig)
        written.append(out)
    return written


def write_markdown(results: str) -> str:
    """``results/bench.md`` from ``results/bench.json`` (written atomically); returns its path."""
    from shared.bench.report import markdown

    with open(os.path.join(results, "bench.json")) as handle:
        bench = json.load(handle)
    path = os.path.join(results, "bench.md")
    atomic.write_text(path, markdown(bench))
    return path


def run_all(args) -> int:
    """The ``nox -s bench`` body: floors, warm (and cold) kit runs, env builds, sweep, speedups; then write."""
    results = os.path.abspath(args.results)
    out_path = os.path.join(results, "bench.json")
    envdir = os.path.join(ROOT, ".nox")
    tmp = tempfile.mkdtemp(prefix="tfkit-bench-")
    bench = {"schema": 1, "quick": bool(args.quick), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
             "machine": {"cpus": os.cpu_count(), "platform": sys.platform}}  # type: Dict[str, Any]
    log = print
    try:
        warm_results = os.path.join(tmp, "warm")
        log("bench: warm nox -s tf1 tf2 (reused envs in .nox), %d times after one warming run ..." % args.repeat)
        _run([sys.executable, "-m", "nox", "-s", "tf1", "tf2", "--", "--results", warm_results])  # envs and data exist
        warm = sorted((kit_run(None, warm_results, "warm") for _ in range(args.repeat)), key=lambda r: r["wall_s"])
        bench["warm"] = warm[len(warm) // 2]  # the median run, with its own breakdown
        bench["warm_runs_s"] = [r["wall_s"] for r in warm]
        log("bench: floors (bare import, bare training loops), %d times ..." % args.repeat)
        bench["floor"] = floor_run(envdir, warm_results, args.repeat)
        bench["ratios"] = ratios(bench["warm"], bench["floor"])
        log("bench: warm %.1f s, floor %.1f s, x%.2f" % (
            bench["warm"]["wall_s"], bench["ratios"]["floor_total_s"], bench["ratios"]["session_over_floor"] or 0))
        log("bench: the same warm run with one process per side (TFKIT_JOBS=1) ...")
        bench["warm_one_process"] = kit_run(None, warm_results, "warm, one process per side", jobs=1)
        bench["ratios_one_process"] = ratios(bench["warm_one_process"], bench["floor"])
        log("bench: one process per side %.1f s, x%.2f" % (
            bench["warm_one_process"]["wall_s"], bench["ratios_one_process"]["session_over_floor"] or 0))
        bench["speedups"] = SPEEDUPS
        atomic.write_json(out_path, bench)
        grid = QUICK_GRID if args.quick else FULL_GRID
        log("bench: sweep %s ..." % grid)
        bench["sweep_epochs"], bench["sweep_threads"] = args.sweep_epochs, args.sweep_threads
        bench["sweep"] = sweep(envdir, grid, args.point_timeout, log=log, epochs=args.sweep_epochs,
                               threads=args.sweep_threads)
        bench["rows_trend"] = rows_trend(bench["sweep"])
        bench["notes"] = notes(bench["sweep"])
        bench["targets"] = targets(bench)
        atomic.write_json(out_path, bench)
        if not args.quick:
            log("bench: warm nox -s matrix (every env of the table, one per core at a time) ...")
            bench["matrix"] = matrix_run(os.path.join(tmp, "matrix"))
            log("bench: matrix runs %.1f s of env time in %.1f s with %d jobs (x%.2f of sum/cores)" % (
                bench["matrix"]["sum_of_env_runs_s"], bench["matrix"]["run_s"], bench["matrix"]["jobs"],
                bench["matrix"]["run_over_sum_over_cores"] or 0))
            atomic.write_json(out_path, bench)
        if not args.quick and not args.no_cold:
            cold_dir = os.path.join(tmp, "cold-nox")
            log("bench: cold nox --envdir %s ..." % cold_dir)
            bench["cold"] = kit_run(cold_dir, os.path.join(tmp, "cold"), "cold (fresh envdir, warm uv cache)")
            bench["cold_over_warm"] = ratio(bench["cold"]["wall_s"], bench["warm"]["wall_s"])
            shutil.rmtree(cold_dir, ignore_errors=True)
            atomic.write_json(out_path, bench)
            log("bench: uv against pip for envs/tf2.txt ...")
            bench["env_build"] = env_build(tmp)
        bench["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        atomic.write_json(out_path, bench)
        log("bench: wrote %s" % out_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _, rc, text = _run([env_python(envdir, "compare"), "-m", "shared.bench", "plot", "--results", results])
    log(text.strip())
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared.bench", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command")
    run = sub.add_parser("run", help="the whole benchmark (what nox -s bench runs)")
    run.add_argument("--results", default=os.environ.get("TFKIT_RESULTS") or "results")
    run.add_argument("--quick", action="store_true", help="no cold run or env builds; a 2-point sweep")
    run.add_argument("--no-cold", action="store_true", help="skip the cold nox run and the uv/pip env builds")
    run.add_argument("--point-timeout", type=float, default=900.0, help="seconds per sweep measurement")
    run.add_argument("--repeat", type=int, default=3,
                     help="warm runs and floor measurements, each (default 3; ratios use the medians)")
    run.add_argument("--sweep-epochs", type=int, default=2,
                     help="epochs per sweep point (>= 2 separates start-up from the steady epoch time)")
    run.add_argument("--sweep-threads", type=int, default=0,
                     help="TensorFlow threads in the sweep (default 0: one per core, what large data wants; "
                          "the kit's runs and floors use the kit's --threads default)")
    orc = sub.add_parser("oracle", help="time the sparse least-squares oracle (run in the compare env)")
    orc.add_argument("--rows", type=float, required=True)
    orc.add_argument("--items", type=float, required=True)
    plt = sub.add_parser("plot", help="draw results/plots/bench_*.png and write results/bench.md from results/bench.json")
    plt.add_argument("--results", default="results")
    args = p.parse_args(argv)
    if args.command == "run":
        return run_all(args)
    if args.command == "oracle":
        print(MARK + json.dumps(oracle_main(int(args.rows), int(args.items)), sort_keys=True))
        return 0
    if args.command == "plot":
        for path in plot(os.path.join(args.results, "bench.json"), os.path.join(args.results, "plots")):
            print("bench: plot %s" % path)
        print("bench: report %s" % write_markdown(args.results))
        return 0
    p.print_help()
    return 2


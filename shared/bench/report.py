"""``results/bench.md``: the benchmark's figures as a page a person reads (stdlib only)."""

import json
from typing import Any, Dict, List, Optional, Sequence

from shared.core.registry import PACKAGES as SIDES


def _num(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    return "%.*f" % (digits, value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> List[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines + [""]


def _targets(bench: Dict[str, Any]) -> List[str]:
    targets = bench.get("targets") or {}
    rows = []
    warm = targets.get("warm_within_1.5x_floor")
    if warm:
        rows.append(["warm `nox -s tf1 tf2` within 1.5x its floor", "x" + _num(warm["value"]), _met(warm)])
    big = targets.get("largest_point_under_4GiB")
    if big:
        worst = max((v for v in big["peak_rss_mib"].values() if isinstance(v, (int, float))), default=None)
        rows.append(["%d rows x %d items trains in every implementation under 4 GiB" % (big["rows"], big["items"]),
                     "peak %s MiB" % _num(worst, 0), _met(big)])
    lin = targets.get("epoch_time_linear_in_rows")
    if lin:
        slopes = lin["last_decade_loglog_slopes"].values()
        rows.append(["epoch time grows about linearly with rows (" + lin["rule"] + ")",
                     "slopes %s to %s" % (_num(min(slopes)), _num(max(slopes))), _met(lin)])
    return ["## Targets", ""] + _table(["target", "measured", "met"], rows) if rows else []


def _met(target: Dict[str, Any]) -> str:
    return "yes" if target.get("met") else "**no**"


def _floor(bench: Dict[str, Any]) -> List[str]:
    warm, floor, ratios = bench.get("warm"), bench.get("floor") or {}, bench.get("ratios") or {}
    if not warm:
        return []
    rows = []
    for env in SIDES:
        side, fl = warm["sides"].get(env), floor.get(env) or {}
        if side and "floor_s" in fl:
            rows.append([env, _num(fl["import_s"]), _num(fl["bare_loops_s"]), _num(fl["floor_s"]),
                         side.get("processes", 1), _num(side["import_s"]), _num(side["train_s"]),
                         _num(side.get("train_wall_s", side["train_s"])), _num(side["other_s"]), _num(side["wall_s"]),
                         "x" + _num((ratios.get(env) or {}).get("side_wall_over_floor"))])
    out = ["## Warm run against its floor", "",
           "Floor of an env: a bare `python -c 'import tensorflow'` plus the bare training loop of every (case, "
           "implementation), one after the other in one process; the whole floor adds the comparison. Measured in "
           "the same run as the kit. The kit's sides train their cases in `processes` processes side by side "
           "(`--jobs`): `kit train` is the sum of the runs' training times, `train wall` the wall time of the "
           "training phase.", ""]
    out += _table(["env", "bare import", "bare loops", "floor", "processes", "kit import", "kit train", "train wall",
                   "kit other", "kit side", "side / floor"], rows)
    out.append("Comparison %s s, nox and process start-up %s s; warm `nox -s tf1 tf2` **%s s** against a floor of "
               "**%s s**: **x%s** (target x%s)." % (_num(warm.get("compare_s")), _num(warm.get("nox_overhead_s")),
                                                     _num(warm["wall_s"]), _num(ratios.get("floor_total_s")),
                                                     _num(ratios.get("session_over_floor")), _num(ratios.get("target"), 1)))
    one, one_ratios = bench.get("warm_one_process"), bench.get("ratios_one_process") or {}
    if one:
        out.append("The same warm run with one process per side (`TFKIT_JOBS=1`): %s s, **x%s** the floor (%s)." % (
            _num(one["wall_s"]), _num(one_ratios.get("session_over_floor")),
            ", ".join("%s side x%s" % (env, _num((one_ratios.get(env) or {}).get("side_wall_over_floor")))
                      for env in SIDES if env in one_ratios)))
    if bench.get("warm_runs_s"):
        out.append("Warm runs: %s s; the median run is the one shown, and floors are medians of as many "
                   "measurements." % ", ".join(_num(w) for w in bench["warm_runs_s"]))
    cold, build = bench.get("cold"), bench.get("env_build")
    if cold:
        out.append("Cold run (fresh envs, warm uv cache, bytecode compiled): %s s, x%s the warm run." % (
            _num(cold["wall_s"]), _num(bench.get("cold_over_warm"))))
    if build:
        out.append("Building the tf2 env from its lock: uv %s s, pip %s s (x%s). %s." % (
            _num(build["uv"]["total_s"]), _num(build["pip"]["total_s"]), _num(build.get("pip_over_uv")), build["note"]))
    return out + [""]


def _sweep(bench: Dict[str, Any]) -> List[str]:
    points = bench.get("sweep") or []
    if not points:
        return []
    rows = []
    for p in sorted(points, key=lambda p: (p["items"], p["rows"], p["env"], p["impl"])):
        rows.append([p["rows"], p["items"], "%s/%s" % (p["env"], p["impl"]), _num(p.get("epoch_s")),
                     _num(p.get("first_epoch_s")), _num(p.get("peak_rss_mib"), 0), p.get("error", "")[:80].replace("\n", " ")])
    out = ["## Scale sweep (pairshift, batch 1000)", "",
           "%s epoch(s) per point, TensorFlow threads %s (0 = one per core); `epoch s` is the steady epoch, "
           "`first epoch s` includes start-up; the oracle's figure is its whole solve." % (
               bench.get("sweep_epochs", 1), bench.get("sweep_threads", "-")), ""]
    out += _table(["rows", "items", "implementation", "epoch s", "first epoch s", "peak MiB", "error"], rows)
    trend = bench.get("rows_trend") or {}
    if trend:
        out += ["Growth of the steady epoch time with rows (log-log slope per decade; 1.0 is linear):", ""]
        out += _table(["implementation", "rows", "slopes"], [
            [k, ", ".join("%g" % r for r in v["rows"]), ", ".join(_num(s) for s in v.get("loglog_slopes") or [v.get("loglog_slope")])]
            for k, v in sorted(trend.items())])
    return out


def _speedups(bench: Dict[str, Any]) -> List[str]:
    rows = [[s["name"], json.dumps(s.get("before_s")), json.dumps(s.get("after_s")),
             "yes" if s.get("kept") is True else str(s.get("kept") or "no"), s.get("why", "")]
            for s in bench.get("speedups") or []]
    return ["## Speed-ups tried", ""] + _table(["change", "before (s)", "after (s)", "kept", "why"], rows) if rows else []


def _matrix(bench: Dict[str, Any]) -> List[str]:
    """The warm version matrix: its env runs, summed, against the wall time with one env per core."""
    m = bench.get("matrix")
    if not m:
        return []
    return ["## Version matrix (warm)", "",
            "| envs | jobs | sum of env runs | / jobs | wall of the runs | ratio | whole `nox -s matrix` |",
            "|---|---|---|---|---|---|---|",
            "| %d | %d | %.1f s | %.1f s | %.1f s | x%.2f | %.1f s |" % (
                len(m["envs"]), m["jobs"], m["sum_of_env_runs_s"], m["sum_over_cores_s"], m["run_s"],
                m["run_over_sum_over_cores"] or 0, m["wall_s"]), ""]


def markdown(bench: Dict[str, Any], title: Optional[str] = None) -> str:
    """The whole page: targets, the warm run against its floor, the sweep, notes and speed-ups."""
    lines = ["# %s" % (title or "tfkit benchmark"), "",
             "Started %s, finished %s; %s CPUs.%s" % (bench.get("started", "-"), bench.get("finished", "(unfinished)"),
                                                     (bench.get("machine") or {}).get("cpus", "-"),
                                                     " Quick run." if bench.get("quick") else ""), ""]
    lines += _targets(bench) + _floor(bench) + _matrix(bench) + _sweep(bench)
    if bench.get("notes"):
        lines += ["## Notes", ""] + ["- " + n for n in bench["notes"]] + [""]
    lines += _speedups(bench)
    return "\n".join(lines).rstrip() + "\n"

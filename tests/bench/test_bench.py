"""shared.bench: ratio arithmetic and the JSON the env-side bench prints (no timing assertions)."""

import json
import os
import subprocess

import pytest

from shared import bench

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIDE_KEYS = {"env", "impl", "rows", "items", "epochs", "steps", "batch_size", "import_s", "data_s", "train_s",
             "train_cpu_s", "epoch_s", "first_epoch_s", "epoch_s_is_steady", "peak_rss_mib", "rss_after_data_mib",
             "n_weights", "tensorflow", "threads"}


def test_median():
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert bench.median([5.0]) == 5.0


def test_ratio_arithmetic():
    assert bench.ratio(3.0, 2.0) == 1.5
    assert bench.ratio(None, 2.0) is None
    assert bench.ratio(1.0, None) is None
    assert bench.ratio(1.0, 0.0) is None


def test_ratios_sum_env_floors_and_the_comparison():
    kit = {"wall_s": 30.0, "compare_s": 2.0, "sides": {
        "tf1": {"wall_s": 8.0, "import_s": 2.0, "train_s": 5.0, "other_s": 1.0},
        "tf2": {"wall_s": 18.0, "import_s": 6.0, "train_s": 10.0, "other_s": 2.0}}}
    floor = {"tf1": {"import_s": 1.0, "bare_loops_s": 3.0, "floor_s": 4.0, "data_s": 0.1},
             "tf2": {"import_s": 5.0, "bare_loops_s": 9.0, "floor_s": 14.0, "data_s": 0.1}}
    out = bench.ratios(kit, floor)
    assert out["floor_total_s"] == 20.0
    assert out["session_over_floor"] == 1.5
    assert out["tf1"]["side_wall_over_floor"] == 2.0
    assert out["tf2"]["train_over_bare_loops"] == pytest.approx(10.0 / 9.0)


def _side_record(root, env, wall, import_s, runs, processes=None):
    """A results folder's runs/<env>/env.json and its results' timings, as a side writes them."""
    folder = os.path.join(root, "runs", env)
    os.makedirs(folder)
    rels = []
    for i, train in enumerate(runs):
        rel = os.path.join("runs", env, "r%d.json" % i)
        with open(os.path.join(root, rel), "w") as handle:
            json.dump({"run_id": "%s/c/%d" % (env, i), "timings": {"train_s": train}}, handle)
        rels.append(rel)
    record = {"env": env, "wall_s": wall, "fingerprint": {"import_s": import_s}, "results": rels, "failures": []}
    if processes:
        record["jobs"] = processes
    with open(os.path.join(folder, "env.json"), "w") as handle:
        json.dump(record, handle)


def test_a_side_of_several_processes_is_counted_by_the_wall_time_of_its_training(tmp_path):
    root = str(tmp_path)
    _side_record(root, "tf1", 10.0, 2.0, [3.0, 3.0, 2.0], {"processes": 2, "train_wall_s": 4.5})
    _side_record(root, "tf2", 12.0, 4.0, [3.0, 4.0])  # an older side record: one process
    sides = bench.kit_breakdown(root)
    assert sides["tf1"]["train_s"] == 8.0 and sides["tf1"]["train_wall_s"] == 4.5 and sides["tf1"]["processes"] == 2
    assert sides["tf1"]["other_s"] == pytest.approx(10.0 - 2.0 - 4.5)
    assert sides["tf2"]["train_wall_s"] == 7.0 and sides["tf2"]["other_s"] == 1.0 and sides["tf2"]["processes"] == 1
    floor = {"tf1": {"import_s": 1.0, "bare_loops_s": 3.0, "floor_s": 4.0, "data_s": 0.1}}
    out = bench.ratios({"wall_s": 20.0, "compare_s": 1.0, "sides": sides}, floor)
    assert out["tf1"]["train_over_bare_loops"] == 1.5 and out["tf1"]["train_sum_over_bare_loops"] == pytest.approx(8 / 3)


def test_rows_trend_is_the_loglog_slope():
    points = [{"env": "tf2", "impl": "keras2", "items": 100, "rows": r, "epoch_s": s}
              for r, s in ((10 ** 4, 1.0), (10 ** 5, 10.0), (10 ** 6, 100.0))]
    points.append({"env": "tf2", "impl": "keras3", "items": 100, "rows": 10 ** 4, "error": "boom"})
    trend = bench.rows_trend(points)
    assert list(trend) == ["tf2/keras2@items=100"]
    assert trend["tf2/keras2@items=100"]["loglog_slope"] == pytest.approx(1.0)
    assert trend["tf2/keras2@items=100"]["loglog_slopes"] == [pytest.approx(1.0), pytest.approx(1.0)]


def _bench(ratio, peak, last_epoch_s):
    sweep = [{"env": "tf2", "impl": "keras2", "items": 10 ** 4, "rows": 10 ** 5, "epoch_s": 1.0, "peak_rss_mib": 500.0},
             {"env": "tf2", "impl": "keras2", "items": 10 ** 4, "rows": 10 ** 6, "epoch_s": last_epoch_s,
              "peak_rss_mib": peak},
             {"env": "oracle", "impl": "lsqr", "items": 10 ** 4, "rows": 10 ** 6, "epoch_s": 0.5, "peak_rss_mib": 99.0}]
    bench_ = {"ratios": {"session_over_floor": ratio}, "sweep": sweep}
    bench_["rows_trend"] = bench.rows_trend(sweep)
    return bench.targets(bench_)


def test_targets_met():
    got = _bench(1.4, 2000.0, 10.0)
    assert got["warm_within_1.5x_floor"]["met"]
    assert got["largest_point_under_4GiB"]["met"] and got["largest_point_under_4GiB"]["rows"] == 10 ** 6
    assert got["epoch_time_linear_in_rows"]["met"]


@pytest.mark.parametrize("ratio,peak,last,missed", [
    (1.6, 2000.0, 10.0, "warm_within_1.5x_floor"),
    (1.4, 5000.0, 10.0, "largest_point_under_4GiB"),
    (1.4, 2000.0, 3.0, "epoch_time_linear_in_rows"),
    (1.4, 2000.0, 40.0, "epoch_time_linear_in_rows"),
])
def test_each_missed_target_is_reported(ratio, peak, last, missed):
    got = _bench(ratio, peak, last)
    assert [k for k, v in got.items() if not v["met"]] == [missed]


def test_parse_mark_takes_the_last_bench_line():
    text = "noise\nBENCH {\"a\": 1}\nwarning\nBENCH {\"a\": 2}\ntrailing\n"
    assert bench.parse_mark(text) == {"a": 2}
    assert bench.parse_mark("no json here") is None


@pytest.mark.e2e
@pytest.mark.parametrize("side,impl", [("tf1", "estimator"), ("tf1", "bare"), ("tf2", "keras3"), ("tf2", "bare")])
def test_side_bench_prints_the_schema_for_a_tiny_size(side, impl):
    python = os.environ.get("TFKIT_%s_PYTHON" % side.upper())
    if not python or not os.path.exists(python):
        pytest.skip("TFKIT_%s_PYTHON is not set to a built env: run 'nox -s tf1 tf2' then 'nox -s tests'" % side.upper())
    proc = subprocess.run([python, "-m", bench.SIDES[side] + ".bench", "epoch", "--rows", "200", "--items", "5",
                           "--impl", impl, "--batch-size", "50"], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:]
    got = bench.parse_mark(proc.stdout)
    assert got is not None, proc.stdout[-2000:]
    assert SIDE_KEYS <= set(got), sorted(SIDE_KEYS - set(got))
    assert (got["rows"], got["items"], got["epochs"], got["steps"], got["n_weights"]) == (200, 5, 2, 8, 5)
    assert got["epoch_s_is_steady"] and 0 < got["epoch_s"] and 0 < got["first_epoch_s"] <= got["train_s"]
    json.dumps(got, allow_nan=False)


def test_markdown_page_states_targets_floor_and_sweep():
    from shared.bench.report import markdown

    sweep = [{"env": "tf2", "impl": "keras2", "items": 10 ** 4, "rows": r, "epoch_s": s, "first_epoch_s": s + 1,
              "peak_rss_mib": 900.0} for r, s in ((10 ** 5, 1.0), (10 ** 6, 10.0))]
    page = {"started": "t0", "finished": "t1", "machine": {"cpus": 2}, "sweep": sweep, "sweep_epochs": 2,
            "sweep_threads": 0, "rows_trend": bench.rows_trend(sweep), "notes": ["dense per batch"],
            "warm": {"wall_s": 30.0, "compare_s": 2.0, "nox_overhead_s": 1.0, "sides": {
                "tf1": {"wall_s": 8.0, "import_s": 2.0, "train_s": 5.0, "other_s": 1.0}}},
            "floor": {"tf1": {"import_s": 1.0, "bare_loops_s": 3.0, "floor_s": 4.0}},
            "ratios": {"session_over_floor": 1.6, "floor_total_s": 18.75, "target": 1.5, "tf1": {"side_wall_over_floor": 2.0}},
            "speedups": [{"name": "x", "before_s": 2.0, "after_s": 1.0, "kept": True, "why": "faster"}],
            "warm_one_process": {"wall_s": 40.0}, "ratios_one_process": {"session_over_floor": 2.13,
                                                                         "tf1": {"side_wall_over_floor": 3.0}}}
    page["targets"] = bench.targets(page)
    text = markdown(page)
    assert "| warm `nox -s tf1 tf2` within 1.5x its floor | x1.60 | **no** |" in text
    assert "| 1000000 rows x 10000 items trains in every implementation under 4 GiB | peak 900 MiB | yes |" in text
    assert "| 1000000 | 10000 | tf2/keras2 | 10.00 | 11.00 | 900 |  |" in text
    assert "**x1.60** (target x1.5)" in text and "| x | 2.0 | 1.0 | yes | faster |" in text
    assert "one process per side (`TFKIT_JOBS=1`): 40.00 s, **x2.13** the floor (tf1 side x3.00)" in text


@pytest.mark.e2e
@pytest.mark.parametrize("side", ["tf1", "tf2"])
def test_the_floor_trains_every_registered_case_bare(side, tmp_path):
    """The floor counts each case once per implementation of its side, the canned cases' networks included."""
    from shared.core.registry import all_cases

    python = os.environ.get("TFKIT_%s_PYTHON" % side.upper())
    if not python or not os.path.exists(python):
        pytest.skip("TFKIT_%s_PYTHON is not set to a built env: run 'nox -s tf1 tf2' then 'nox -s tests'" % side.upper())
    root = str(tmp_path / "r")
    subprocess.check_call([python, "-m", "shared", "prepare", "--results", root], cwd=REPO, stdout=subprocess.DEVNULL)
    proc = subprocess.run([python, "-m", bench.SIDES[side] + ".bench", "floor", "--results", root], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
    got = bench.parse_mark(proc.stdout)
    assert proc.returncode == 0 and got is not None, proc.stdout[-2000:]
    cases = dict((c.name, c) for c in all_cases())
    assert sorted(got["cases"]) == sorted(cases)
    for name, measured in got["cases"].items():
        assert measured["impls"] == len(cases[name].impls[side]) and measured["bare_s"] > 0

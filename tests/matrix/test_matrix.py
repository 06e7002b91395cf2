"""The matrix runner's choices: which envs run, what reaches each side, and the report's heatmap cells."""

import pytest

from shared import matrix
from shared.core.errors import KitError
from shared.report import matrix as report_matrix


def test_the_home_envs_always_run_unless_only_is_asked():
    assert [e.name for e in matrix.selected(["tf2-215"])] == ["tf1", "tf2", "tf2-215"]
    assert [e.name for e in matrix.selected(["tf2-215"], only=True)] == ["tf2-215"]
    assert [e.name for e in matrix.selected(None)][:2] == ["tf1", "tf2"] and len(matrix.selected(None)) >= 7


def test_an_unknown_env_lists_the_table():
    with pytest.raises(KitError, match="unknown env") as err:
        matrix.selected(["tf2-299"])
    assert "tf2-216" in str(err.value)


def test_side_arguments_pass_through_and_prepare_gets_the_cases():
    args = ["--cases", "pairshift", "linear", "--cases-from", "examples/mlp", "--threads", "2"]
    assert matrix._values(args, "--cases") == ["pairshift", "linear"]
    assert matrix._prepare_args(args) == ["--cases", "pairshift", "linear", "--cases-from", "examples/mlp"]
    e = matrix.selected(["tf1-on-215"], only=True)[0]
    cmd = matrix.side_command("py", e, "R", args)
    assert cmd[:6] == ["py", "-m", "legacy_tf1", "--env", "tf1-on-215", "--lock"] and cmd[-2:] == ["--threads", "2"]
    assert dict(e.environment) == {"TFKIT_TF1_COMPAT": "1"} and e.venv_name == "tf2-215"
    assert "--jobs" not in cmd
    one = matrix.side_command("py", e, "R", args, side_jobs=1)
    assert one[-len(args) - 2:] == ["--jobs", "1"] + args  # before the side's own arguments


def _comp(kind, left, right, diff=None, passed=True, message=""):
    return {"case": "c", "kind": kind, "left": left, "right": right, "max_abs_diff": diff, "passed": passed,
            "message": message, "gating": kind != "skipped"}


def test_heatmap_cells_take_the_worst_comparison_and_the_skip_reason():
    summary = {"runs": {"tf1/c/e": {"env": "tf1"}, "tf2/c/k": {"env": "tf2"}, "tf2-215/c/k": {"env": "tf2-215"}},
               "comparisons": [
                   _comp("strict", "tf1/c/e", "tf2-215/c/k", 1e-6), _comp("baseline", "baseline/c/e", "tf2-215/c/k", 2e-3,
                                                                         passed=False),
                   _comp("skipped", "tf2-215/c/k3", None, message="tf2-215/c/k3: not run here: needs keras3")]}
    envs, columns, grid = report_matrix.cells(summary)
    assert envs == ["tf2-215"] and columns == ["c/k", "c/k3"]
    assert grid[("tf2-215", "c/k")]["baseline"]["passed"] is False
    assert grid[("tf2-215", "c/k3")]["skipped"] == "needs keras3"
    assert report_matrix.shown(summary)


def _runs(**exits):
    return [{"env": name.replace("_", "-"), "exit": code} for name, code in exits.items()]


@pytest.mark.parametrize("exits, expected", [
    (dict(tf1=0, tf2=0), True),
    (dict(tf1=0, tf2_215=0), True),          # any TF 2.x env's checkpoints are restored, not only the home one's
    (dict(tf1=1, tf2=0), False),             # the TF1 side failed: nothing restores the checkpoints
    (dict(tf1=0, tf2=1), False),             # no TF 2.x env ran cleanly: nothing to restore
    (dict(tf1=0, tf1_on_215=0), False),      # the TF1 code on a TF 2.x pin writes no rollback checkpoint
])
def test_the_rollback_step_follows_the_sides_when_tf1_and_a_tf2_env_ran(tmp_path, monkeypatch, exits, expected):
    calls = []

    class Proc:
        def __init__(self, cmd, **kw):
            calls.append(cmd)

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(matrix.subprocess, "Popen", Proc)
    (tmp_path / "matrix").mkdir()
    runs = _runs(**exits)
    envs = matrix.selected([r["env"] for r in runs], only=True)
    pythons = dict((e.name, "py-" + e.name) for e in envs)
    rolled = matrix.roll_back(envs, pythons, runs, str(tmp_path), ["--cases", "mlp"], lambda m: None)
    assert (rolled is not None) == expected
    if expected:
        assert calls == [["py-tf1", "-m", "legacy_tf1.artifacts", "--results", str(tmp_path), "--cases", "mlp"]]
        assert rolled["exit"] == 0 and rolled["log"] == "matrix/rollback.log"
    else:
        assert calls == []

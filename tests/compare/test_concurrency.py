"""Two runs on one results folder: a side looping into it while the comparison runs gives no spurious failure."""

import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join("tests", "core", "fakeside")
COMPARES = 12

LOOP = """
import os, subprocess, sys
results, stop, count = sys.argv[1:4]
n = 0
while not os.path.exists(stop):
    code = subprocess.call([sys.executable, "-m", "tests.core.fakeside", "tf1", "--results", results,
                            "--cases-from", %r, "--cases", "fakeline"], stdout=subprocess.DEVNULL)
    n += 1
    with open(count, "a") as handle:
        handle.write("%%d %%d\\n" %% (n, code))
""" % FOLDER


def _side(results, side, *extra):
    return subprocess.run([sys.executable, "-m", "tests.core.fakeside", side, "--results", results,
                           "--cases-from", FOLDER, "--cases", "fakeline"] + list(extra), cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)


def _compare(results):
    return subprocess.run([sys.executable, "-m", "shared", "compare", "--results", results, "--cases-from", FOLDER,
                           "--cases", "fakeline", "--no-report"], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)


def _record(root, name, lines):
    folder = os.path.join(root, "results", "reliability")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w") as handle:
        handle.write("\n".join(lines) + "\n")


def test_compare_while_a_side_loops_into_the_folder_never_fails_spuriously(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKIT_BASELINE", str(tmp_path / "no-baselines"))
    results = str(tmp_path / "results")
    for side in ("tf1", "tf2"):
        first = _side(results, side, "--prepare")
        assert first.returncode == 0, first.stdout
    stop, count = str(tmp_path / "stop"), str(tmp_path / "count")
    loop = subprocess.Popen([sys.executable, "-c", LOOP, results, stop, count], cwd=REPO,
                            env=dict(os.environ, FAKESIDE_IMPORT_S="1.0"))  # a side's TF import: clearing to writing
    outcomes, waited = [], 0
    try:
        while not os.path.exists(count):  # the loop has finished one run: it is writing from now on
            time.sleep(0.05)
        for _ in range(COMPARES):
            done = _compare(results)
            outcomes.append((done.returncode, done.stdout))
            waited += "waiting for the results folder" in done.stdout
    finally:
        open(stop, "w").close()
        loop.wait(timeout=120)
    with open(count) as handle:
        runs = [line.split() for line in handle.read().splitlines()]
    failed = [out for code, out in outcomes if code != 0]
    _record(REPO, "race.txt", ["compares %d, failed %d, waited for the side %d" % (COMPARES, len(failed), waited),
                               "side runs into the folder meanwhile %d, failed %d" % (
                                   len(runs), sum(1 for _, code in runs if code != "0"))])
    assert not failed, "%d of %d compares failed while the side looped:\n%s" % (len(failed), COMPARES, failed[0])
    assert len(runs) > COMPARES // 2, "the side ran only %d times: the compares did not overlap it" % len(runs)
    assert all(code == "0" for _, code in runs), runs

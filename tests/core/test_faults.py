"""Faults: a side killed mid-training, a full disk, a read-only results folder, a corrupted manifest.

Each leaves the previous complete results (or none), never a partial file, says what happened,
and the next run recovers. The fake side (tests/core/fakeside) runs as its own process.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from shared.core import data, results, staging
from shared.core.errors import WriteError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join("tests", "core", "fakeside")


def _side(root, case, *extra, **kw):
    cmd = [sys.executable, "-m", "tests.core.fakeside", "tf1", "--results", root, "--cases-from", FOLDER,
           "--cases", case] + list(extra)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            env=dict(os.environ, **kw.pop("env", {})), **kw)


def _done(proc, timeout=120):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _files(root):
    """Every file under ``root`` (relative), with its bytes."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = handle.read()
    return out


def _partial(root):
    """Temp files of interrupted atomic writes anywhere under ``root``."""
    return [p for p in _files(root) if p.endswith(".tmp")]


def _side_files(root, env="tf1"):
    return dict((p, b) for p, b in _files(results.runs_dir(root)).items() if p.startswith(env + os.sep))


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TFKIT_BASELINE", str(tmp_path / "no-baselines"))
    return {"FAKESIDE_STARTED": str(tmp_path / "started")}


def _kill_mid_training(root, env):
    """Start a run whose ``slow`` implementation trains for a minute; SIGKILL it once training has begun."""
    proc = _side(root, "fakeslow", env=env)
    deadline = time.time() + 60
    while not os.path.exists(env["FAKESIDE_STARTED"]):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0]
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    os.unlink(env["FAKESIDE_STARTED"])
    return proc.returncode


FAULTS = []  # (fault, outcome) of each test, written to results/reliability/faults.json


def _note(fault, outcome):
    FAULTS.append({"fault": fault, "outcome": outcome})
    folder = os.path.join(REPO, "results", "reliability")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "faults-py%d%d.json" % sys.version_info[:2]), "w") as handle:
        json.dump(FAULTS, handle, indent=1)


def test_sigkill_mid_training_leaves_the_previous_complete_side_and_the_next_run_recovers(tmp_path, env):
    root = str(tmp_path / "results")
    assert _done(_side(root, "fakeslow", "--prepare", "--impls", "good", env=env))[0] == 0
    before = _side_files(root)
    assert sorted(before) == [os.path.join("tf1", "env.json"), os.path.join("tf1", "fakeslow", "good.json")]

    assert _kill_mid_training(root, env) == -signal.SIGKILL
    assert _side_files(root) == before, "the killed run changed the complete side"
    assert _partial(root) == []
    (mark,) = staging.interrupted(results.runs_dir(root))
    assert mark["env"] == "tf1" and mark["cases"] == ["fakeslow"] and "error" not in mark

    code, out = _done(_side(root, "fakeslow", "--impls", "good", "--no-wait", env=env))
    assert code == 0, out
    assert staging.interrupted(results.runs_dir(root)) == [] and _partial(root) == []
    assert results.read(results.result_path(root, "tf1", "fakeslow", "good"))["status"] == "ok"
    _note("SIGKILL mid-training after a complete run", "previous side kept byte for byte, run marked unfinished, "
          "lock released, next run (--no-wait) ok")


def test_sigkill_of_a_first_run_leaves_no_side(tmp_path, env):
    root = str(tmp_path / "results")
    assert _done(_side(root, "fakeline", "--prepare", env=env))[0] == 0
    shutil.rmtree(os.path.join(results.runs_dir(root), "tf1"))
    _kill_mid_training(root, env)
    assert not os.path.exists(os.path.join(results.runs_dir(root), "tf1")) and _partial(root) == []
    code, out = _done(_side(root, "fakeline", "--no-wait", env=env))
    assert code == 0, out
    _note("SIGKILL mid-training of a first run", "no side, no partial file; next run ok")


@contextlib.contextmanager
def _mounted(path, *options):
    """A tmpfs mounted at ``path`` for the block; skips the test where mounting is not permitted."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8); this run is uid %s" % getattr(os, "geteuid", lambda: "?")())
    os.makedirs(path, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", path], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here: %s" % done.stdout.strip())
    try:
        yield path
    finally:
        subprocess.call(["umount", "-l", path])


def _fill(folder):
    """Fill the file system of ``folder`` to the last byte, then free two pages (the lock file's record and the
    run's mark take them, so the first result is what finds the disk full); returns the filler's path."""
    filler = os.path.join(folder, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    size = os.path.getsize(filler)
    os.truncate(filler, size - size % 4096 - 2 * 4096)
    return filler


def test_a_full_disk_is_a_clear_error_and_leaves_no_partial_file(tmp_path, env):
    with _mounted(str(tmp_path / "small"), "size=256k") as root:
        assert _done(_side(root, "fakeline", "--prepare", env=env))[0] == 0
        before = _side_files(root)
        filler = _fill(root)
        code, out = _done(_side(root, "fakeline", env=env))
        assert code == 2, out
        assert "could not write %s" % os.path.join(root, "runs", ".tf1.staging-") in out
        assert "fakeline%sgood.json" % os.sep in out, "the disk must fill up at the first result"
        assert "No space left on device (ENOSPC)" in out and "free space" in out
        assert _partial(root) == [] and _side_files(root) == before
        os.unlink(filler)
        code, out = _done(_side(root, "fakeline", env=env))
        assert code == 0 and staging.interrupted(results.runs_dir(root)) == [], out
    _note("full disk (256 KiB tmpfs filled) while writing results", "exit 2 'could not write ... ENOSPC', previous "
          "side unchanged, no .tmp file; after freeing space the next run ok")


def test_a_full_disk_while_preparing_data_writes_no_partial_data_file(tmp_path):
    from shared.core.registry import get_case

    with _mounted(str(tmp_path / "tiny"), "size=16k") as root:
        with pytest.raises(WriteError) as err:
            data.ensure(root, [get_case("linear")], log=lambda *_: None)
        assert "No space left on device" in str(err.value) and "linear.csv" in str(err.value)
        assert _files(root) == {}
    _note("full disk (16 KiB tmpfs) while preparing data", "WriteError naming linear.csv, no file written")


def test_a_read_only_results_folder_is_refused_before_training(tmp_path, env):
    root = str(tmp_path / "ro")
    with _mounted(root, "size=1m") as mounted:
        assert _done(_side(mounted, "fakeslow", "--prepare", "--impls", "good", env=env))[0] == 0
        before = _files(mounted)
        subprocess.check_call(["mount", "-o", "remount,ro", mounted])
        code, out = _done(_side(mounted, "fakeslow", env=env))
        assert code == 2, out
        assert "is not writable" in out and "Read-only file system" in out
        assert not os.path.exists(env["FAKESIDE_STARTED"]), "training started in a read-only folder"
        assert "TensorFlow" not in out, "the side imported its framework before finding the folder read-only"
        assert _files(mounted) == before
    _note("read-only results folder", "exit 2 'is not writable ... Read-only file system' before the framework "
          "import, nothing changed")


@pytest.mark.parametrize("garbage", [b"\x00\xff{not json", b'{"datasets": []}',
                                     b'{"datasets": {"fakeline": {"file": "../../etc/passwd", "sha256": "0"}}}',
                                     b'{"datasets": {"fakeline": {"file": "fakeline.csv"}}}'],
                         ids=["bytes", "no-mapping", "path-outside", "no-sha256"])
def test_a_corrupted_manifest_is_refused_naming_the_file(tmp_path, env, garbage):
    root = str(tmp_path / "results")
    assert _done(_side(root, "fakeline", "--prepare", env=env))[0] == 0
    manifest = os.path.join(data.data_dir(root), data.MANIFEST)
    with open(manifest, "wb") as handle:
        handle.write(garbage)
    code, out = _done(_side(root, "fakeline", env=env))
    assert code == 2, out
    assert "data manifest %s" % manifest in out and "Traceback" not in out
    assert "delete %s" % data.data_dir(root) in out
    _note("corrupted data manifest (%r)" % garbage[:24], "exit 2 naming %s" % os.path.basename(manifest))

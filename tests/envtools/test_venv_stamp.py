"""A venv stamped after its sync counts as synced until its lock or its installed distributions change."""

import os
import shutil

from shared.envtools import locks, venv_stamp


def _venv(tmp_path):
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "numpy-1.0.dist-info").mkdir()
    return str(tmp_path / "venv"), str(site)


def _lock(tmp_path, text="numpy==1.0 --hash=sha256:00\n"):
    path = tmp_path / "tf2.txt"
    path.write_text(text)
    return str(path)


def _touch_later(path):
    """Move a folder's mtime forward, as adding an entry would (file times can be coarser than a test is fast)."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))


def test_unstamped_venv_is_stale_and_a_stamped_one_synced(tmp_path):
    venv, _ = _venv(tmp_path)
    lock = _lock(tmp_path)
    assert not venv_stamp.is_synced(lock, venv)
    venv_stamp.mark(lock, venv)
    assert venv_stamp.is_synced(lock, venv)


def test_an_installed_or_removed_distribution_makes_it_stale(tmp_path):
    venv, site = _venv(tmp_path)
    lock = _lock(tmp_path)
    venv_stamp.mark(lock, venv)
    os.mkdir(os.path.join(site, "extra-2.0.dist-info"))
    _touch_later(site)
    assert not venv_stamp.is_synced(lock, venv)
    venv_stamp.mark(lock, venv)
    shutil.rmtree(os.path.join(site, "extra-2.0.dist-info"))
    _touch_later(site)
    assert not venv_stamp.is_synced(lock, venv)


def test_another_lock_makes_it_stale(tmp_path):
    venv, _ = _venv(tmp_path)
    lock = _lock(tmp_path)
    venv_stamp.mark(lock, venv)
    _lock(tmp_path, "numpy==2.0 --hash=sha256:11\n")
    assert not venv_stamp.is_synced(lock, venv)


def test_unreadable_stamp_or_no_site_packages_is_stale(tmp_path):
    venv, site = _venv(tmp_path)
    lock = _lock(tmp_path)
    venv_stamp.mark(lock, venv)
    with open(os.path.join(venv, venv_stamp.STAMP), "w") as handle:
        handle.write("{half")
    assert not venv_stamp.is_synced(lock, venv)
    empty = str(tmp_path / "empty")
    os.mkdir(empty)
    venv_stamp.mark(lock, empty)
    assert not venv_stamp.is_synced(lock, empty)


def test_locks_cli_reports_the_state_with_the_lock_path(tmp_path, capsys):
    venv, _ = _venv(tmp_path)
    assert locks.main(["check", "tf2", "--venv", venv]) == 0
    assert capsys.readouterr().out.split() == ["stale", locks.check("tf2")]
    assert locks.main(["mark", "tf2", "--venv", venv]) == 0
    assert locks.main(["check", "tf2", "--venv", venv]) == 0
    assert capsys.readouterr().out.split() == ["synced", locks.check("tf2")]
    assert locks.main(["check", "tf2"]) == 0
    assert capsys.readouterr().out.split() == [locks.check("tf2")]
    assert locks.main(["mark", "tf2"]) == 2
    assert "usage" in capsys.readouterr().err

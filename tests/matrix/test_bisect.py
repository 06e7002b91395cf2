"""The pin bisector's search, driven by a fake env runner: it finds the release that moved in ceil(log2 n) builds."""

import math

import pytest

from shared.core.errors import KitError
from shared.matrix import bisect

RELEASES = ["2.11.0", "2.12.0", "2.12.1", "2.13.0", "2.13.1", "2.14.0", "2.14.1", "2.15.0", "2.15.0.post1", "2.15.1",
            "2.16.1", "2.16.2", "2.17.0", "2.17.1", "2.18.0", "2.18.1", "2.19.0", "2.19.1", "2.20.0", "2.21.0"]


def fake(changed_at, calls):
    """Version -> result: the weight ``w`` moves by 1e-3 from ``changed_at`` on (None: never)."""
    def run(version):
        calls.append(version)
        moved = changed_at is not None and bisect.version_key(version) >= bisect.version_key(changed_at)
        return {"coefficients": {"w": 1.0 + (1e-3 if moved else 0.0), "k": [[0.5, 0.25]]}}
    return run


@pytest.mark.parametrize("k", RELEASES[1:])
def test_finds_the_release_that_moved_in_log2_builds(k):
    good, versions = bisect.between(RELEASES, "2.11", "2.21")
    calls = []
    found = bisect.Search(versions, fake(k, calls), 1e-5, log=lambda _: None).run(good)
    assert found["moved"] and found["first_bad"] == k
    assert found["last_good"] == RELEASES[RELEASES.index(k) - 1]
    between_pins = found["builds"] - 2  # the good and the bad pin are built first
    assert between_pins <= math.ceil(math.log(len(versions), 2))
    assert len(calls) == len(set(calls)) == found["builds"], "each version built once"
    assert found["top"][0][0] == "w" and abs(found["top"][0][1] - 1e-3) < 1e-12


def test_two_pins_that_agree_report_that_no_version_moved():
    good, versions = bisect.between(RELEASES, "2.15", "2.16")
    calls = []
    found = bisect.Search(versions, fake(None, calls), 1e-5, log=lambda _: None).run(good)
    assert not found["moved"] and found["builds"] == 2 and calls == ["2.15.1", "2.16.2"]


def test_a_change_below_the_tolerance_is_not_a_move():
    good, versions = bisect.between(RELEASES, "2.11", "2.21")
    found = bisect.Search(versions, fake("2.17.0", []), 1e-2, log=lambda _: None).run(good)
    assert not found["moved"]


def test_other_names_count_as_moved():
    moved, top = bisect.differs({"coefficients": {"a": 1.0}}, {"coefficients": {"b": 1.0}}, 1.0)
    assert moved and "names differ" in top[0][0]


def test_pins_resolve_to_their_newest_release_and_the_range_excludes_the_good_one():
    good, versions = bisect.between(RELEASES, "2.15", "2.17")
    assert good == "2.15.1" and versions == ["2.16.1", "2.16.2", "2.17.0", "2.17.1"]
    assert bisect.released(["2.16.0rc0", "2.15.0.post1", "2.15.0", "2.9.0"]) == ["2.9.0", "2.15.0", "2.15.0.post1"]


def test_bad_pins_are_refused():
    with pytest.raises(KitError, match="no release matches 3.0"):
        bisect.between(RELEASES, "2.11", "3.0")
    with pytest.raises(KitError, match="is not older than"):
        bisect.between(RELEASES, "2.21", "2.11")


def test_unlocked_requirements_follow_the_keras_split():
    assert bisect.requirements("2.15.1")[0] == "tensorflow-cpu==2.15.1"
    assert bisect.requirements("2.17.1")[:2] == ["tensorflow==2.17.1", "tf-keras~=2.17.0"]
    assert bisect.pinned_env("2.16.2").name == "tf2-216" and bisect.pinned_env("2.17.0") is None

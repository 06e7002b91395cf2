"""The HTML report as a person sees it, in headless Chromium: every image loads, no console error, failures first.

Skipped when no Chromium is installed (Debian: apt-get install chromium; .ci/run installs it),
unless TFKIT_REQUIRE_E2E=1, which makes that a failure. Screenshots are kept under
results/reliability/.
"""

import copy
import os

import pytest

from shared import report
from tests.report import browser
from tests.report.test_report import REPO, make_summary

CHROMIUM = browser.find()
SHOTS = os.path.join(REPO, "results", "reliability")


@pytest.fixture(scope="module")
def chromium():
    if CHROMIUM is None:
        reason = "no Chromium on PATH (%s): apt-get install chromium" % ", ".join(browser.CANDIDATES)
        if os.environ.get("TFKIT_REQUIRE_E2E") == "1":
            pytest.fail(reason + " (TFKIT_REQUIRE_E2E=1)")
        pytest.skip(reason)
    os.makedirs(SHOTS, exist_ok=True)
    return CHROMIUM


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The report of the passing and of the failing fixture, with their plots."""
    pytest.importorskip("matplotlib")
    out = {}
    for name, fail in (("passing", False), ("failing", True)):
        root = str(tmp_path_factory.mktemp(name) / "results")
        report.write(root, copy.deepcopy(make_summary(fail)))
        out[name] = os.path.join(root, "report.html")
    return out


def _images_load(found):
    assert found["images"], "the report shows no image"
    broken = [i for i in found["images"] if not i["complete"] or i["width"] == 0 or i["height"] == 0]
    assert not broken, "images that did not load: %s" % broken


def test_the_failing_report_shows_its_failures_first_with_every_image_and_no_console_error(chromium, pages):
    found = browser.inspect(chromium, pages["failing"], os.path.join(SHOTS, "report-failing.png"))
    _images_load(found)
    assert found["errors"] == []
    first, rest = found["h2"][0], found["h2"][1:]
    assert first["text"] == "Failures" and first["in_failures"], found["h2"][:3]
    assert all(first["top"] < h["top"] for h in rest), "the failures box is not what the page shows first"
    assert "FAILED" in found["title"]
    assert os.path.getsize(os.path.join(SHOTS, "report-failing.png")) > 10000


def test_the_passing_report_loads_every_image_with_no_console_error(chromium, pages):
    found = browser.inspect(chromium, pages["passing"], os.path.join(SHOTS, "report-passing.png"))
    _images_load(found)
    assert found["errors"] == []
    assert not any(h["in_failures"] for h in found["h2"]) and found["h2"][0]["text"] == "Overview"


def test_the_browser_check_sees_a_broken_image_and_a_console_error(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><h2>Overview</h2>'
                    '<img alt="truncated" src="data:image/png;base64,iVBORw0KGgo=">'
                    '<img alt="missing" src="nowhere.png"><script>console.error("boom")</script></body></html>')
    found = browser.inspect(chromium, str(page))
    assert [i["alt"] for i in found["images"] if i["width"] == 0] == ["truncated", "missing"]
    assert any("boom" in e for e in found["errors"]), found["errors"]
    assert any("nowhere.png" in e or "ERR_FILE_NOT_FOUND" in e for e in found["errors"]), found["errors"]

"""results/junit.xml: one testcase per comparison, failures carrying the comparison's message."""

import xml.etree.ElementTree as ET

from shared import compare
from shared.compare import junit


def test_every_comparison_is_a_testcase_and_failures_carry_their_message(root, make_full):
    make_full(root, "linear", {"W": 3.0, "b": 2.0})
    from tests.conftest import fake_result

    fake_result(root, "tf2", "linear", "eager", {"W": 3.5, "b": 2.0})
    summary = compare.summarize(root, ["linear"])
    tree = ET.parse(junit.write(root, summary))
    cases = tree.getroot().findall(".//testcase")
    assert len(cases) == len(summary["comparisons"])
    failed = [c for c in cases if c.find("failure") is not None]
    assert "strict tf1/linear/session vs tf2/linear/eager" in [c.get("name") for c in failed]
    message = [c for c in failed if c.get("name").startswith("strict")][0].find("failure").get("message")
    assert "W differs by 0.5" in message
    assert tree.getroot().get("failures") == str(summary["n_failed"])


def test_skipped_and_reported_comparisons():
    summary = {"comparisons": [
        {"case": "c", "kind": "skipped", "left": "tf2-215/c/keras3", "right": None, "passed": True, "gating": False,
         "message": "not run here: needs keras3"},
        {"case": "c", "kind": "oracle", "left": "tf2/c/k", "right": "oracle/c/lstsq", "passed": False, "gating": False,
         "message": "far & <away>"}], "n_failed": 0}
    root = ET.fromstring(junit.render(summary))
    skipped, note = root.findall(".//testcase")
    assert skipped.find("skipped").get("message") == "not run here: needs keras3"
    assert note.find("failure") is None and "far & <away>" in note.find("system-out").text

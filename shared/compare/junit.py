"""``results/junit.xml``: one testcase per comparison, named by its run ids, so that CI systems list each one."""

import os
from typing import Any, Dict, List, Mapping
from xml.sax.saxutils import escape, quoteattr

from shared.core import atomic


def testcase(c: Mapping[str, Any]) -> str:
    name = "%s %s vs %s" % (c["kind"], c["left"], c.get("right") or "-")
    head = "    <testcase classname=%s name=%s time=\"0\"" % (quoteattr("tfkit." + c["case"]), quoteattr(name))
    message = c.get("message", "")
    if c["kind"] == "skipped":
        return head + ">\n      <skipped message=%s/>\n    </testcase>" % quoteattr(message)
    if not c["passed"] and c.get("gating") is not False:
        return head + ">\n      <failure message=%s type=%s>%s</failure>\n    </testcase>" % (
            quoteattr(message[:500]), quoteattr(c["kind"]), escape(message))
    if not c["passed"]:  # reported, not required (a convergence note)
        return head + ">\n      <system-out>%s</system-out>\n    </testcase>" % escape("reported, not required: " + message)
    return head + "/>"


def render(summary: Mapping[str, Any]) -> str:
    """JUnit XML of a summary: a testsuite per case."""
    by_case = {}  # type: Dict[str, List[Mapping[str, Any]]]
    for c in summary.get("comparisons", []):
        by_case.setdefault(c["case"], []).append(c)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<testsuites name="tfkit" tests="%d" failures="%d">' % (
                 len(summary.get("comparisons", [])), summary.get("n_failed", 0))]
    for case, comps in sorted(by_case.items()):
        failures = sum(1 for c in comps if not c["passed"] and c.get("gating") is not False)
        skipped = sum(1 for c in comps if c["kind"] == "skipped")
        lines.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d">' % (
            quoteattr("tfkit." + case), len(comps), failures, skipped))
        lines.extend(testcase(c) for c in comps)
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def write(root: str, summary: Mapping[str, Any]) -> str:
    path = os.path.join(root, "junit.xml")
    atomic.write_text(path, render(summary))
    return path

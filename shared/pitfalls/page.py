"""The catalogue as ``pitfalls.json``, ``pitfalls.md`` and a self-contained ``pitfalls.html`` (the report's renderers)."""

import datetime
import os
from typing import Any, Dict, List, Mapping, Optional

from shared.core import atomic
from shared.pitfalls.verdict import Catalogue, Judged, Port
from shared.report.document import box, bullets, code, heading, para, table
from shared.report.html import to_html
from shared.report.markdown import markdown

HEADERS = ["#", "pitfall", "TF1 API and default", "naive port", "naive max |\u0394| weights / predictions",
           "first stage where it parts", "effective setting that differs", "fix",
           "faithful max |\u0394| weights / predictions", "verdict"]


def fig(x: Optional[float]) -> str:
    """A max |diff| as the table shows it: ``0`` when exact, else 2 significant digits."""
    if x is None:
        return "\u2014"
    return "0" if x == 0 else ("%.2g" % x if abs(x) < 1e-3 or abs(x) >= 1e3 else "%.3g" % x)


def pair(p: Port) -> str:
    return "%s / %s" % (fig(p.figures.get("weights")), fig(p.figures.get("predictions")))


def value(v: Any) -> str:
    if isinstance(v, float):
        return "%g" % v
    if isinstance(v, list):
        return "[%s]" % ", ".join(value(i) for i in v)
    return repr(v) if isinstance(v, str) else str(v)


def setting_cell(j: Judged) -> List[Any]:
    """The declared cause settings with both values (TF1 vs naive); without a declared one, what else differs."""
    by_name = dict((d["setting"], d) for d in j.naive.settings)
    shown = [by_name[s] for s in j.entry.settings if s in by_name] or list(j.naive.settings[:3])
    if not shown:
        return ["none"]
    parts = []  # type: List[Any]
    for d in shown:
        parts += [code(d["setting"]), " %s \u2192 %s" % (value(d["left"]), value(d["right"])), "; "]
    return parts[:-1]


def stage_cell(j: Judged) -> str:
    if j.naive_outcome() != "red":
        return "none (within the tolerances)" if j.naive_outcome() == "does not differ measurably" else "\u2014"
    first = j.naive.first or {}
    stage = first.get("stage") or "\u2014"
    return "%s %d" % (stage, first["epoch"]) if stage == "epoch" and "epoch" in first else stage


def naive_cell(j: Judged) -> List[Any]:
    outcome = j.naive_outcome()
    if outcome == "does not differ measurably":
        return [pair(j.naive), " (", ("b", "no measurable difference"), ")"]
    if j.entry.judged_on:
        return [pair(j.naive), " (judged on its settings)"]
    return [pair(j.naive)]


def faithful_cell(j: Judged) -> List[Any]:
    if j.entry.judged_on:
        return [pair(j.faithful), " (can never match weight for weight; its settings and forward pass agree)"
                if j.faithful_outcome() == "green" else ""]
    return [pair(j.faithful)]


def row(j: Judged) -> List[Any]:
    e = j.entry
    verdict = ("pass", "PASS") if j.ok else ("fail", "FAIL")
    return [e.id, e.title, [code(e.tf1_api), ": " + e.tf1_default], e.naive, naive_cell(j), stage_cell(j),
            setting_cell(j), e.fix, faithful_cell(j), [verdict]]


def notes(j: Judged) -> List[Any]:
    e = j.entry
    out = []  # type: List[Any]
    if e.note:
        out.append(e.note)
    if e.judged_on:
        out.append(e.judged_on)
    if j.tf1_runs:
        out.append("the two TF1 runs %s and %s %s: max |\u0394| %s on weights, %s on predictions" % (
            j.tf1_runs["runs"][0], j.tf1_runs["runs"][1], "differ" if j.tf1_runs["differ"] else "agree",
            fig(j.tf1_runs.get("weights")), fig(j.tf1_runs.get("predictions"))))
    return [[("b", e.id + " "), "; ".join(out)]] if out else []


def build(catalogue: Catalogue, summary_path: str, generated: str, timings: Optional[Mapping[str, float]]) -> List[tuple]:
    """The page: the verdict, what fails it, the table, the notes, how it was made."""
    agree = [j.entry.id for j in catalogue.judged if j.naive_outcome() == "does not differ measurably"]
    doc = [heading(1, "TF1 \u2192 TF2 pitfalls catalogue")]
    doc.append(para(("b", "PASSED" if catalogue.passed else "FAILED"), ": %d entries, %d failed. Each naive port must "
                    "be red for its declared cause and each faithful port green%s." % (
                        len(catalogue.judged), sum(1 for j in catalogue.judged if not j.ok),
                        "; %s: the naive port does not differ measurably, as declared" % ", ".join(agree) if agree else ""),
                    cls="verdict ok" if catalogue.passed else "verdict bad"))
    if not catalogue.passed:
        doc.append(box("failures", [heading(2, "What fails the catalogue"), bullets(catalogue.failures)]))
    doc.append(table(HEADERS, [row(j) for j in catalogue.judged], numeric=(4, 8)))
    extra = [n for j in catalogue.judged for n in notes(j)]
    if extra:
        doc += [heading(2, "Notes"), bullets(extra)]
    spent = ""
    if timings:
        spent = " Wall time: %s." % ", ".join("%s %.1f s" % (k, v) for k, v in timings.items())
    doc.append(para("Max |\u0394| of the weights by canonical name and of the probe predictions, each port against "
                    "its case's TF1 run, from ", code(summary_path), ". Written by ", code("python -m shared.pitfalls"),
                    " at %s.%s Run again with " % (generated, spent), code("nox -s pitfalls"), ".", cls="footer"))
    return doc


def write(root: str, catalogue: Catalogue, summary_path: str, timings: Optional[Dict[str, float]] = None) -> str:
    """Write ``<root>/pitfalls.json``, ``pitfalls.md`` and ``pitfalls.html``; return the .md path."""
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    payload = dict(catalogue.to_dict(), summary=summary_path, generated=generated, timings=dict(timings or {}))
    atomic.write_json(os.path.join(root, "pitfalls.json"), payload)
    doc = build(catalogue, summary_path, generated, timings)
    md_path = os.path.join(root, "pitfalls.md")
    atomic.write_text(md_path, markdown(doc))
    title = "TF1 \u2192 TF2 pitfalls catalogue: %s" % ("PASSED" if catalogue.passed else "FAILED")
    atomic.write_text(os.path.join(root, "pitfalls.html"), to_html(doc, title))
    return md_path

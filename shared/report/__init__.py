"""The report: ``report.md`` and a self-contained ``report.html`` (plots inlined) made from ``summary.json``."""

import datetime
import os
from typing import Any, Dict, List, Mapping, Optional

from shared.core import atomic
from shared.report.document import box, code, heading, para
from shared.report.html import to_html
from shared.report.markdown import markdown
from shared.report.case import case_section
from shared.report.failures import failures
from shared.report import matrix
from shared.report.figures import MATRIX, draw_plots
from shared.report.format import case_order, env_order
from shared.report.overview import environments, overview


def build(summary: Mapping[str, Any], figures: Mapping[str, List[tuple]], plot_note: Optional[str],
          generated: str) -> List[tuple]:
    """The whole page as blocks: the verdict, failures first, the overview, environments, one section per case."""
    comps = summary.get("comparisons", [])
    runs = summary.get("runs", {})
    cases = summary.get("cases", {})
    failed = [c for c in comps if not c.get("passed") and c.get("gating") is not False]
    envs = sorted(set(r.get("env", "?") for r in runs.values()), key=env_order)
    doc = [heading(1, "TF1 \u2192 TF2 reproduction report")]
    doc.append(para(("b", "PASSED" if summary.get("passed") else "FAILED"),
                    ": %d comparisons, %d failed; %d cases, %d runs in %d environments (%s)." % (
                        len(comps), len(failed), len(cases), len(runs), len(envs), ", ".join(envs) or "none"),
                    cls="verdict ok" if summary.get("passed") else "verdict bad"))
    if failed or not summary.get("passed"):
        doc.append(box("failures", failures(summary, failed)))
    doc.extend(overview(summary))
    if plot_note:
        doc.append(para(("b", "Plots not drawn: "), plot_note + "."))
    doc.extend(environments(runs, envs))
    if matrix.shown(summary):
        doc.extend(matrix.section(summary, figures.get(MATRIX)))
    for name in case_order(summary):
        doc.extend(case_section(name, summary, figures.get(name, [])))
    doc.append(para("Written by ", code("python -m shared compare"), " from ", code("summary.json"), " in ",
                    code(summary.get("results", "?")), " at %s. Run again with " % generated,
                    code("nox -s tf1 tf2"), ".", cls="footer"))
    return doc


def write(root: str, summary: Dict[str, Any], plots: Optional[bool] = None) -> str:
    """Write ``<root>/report.md``, ``<root>/report.html`` and ``<root>/plots/*.png``; return the .md path.

    ``plots=False`` skips the figures; by default they are drawn when matplotlib can be imported.
    """
    if plots is False:
        figures = {}  # type: Dict[str, List[tuple]]
        note = "plots were switched off for this report"  # type: Optional[str]
    else:
        figures, note = draw_plots(root, summary)
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc = build(summary, figures, note, generated)
    title = "TF1 \u2192 TF2 reproduction report: %s" % ("PASSED" if summary.get("passed") else "FAILED")
    md_path = os.path.join(root, "report.md")
    atomic.write_text(md_path, markdown(doc))
    atomic.write_text(os.path.join(root, "report.html"), to_html(doc, title))
    return md_path

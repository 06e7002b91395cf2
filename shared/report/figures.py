"""The report's figures: each case's plots drawn into ``<root>/plots`` as figure blocks, stale PNGs removed."""

import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from shared.core import atomic
from shared.core.weights import elements
from shared.report.document import code, figure, para
from shared.report.format import PROBLEM_KINDS, case_order, slug

PLOTS_DIR = "plots"
FIGURES = ("coefficients", "differences", "loss")  # <case>_<figure>.png: the PNGs this report owns
MATRIX = "__matrix__"  # the key of the version matrix's figure (plots/matrix.png)


def draw_plots(root: str, summary: Mapping[str, Any]) -> Tuple[Dict[str, List[tuple]], Optional[str]]:
    """Draw every case's figures into ``<root>/plots``; returns figure blocks per case and a note when none."""
    from shared.report import plots

    why = plots.unavailable()
    if why:
        return {}, why
    out = {}  # type: Dict[str, List[tuple]]
    written = set()
    for case in case_order(summary):
        info = summary["cases"][case]
        spec = info.get("spec") or {}
        tols = spec.get("tolerances") or {}
        strict_tol = (tols.get("strict") or {}).get("value")
        oracle_tol = (tols.get("oracle") or {}).get("value")
        oracle = info.get("oracle") or {}
        ref_id = info.get("reference")
        unusable = set(c["left"] for c in summary.get("comparisons", [])
                       if c["case"] == case and c["kind"] in PROBLEM_KINDS)
        runs = sorted((rid, r) for rid, r in summary.get("runs", {}).items()
                      if r.get("case") == case and r.get("status") == "ok" and r.get("coefficients")
                      and rid not in unusable)
        coefs = [(rid, dict(elements(r["coefficients"]))) for rid, r in runs]  # tensors element by element
        ref = dict(coefs).get(ref_id)
        jobs = []
        if ref is not None:
            jobs.append(("coefficients", "Coefficients: reference against every other run",
                         "Each point is one coefficient, matched by name: %s on x, the other run on y; the grey "
                         "line is y = x. Right: the difference, which the left panel cannot resolve." % ref_id,
                         lambda: plots.scatter(case, ref_id, ref, [(i, c) for i, c in coefs if i != ref_id],
                                               strict_tol)))
            jobs.append(("differences", "Differences per coefficient",
                         "Histograms of log10 |difference| per coefficient (exact zeros counted in the legend); "
                         "dashed red: the tolerance. Left: against the reference; right: against the "
                         "closed-form oracle%s." % (", both centred" if spec.get("gauge") else ""),
                         lambda: plots.differences(case, ref_id, ref, coefs, strict_tol, oracle.get("coefficients"),
                                                   oracle_tol, spec.get("gauge") or ())))
        jobs.append(("loss", "Loss curves",
                     "Full-data loss after every epoch, every implementation on one log axis (dashed red: the "
                     "oracle's minimum). Right: how far above that minimum each run still is.",
                     lambda: plots.losses(case, ref_id, [(rid, r.get("loss_history") or []) for rid, r in runs],
                                          oracle.get("mse"), spec.get("loss") or "mse")))
        blocks = []  # type: List[tuple]
        if ref is None:
            blocks.append(para(("b", "No coefficient plots: "), "the reference run ", code(ref_id),
                               " has no usable result."))
        for name, title, caption, draw in jobs:  # name: one of FIGURES
            rel = "%s/%s_%s.png" % (PLOTS_DIR, slug(case), name)
            try:
                png = draw()
            except Exception as exc:  # a broken plot must not hide the numbers
                blocks.append(para(("b", "%s: not drawn " % title), "(%s: %s)" % (type(exc).__name__, exc)))
                continue
            atomic.write_bytes(os.path.join(root, rel), png)
            written.add(os.path.basename(rel))
            blocks.append(figure(rel, title, caption, png))
        out[case] = blocks
    from shared.report import matrix

    if matrix.shown(summary):
        rel = "%s/matrix.png" % PLOTS_DIR
        try:
            png = plots.heatmap(*matrix.cells(summary))
            atomic.write_bytes(os.path.join(root, rel), png)
            out[MATRIX] = [figure(rel, "Version matrix", "log10 max |difference| of each env's run against TF 1.15 "
                                  "(the reference); a cross marks a failed check, grey an implementation the env "
                                  "cannot run.", png)]
        except Exception as exc:  # a broken plot must not hide the numbers
            out[MATRIX] = [para(("b", "Version matrix: not drawn "), "(%s: %s)" % (type(exc).__name__, exc))]
    _remove_stale(os.path.join(root, PLOTS_DIR), written)
    return out, None


def _remove_stale(folder: str, keep: set) -> None:
    """Drop the report's PNGs of cases no longer reported (other PNGs there, e.g. the benchmark's, stay)."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if name.endswith(tuple("_%s.png" % f for f in FIGURES)) and name not in keep:
            os.unlink(os.path.join(folder, name))

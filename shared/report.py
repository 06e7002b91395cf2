"""The report: ``report.md`` and a self-contained ``report.html`` (plots inlined) made from ``summary.json``.

Failures come first, then an overview, the environments side by side and one section per case with
its comparison tables, data checksum and plots. Both pages are rendered from one small document model
so they always say the same thing. Standard library only; plots (``shared.plots``) need matplotlib
and are skipped, with a note on the page, where it is not importable.
"""

import base64
import datetime
import html
import os
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from shared import atomic

PLOTS_DIR = "plots"
NUMERIC_KINDS = ("strict", "env", "baseline", "oracle")  # order of failing comparisons on the page
PROBLEM_KINDS = ("missing", "failed", "refused", "baseline-refused")
OTHER_TITLES = {
    "env": "Same implementation in another environment (container, GPU)",
    "baseline": "Against the committed TF1 baseline",
    "baseline-stands-in": "TF1 runs not made here: the committed baseline stands in",
}
ENV_ROWS = (
    ("Python", "python"), ("TensorFlow", "tensorflow"), ("Keras", "keras"), ("tf_keras", "tf_keras"),
    ("tensorflow_estimator", "tensorflow_estimator"), ("numpy", "numpy"), ("pandas", "pandas"),
    ("device used", "device"), ("device requested", "device_requested"), ("GPUs", "gpus"),
    ("built with CUDA", "built_with_cuda"), ("CUDA build", "cuda_build"), ("cuDNN build", "cudnn_build"),
    ("determinism", "determinism"), ("lock file", "lock_file"), ("lock sha256", "lock_sha256"),
    ("container", "container"), ("platform", "platform"),
)

# ---------------------------------------------------------------- document model
# Inline content is a list of str (plain text) and (kind, text[, href]) tuples, kind in
# code / b / pass / fail / link. Blocks are tuples, first item the block kind.


def code(text: Any) -> Tuple[str, str]:
    return ("code", str(text))


def verdict(passed: bool) -> Tuple[str, str]:
    return ("pass", "PASS") if passed else ("fail", "FAIL")


def heading(level: int, text: Any, anchor: Optional[str] = None) -> tuple:
    return ("h", level, _inline(text), anchor)


def para(*parts: Any, cls: str = "") -> tuple:
    return ("p", list(parts), cls)


def bullets(items: Sequence[Any]) -> tuple:
    return ("ul", [_inline(i) for i in items])


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> tuple:
    return ("table", list(headers), [[_inline(c) for c in r] for r in rows], set(numeric))


def figure(path: str, title: str, caption: str, png: bytes) -> tuple:
    return ("figure", path, title, caption, png)


def box(cls: str, blocks: Sequence[tuple]) -> tuple:
    return ("box", cls, list(blocks))


def _inline(x: Any) -> List[Any]:
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return [x]
    return [str(x)]


# ---------------------------------------------------------------- numbers and labels


def fmt_diff(x: Optional[float]) -> str:
    """A difference as it appears in the tables: ``—`` when none, ``0`` when exact, else 3 digits."""
    if x is None:
        return "\u2014"
    return "0" if x == 0 else "%.2e" % x


def fmt_tol(x: Optional[float]) -> str:
    return "\u2014" if x is None else "%g" % x


def fmt_ratio(diff: Optional[float], tol: Optional[float]) -> str:
    if diff is None or not tol:
        return "\u2014"
    return "%.2g" % (diff / tol)


def fmt_value(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "\u2014"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "%.6g" % v
    if isinstance(v, dict):
        return ", ".join("%s=%s" % (k, fmt_value(v[k])) for k in sorted(v)) or "\u2014"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(i) for i in v)
    return str(v)


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _kind_order(kind: str) -> int:
    order = PROBLEM_KINDS + NUMERIC_KINDS
    return order.index(kind) if kind in order else len(order)


def case_order(summary: Mapping[str, Any]) -> List[str]:
    """The summary's cases in registry order (``summary.json`` sorts its keys), unknown ones last."""
    try:
        from shared.registry import case_names

        known = case_names()
    except Exception:  # a summary from another checkout must still be reportable
        known = []
    names = list(summary.get("cases", {}))
    return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))


def _env_order(env: str) -> Tuple[int, str]:
    return (0 if env == "tf1" else 1 if env == "tf2" else 2, env)


# ---------------------------------------------------------------- plots


def draw_plots(root: str, summary: Mapping[str, Any]) -> Tuple[Dict[str, List[tuple]], Optional[str]]:
    """Draw every case's figures into ``<root>/plots``; returns figure blocks per case and a note when none."""
    from shared import plots

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
        coefs = [(rid, r["coefficients"]) for rid, r in runs]
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
                                          oracle.get("mse"))))
        blocks = []  # type: List[tuple]
        if ref is None:
            blocks.append(para(("b", "No coefficient plots: "), "the reference run ", code(ref_id),
                               " has no usable result."))
        for name, title, caption, draw in jobs:
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
    _remove_stale(os.path.join(root, PLOTS_DIR), written)
    return out, None


def _remove_stale(folder: str, keep: set) -> None:
    """Drop PNGs of cases no longer reported, so the folder matches the page."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if name.endswith(".png") and name not in keep:
            os.unlink(os.path.join(folder, name))


# ---------------------------------------------------------------- content


def build(summary: Mapping[str, Any], figures: Mapping[str, List[tuple]], plot_note: Optional[str],
          generated: str) -> List[tuple]:
    """The whole page as blocks."""
    comps = summary.get("comparisons", [])
    runs = summary.get("runs", {})
    cases = summary.get("cases", {})
    failed = [c for c in comps if not c.get("passed")]
    envs = sorted(set(r.get("env", "?") for r in runs.values()), key=_env_order)
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
    for name in case_order(summary):
        doc.extend(case_section(name, summary, figures.get(name, [])))
    doc.append(para("Written by ", code("python -m shared compare"), " from ", code("summary.json"), " in ",
                    code(summary.get("results", "?")), " at %s. Run again with " % generated,
                    code("nox -s tf1 tf2"), ".", cls="footer"))
    return doc


def failures(summary: Mapping[str, Any], failed: Sequence[Mapping[str, Any]]) -> List[tuple]:
    """Failing comparisons with their worst coefficients, then everything that could not be compared."""
    order = case_order(summary)
    key = lambda c: (order.index(c["case"]) if c["case"] in order else len(order), _kind_order(c["kind"]),
                     c.get("left") or "", c.get("right") or "")
    numeric = sorted((c for c in failed if c["kind"] not in PROBLEM_KINDS), key=key)
    problems = sorted((c for c in failed if c["kind"] in PROBLEM_KINDS), key=key)
    out = [heading(2, "Failures", "failures")]
    if not failed:
        out.append(para("The summary did not pass, yet no comparison failed: no comparisons were made "
                        "(no results under ", code("runs/"), "?)."))
    for c in numeric:
        out.append(heading(3, ["%s %s: " % (c["case"], c["kind"]), code(c["left"]), " vs ", code(c.get("right"))]))
        out.append(para(verdict(False), " ", c.get("message", "")))
        if c.get("worst"):
            tol = c.get("tolerance")
            out.append(table(
                ["coefficient", "left: %s" % c["left"], "right: %s" % c.get("right"), "|\u0394|", "|\u0394|/tol", "result"],
                [[code(w["name"]), "%.9g" % w["left"], "%.9g" % w["right"], fmt_diff(w["diff"]),
                  fmt_ratio(w["diff"], tol), verdict(tol is not None and w["diff"] <= tol)] for w in c["worst"]],
                numeric=(1, 2, 3, 4)))
        if c.get("only_left") or c.get("only_right"):
            out.append(bullets([["only in left: ", ", ".join(c.get("only_left") or []) or "none"],
                                ["only in right: ", ", ".join(c.get("only_right") or []) or "none"]]))
    if problems:
        out.append(heading(3, "Missing sides and runs that could not be compared"))
        out.append(table(["run", "what", "why", "result"],
                         [[code(c["left"]), c["kind"], c.get("message", ""), verdict(False)] for c in problems]))
    return out


def overview(summary: Mapping[str, Any]) -> List[tuple]:
    rows = []
    for name in case_order(summary):
        info = summary["cases"][name]
        mine = [c for c in summary.get("comparisons", []) if c["case"] == name]
        runs = [r for r in summary.get("runs", {}).values() if r.get("case") == name]
        row = [("link", name, "#case-" + slug(name)), "%d of %d ok" % (
            sum(1 for r in runs if r.get("status") == "ok"), _expected_runs(info, runs))]
        for kind in ("strict", "oracle"):
            ks = [c for c in mine if c["kind"] == kind and c.get("max_abs_diff") is not None]
            worst = max(ks, key=lambda c: c["max_abs_diff"]) if ks else None
            row.append(fmt_diff(worst["max_abs_diff"]) if worst else "\u2014")
            row.append(fmt_tol(worst["tolerance"]) if worst else "\u2014")
        row += ["%d of %d" % (sum(1 for c in mine if not c["passed"]), len(mine)),
                verdict(bool(mine) and all(c["passed"] for c in mine))]
        rows.append(row)
    return [heading(2, "Overview", "overview"),
            table(["case", "runs", "vs reference: max |\u0394|", "tolerance", "vs oracle: max |\u0394|", "tolerance",
                   "failed", "result"], rows, numeric=(2, 3, 4, 5))]


def _expected_runs(info: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> int:
    impls = (info.get("spec") or {}).get("impls") or {}
    declared = sum(len(v) for v in impls.values())
    extra = sum(1 for r in runs if r.get("env") != r.get("side"))  # container/GPU runs beyond the plain envs
    return max(declared + extra, len(runs))


def environments(runs: Mapping[str, Mapping[str, Any]], envs: Sequence[str]) -> List[tuple]:
    """One column per environment; a field that differs between runs of one env lists every value."""
    prints = dict((e, [r.get("fingerprint") or {} for r in runs.values() if r.get("env") == e]) for e in envs)
    rows = []
    for title, key in ENV_ROWS:
        cells = []
        for e in envs:
            vals = []
            for fp in prints[e]:
                v = fmt_value(fp.get(key))
                if key == "lock_sha256" and fp.get(key):
                    v = str(fp[key])[:12]
                if v not in vals:
                    vals.append(v)
            cells.append(code(" | ".join(vals)) if key == "lock_sha256" and vals != ["\u2014"] else " | ".join(vals))
        if any(c != "\u2014" and c != "" for c in cells) or key in ("python", "tensorflow", "device"):
            rows.append([title] + cells)
    if not envs:
        return [heading(2, "Environments", "environments"), para("No runs were found.")]
    return [heading(2, "Environments", "environments"),
            para("As recorded by each run (lock sha256 shortened to 12 hex digits)."),
            table(["" ] + list(envs), rows)]


def case_section(name: str, summary: Mapping[str, Any], figs: List[tuple]) -> List[tuple]:
    info = summary["cases"][name]
    spec = info.get("spec") or {}
    runs = summary.get("runs", {})
    mine = [c for c in summary.get("comparisons", []) if c["case"] == name]
    ok = bool(mine) and all(c["passed"] for c in mine)
    tols = spec.get("tolerances") or {}
    oracle = info.get("oracle") or {}
    out = [heading(2, ["Case ", code(name)], "case-" + slug(name)),
           para(verdict(ok), " ", spec.get("description", ""))]
    facts = [
        ["data sha256: ", code(info.get("data_sha256") or "no data found")],
        ["spec sha256: ", code(str(info.get("spec_sha256", ""))[:12]), "; reference run: ", code(info.get("reference"))],
    ]
    for kind in sorted(tols, key=lambda k: (k != "strict", k)):
        facts.append(["%s tolerance %s: %s" % (kind, fmt_tol(tols[kind].get("value")), tols[kind].get("reason", ""))])
    if oracle:
        facts.append(["oracle (closed-form least squares): MSE %.6g, solved in %.3g s" % (
            oracle.get("mse", float("nan")), oracle.get("solve_s", float("nan")))])
    if spec.get("hyperparameters"):
        facts.append(["hyperparameters: ", code(fmt_value(spec["hyperparameters"]))])
    out.append(bullets(facts))

    strict = [c for c in mine if c["kind"] == "strict"]
    out.append(heading(3, ["Against the reference ", code(info.get("reference"))]))
    if strict:
        out.append(table(["run", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient", "result"],
                         [[code(c["right"]), fmt_diff(c["max_abs_diff"]), fmt_diff(c.get("rms_diff")),
                           fmt_ratio(c["max_abs_diff"], c["tolerance"]), fmt_tol(c["tolerance"]), _worst(c),
                           verdict(c["passed"])] for c in strict], numeric=(1, 2, 3, 4)))
    else:
        out.append(para("No run could be compared with the reference."))

    orc = [c for c in mine if c["kind"] == "oracle"]
    out.append(heading(3, "Against the oracle" + (" (both centred: only differences are identified)"
                                                  if any(c.get("centred") for c in orc) else "")))
    if orc:
        rows = []
        for c in orc:
            r = runs.get(c["left"]) or {}
            hist = r.get("loss_history") or []
            rows.append([code(c["left"]), fmt_diff(c["max_abs_diff"]), fmt_diff(c.get("rms_diff")),
                         fmt_ratio(c["max_abs_diff"], c["tolerance"]), fmt_tol(c["tolerance"]), _worst(c),
                         "%.6g" % hist[-1] if hist else "\u2014",
                         "%.2f" % (r.get("timings") or {}).get("train_s") if (r.get("timings") or {}).get("train_s")
                         is not None else "\u2014", verdict(c["passed"])])
        out.append(table(["run", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient",
                          "final loss", "train s", "result"], rows, numeric=(1, 2, 3, 4, 6, 7)))
    else:
        out.append(para("No oracle comparison (no data, or the oracle failed: see Failures)."))

    other = [c for c in mine if c["kind"] not in ("strict", "oracle") + PROBLEM_KINDS]
    for kind in sorted(set(c["kind"] for c in other), key=_kind_order):
        group = [c for c in other if c["kind"] == kind]
        out.append(heading(3, OTHER_TITLES.get(kind, "Comparisons of kind %s" % kind)))
        reasons = []  # type: List[str]
        for c in group:
            if c.get("tolerance_reason") and c["tolerance_reason"] not in reasons:
                reasons.append(c["tolerance_reason"])
        if reasons:
            out.append(para("Tolerance: " + "; ".join(reasons) + "."))
        out.append(table(["left", "right", "max |\u0394|", "RMS \u0394", "max/tol", "tolerance", "worst coefficient",
                          "result"],
                         [[code(c["left"]), code(c.get("right")), fmt_diff(c.get("max_abs_diff")),
                           fmt_diff(c.get("rms_diff")), fmt_ratio(c.get("max_abs_diff"), c.get("tolerance")),
                           fmt_tol(c.get("tolerance")), _worst(c), verdict(c["passed"])] for c in group],
                         numeric=(2, 3, 4, 5)))
    problems = [c for c in mine if c["kind"] in PROBLEM_KINDS]
    if problems:
        out.append(heading(3, "Not compared"))
        out.append(table(["run", "what", "why", "result"],
                         [[code(c["left"]), c["kind"], c.get("message", ""), verdict(False)] for c in problems]))
    out.extend(figs)
    return out


def _worst(c: Mapping[str, Any]) -> Any:
    w = (c.get("worst") or [None])[0]
    if not w:
        return "\u2014"
    return [code(w["name"]), " " + fmt_diff(w["diff"])]


# ---------------------------------------------------------------- renderers


def _md_text(s: str) -> str:
    s = s.replace("\\", "\\\\")
    for ch in "`*_<>[]|&":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ")


def _md_inline(parts: Sequence[Any]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(_md_text(p))
            continue
        kind, text = p[0], str(p[1]).replace("\n", " ")
        if kind == "code":
            fence = "``" if "`" in text else "`"
            out.append("%s%s%s" % (fence, text.replace("|", "\\|"), fence))
        elif kind == "link":
            out.append("[%s](%s)" % (_md_text(text), p[2]))
        elif kind == "fail":
            out.append("**\u274c %s**" % text)
        elif kind == "pass":
            out.append("\u2705 %s" % text)
        else:  # emphasis must not end in a space, or CommonMark shows the asterisks
            stripped = text.rstrip()
            out.append("**%s**%s" % (_md_text(stripped), text[len(stripped):]))
    return "".join(out)


def markdown(doc: Sequence[tuple]) -> str:
    lines = []  # type: List[str]
    for block in doc:
        kind = block[0]
        if kind == "h":
            lines += ["#" * block[1] + " " + _md_inline(block[2]), ""]
        elif kind == "p":
            lines += [_md_inline(block[1]), ""]
        elif kind == "ul":
            lines += ["- " + _md_inline(i) for i in block[1]] + [""]
        elif kind == "table":
            headers, rows, numeric = block[1], block[2], block[3]
            lines.append("| " + " | ".join(_md_text(h) for h in headers) + " |")
            lines.append("|" + "|".join("---:" if i in numeric else "---" for i in range(len(headers))) + "|")
            lines += ["| " + " | ".join(_md_inline(c) for c in r) + " |" for r in rows]
            lines.append("")
        elif kind == "figure":
            lines += ["![%s](%s)" % (_md_text(block[2]), block[1]), "", "*%s*" % _md_text(block[3]), ""]
        elif kind == "box":
            lines += markdown(block[2]).splitlines() + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _h(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _html_inline(parts: Sequence[Any]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(_h(p))
            continue
        kind, text = p[0], p[1]
        if kind == "code":
            out.append("<code>%s</code>" % _h(text))
        elif kind == "link":
            out.append('<a href="%s">%s</a>' % (_h(p[2]), _h(text)))
        elif kind in ("pass", "fail"):
            out.append('<span class="badge %s">%s</span>' % (kind, _h(text)))
        else:
            out.append("<b>%s</b>" % _h(text))
    return "".join(out)


def _has_fail(row: Sequence[List[Any]]) -> bool:
    return any(isinstance(p, tuple) and p[0] == "fail" for cell in row for p in cell)


def _html_blocks(doc: Sequence[tuple]) -> List[str]:
    out = []  # type: List[str]
    for block in doc:
        kind = block[0]
        if kind == "h":
            anchor = ' id="%s"' % _h(block[3]) if block[3] else ""
            out.append("<h%d%s>%s</h%d>" % (block[1], anchor, _html_inline(block[2]), block[1]))
        elif kind == "p":
            cls = ' class="%s"' % _h(block[2]) if block[2] else ""
            out.append("<p%s>%s</p>" % (cls, _html_inline(block[1])))
        elif kind == "ul":
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % _html_inline(i) for i in block[1]))
        elif kind == "table":
            headers, rows, numeric = block[1], block[2], block[3]
            head = "".join("<th>%s</th>" % _h(h) for h in headers)
            body = "".join("<tr%s>%s</tr>" % (' class="bad"' if _has_fail(r) else "", "".join(
                '<td%s>%s</td>' % (' class="num"' if i in numeric else "", _html_inline(c)) for i, c in enumerate(r)))
                for r in rows)
            out.append('<div class="scroll"><table><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>'
                       % (head, body))
        elif kind == "figure":
            data = base64.b64encode(block[4]).decode("ascii")
            out.append('<figure><figcaption><b>%s</b> (<code>%s</code>) %s</figcaption>'
                       '<img alt="%s" src="data:image/png;base64,%s"></figure>'
                       % (_h(block[2]), _h(block[1]), _h(block[3]), _h(block[2]), data))
        elif kind == "box":
            out.append('<section class="%s">%s</section>' % (_h(block[1]), "\n".join(_html_blocks(block[2]))))
    return out


CSS = """
body{font:15px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;
max-width:1200px;margin:24px auto;padding:0 20px}
h1{font-size:26px;margin:0 0 10px}h2{font-size:21px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:36px}
h3{font-size:16px;margin:22px 0 6px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#f3f4f6;
padding:1px 4px;border-radius:4px;word-break:break-all}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:6px 0 14px;font-size:13.5px}
th,td{border:1px solid #d0d7de;padding:4px 9px;text-align:left;vertical-align:top}th{background:#f6f8fa;white-space:nowrap}
tbody tr:nth-child(even) td{background:#fafbfc}tbody tr.bad td{background:#fff1f0}td.num{text-align:right;white-space:nowrap;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;font-weight:700;font-size:12px;padding:1px 7px;border-radius:10px;white-space:nowrap}
.badge.pass{background:#dafbe1;color:#116329}.badge.fail{background:#cf222e;color:#fff}
.verdict{font-size:17px;padding:10px 14px;border-radius:6px}.verdict.ok{background:#dafbe1;border:1px solid #4ac26b}
.verdict.bad{background:#ffebe9;border:1px solid #ff8182}
.failures{border:2px solid #cf222e;border-radius:8px;padding:0 18px 8px;margin:18px 0;background:#fffafa}
.failures h2{color:#cf222e;margin-top:14px}
figure{margin:14px 0 26px}figure img{max-width:100%;border:1px solid #d0d7de;border-radius:4px;margin-top:4px}
figcaption{color:#57606a;font-size:13px}.footer{color:#57606a;font-size:13px;margin-top:40px}
ul{padding-left:22px}li{margin:2px 0}
"""


def to_html(doc: Sequence[tuple], title: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>%s</title>\n'
            '<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n'
            % (_h(title), CSS, "\n".join(_html_blocks(doc))))


# ---------------------------------------------------------------- entry point


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

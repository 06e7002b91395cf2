"""The report: tables match summary.json, failures come first, HTML is self-contained, plots are PNGs."""

import base64
import copy
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from shared import compare, report
from shared.report.format import PROBLEM_KINDS, fmt_diff, fmt_tol

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}

FP = {
    "tf1": {"python": "3.7.16", "tensorflow": "1.15.5", "keras": "2.2.4-tf", "numpy": "1.18.5", "pandas": "1.3.5",
            "device": "/device:CPU:0", "cuda_build": None, "cudnn_build": None, "lock_sha256": "6e3228fb2a25" + "0" * 52},
    "tf2": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "tf_keras": "2.21.0", "numpy": "2.4.6",
            "pandas": "2.3.3", "device": "/device:GPU:0", "cuda_build": "12.5.1", "cudnn_build": "9",
            "lock_sha256": "2b5b99f7faba" + "1" * 52},
}


def _spec(name, impls, strict, oracle, gauge):
    return {"name": name, "description": "toy <script>alert('%s')</script> & co" % name, "gauge": list(gauge),
            "impls": impls, "reference": "tf1/" + impls["tf1"][0], "hyperparameters": {"lr": 0.1, "epochs": 3},
            "tolerances": {"strict": {"value": strict, "reason": "float32 sum order"},
                           "oracle": {"value": oracle, "reason": "noise floor of FTRL"}}}


def _run(env, case, impl, coefficients, loss):
    return {"env": env, "side": env, "case": case, "impl": impl, "status": "ok", "fingerprint": dict(FP[env]),
            "timings": {"train_s": 1.25}, "loss_history": loss, "coefficients": dict(coefficients),
            "extra": {"device": FP[env]["device"]}}


def make_summary(fail=False):
    """Two cases built with the real compare functions: ``line`` (bit-identical) and ``pairs`` (100 items).

    ``fail`` makes tf2/pairs/k3 wrong at item042 (and item007 slightly), drops tf2/pairs/k2 and crashes
    tf2/line/keras3.
    """
    cases, runs, comps = {}, {}, []
    # line: every implementation identical to the reference, oracle a little off
    line = {"W": 3.0096089839935303, "b": 1.9502166509628296}
    line_oracle = {"W": 3.0096084691586515, "b": 1.9502169130124183}
    line_spec = _spec("line", {"tf1": ["session"], "tf2": ["eager", "keras3"]}, 1e-5, 1e-4, ())
    cases["line"] = {"reference": "tf1/line/session", "data_sha256": "a" * 64, "spec_sha256": "b" * 64,
                     "spec": line_spec, "oracle": {"coefficients": line_oracle, "mse": 0.957, "solve_s": 0.01}}
    loss = [6.0 * 0.8 ** (2 * e) + 0.957 for e in range(30)]
    for env, impl in (("tf1", "session"), ("tf2", "eager"), ("tf2", "keras3")):
        runs["%s/line/%s" % (env, impl)] = _run(env, "line", impl, line, loss)
    if fail:
        runs["tf2/line/keras3"].update(status="failed", coefficients={})
        runs["tf2/line/keras3"]["error"] = "Traceback ...\nValueError: shapes (2,) | (3,) <incompatible>"
    # pairs: 100 items, float32-like noise between sides
    names = ["item%03d" % i for i in range(100)]
    ref = dict((n, ((i * 37) % 100) / 25.0 - 2.0) for i, n in enumerate(names))
    pair_oracle = dict((n, v + 1e-3 * ((i % 7) - 3) / 3.0) for i, (n, v) in enumerate(sorted(ref.items())))
    pair_spec = _spec("pairs", {"tf1": ["estimator"], "tf2": ["k2", "k3"]}, 1e-5, 5e-3, ("",))
    cases["pairs"] = {"reference": "tf1/pairs/estimator", "data_sha256": "c" * 64, "spec_sha256": "d" * 64,
                      "spec": pair_spec, "oracle": {"coefficients": pair_oracle, "mse": 0.0099, "solve_s": 0.2}}
    k3 = dict((n, v + 2.4e-7 * ((i % 5) - 2)) for i, (n, v) in enumerate(sorted(ref.items())))
    if fail:
        k3["item042"] += 3.1e-4
        k3["item007"] += 2e-5
    ploss = [0.84 * 0.6 ** e + 0.0099 for e in range(40)]
    runs["tf1/pairs/estimator"] = _run("tf1", "pairs", "estimator", ref, ploss)
    runs["tf2/pairs/k3"] = _run("tf2", "pairs", "k3", k3, ploss)
    if not fail:
        runs["tf2/pairs/k2"] = _run("tf2", "pairs", "k2", ref, ploss)

    for case, info in cases.items():
        spec, ref_id = info["spec"], info["reference"]
        for key in [s + "/" + i for s, impls in spec["impls"].items() for i in impls]:
            side, impl = key.split("/")
            rid = "%s/%s/%s" % (side, case, impl)
            if rid not in runs:
                comps.append(compare.problem(case, rid, None, "missing",
                                             "%s: no result; the %s side is missing" % (rid, side)).to_dict())
            elif runs[rid]["status"] != "ok":
                comps.append(compare.problem(case, rid, None, "failed", "%s did not finish (failed): %s" % (
                    rid, runs[rid]["error"].splitlines()[-1])).to_dict())
        ok = sorted(rid for rid, r in runs.items() if r["case"] == case and r["status"] == "ok")
        strict, otol = spec["tolerances"]["strict"], spec["tolerances"]["oracle"]
        for rid in ok:
            if rid != ref_id:
                comps.append(compare.diff(case, ref_id, rid, runs[ref_id]["coefficients"], runs[rid]["coefficients"],
                                          "strict", strict["value"], strict["reason"]).to_dict())
            c = compare.diff(case, rid, "oracle/%s/lstsq" % case, compare.centre(runs[rid]["coefficients"], spec["gauge"]),
                             compare.centre(info["oracle"]["coefficients"], spec["gauge"]), "oracle", otol["value"],
                             otol["reason"]).to_dict()
            c["centred"] = bool(spec["gauge"])
            comps.append(c)
    passed = all(c["passed"] for c in comps)
    return {"schema": 1, "passed": passed, "results": "/tmp/results", "cases": cases, "runs": runs,
            "comparisons": comps, "n_failed": sum(1 for c in comps if not c["passed"])}


class Page(HTMLParser):
    """Tags, table rows as cell texts, headings in order, and nesting errors of an HTML page."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.stack, self.errors, self.tags, self.rows, self.headings, self.text = [], [], [], [], [], []
        self._cell = self._row = self._heading = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "h2", "h3"):
            self._heading = [tag, ""]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unexpected </%s> with open %s" % (tag, self.stack[-3:]))
            return
        self.stack.pop()
        if tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self.rows.append((len(self.headings), self._row))
            self._row = None
        elif tag in ("h1", "h2", "h3"):
            self.headings.append(tuple(self._heading))
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading[1] += data


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    page.close()
    return page


def md_rows(text):
    """Markdown table rows split into cells on unescaped pipes."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-:|]+\|$", line):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def subject(c):
    """The run a comparison row is about: its right side, or its left where the right is the oracle or none."""
    return c["left"] if c["kind"] in ("oracle",) + PROBLEM_KINDS else c["right"]


def expected_cells(c):
    cells = [subject(c), "PASS" if c["passed"] else "FAIL"]
    if c["max_abs_diff"] is not None:
        cells += [fmt_diff(c["max_abs_diff"]), fmt_diff(c["rms_diff"]), fmt_tol(c["tolerance"])]
    return cells


def row_for(rows, c, md=False):
    want = expected_cells(c)
    for row in rows:
        cells = [re.sub(r"[`*\\✅❌]", "", x).strip() for x in row] if md else row
        if all(w in cells for w in want) and (c["kind"] not in PROBLEM_KINDS or c["kind"] in cells):
            return row
    return None


@pytest.fixture
def written(tmp_path):
    """Write a report of ``summary`` into a fresh folder; plots off unless asked for (they are slow)."""
    def go(summary, **kw):
        kw.setdefault("plots", False)
        root = str(tmp_path / "results")
        path = report.write(root, copy.deepcopy(summary), **kw)
        return root, path
    return go


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The failing fixture's report with its plots, written once for the tests that read them."""
    pytest.importorskip("matplotlib")
    root = str(tmp_path_factory.mktemp("drawn") / "results")
    summary = make_summary(fail=True)
    return root, report.write(root, copy.deepcopy(summary)), summary


@pytest.mark.parametrize("fail", [False, True])
def test_every_comparison_in_both_pages_with_its_numbers(written, fail):
    summary = make_summary(fail)
    root, path = written(summary)
    assert path == os.path.join(root, "report.md")
    page = parse(os.path.join(root, "report.html"))
    assert not page.errors and not page.stack
    rows = [r for _, r in page.rows]
    with open(path, encoding="utf-8") as f:
        md = f.read()
    for c in summary["comparisons"]:
        assert row_for(rows, c) is not None, "HTML has no row for %s" % c["message"]
        assert row_for(md_rows(md), c, md=True) is not None, "Markdown has no row for %s" % c["message"]
    verdict = "PASSED" if summary["passed"] else "FAILED"
    assert verdict in md.splitlines()[2] and "%d failed" % summary["n_failed"] in md.splitlines()[2]


def test_numbers_are_those_of_summary_json(written):
    summary = make_summary()
    root, _ = written(summary)
    rows = [r for _, r in parse(os.path.join(root, "report.html")).rows]
    k3 = [c for c in summary["comparisons"] if c["kind"] == "strict" and c["right"] == "tf2/pairs/k3"][0]
    row = row_for(rows, k3)
    assert "%.2e" % k3["max_abs_diff"] in row and "%.2e" % k3["rms_diff"] in row and "1e-05" in row
    line = [c for c in summary["comparisons"] if c["kind"] == "strict" and c["case"] == "line"]
    assert line and all(row_for(rows, c)[1] == "0" for c in line)  # identical shows as an exact 0


def test_failure_section_comes_first_and_names_the_worst_coefficient(written):
    summary = make_summary(fail=True)
    assert not summary["passed"]
    root, path = written(summary)
    page = parse(os.path.join(root, "report.html"))
    h2 = [text for tag, text in page.headings if tag == "h2"]
    assert h2[0] == "Failures", h2
    assert h2.index("Failures") < h2.index("Overview") < h2.index("Environments")
    first_case = min(i for i, t in enumerate(h2) if t.startswith("Case "))
    assert h2.index("Failures") < first_case
    fail_start = [i for i, (tag, text) in enumerate(page.headings) if text == "Failures"][0]
    fail_end = [i for i, (tag, text) in enumerate(page.headings) if text == "Overview"][0]
    in_failures = [r for h, r in page.rows if fail_start < h <= fail_end]
    worst = [r for r in in_failures if r and r[0] == "item042"]
    assert worst and "FAIL" in worst[0], in_failures[:5]
    firsts = [r[0] for r in in_failures]
    assert firsts.index("item042") < firsts.index("item007")  # worst first
    assert "tf2/pairs/k2" in firsts and "tf2/line/keras3" in firsts  # missing side and failed run listed
    with open(path, encoding="utf-8") as f:
        md = f.read()
    sections = re.findall(r"^## (.*)$", md, re.M)
    assert sections[0] == "Failures"
    failures = md.split("## Failures", 1)[1].split("## Overview", 1)[0]
    assert "weight\\['item042'\\]" in failures and "`item042`" in failures
    assert "missing" in failures and "failed" in failures


def test_passing_report_has_no_failure_section(written):
    root, path = written(make_summary())
    with open(path, encoding="utf-8") as f:
        md = f.read()
    assert "## Failures" not in md and "**PASSED**" in md


def test_html_is_self_contained_and_escaped(drawn):
    root = drawn[0]
    page = parse(os.path.join(root, "report.html"))
    assert not page.errors and not page.stack
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    for tag, attrs in page.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"^\s*(https?:|//|file:)", value, re.I), (tag, key, value)
            if key == "href" and value:
                assert value.startswith("#"), value
    imgs = [a["src"] for t, a in page.tags if t == "img"]
    assert imgs and all(s.startswith("data:image/png;base64,") for s in imgs)
    for s in imgs:
        assert base64.b64decode(s.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert "<script>alert('line')</script>" in "".join(page.text)  # shown as text, never run
    with open(os.path.join(root, "report.html"), encoding="utf-8") as f:
        raw = f.read()
    assert "url(" not in raw and "@import" not in raw


def test_markdown_tables_keep_their_columns(written):
    root, path = written(make_summary(fail=True))
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    width = None
    for line in lines:
        if not line.startswith("|"):
            width = None
            continue
        n = len(re.split(r"(?<!\\)\|", line))
        width = width or n
        assert n == width, line


def test_plots_are_valid_pngs_for_every_case(drawn):
    from PIL import Image

    root, path, summary = drawn
    folder = os.path.join(root, "plots")
    for case in summary["cases"]:
        for kind in ("coefficients", "differences", "loss"):
            png = os.path.join(folder, "%s_%s.png" % (case, kind))
            with open(png, "rb") as f:
                assert f.read(8) == PNG_MAGIC
            with Image.open(png) as im:
                im.verify()
            with Image.open(png) as im:
                assert im.size[0] >= 800 and im.size[1] >= 300
    with open(path, encoding="utf-8") as f:
        md = f.read()
    assert "](plots/line_coefficients.png)" in md


def test_stale_plots_are_removed(written, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from shared.report import plots

    for name in ("scatter", "differences", "losses"):  # drawing is tested above; here only the bookkeeping
        monkeypatch.setattr(plots, name, lambda *a, **k: PNG_MAGIC)
    stale = tmp_path / "results" / "plots" / "gone_loss.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(PNG_MAGIC)
    written(make_summary(), plots=True)
    assert not stale.exists() and (tmp_path / "results" / "plots" / "pairs_loss.png").exists()


def test_other_plots_in_the_folder_are_kept(written, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from shared.report import plots

    for name in ("scatter", "differences", "losses"):
        monkeypatch.setattr(plots, name, lambda *a, **k: PNG_MAGIC)
    bench = tmp_path / "results" / "plots" / "bench_sweep.png"
    bench.parent.mkdir(parents=True)
    bench.write_bytes(PNG_MAGIC)
    written(make_summary(), plots=True)
    assert bench.exists(), "the report removed a PNG it does not own (the benchmark's)"


def test_report_without_matplotlib_says_so(written, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    root, path = written(make_summary(fail=True), plots=None)
    with open(path, encoding="utf-8") as f:
        md = f.read()
    assert "Plots not drawn" in md and "matplotlib is not importable" in md and "![" not in md
    page = parse(os.path.join(root, "report.html"))
    assert not [t for t, _ in page.tags if t == "img"]
    assert not os.path.exists(os.path.join(root, "plots")) or not os.listdir(os.path.join(root, "plots"))


def test_plots_switched_off(written):
    root, path = written(make_summary(), plots=False)
    with open(path, encoding="utf-8") as f:
        assert "Plots not drawn" in f.read()


def test_environments_side_by_side(written):
    root, _ = written(make_summary())
    rows = dict((r[0], r[1:]) for _, r in parse(os.path.join(root, "report.html")).rows if r)
    assert rows["TensorFlow"] == ["1.15.5", "2.21.0"]
    assert rows["Python"] == ["3.7.16", "3.11.7"]
    assert rows["tf_keras"] == ["\u2014", "2.21.0"]
    assert rows["CUDA build"] == ["\u2014", "12.5.1"] and rows["cuDNN build"] == ["\u2014", "9"]
    assert rows["device used"] == ["/device:CPU:0", "/device:GPU:0"]
    assert rows["lock sha256"] == ["6e3228fb2a25", "2b5b99f7faba"]


def test_data_checksum_per_case(written):
    root, path = written(make_summary())
    with open(path, encoding="utf-8") as f:
        md = f.read()
    assert "data sha256: `%s`" % ("a" * 64) in md and "data sha256: `%s`" % ("c" * 64) in md


def test_report_from_a_real_results_folder(root, make_full, make_result):
    """summarize() on result files in a generated results folder, then the report on its summary.json."""
    make_full(root, "linear", {"W": 3.0, "b": 2.0}, skip=("tf2/keras3",))
    make_result(root, "tf2", "linear", "keras3", {"W": 3.0, "b": 2.5})
    summary = compare.summarize(root, ["linear"])
    path = report.write(root, summary, plots=False)
    page = parse(os.path.join(root, "report.html"))
    rows = [r for _, r in page.rows]
    for c in summary["comparisons"]:
        assert row_for(rows, c) is not None, c["message"]
    assert [t for tag, t in page.headings if tag == "h2"][0] == "Failures"
    with open(path, encoding="utf-8") as f:
        assert "`b`" in f.read().split("## Overview")[0]


def test_report_modules_import_matplotlib_lazily():
    probe = ("import sys, pkgutil, importlib, shared.report; [importlib.import_module('shared.report.' + m.name) "
             "for m in pkgutil.iter_modules(shared.report.__path__)]; assert 'matplotlib' not in sys.modules, 'eager import'")
    subprocess.run([sys.executable, "-c", probe], cwd=REPO, check=True)


def test_a_case_of_tensors_without_an_oracle_is_drawn_and_has_no_oracle_section(root, make_result, monkeypatch):
    """canned_dnn: weight tensors drawn element by element, predictions and loss sections, no oracle heading (its
    trained-artifact checks left out: made-up runs keep no artifacts)."""
    pytest.importorskip("matplotlib")
    import numpy as np

    from shared.core import data
    from shared.core.registry import get_case
    from shared.core.weights import to_json

    case = get_case("canned_dnn")
    monkeypatch.setattr(case, "checks", [c for c in case.checks if not c.kind.artifact])
    init = data.load_init(root, case)
    rows = data.load_probe(root, case).n_rows
    for side, impls in case.impls.items():
        for i, impl in enumerate(impls):
            weights = dict((n, v + 1e-7 * i) for n, v in init.items())
            make_result(root, side, case.name, impl, to_json(weights), probe_sha256=data.probe_sha(root, "canned_dnn"),
                        init_sha256=data.init_sha(root, case), predictions=list(np.linspace(0, 1, rows) + 1e-7 * i))
    summary = compare.summarize(root, ["canned_dnn"])
    assert summary["passed"], compare.table(summary)
    path = report.write(root, summary, plots=True)
    with open(path, encoding="utf-8") as f:
        md = f.read()
    section = md.split("## Case `canned_dnn`")[1]
    assert "not drawn" not in section and "Against the oracle" not in section
    assert "### Probe predictions against the reference" in section and "](plots/canned_dnn_coefficients.png)" in section

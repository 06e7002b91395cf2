"""The catalogue's pages: the table per pitfall with both ports' figures, failures first, JSON beside it."""

import json
import os

from shared.pitfalls import page
from shared.pitfalls.verdict import judge

from tests.pitfalls.fakes import Summary, entry, standard


def _agreeing():
    s = Summary()
    s.case("pitfall_04b", {"optimizer": {"epsilon": 1e-8}})
    s.port("pitfall_04b", "naive", 2.2e-6, 1.6e-5, {"optimizer": {"epsilon": 1e-7}})
    s.port("pitfall_04b", "faithful", 2.2e-6, 1.6e-5, {"optimizer": {"epsilon": 1e-8}})
    return s.data


def test_the_table_shows_each_ports_figures_stage_setting_and_verdict():
    data = standard()
    extra = _agreeing()
    for key in ("cases", "runs"):
        data[key].update(extra[key])
    data["comparisons"] += extra["comparisons"]
    catalogue = judge([entry(), entry("04b", settings=["optimizer.epsilon"], stage=None, naive_differs=False)], data)
    text = page.markdown(page.build(catalogue, "runs/summary.json", "now", {"total": 61.5}))
    row = next(line for line in text.splitlines() if line.startswith("| 01a |"))
    assert "| 0.5 / 5 | first step | `loss.reduction` 'sum' → 'mean' |" in row and "| 1e-07 / 1e-06 |" in row
    assert "PASS" in row
    agrees = next(line for line in text.splitlines() if line.startswith("| 04b |"))
    assert "2.2e-06 / 1.6e-05 (**no measurable difference**) | none (within the tolerances) |" in agrees
    assert "`optimizer.epsilon` 1e-08 → 1e-07" in agrees
    assert "**PASSED**: 2 entries, 0 failed" in text and "04b: the naive port does not differ measurably" in text
    assert "total 61.5 s" in text


def test_a_failing_catalogue_lists_what_fails_it_first(tmp_path):
    catalogue = judge([entry()], standard(faithful=3e-4))
    path = page.write(str(tmp_path), catalogue, "runs/summary.json", {"total": 1.0})
    text = open(path).read()
    assert text.index("What fails the catalogue") < text.index("| 01a |")
    assert "01a: the faithful port is red" in text and "FAIL" in text.split("| 01a |")[1]
    html = open(os.path.join(str(tmp_path), "pitfalls.html")).read()
    assert html.startswith("<!DOCTYPE html>") and "FAILED" in html and 'class="bad"' in html
    payload = json.load(open(os.path.join(str(tmp_path), "pitfalls.json")))
    assert payload["passed"] is False and payload["n_failed"] == 1 and payload["timings"] == {"total": 1.0}
    assert payload["entries"][0]["faithful_port"]["max_abs_diff"]["weights"] == 3e-4


def test_figures_are_written_with_two_or_three_digits():
    assert [page.fig(x) for x in (None, 0.0, 2.2e-6, 0.0345, 12.73)] == ["\u2014", "0", "2.2e-06", "0.0345", "12.7"]

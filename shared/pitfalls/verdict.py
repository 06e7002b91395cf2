"""The catalogue's verdict: each naive port red for its declared cause, each faithful port green.

Read from a ``summary.json`` (the kit's comparisons of every port against its case's TF1 reference)
and the runs' effective settings. A naive port declared not to differ measurably must agree, and is
reported as such; one declared to differ must be red, with every declared setting in its settings
diff and its first divergence at the declared stage. An entry judged on settings (its ports can
never match weight for weight) is judged on those settings and on the forward pass from the start.
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence

from shared.compare.diff import diff, series
from shared.compare.record import Kind
from shared.compare.stages import settings_diff
from shared.pitfalls.entries import STAGES, Entry

AGREEMENT = ("strict", "predictions", "loss")
FIGURES = {"strict": "weights", "predictions": "predictions", "loss": "loss"}
PROBLEMS = ("missing", "failed", "refused")


class Port(object):
    """What the comparisons say about one port (or TF1 run) against the case's reference."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.problem = None  # type: Optional[str]
        self.figures = {}  # type: Dict[str, Optional[float]]
        self.tolerances = {}  # type: Dict[str, Optional[float]]
        self.failing = []  # type: List[str]
        self.first = None  # type: Optional[Dict[str, Any]]
        self.settings = []  # type: List[Dict[str, Any]]

    @property
    def red(self) -> bool:
        return bool(self.failing)

    def stage(self) -> Optional[str]:
        return (self.first or {}).get("stage")

    def differing(self) -> List[str]:
        return [d["setting"] for d in self.settings]

    def to_dict(self) -> Dict[str, Any]:
        return {"run": self.run_id, "problem": self.problem, "red": self.red, "max_abs_diff": dict(self.figures),
                "tolerance": dict(self.tolerances), "failing": list(self.failing), "first_divergence": self.first,
                "settings_diff": list(self.settings)}


def port(summary: Mapping[str, Any], case: str, ref_id: Optional[str], run_id: str) -> Port:
    """``run_id``'s agreement comparisons with ``ref_id``, its first divergence and its settings diff."""
    out = Port(run_id)
    for c in summary.get("comparisons", []):
        if c.get("case") != case:
            continue
        if c.get("kind") in PROBLEMS and run_id in (c.get("left"), c.get("right")) and out.problem is None:
            out.problem = c.get("message")
        if c.get("kind") in AGREEMENT and c.get("left") == ref_id and c.get("right") == run_id:
            out.figures[FIGURES[c["kind"]]] = c.get("max_abs_diff")
            out.tolerances[FIGURES[c["kind"]]] = c.get("tolerance")
            if not c.get("passed"):
                out.failing.append(c.get("message", ""))
                out.first = out.first or c.get("first_divergence")
    runs = summary.get("runs", {})
    if out.problem is None and not out.figures:
        out.problem = "%s: no comparison with the reference %s in the summary" % (run_id, ref_id)
    if ref_id in runs and run_id in runs:
        out.settings = settings_diff(runs[ref_id].get("settings") or {}, runs[run_id].get("settings") or {})
    return out


class Judged(object):
    """One entry with its ports' outcomes, the TF1 runs it compares with each other, and what fails it."""

    def __init__(self, entry: Entry, reference: Optional[str], naive: Port, faithful: Port) -> None:
        self.entry, self.reference, self.naive, self.faithful = entry, reference, naive, faithful
        self.tf1_runs = None  # type: Optional[Dict[str, Any]]
        self.problems = []  # type: List[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def naive_outcome(self) -> str:
        if self.naive.problem:
            return "did not run"
        if self.entry.judged_on:
            return "red" if self._settings_differ(self.naive) else "green"
        return "red" if self.naive.red else "does not differ measurably"

    def faithful_outcome(self) -> str:
        if self.faithful.problem:
            return "did not run"
        if self.entry.judged_on:
            return "green" if self._faithful_basis_holds() else "red"
        return "red" if self.faithful.red else "green"

    def _settings_differ(self, p: Port) -> bool:
        return bool(self.entry.settings) and all(s in p.differing() for s in self.entry.settings)

    def _faithful_basis_holds(self) -> bool:
        agree = not any(s in self.faithful.differing() for s in self.entry.settings)
        stage = self.faithful.stage()
        return agree and (stage is None or STAGES.index(stage) > STAGES.index("forward pass"))

    def to_dict(self) -> Dict[str, Any]:
        out = self.entry.to_dict()
        out.update({"reference": self.reference, "ok": self.ok, "problems": list(self.problems),
                    "naive_port": dict(self.naive.to_dict(), outcome=self.naive_outcome()),
                    "faithful_port": dict(self.faithful.to_dict(), outcome=self.faithful_outcome()),
                    "tf1_runs": self.tf1_runs})
        return out


def judge_entry(entry: Entry, summary: Mapping[str, Any], runs: Optional[Mapping[str, Any]] = None) -> Judged:
    """One entry against the comparisons; every way it fails is named in ``problems``."""
    info = summary.get("cases", {}).get(entry.case)
    reference = (info or {}).get("reference")
    judged = Judged(entry, reference, port(summary, entry.case, reference, entry.run_id("naive")),
                    port(summary, entry.case, reference, entry.run_id("faithful")))
    if info is None:
        judged.problems.append("%s: case %s is not in the summary; run the catalogue again" % (entry.id, entry.case))
        return judged
    for name, p in (("naive", judged.naive), ("faithful", judged.faithful)):
        if p.problem:
            judged.problems.append("%s: the %s port was not compared: %s" % (entry.id, name, p.problem))
    if judged.naive.problem is None:
        judged.problems.extend(_naive(judged))
    if judged.faithful.problem is None:
        judged.problems.extend(_faithful(judged))
    if entry.tf1_runs_differ:
        judged.tf1_runs, problem = _tf1_runs(entry, info, runs if runs is not None else summary.get("runs", {}))
        if problem:
            judged.problems.append(problem)
    return judged


def _naive(j: Judged) -> List[str]:
    e, p = j.entry, j.naive
    missing = [s for s in e.settings if s not in p.differing()]
    found = ", ".join(p.differing()) or "none"
    out = []
    if not e.naive_differs:
        if p.red:
            out.append("%s: the naive port was declared not to differ measurably, but it differs: %s" % (
                e.id, p.failing[0]))
        elif missing:
            out.append("%s: the naive port agrees, but the setting(s) declared to differ do not: %s (settings that "
                       "differ: %s)" % (e.id, ", ".join(missing), found))
        return out
    if e.judged_on:
        red = not missing and bool(e.settings)
    else:
        red = p.red
    if not red:
        out.append("%s: the naive port unexpectedly agrees with TF1 (%s): the pitfall no longer shows" % (
            e.id, _figures(p) if not e.judged_on else "no declared setting differs: " + ", ".join(missing)))
        return out
    if missing and not e.judged_on:
        out.append("%s: the naive port is red for another cause: expected %s in its settings diff, found %s" % (
            e.id, ", ".join(missing), found))
    if e.stage is not None and p.stage() != e.stage:
        out.append("%s: the naive port is red for another cause: expected its first divergence at %r, found %r (%s)" % (
            e.id, e.stage, p.stage(), (p.first or {}).get("detail", "no failing comparison")))
    return out


def _faithful(j: Judged) -> List[str]:
    e, p = j.entry, j.faithful
    if e.judged_on:
        differ = [s for s in e.settings if s in p.differing()]
        if differ:
            return ["%s: the faithful port is red: its %s differ from TF1's" % (e.id, ", ".join(differ))]
        if not j._faithful_basis_holds():
            return ["%s: the faithful port is red: it parts from TF1 at the %s (%s)" % (
                e.id, p.stage(), (p.first or {}).get("detail", ""))]
        return []
    if p.red:
        return ["%s: the faithful port is red: %s" % (e.id, p.failing[0])]
    return []


def _tf1_runs(entry: Entry, info: Mapping[str, Any], runs: Mapping[str, Any]):
    """The entry's two TF1 runs compared with each other (weights, and predictions where recorded): they must differ."""
    ids = ["tf1/%s/%s" % (entry.case, impl) for impl in entry.tf1_runs_differ]
    absent = [i for i in ids if (runs.get(i) or {}).get("status") != "ok"]
    if absent:
        return None, "%s: the TF1 run(s) %s did not finish" % (entry.id, ", ".join(absent))
    checks = dict((c["kind"], c) for c in (info.get("spec") or {}).get("checks", []))
    a, b = runs[ids[0]], runs[ids[1]]
    weights = diff(entry.case, ids[0], ids[1], a["coefficients"], b["coefficients"], Kind.STRICT,
                   checks.get("weights", {}).get("value", 0.0), "two TF1 runs of the same code")
    out = {"runs": ids, "weights": weights.max_abs_diff, "differ": not weights.passed, "message": weights.message}
    if a.get("predictions") is not None and b.get("predictions") is not None:
        out["predictions"] = diff(entry.case, ids[0], ids[1], series("probe", a["predictions"]),
                                  series("probe", b["predictions"]), Kind.PREDICTIONS,
                                  checks.get("predictions", {}).get("value", 0.0), "two TF1 runs").max_abs_diff
    if weights.passed:
        return out, "%s: the two TF1 runs %s and %s agree (%s); they were expected to differ" % (
            entry.id, ids[0], ids[1], weights.message)
    return out, None


def _figures(p: Port) -> str:
    return ", ".join("%s max |diff| %s (tolerance %s)" % (k, _g(v), _g(p.tolerances.get(k))) for k, v in
                     sorted(p.figures.items()))


def _g(x: Optional[float]) -> str:
    return "-" if x is None else "%.2g" % x


class Catalogue(object):
    """Every judged entry; ``passed`` when each holds (and there is at least one)."""

    def __init__(self, judged: Sequence[Judged]) -> None:
        self.judged = list(judged)

    @property
    def passed(self) -> bool:
        return bool(self.judged) and all(j.ok for j in self.judged)

    @property
    def failures(self) -> List[str]:
        return [p for j in self.judged for p in j.problems]

    def to_dict(self) -> Dict[str, Any]:
        return {"passed": self.passed, "n_entries": len(self.judged), "n_failed": sum(1 for j in self.judged if not j.ok),
                "failures": self.failures, "entries": [j.to_dict() for j in self.judged]}


def judge(entries: Sequence[Entry], summary: Mapping[str, Any], runs: Optional[Mapping[str, Any]] = None) -> Catalogue:
    """The catalogue's verdict from a ``summary.json`` (``runs``: full results by run id, for the TF1 pairs)."""
    return Catalogue([judge_entry(e, summary, runs) for e in entries])

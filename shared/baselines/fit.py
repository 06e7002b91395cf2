"""Whether a baseline fits the current data and case spec, and which baseline a run is checked against."""

from typing import Any, Mapping, Optional, Sequence

from shared.baselines.store import SIDE
from shared.core.case import Case


def other_data(case: Case, ref: Mapping[str, Any], data_sha: Optional[str]) -> Optional[str]:
    """Why baseline ``ref`` says nothing about results on ``data_sha``: it was recorded from other data.

    Baselines are keyed by case, data checksum and spec: a baseline of other data is no baseline for
    this data (reported, not a failure), while the same data under another spec is refused.
    """
    if data_sha is None:
        return "the results have no data manifest entry for dataset %r to check it against" % case.dataset.name
    if ref.get("data_sha256") != data_sha:
        return "it was recorded from other data (dataset %r sha256 %s, results/data manifest %s)" % (
            case.dataset.name, str(ref.get("data_sha256"))[:12], data_sha[:12])
    return None


def refusal(case: Case, ref: Mapping[str, Any], data_sha: Optional[str]) -> Optional[str]:
    """Why baseline ``ref`` of the same data must not be compared under the current spec."""
    what = []
    if ref.get("spec_sha256") != case.spec_sha256():
        changed = _spec_changes(ref.get("spec") or {}, case.to_dict())
        what.append("it was recorded under another case spec (spec sha256 %s, current %s%s)" % (
            str(ref.get("spec_sha256"))[:12], case.spec_sha256()[:12], "; changed: " + changed if changed else ""))
    return "; ".join(what) or None


def _spec_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """The dataset params and hyperparameters that differ between two ``Case.to_dict()``s."""
    out = []
    for section, key in (("dataset", "params"), ("hyperparameters", None)):
        a = old.get(section) or {}
        b = new.get(section) or {}
        if key:
            a, b = a.get(key) or {}, b.get(key) or {}
        for name in sorted(set(a) | set(b)):
            if a.get(name, "<unset>") != b.get(name, "<unset>"):
                out.append("%s %s %r -> %r" % (section, name, a.get(name, "<unset>"), b.get(name, "<unset>")))
    return ", ".join(out[:5]) + (" (+%d more)" % (len(out) - 5) if len(out) > 5 else "")


def reference_impl(case: Case, available: Sequence[str]) -> Optional[str]:
    """The baseline a run of another implementation is compared with: the case's reference when it is TF1."""
    ref_side, ref = case.reference.split("/", 1)
    if ref_side == SIDE and ref in available:
        return ref
    return next((impl for impl in case.impls.get(SIDE, ()) if impl in available), None)


def made_with(ref: Mapping[str, Any]) -> str:
    fp = ref.get("fingerprint") or {}
    return "TF %s, Python %s, %s, recorded from %s" % (
        fp.get("tensorflow", "?"), fp.get("python", "?"), fp.get("device", "?"), ref.get("source_run_id", "?"))

"""One case's section on its trained artifacts across versions: what TF1 kept, and checkpoint / savedmodel / rollback."""

from typing import Any, List, Mapping

from shared.report.document import bullets, code, heading, para, table, verdict_of
from shared.report.format import fmt_diff, fmt_ratio, fmt_tol

KINDS = ("checkpoint", "savedmodel", "rollback")
WHAT = {
    "checkpoint": "the TF1 checkpoint read with tf.train.load_checkpoint and restored by name into each TF2 model",
    "savedmodel": "the TF1 SavedModel loaded with tf.saved_model.load, each signature called with serialized "
                  "tf.Examples, and Keras 3's TFSMLayer",
    "rollback": "each TF2 model's weights written as a TF1 name-based checkpoint, restored by TF 1.15 (tf.train.Saver) "
                "into the export's graph; compared with the TF2 model's own predictions",
}


def artifacts_section(name: str, summary: Mapping[str, Any]) -> List[tuple]:
    """The section, or nothing for a case without artifact comparisons."""
    mine = [c for c in summary.get("comparisons", []) if c["case"] == name and c["kind"] in KINDS]
    kept = ((summary.get("cases", {}).get(name) or {}).get("artifacts") or {}).get("tf1") or {}
    if not mine and not kept:
        return []
    out = [heading(3, "Trained artifacts across versions")]
    for impl, info in sorted(kept.items()):
        out.append(para("TF1 ", code("tf1/%s/%s" % (name, impl)), " kept:"))
        out.append(bullets(_kept(info)))
    rows = []
    for c in sorted(mine, key=lambda c: (KINDS.index(c["kind"]), c["left"], c.get("right") or "")):
        rows.append([c["kind"], code(c["left"]), code(c.get("right")), fmt_diff(c.get("max_abs_diff")),
                     fmt_ratio(c.get("max_abs_diff"), c.get("tolerance")), fmt_tol(c.get("tolerance")), _detail(c),
                     _seconds(c), verdict_of(c)])
    out.append(table(["kind", "left", "right", "max |\u0394|", "max/tol", "tolerance", "what crossed", "s", "result"],
                     rows, numeric=(3, 4, 5, 7)))
    notes = []
    for kind in KINDS:
        group = [c for c in mine if c["kind"] == kind and c.get("tolerance_reason")]
        if group:
            notes.append([code(kind), ": %s. Tolerance %s: %s." % (WHAT[kind], fmt_tol(group[0]["tolerance"]),
                                                                  group[0]["tolerance_reason"])])
    if notes:
        out.append(bullets(notes))
    spent = ((summary.get("cases", {}).get(name) or {}).get("artifacts") or {}).get("seconds")
    if spent:
        out.append(para("Time the artifacts took, as each side timed its steps: %.2f s (TF1 keeping %.2f, TF2 restoring "
                        "%.2f, serving %.2f, writing back %.2f, TF 1.15 restoring %.2f; the rollback step's import of "
                        "TF 1.15 not included)." % (spent["total"], spent["tf1_keep"], spent["tf2_checkpoint"],
                                                    spent["tf2_savedmodel"], spent["tf2_rollback_write"],
                                                    spent["tf1_rollback"])))
    return out


def _kept(info: Mapping[str, Any]) -> List[Any]:
    keys = info.get("keys") or {}
    sizes = info.get("bytes") or {}
    signatures = info.get("signatures") or {}
    spec = info.get("parse_spec") or {}
    timings = info.get("timings") or {}
    return [
        ["checkpoint ", code(info.get("checkpoint")), " (step %s): " % info.get("step"),
         ", ".join("%s %s" % (k, v.get("shape")) for k, v in sorted(keys.items()))],
        ["parsing SavedModel, signatures: ", ", ".join(
            "%s(%s) -> %s" % (k, ", ".join(s.get("inputs") or []), s.get("serves") or "other outputs")
            for k, s in sorted(signatures.items()))],
        ["parse spec: ", ", ".join("%s (%s, %s)" % (f, e.get("dtype"), e.get("form")) for f, e in sorted(spec.items())),
         "; predictions compared: ", code(info.get("key"))],
        ["bytes: ", ", ".join("%s %d" % (role, n) for role, n in sorted(sizes.items())),
         " (tensor files are the same bytes in identical runs; graph files carry random uuids, so their SHA-256 "
         "guards integrity only); kept in %.2f s" % float(timings.get("total_s") or 0.0)],
    ]


def _detail(c: Mapping[str, Any]) -> str:
    coverage = c.get("coverage") or {}
    if c["kind"] == "checkpoint" and coverage:
        unused = sorted(coverage.get("unused") or {})
        return "%d weight(s) from %d key(s) (%s); unused: %s" % (
            coverage.get("n_weights", 0), len(coverage.get("restored") or {}),
            ", ".join(sorted(set((coverage.get("transforms") or {}).values()))), ", ".join(unused) or "none")
    if c["kind"] == "savedmodel":
        return c.get("message", "").split(": ")[-1] if not c.get("passed") else (
            "%s -> %s" % (c.get("input") or "examples", c.get("output") or "?"))
    if c["kind"] == "rollback" and c.get("restored"):
        extra = c.get("vs_tf1_trained")
        return "restored %s; vs the TF1-trained Estimator %s" % (", ".join(c["restored"]), fmt_diff(extra))
    return "\u2014" if c.get("passed") else c.get("message", "")


def _seconds(c: Mapping[str, Any]) -> str:
    t = c.get("timings") or {}
    value = t.get("total_s", t.get("call_s"))
    return "%.3f" % value if value is not None else "\u2014"

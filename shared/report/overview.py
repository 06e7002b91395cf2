"""The report's Overview table (one row per case) and Environments table (one column per env)."""

from typing import Any, List, Mapping, Sequence

from shared.report.document import code, heading, para, table, verdict
from shared.report.format import case_order, fmt_diff, fmt_tol, fmt_value, slug

ENV_ROWS = (
    ("Python", "python"), ("TensorFlow", "tensorflow"), ("Keras", "keras"), ("tf_keras", "tf_keras"),
    ("tensorflow_estimator", "tensorflow_estimator"), ("numpy", "numpy"), ("pandas", "pandas"),
    ("device used", "device"), ("device requested", "device_requested"), ("GPUs", "gpus"),
    ("built with CUDA", "built_with_cuda"), ("CUDA build", "cuda_build"), ("cuDNN build", "cudnn_build"),
    ("determinism", "determinism"), ("lock file", "lock_file"), ("lock sha256", "lock_sha256"),
    ("container", "container"), ("platform", "platform"),
)


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
        row += ["%d of %d" % (sum(1 for c in mine if not (c["passed"] or c.get("gating") is False)), len(mine)),
                verdict(bool(mine) and all(c["passed"] or c.get("gating") is False for c in mine))]
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

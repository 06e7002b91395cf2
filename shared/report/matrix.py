"""The report's version matrix: env x implementation, max |diff| against TF 1.15 and the baseline, pass/fail marked."""

from typing import Any, Dict, List, Mapping, Optional, Tuple

from shared.report.document import code, heading, para, table, verdict
from shared.report.format import env_order, fmt_diff

KINDS = ("strict", "baseline")  # against the TF 1.15 reference run, and against the committed TF1 baseline


def cells(summary: Mapping[str, Any]) -> Tuple[List[str], List[str], Dict[Tuple[str, str], Dict[str, Any]]]:
    """Rows (envs), columns (``case/impl``) and per cell the worst comparison of each kind, or the skip reason."""
    grid = {}  # type: Dict[Tuple[str, str], Dict[str, Any]]
    for c in summary.get("comparisons", []):
        rid = c.get("right") if c["kind"] in KINDS else c.get("left") if c["kind"] == "skipped" else None
        if not rid or rid.count("/") != 2:
            continue
        env, case, impl = rid.split("/")
        cell = grid.setdefault((env, "%s/%s" % (case, impl)), {})
        if c["kind"] == "skipped":
            cell["skipped"] = c["message"].split(": not run here: ", 1)[-1]
            continue
        worst = cell.get(c["kind"])
        if worst is None or (c.get("max_abs_diff") or 0) > (worst.get("max_abs_diff") or 0) or not c["passed"]:
            cell[c["kind"]] = c
    envs = sorted(set(e for e, _ in grid), key=env_order)
    columns = sorted(set(col for _, col in grid))
    return envs, columns, grid


def shown(summary: Mapping[str, Any]) -> bool:
    """The matrix section appears when runs came from more than one env per side."""
    envs = set(r.get("env") for r in summary.get("runs", {}).values())
    return len(envs) > 2


def section(summary: Mapping[str, Any], figure: Optional[List[tuple]] = None) -> List[tuple]:
    envs, columns, grid = cells(summary)
    out = [heading(2, "Version matrix", "matrix"),
           para("Every env against TF 1.15 (the reference run) and the committed baseline: max |\u0394| over the "
                "weights, with the strict tolerance's verdict; n/a where the env cannot run the implementation.")]
    out.extend(figure or [])
    rows = []
    for env in envs:
        for col in columns:
            cell = grid.get((env, col))
            if not cell:
                continue
            if "skipped" in cell:
                rows.append([code(env), code(col), "n/a", "n/a", cell["skipped"]])
                continue
            strict, base = cell.get("strict"), cell.get("baseline")
            rows.append([code(env), code(col), _fmt(strict), _fmt(base),
                         verdict(all(c["passed"] for c in (strict, base) if c is not None))])
    out.append(table(["env", "case/impl", "vs TF 1.15", "vs baseline", "result"], rows, numeric=(2, 3)))
    return out


def _fmt(c: Optional[Mapping[str, Any]]) -> Any:
    if c is None:
        return "\u2014"
    return fmt_diff(c.get("max_abs_diff")) if c.get("max_abs_diff") is not None else c["kind"]

"""Numbers, labels and orderings of the report: how differences, tolerances and values are written."""

import re
from typing import Any, List, Mapping, Optional, Tuple

NUMERIC_KINDS = ("strict", "pair", "env", "baseline", "oracle", "checkpoint", "savedmodel", "rollback")  # failing ones: this order
PROBLEM_KINDS = ("missing", "failed", "refused", "baseline-refused")


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


def kind_order(kind: str) -> int:
    order = PROBLEM_KINDS + NUMERIC_KINDS
    return order.index(kind) if kind in order else len(order)


def case_order(summary: Mapping[str, Any]) -> List[str]:
    """The summary's cases in registry order (``summary.json`` sorts its keys), unknown ones last."""
    try:
        from shared.core.registry import case_names

        known = case_names()
    except Exception:  # a summary from another checkout must still be reportable
        known = []
    names = list(summary.get("cases", {}))
    return sorted(names, key=lambda n: (known.index(n) if n in known else len(known), n))


def env_order(env: str) -> Tuple[int, str]:
    """Envs in the env table's order (tf1, tf2, then the matrix), then any other (containers) by name."""
    from shared.core.envs import ENVS

    names = list(ENVS)
    return (names.index(env) if env in names else len(names), env)

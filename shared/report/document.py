"""Document model of the report: blocks and inline parts that both renderers read, so the pages agree."""

from typing import Any, List, Optional, Sequence, Tuple

# Inline content is a list of str (plain text) and (kind, text[, href]) tuples, kind in
# code / b / pass / fail / link. Blocks are tuples, first item the block kind.


def code(text: Any) -> Tuple[str, str]:
    return ("code", str(text))


def verdict(passed: bool) -> Tuple[str, str]:
    return ("pass", "PASS") if passed else ("fail", "FAIL")


def verdict_of(comparison) -> Tuple[str, str]:
    """PASS, FAIL, or REPORTED for a check the case reports without requiring it (a convergence note)."""
    if not comparison.get("passed") and comparison.get("gating") is False:
        return ("note", "REPORTED")
    return verdict(bool(comparison.get("passed")))


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

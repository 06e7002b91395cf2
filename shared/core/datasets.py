"""Deterministic dataset generators: the same bytes from numpy 1.18 on Python 3.7 and numpy 2.x on 3.11.

Randomness comes from ``numpy.random.RandomState`` (MT19937, a stream numpy keeps frozen across
versions) and every float is written with a fixed ``%.6f`` format, so the CSV bytes do not depend on
which environment generated them.
"""

from typing import Any, Callable, Dict, List, Mapping, Tuple

import numpy as np

FLOAT_FORMAT = "%.6f"

# name -> (columns, generator)
Generator = Callable[[Mapping[str, Any]], Tuple[List[str], List[Tuple[Any, ...]]]]


def item_names(n_items: int) -> List[str]:
    """``item000``, ``item001``, ... zero-padded to the width of the largest index."""
    width = max(3, len(str(n_items - 1)))
    return ["item%0*d" % (width, i) for i in range(n_items)]


def _pairs(rs: np.random.RandomState, n_items: int, n_pairs: int) -> Tuple[np.ndarray, np.ndarray]:
    """Random ordered pairs of two different items."""
    first = rs.randint(0, n_items, size=n_pairs)
    second = (first + 1 + rs.randint(0, n_items - 1, size=n_pairs)) % n_items
    return first, second


def linear(params: Mapping[str, Any]) -> Dict[str, Any]:
    """``y = W x + b + noise`` with x ~ N(0, 1), as in the seed's first example."""
    rs = np.random.RandomState(int(params["seed"]))
    n = int(params["n"])
    x = rs.normal(size=n)
    noise = rs.normal(size=n)
    y = float(params["W"]) * x + float(params["b"]) + float(params["noise"]) * noise
    return {"columns": ["x", "y"], "data": [x, y], "kinds": ["f", "f"]}


def pairshift(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Pairs of items; label ``dif`` = value(item1) - value(item2) + noise."""
    rs = np.random.RandomState(int(params["seed"]))
    n_items = int(params["n_items"])
    names = np.array(item_names(n_items))
    values = rs.normal(scale=float(params["value_scale"]), size=n_items)
    first, second = _pairs(rs, n_items, int(params["n_pairs"]))
    noise = rs.normal(scale=float(params["noise"]), size=first.size)
    dif = values[first] - values[second] + noise
    return {"columns": ["item1", "item2", "dif"], "data": [names[first], names[second], dif], "kinds": ["s", "s", "f"]}


def pairlincorr(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Pairs with a tag value ``u`` per item; each item's truth is ``u + c + d (u - u0)``.

    The label ``dif`` is the measured difference of the two true values minus the difference of
    the tags, i.e. what the corrections must explain:
    ``dif = [c1 + d1 (u1 - u0)] - [c2 + d2 (u2 - u0)] + noise``.
    """
    rs = np.random.RandomState(int(params["seed"]))
    n_items = int(params["n_items"])
    u0 = float(params["u0"])
    names = np.array(item_names(n_items))
    offset = rs.normal(scale=float(params["offset_scale"]), size=n_items)
    slope = rs.normal(scale=float(params["slope_scale"]), size=n_items)
    first, second = _pairs(rs, n_items, int(params["n_pairs"]))
    half = float(params["u_halfwidth"])
    u1 = rs.uniform(u0 - half, u0 + half, size=first.size)
    u2 = rs.uniform(u0 - half, u0 + half, size=first.size)
    noise = rs.normal(scale=float(params["noise"]), size=first.size)
    u1 = np.round(u1, 6)
    u2 = np.round(u2, 6)
    dif = (offset[first] + slope[first] * (u1 - u0)) - (offset[second] + slope[second] * (u2 - u0)) + noise
    return {
        "columns": ["item1", "item2", "u1", "u2", "dif"],
        "data": [names[first], names[second], u1, u2, dif],
        "kinds": ["s", "s", "f", "f", "f"],
    }


GENERATORS = {"linear": linear, "pairshift": pairshift, "pairlincorr": pairlincorr}

# Columns each generator's CSV must have, with their kinds: "s" string, "f" finite float.
SCHEMAS = {
    "linear": [("x", "f"), ("y", "f")],
    "pairshift": [("item1", "s"), ("item2", "s"), ("dif", "f")],
    "pairlincorr": [("item1", "s"), ("item2", "s"), ("u1", "f"), ("u2", "f"), ("dif", "f")],
}


def to_csv_bytes(table: Mapping[str, Any]) -> bytes:
    """Render a generated table as CSV with fixed float formatting and ``\\n`` line ends."""
    columns = table["columns"]
    cells = []
    for values, kind in zip(table["data"], table["kinds"]):
        if kind == "f":
            cells.append([FLOAT_FORMAT % v for v in np.asarray(values, dtype=np.float64).tolist()])
        else:
            cells.append([str(v) for v in np.asarray(values).tolist()])
    lines = [",".join(columns)]
    lines.extend(",".join(row) for row in zip(*cells))
    return ("\n".join(lines) + "\n").encode("ascii")

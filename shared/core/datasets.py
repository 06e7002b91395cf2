"""Deterministic dataset generators: the same bytes from numpy 1.18 on Python 3.7 and numpy 2.x on 3.11.

Randomness comes from ``numpy.random.RandomState`` (MT19937, a stream numpy keeps frozen across
versions) and every float is written with a fixed ``%.6f`` format, so the CSV bytes do not depend on
which environment generated them. A real table read from a package's wheel is scaled with exact
sums (``math.fsum``) and cut into bands at quantiles computed in plain Python floats, for the same reason.
"""

import math
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

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


REGIONS = ["north", "south", "east", "west", "centre", "islands"]  # canned_linear: the last is out of vocabulary
AGE_BOUNDARIES = [30.0, 40.0, 50.0, 60.0]


def canned_linear(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Rows for a linear model over a bucketized, a numeric and a categorical column.

    ``age`` is a whole number of years (so rows fall exactly on the bucket boundaries), ``income``
    a standard normal, ``region`` one of six names of which the last is outside the vocabulary
    the model declares; ``y`` = an effect per age band + 0.8 income + an effect per region + noise.
    """
    rs = np.random.RandomState(int(params["seed"]))
    n = int(params["n"])
    regions = np.array(REGIONS)
    age = rs.randint(18, 81, size=n).astype(np.float64)
    income = rs.normal(size=n)
    region = rs.choice(len(regions), size=n, p=[0.2, 0.2, 0.2, 0.17, 0.17, 0.06])
    noise = rs.normal(scale=float(params["noise"]), size=n)
    band = np.searchsorted(np.array(AGE_BOUNDARIES), age, side="right")
    y = (np.array([-1.0, -0.3, 0.2, 0.6, 1.1])[band] + 0.8 * income
         + np.array([0.9, -0.8, -0.4, 0.1, 0.5, 1.5])[region] + noise)
    return {"columns": ["region", "age", "income", "y"], "data": [regions[region], age, income, y],
            "kinds": ["s", "f", "f", "f"]}


DNN_FEATURES = ["temperature", "humidity", "wind", "pressure", "altitude", "cloud", "dew", "rain"]  # not sorted


def canned_dnn(params: Mapping[str, Any]) -> Dict[str, Any]:
    """A nonlinear regression over eight standard-normal columns whose file order is not their sorted order."""
    rs = np.random.RandomState(int(params["seed"]))
    n = int(params["n"])
    x = dict((name, rs.normal(size=n)) for name in DNN_FEATURES)
    noise = rs.normal(scale=float(params["noise"]), size=n)
    curved = [math.tanh(1.5 * t) + 0.5 * math.sin(2.0 * c) for t, c in zip(x["temperature"].tolist(), x["cloud"].tolist())]
    y = (np.array(curved) - 0.8 * x["humidity"] * x["wind"] + 0.5 * (x["pressure"] * x["pressure"] - 1.0)
         - 0.3 * x["altitude"] + 0.3 * x["dew"] * x["rain"] + noise)  # math's tanh/sin: numpy's SIMD ones vary
    return {"columns": DNN_FEATURES + ["y"], "data": [x[c] for c in DNN_FEATURES] + [y], "kinds": ["f"] * 9}


# scikit-learn's breast-cancer table: 30 features (column index below), then the target (0 malignant, 1 benign).
CANCER_NUMERIC = [("mean_radius", 0), ("mean_texture", 1), ("mean_smoothness", 4), ("mean_compactness", 5),
                  ("mean_concavity", 6), ("mean_symmetry", 8)]
CANCER_BANDS = [("area_band", 23, ["q1", "q2", "q3", "q4"]),  # worst area, quartiles
                ("texture_band", 21, ["lo", "mid", "hi"]),  # worst texture, tertiles
                ("smooth_band", 24, ["s1", "s2", "s3", "s4", "s5"])]  # worst smoothness, quintiles


def zscore(values: Sequence[float]) -> List[float]:
    """``(x - mean) / std`` (population std) with exactly rounded sums: the same floats on every numpy."""
    n = len(values)
    mean = math.fsum(values) / n
    std = math.sqrt(math.fsum((v - mean) * (v - mean) for v in values) / n)
    return [(v - mean) / std for v in values]


def quantile_cuts(values: Sequence[float], parts: int) -> List[float]:
    """The ``parts - 1`` inner cut points at quantiles k/parts, linear interpolation (numpy's default method)."""
    ordered = sorted(values)
    cuts = []
    for k in range(1, parts):
        h = (len(ordered) - 1) * k / float(parts)
        lo = int(math.floor(h))
        hi = min(lo + 1, len(ordered) - 1)
        cuts.append(ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo]))
    return cuts


def bands(values: Sequence[float], labels: Sequence[str]) -> List[str]:
    """Each value's band: the number of cut points at or below it (a value on a cut goes to the upper band)."""
    cuts = quantile_cuts(values, len(labels))
    return [labels[sum(1 for c in cuts if c <= v)] for v in values]


def breast_cancer(params: Mapping[str, Any]) -> Dict[str, Any]:
    """scikit-learn's breast-cancer table, model-ready: six z-scored means, three bands of 'worst' features, the label.

    The file is read where the installed package keeps it (``params``: ``package``, ``file``) and
    must have the declared ``sha256``.
    """
    from shared.core import packaged

    payload = packaged.read(params["package"], params["file"], params["sha256"])
    lines = [line for line in payload.decode("ascii").splitlines() if line.strip()]
    n_rows, n_features = (int(v) for v in lines[0].split(",")[:2])
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
    if len(rows) != n_rows or any(len(r) != n_features + 1 for r in rows):
        from shared.core.errors import DataError

        raise DataError("the breast-cancer table has another layout than its header states",
                        expected="%d rows of %d features and a target" % (n_rows, n_features),
                        found="%d rows" % len(rows), fix="check the file the case declares")
    column = lambda j: [r[j] for r in rows]  # noqa: E731
    data = [zscore(column(j)) for _, j in CANCER_NUMERIC]
    data += [bands(column(j), labels) for _, j, labels in CANCER_BANDS]
    data.append(column(n_features))
    return {"columns": [c for c, _ in CANCER_NUMERIC] + [c for c, _, _ in CANCER_BANDS] + ["label"],
            "data": data, "kinds": ["f"] * len(CANCER_NUMERIC) + ["s"] * len(CANCER_BANDS) + ["f"]}


GENERATORS = {"linear": linear, "pairshift": pairshift, "pairlincorr": pairlincorr, "canned_linear": canned_linear,
              "canned_dnn": canned_dnn, "breast_cancer": breast_cancer}

# Columns each generator's CSV must have, with their kinds: "s" string, "f" finite float.
SCHEMAS = {
    "linear": [("x", "f"), ("y", "f")],
    "pairshift": [("item1", "s"), ("item2", "s"), ("dif", "f")],
    "pairlincorr": [("item1", "s"), ("item2", "s"), ("u1", "f"), ("u2", "f"), ("dif", "f")],
    "canned_linear": [("region", "s"), ("age", "f"), ("income", "f"), ("y", "f")],
    "canned_dnn": [(c, "f") for c in DNN_FEATURES] + [("y", "f")],
    "breast_cancer": [(c, "f") for c, _ in CANCER_NUMERIC] + [(c, "s") for c, _, _ in CANCER_BANDS] + [("label", "f")],
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

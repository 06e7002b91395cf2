"""Writes data/pitfalls.csv once: 200 rows that every pitfall of the catalogue trains on (run with any numpy).

Columns: four features ``x0..x3`` with a linear target ``y`` and a sample weight ``w`` in {0, .5, 1, 2};
an item id ``item`` (0..9, skewed so that items repeat within a batch) with target ``y_item``; a
category ``cat`` (vocabulary a, b, c, d plus the unknown ``zz``) with target ``y_cat``; one to three
``|``-separated ``tags`` (vocabulary red, green, blue, gold plus the unknown ``pink``) with target
``y_tags``. ``RandomState`` streams are frozen and every float is written as its float32 value with
``%.9g``, so any numpy writes the same bytes; the kit copies the file into its results with its checksum.
"""

import os

import numpy as np

ROWS = 200
SEED = 7
CATS = ["a", "b", "c", "d"]
TAGS = ["red", "green", "blue", "gold"]
N_ITEMS = 10
SCALE = np.array([1.0, 1.5, 0.5, 2.0])
SHIFT = np.array([0.5, -1.0, 1.0, 0.0])
W_TRUE = np.array([1.5, -2.0, 0.5, 1.0])
CAT_W = {"a": 1.0, "b": -1.0, "c": 2.0, "d": 0.5, "zz": 3.0}
TAG_W = {"red": 1.0, "green": -1.0, "blue": 0.5, "gold": 2.0, "pink": -2.0}
COLUMNS = ["x0", "x1", "x2", "x3", "y", "w", "item", "y_item", "cat", "y_cat", "tags", "y_tags"]
STRINGS = ("cat", "tags")


def table(rows: int = ROWS, seed: int = SEED):
    """The columns, drawn in one fixed order from one ``RandomState``."""
    rs = np.random.RandomState(seed)
    x = rs.normal(size=(rows, 4)) * SCALE + SHIFT
    noise = rs.normal(size=rows)
    y = x.dot(W_TRUE) + 0.3 + 0.1 * noise
    w = rs.choice([0.0, 0.5, 1.0, 2.0], size=rows, p=[0.3, 0.2, 0.3, 0.2])
    p = 1.0 / np.arange(1, N_ITEMS + 1)
    item = rs.choice(N_ITEMS, size=rows, p=p / p.sum())
    item_w = np.linspace(-1, 1, N_ITEMS * 2).reshape(N_ITEMS, 2)
    y_item = (item_w[item] * x[:, :2]).sum(1) + 0.1 * noise
    cat = rs.choice(CATS + ["zz"], size=rows, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    y_cat = np.array([CAT_W[c] for c in cat]) + 0.1 * noise
    tags, y_tags = [], []
    for i in range(rows):
        k = rs.randint(1, 4)
        chosen = list(rs.choice(TAGS + ["pink"], size=k, replace=False, p=[0.3, 0.25, 0.2, 0.15, 0.1]))
        tags.append("|".join(chosen))
        y_tags.append(np.mean([TAG_W[t] for t in chosen]) + 0.5 * x[i, 0] - 0.5 * x[i, 1] + 0.1 * noise[i])
    return {"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "x3": x[:, 3], "y": y, "w": w, "item": item,
            "y_item": y_item, "cat": cat, "y_cat": y_cat, "tags": tags, "y_tags": np.array(y_tags)}


def lines(cols) -> list:
    out = [",".join(COLUMNS)]
    for i in range(len(cols["y"])):
        cells = []
        for name in COLUMNS:
            value = cols[name][i]
            if name in STRINGS:
                cells.append(str(value))
            elif name == "item":
                cells.append("%d" % int(value))
            else:
                cells.append("%.9g" % np.float32(value))
        out.append(",".join(cells))
    return out


if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pitfalls.csv")
    rows = lines(table())
    with open(path, "w") as handle:
        handle.write("\n".join(rows) + "\n")
    print("wrote %s (%d rows)" % (path, len(rows) - 1))

"""Writes data/mlp.csv once: 2,000 rows of 8 features and a non-linear target (run with any numpy).

The bytes do not depend on the numpy version: ``RandomState`` streams are frozen and every number
is written with ``%.6f``. The kit copies the file into its results folder with its checksum.
"""

import os

import numpy as np

ROWS = 2000


def table(rows: int = ROWS, seed: int = 2024):
    rs = np.random.RandomState(seed)
    x = rs.uniform(-1.0, 1.0, size=(rows, 8))
    y = (np.sin(2.0 * x[:, 0]) + x[:, 1] * x[:, 2] - 0.5 * x[:, 3] ** 2 + 0.3 * x[:, 4] - 0.2 * x[:, 5] * x[:, 6]
         + 0.1 * rs.normal(size=rows))
    return np.round(x, 6), np.round(y, 6)


if __name__ == "__main__":
    x, y = table()
    lines = [",".join(["x%d" % i for i in range(8)] + ["y"])]
    lines += [",".join("%.6f" % v for v in list(row) + [t]) for row, t in zip(x.tolist(), y.tolist())]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mlp.csv")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("wrote %s (%d rows)" % (path, len(lines) - 1))

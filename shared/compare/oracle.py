"""The closed-form least-squares solution of a case, independent of either TensorFlow.

Minimum-norm where the problem is singular (pair models only identify differences). Small
problems use the pseudo-inverse of the normal equations; large ones use scipy's sparse LSQR,
which started from zero converges to the minimum-norm solution as well.
"""

from typing import Dict

import numpy as np

from shared.core.models import Design

DENSE_LIMIT = 3000  # columns; above this the p x p normal matrix gets slow, so go sparse


def normal_matrix(d: Design):
    """``X^T X`` and ``X^T y`` accumulated from the triplets (p x p dense, p = len(names))."""
    p = len(d.names)
    xty = np.bincount(d.cols, weights=d.vals * d.y[d.rows], minlength=p)
    order = np.lexsort((d.cols, d.rows))
    rows, cols, vals = d.rows[order], d.cols[order], d.vals[order]
    xtx = np.zeros((p, p))
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    widths = np.diff(np.r_[starts, rows.size])
    for width in np.unique(widths):
        group = starts[widths == width]
        c = np.stack([cols[group + j] for j in range(width)], axis=1)
        v = np.stack([vals[group + j] for j in range(width)], axis=1)
        for a in range(width):
            for b in range(width):
                np.add.at(xtx, (c[:, a], c[:, b]), v[:, a] * v[:, b])
    return xtx, xty


def solve(d: Design, method: str = "auto") -> Dict[str, float]:
    """Least-squares coefficients by name."""
    p = len(d.names)
    if method == "auto":
        method = "dense" if p <= DENSE_LIMIT else "sparse"
    if method == "dense":
        xtx, xty = normal_matrix(d)
        theta = np.linalg.pinv(xtx, rcond=1e-10, hermitian=True).dot(xty)
    else:
        from scipy.sparse import coo_matrix
        from scipy.sparse.linalg import lsqr

        x = coo_matrix((d.vals, (d.rows, d.cols)), shape=(d.n_rows, p)).tocsr()
        theta = lsqr(x, d.y, atol=1e-12, btol=1e-12, iter_lim=20 * p + 1000)[0]
    return dict(zip(d.names, theta.tolist()))

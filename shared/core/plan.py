"""The batch plan: which rows, in which order, in which batches, for every epoch.

Both TensorFlows are fed from this plan, never from their own shuffles, so the order is the same
bytes on both sides. Its hash goes into every result.
"""

import hashlib
from typing import Iterator, Optional, Tuple

import numpy as np


class BatchPlan(object):
    """Row order per epoch (a fresh ``RandomState(seed + epoch)`` permutation, or identity)."""

    def __init__(self, n_rows: int, epochs: int, batch_size: Optional[int] = None, shuffle: bool = True, seed: int = 0) -> None:
        if n_rows <= 0:
            raise ValueError("a batch plan needs at least one row, got %d" % n_rows)
        if epochs <= 0:
            raise ValueError("a batch plan needs at least one epoch, got %d" % epochs)
        self.n_rows = int(n_rows)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size) if batch_size else self.n_rows
        if self.batch_size <= 0:
            raise ValueError("batch_size must be positive, got %d" % self.batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self._orders = None  # type: Optional[np.ndarray]

    @property
    def batches_per_epoch(self) -> int:
        return -(-self.n_rows // self.batch_size)

    @property
    def full_batch(self) -> bool:
        return self.batch_size >= self.n_rows

    def order(self, epoch: int) -> np.ndarray:
        """Row indices of ``epoch`` in training order (int64, read-only)."""
        if not 0 <= epoch < self.epochs:
            raise IndexError("epoch %d outside 0..%d" % (epoch, self.epochs - 1))
        return self.orders()[epoch]

    def orders(self) -> np.ndarray:
        """Every epoch's order as one read-only ``[epochs, n_rows]`` int64 array, drawn once per plan."""
        if self._orders is None:
            if self.shuffle:
                rows = [np.random.RandomState(self.seed + e).permutation(self.n_rows) for e in range(self.epochs)]
            else:
                rows = [np.arange(self.n_rows)] * self.epochs
            orders = np.stack(rows).astype(np.int64)
            orders.setflags(write=False)
            self._orders = orders
        return self._orders

    def batches(self, epoch: int) -> Iterator[np.ndarray]:
        """Row indices of each batch of ``epoch``; the last one may be smaller."""
        order = self.order(epoch)
        for start in range(0, self.n_rows, self.batch_size):
            yield order[start:start + self.batch_size]

    def blocks(self) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """Every epoch's batches as arrays, for input pipelines that slice whole batches instead of batching rows.

        Returns ``(full, tail)``: ``full[e, k]`` holds the rows of batch ``k`` of epoch ``e`` (int64,
        shape ``[epochs, n_rows // batch_size, batch_size]``) and ``tail[e]`` the rows of epoch ``e``'s
        smaller last batch (shape ``[epochs, n_rows % batch_size]``), or ``None`` when batches divide the rows.
        Epoch ``e`` is ``full[e, 0], ..., full[e, -1], tail[e]``: the same batches as :meth:`batches`.
        """
        orders = self.orders()
        n_full = self.n_rows // self.batch_size
        cut = n_full * self.batch_size
        full = orders[:, :cut].reshape(self.epochs, n_full, self.batch_size)
        tail = orders[:, cut:] if cut < self.n_rows else None
        return full, tail

    def sha256(self) -> str:
        """Hash of every epoch's order and the batch size."""
        digest = hashlib.sha256()
        digest.update(("%d:%d:%d;" % (self.n_rows, self.epochs, self.batch_size)).encode("ascii"))
        for epoch in range(self.epochs):
            digest.update(self.order(epoch).astype("<i8").tobytes())
        return digest.hexdigest()

    def to_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "batches_per_epoch": self.batches_per_epoch,
        }


def for_case(case, n_rows: int) -> BatchPlan:
    """The plan a case's hyperparameters imply for a dataset of ``n_rows`` (what both sides and compare use)."""
    hp = case.hyperparameters
    return BatchPlan(n_rows, hp["epochs"], hp.get("batch_size"), hp.get("shuffle", True), hp.get("plan_seed", 0))

"""The batch plan: the same rows in the same order on both sides, recorded by hash."""

import numpy as np
import pytest

from shared.core.plan import BatchPlan


def test_every_epoch_is_a_permutation_and_batches_cover_it():
    plan = BatchPlan(1050, 3, 100, shuffle=True, seed=4)
    for epoch in range(3):
        batches = list(plan.batches(epoch))
        assert len(batches) == plan.batches_per_epoch == 11
        assert sorted(np.concatenate(batches).tolist()) == list(range(1050))
        assert len(batches[-1]) == 50


def test_epochs_differ_and_plans_repeat():
    plan = BatchPlan(100, 2, 10, shuffle=True, seed=0)
    assert not np.array_equal(plan.order(0), plan.order(1))
    assert plan.sha256() == BatchPlan(100, 2, 10, shuffle=True, seed=0).sha256()
    assert plan.sha256() != BatchPlan(100, 2, 10, shuffle=True, seed=1).sha256()


def test_full_batch_identity():
    plan = BatchPlan(5, 1, None, shuffle=False)
    assert plan.full_batch and plan.order(0).tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("args", [(0, 1), (5, 0), (5, 1, -3)])
def test_bad_plans_refused(args):
    with pytest.raises(ValueError):
        BatchPlan(*args)


@pytest.mark.parametrize("n_rows,batch", [(1050, 100), (1000, 100), (7, 10), (5, None)])
def test_blocks_hold_the_same_batches_in_the_same_order(n_rows, batch):
    plan = BatchPlan(n_rows, 3, batch, shuffle=True, seed=2)
    full, tail = plan.blocks()
    for epoch in range(3):
        got = list(full[epoch]) + ([tail[epoch]] if tail is not None else [])
        want = list(plan.batches(epoch))
        assert len(got) == len(want) == plan.batches_per_epoch
        for a, b in zip(got, want):
            assert a.dtype == np.int64 and a.tolist() == b.tolist()
    assert (tail is None) == (n_rows % plan.batch_size == 0)


def test_blocks_catch_a_reordered_batch():
    plan = BatchPlan(1050, 2, 100, shuffle=True, seed=2)
    full, _ = plan.blocks()
    swapped = full.copy()
    swapped[1, [0, 1]] = swapped[1, [1, 0]]
    assert [b.tolist() for b in swapped[1]] != [b.tolist() for b in list(plan.batches(1))[:-1]]


def test_orders_are_drawn_once_and_cannot_be_changed():
    plan = BatchPlan(100, 3, 10, shuffle=True, seed=5)
    first = plan.orders()
    assert plan.orders() is first and first.shape == (3, 100) and first.dtype == np.int64
    assert plan.order(1).tolist() == np.random.RandomState(6).permutation(100).tolist()
    with pytest.raises(ValueError):
        plan.order(0)[0] = 7

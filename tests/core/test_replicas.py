"""What both sides check of a distributed run: N replicas asked means N in sync on N distinct devices that exist;
and the loss scale as trained, 1 for a loss averaged over the global batch, N for one averaged per replica."""

import numpy as np
import pytest

from shared.core import replicas
from shared.core.errors import DeviceError, KitError, TrainingError

HERE = ["/job:localhost/replica:0/task:0/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:1"]


def test_device_names_are_compared_by_device():
    assert replicas.device_key("/job:localhost/replica:0/task:0/device:CPU:1") == "CPU:1"
    assert replicas.device_key("/cpu:1") == replicas.device_key("/device:CPU:1") == "CPU:1"
    assert replicas.device_key("/job:worker/replica:0/task:1/device:CPU:0") == "worker:1/CPU:0"


def test_two_replicas_on_two_devices_that_exist_pass():
    replicas.check(2, 2, ["/device:CPU:0", "/device:CPU:1"], HERE, "fix")


@pytest.mark.parametrize("in_sync, devices, found", [
    (1, ["/device:CPU:0"], "replica devices CPU:0; devices here: CPU:0, CPU:1"),  # fewer replicas than asked
    (2, ["/device:CPU:0", "/device:CPU:0"], "replica devices CPU:0, CPU:0;"),  # the same device twice
    (2, ["/device:CPU:0", "/device:CPU:1"], "not here: CPU:1"),  # a device the process does not have
])
def test_fewer_replicas_the_same_device_twice_or_a_missing_device_is_an_error(in_sync, devices, found):
    available = HERE if "not here" not in found else HERE[:1]
    with pytest.raises(DeviceError) as err:
        replicas.check(2, in_sync, devices, available, "run the side with --cpu-devices 2")
    text = str(err.value)
    assert isinstance(err.value, KitError) and "asked for 2 replicas" in text
    assert "expected: 2 replicas on 2 distinct devices that exist" in text and found in text
    assert "fix: run the side with --cpu-devices 2" in text


def _rows(per_example, n, naive):
    """One step's ``(loss as differentiated, sum of per-example losses, examples)`` per replica, each replica getting
    a consecutive share of the global batch, as the strategies split it."""
    rows = []
    for share in np.array_split(per_example, n):
        loss = share.mean() if naive else share.sum() / per_example.size
        rows.append((loss, share.sum(), share.size))
    return rows


@pytest.mark.parametrize("n", [1, 2, 4])
def test_the_loss_scale_is_one_for_a_global_mean_and_the_replica_count_for_a_per_replica_mean(n):
    per_example = np.random.RandomState(0).gamma(2.0, size=1000)
    assert replicas.loss_scale(_rows(per_example, n, naive=False)) == 1.0
    assert replicas.loss_scale(_rows(per_example, n, naive=True)) == pytest.approx(n, abs=0.05)
    assert replicas.loss_scale(_rows(np.full(1000, 0.3), n, naive=True)) == float(n)  # equal shares: exactly n


def test_the_distribute_settings_are_the_same_keys_on_both_sides():
    assert replicas.settings("MirroredStrategy", 2, 1000, 1.0) == {
        "strategy": "MirroredStrategy", "replicas": 2.0, "global_batch": 1000.0, "replica_batch": 500.0,
        "loss_scale": 1.0}


def test_replica_copies_must_be_as_many_distinct_and_equal():
    a, b = "/job:localhost/replica:0/task:0/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:1"
    w = np.array([1.0, 2.0], np.float32)
    out = replicas.copies([("w", [(a, w), (b, w.copy())]), ("b", [(a, np.zeros(0)), (b, np.zeros(0))])], 2, fix="f")
    assert out == {"copy_devices": [a, b], "copy_spread": 0.0}
    for held, found in (([("w", [(a, w), (b, w + 0.5)])], "max |copy - copy 0| = 0.5"),
                        ([("w", [(a, w), ("/cpu:0", w)])], "w: 2 copies on %s, /cpu:0" % a),
                        ([("w", [(a, w)])], "w: 1 copies on %s" % a),
                        ([], "no trainable variable")):
        with pytest.raises(TrainingError) as err:
            replicas.copies(held, 2, fix="f")
        assert found in str(err.value) and "2 distinct equal copies" in str(err.value)

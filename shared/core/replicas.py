"""What both sides check and record of a distributed run: the replicas really got, and the loss scale as trained."""

import re
from typing import Any, Dict, Sequence, Tuple

import numpy as np

from shared.core.errors import DeviceError, TrainingError

_DEVICE = re.compile(r"device:([A-Za-z]+):(\d+)$")


def device_key(name: str) -> str:
    """``/job:localhost/replica:0/task:0/device:CPU:1`` and ``/cpu:1`` both as ``CPU:1`` (task and job kept apart
    only where they are part of the name, as for multi-worker devices)."""
    text = str(name).strip()
    tail = _DEVICE.search(text.replace("/cpu:", "/device:CPU:").replace("/gpu:", "/device:GPU:"))
    if not tail:
        return text
    task = re.search(r"/job:(\w+)/replica:\d+/task:(\d+)", text)
    where = "%s:%s/" % (task.group(1), task.group(2)) if task and task.group(1) != "localhost" else ""
    return "%s%s:%s" % (where, tail.group(1).upper(), tail.group(2))


def check(asked: int, in_sync: int, devices: Sequence[str], available: Sequence[str], fix: str) -> None:
    """``asked`` replicas: the strategy must have that many in sync, on as many distinct devices, each one that
    exists; otherwise a :class:`DeviceError` saying what was asked and what was found."""
    used = [device_key(d) for d in devices]
    known = set(device_key(d) for d in available)
    missing = [d for d in used if d not in known]
    if in_sync != asked or len(set(used)) != asked or missing:
        raise DeviceError(
            "asked for %d replicas, the strategy has %d in sync on %d distinct device(s)" % (
                asked, in_sync, len(set(used))),
            expected="%d replicas on %d distinct devices that exist" % (asked, asked),
            found="replica devices %s%s; devices here: %s" % (
                ", ".join(used) or "none", "; not here: " + ", ".join(missing) if missing else "",
                ", ".join(sorted(known)) or "none"),
            fix=fix,
        )


def copies(per_variable: Sequence[Tuple[str, Sequence[Tuple[str, Any]]]], replicas: int, fix: str) -> Dict[str, Any]:
    """Each trainable variable's replica copies, ``(name, [(device, value), ...])``, checked: ``replicas`` copies
    on distinct devices, all equal, else a :class:`TrainingError`; where they lived and their largest spread."""
    spread, devices, problems = 0.0, set(), []
    if not per_variable:
        problems.append("no trainable variable")
    for name, held in per_variable:
        where = [str(d) for d, _ in held]
        if len(held) != replicas or len(set(device_key(d) for d in where)) != len(held):
            problems.append("%s: %d copies on %s" % (name, len(held), ", ".join(where)))
        first = np.asarray(held[0][1])
        spread = max([spread] + [float(np.max(np.abs(np.asarray(v) - first))) if first.size else 0.0
                                 for _, v in held])
        devices.update(where)
    if problems or spread != 0.0:
        raise TrainingError(
            "the replicas' variable copies are not %d distinct equal copies" % replicas,
            expected="%d copies per variable, one per replica device, all equal" % replicas,
            found="; ".join(problems[:3]) or "max |copy - copy 0| = %.3g" % spread, fix=fix)
    return {"copy_devices": sorted(devices), "copy_spread": spread}


def loss_scale(parts: Any) -> float:
    """Rows ``(loss as differentiated, sum of per-example losses, examples)``, one per replica, from one step:
    the replicas' losses summed (their gradients are summed) over the mean loss of the whole global batch,
    to 4 decimals. 1.0 when each replica's loss is its share of the global mean; N when each replica
    averages over its own share only (the loss, and so the gradient, N times too large)."""
    rows = np.asarray(parts, dtype=np.float64).reshape(-1, 3)
    return round(float(rows[:, 0].sum() / (rows[:, 1].sum() / rows[:, 2].sum())), 4)


def settings(strategy: str, replicas: int, global_batch: int, scale: Any) -> Dict[str, Any]:
    """The ``distribute`` block of a result's effective settings (the same keys on both sides)."""
    return {"strategy": strategy, "replicas": float(replicas), "global_batch": float(global_batch),
            "replica_batch": float(global_batch // replicas), "loss_scale": scale}


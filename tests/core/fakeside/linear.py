"""Fake linear implementations: ``good`` trains, ``boom`` raises, ``nan`` diverges, ``idle`` never steps,
``interrupt`` is stopped by the user, ``slow`` says it started (``$FAKESIDE_STARTED``, its PID) and trains for
a minute, ``nap`` trains for ``$FAKESIDE_NAP_S`` seconds, ``die`` ends its process (exit code 7) when that is a
``--jobs`` worker and trains like ``good`` in the side's own process."""

import os
import sys
import time

from shared.core.results import Snapshots, Trained

IMPLS = ("good", "boom", "nan", "interrupt", "idle", "slow", "nap", "die")


def run(job):
    hp, plan = job.hp, job.plan
    if job.impl == "boom":
        raise RuntimeError("implementation exploded")
    if job.impl == "interrupt":
        raise KeyboardInterrupt()
    if job.impl == "nan":
        return Trained({"W": float("nan"), "b": 0.0}, [{"W": float("inf"), "b": 0.0}])
    start = {"W": float(hp["W0"]), "b": float(hp["b0"])}
    if job.impl == "idle":
        snapshots = [dict(start) for _ in range(plan.epochs)]
        return Trained(start, snapshots, steps=0, start=start)
    if job.impl == "die" and "--worker" in sys.argv:
        os._exit(7)
    if job.impl == "nap":
        time.sleep(float(os.environ.get("FAKESIDE_NAP_S") or 0.0))
    if job.impl == "slow":
        with open(os.environ["FAKESIDE_STARTED"], "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(60.0)
    snapshots = Snapshots()
    for epoch in range(plan.epochs):
        time.sleep(0.02 if epoch == 0 else 0.001)  # a slow first epoch, as start-up makes it
        w = float(hp["W0"]) + float(hp.get("learning_rate", 0.0)) * (epoch + 1) / plan.epochs
        snapshots.take({"W": w, "b": 0.5})
    return Trained(snapshots[-1], snapshots, steps=plan.epochs * plan.batches_per_epoch, start=start)

"""Fake linear implementations: ``good`` converges, ``boom`` raises, ``nan`` diverges, ``slow`` writes then stalls."""

import time

from shared.core.results import Snapshots, Trained

IMPLS = ("good", "boom", "nan", "interrupt")


def run(impl, case, dataset, plan):
    if impl == "boom":
        raise RuntimeError("implementation exploded")
    if impl == "interrupt":
        raise KeyboardInterrupt()
    if impl == "nan":
        return Trained({"W": float("nan"), "b": 0.0}, [{"W": float("inf"), "b": 0.0}])
    w = float(case.hyperparameters["W0"]) + float(case.hyperparameters.get("learning_rate", 0.0))
    snapshots = Snapshots()
    for epoch in range(plan.epochs):
        time.sleep(0.02 if epoch == 0 else 0.001)  # a slow first epoch, as start-up makes it
        snapshots.take({"W": w, "b": 0.5})
    return Trained({"W": w, "b": 0.5}, snapshots)

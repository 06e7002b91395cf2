"""Fake linear implementations: ``good`` converges, ``boom`` raises, ``nan`` diverges, ``slow`` writes then stalls."""

import time

from shared.results import Trained

IMPLS = ("good", "boom", "nan", "interrupt")


def run(impl, case, dataset, plan):
    if impl == "boom":
        raise RuntimeError("implementation exploded")
    if impl == "interrupt":
        raise KeyboardInterrupt()
    if impl == "nan":
        return Trained({"W": float("nan"), "b": 0.0}, [{"W": float("inf"), "b": 0.0}])
    w = float(case.hyperparameters["W0"]) + float(case.hyperparameters.get("learning_rate", 0.0))
    time.sleep(0.01)
    return Trained({"W": w, "b": 0.5}, [{"W": w, "b": 0.5}] * plan.epochs)

"""A case folder for the fake side run as its own process (``--cases-from tests/core/fakeside``): no TensorFlow."""

from shared.core.case import Case, Check, DatasetSpec

TARGET = "tests.core.fakeside.linear:run"
DATA = DatasetSpec("fakeline", "linear", {"n": 1000, "W": 3.0, "b": 2.0, "noise": 1.0, "seed": 2019})
HP = {"W0": 5.0, "b0": 0.0, "optimizer": "sgd", "learning_rate": 0.1, "epochs": 20, "batch_size": None,
      "shuffle": False, "plan_seed": 0}
CHECKS = [Check("weights", 1e-6, "both fake sides compute the same float64 steps")]

CASES = [
    Case(name="fakeline", description="the fake side's linear case: a fraction of a second a run, for races",
         dataset=DATA, hyperparameters=HP, impls={"tf1": {"good": TARGET}, "tf2": {"good": TARGET}},
         reference="tf1/good", checks=CHECKS, model="linear"),
    Case(name="fakeslow", description="the fake side's case that trains for a minute, to be killed mid-training",
         dataset=DATA, hyperparameters=HP, impls={"tf1": {"good": TARGET, "slow": TARGET}, "tf2": {"good": TARGET}},
         reference="tf1/good", checks=CHECKS, model="linear"),
]
CASES += [  # for --jobs: cases that train for $FAKESIDE_NAP_S seconds, and one whose "die" ends a worker
    Case(name=name, description="the fake side's case that trains for $FAKESIDE_NAP_S seconds (--jobs runs)",
         dataset=DATA, hyperparameters=dict(HP, W0=w0), impls={"tf1": {"good": TARGET, "nap": TARGET},
                                                               "tf2": {"good": TARGET}},
         reference="tf1/good", checks=CHECKS, model="linear") for name, w0 in (("fakenap1", 4.0), ("fakenap2", 6.0))
] + [
    Case(name="fakedie", description="the fake side's case whose 'die' implementation ends a --jobs worker",
         dataset=DATA, hyperparameters=HP, impls={"tf1": {"good": TARGET, "die": TARGET}, "tf2": {"good": TARGET}},
         reference="tf1/good", checks=CHECKS, model="linear"),
]

"""The kit's own cases: each declared once, with data, hyperparameters, implementations and checks.

This module only declares (``CASES``); ``shared.core.registry`` registers them.
"""

from shared.core.case import Case, Check, DatasetSpec

# Every FTRL setting explicit on both sides (TF1 FtrlOptimizer defaults differ from Keras' in places).
FTRL = {
    "optimizer": "ftrl",
    "learning_rate": 0.2,
    "learning_rate_power": -0.5,
    "initial_accumulator_value": 0.1,
    "l1_regularization_strength": 0.0,
    "l2_regularization_strength": 0.0,
    "l2_shrinkage_regularization_strength": 0.0,
    "beta": 0.0,
    "loss_reduction": "mean",  # the contrib regression head and Keras' mse both average over the batch
}


def ftrl_kwargs(hp):
    """The FTRL settings of ``hp`` under TF1's ``FtrlOptimizer`` argument names (Keras adds ``beta``)."""
    names = ("learning_rate", "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
             "l2_regularization_strength", "l2_shrinkage_regularization_strength")
    return dict((name, hp[name]) for name in names)


PAIR_TRAINING = dict(FTRL, epochs=40, batch_size=1000, shuffle=True, plan_seed=0, init=0.0)
PAIR_STRICT = (1e-5, "same batches, same zero start, same FTRL settings; float32 sum order only")
U0 = 50.0  # the fixed centre of pairlincorr's slope corrections, in the data and in the model

PAIR_IMPLS = {"tf1": ["estimator"], "tf2": ["keras2", "keras2_fused", "keras3"]}

# The Estimators keep their final checkpoint and a parsing SavedModel; both cross to TF 2.x and the
# TF2-trained weights cross back (shared/core/artifacts.py), each compared on the probe set.
EXACT = "each prediction is one float32 subtraction w[item1] - w[item2] in every runtime, so it is exact (0 measured)"
PAIRSHIFT_ARTIFACTS = [
    Check("checkpoint", 0.0, "TF1 checkpoint in each Keras model: " + EXACT),
    Check("savedmodel", 0.0, "TF1 export served by TF 2.21 (signatures, TFSMLayer): " + EXACT),
    Check("rollback", 0.0, "TF2 weights in TF 1.15's graph vs in the TF2 model: " + EXACT),
]
PAIRLINCORR_ARTIFACTS = [
    Check("checkpoint", 2e-6, "a float32 dot product over 200 design columns (Keras 3: 202, with its OOV slots) summed "
                              "in another order: 4.8e-7 measured, 1 ulp at |y| < 4.8"),
    Check("savedmodel", 2e-6, "the TF1 graph run by TF 2.21's kernels: 0 measured; float32 rounding at most "
                              "(1 ulp at |y| < 4.8 is 4.8e-7)"),
    Check("rollback", 2e-6, "TF2 weights in TF 1.15's graph vs in the TF2 model, the dot product summed in another "
                            "order: 2.4e-7 measured (Keras 3), 1 ulp at |y| < 4.8"),
]

CASES = [
    Case(
        name="linear",
        description="1-D regression y = W*x + b from the seed: W0=5, b0=0, SGD lr 0.1, 100 full-batch epochs",
        dataset=DatasetSpec("linear", "linear", {"n": 1000, "W": 3.0, "b": 2.0, "noise": 1.0, "seed": 2019}),
        hyperparameters={
            "W0": 5.0,
            "b0": 0.0,
            "optimizer": "sgd",
            "learning_rate": 0.1,
            "epochs": 100,
            "batch_size": None,
            "shuffle": False,
            "plan_seed": 0,
        },
        impls={"tf1": ["session"], "tf2": ["eager", "function", "keras2", "keras3"]},
        reference="tf1/session",
        checks=[
            Check("weights", 1e-5, "same float32 full-batch steps from the same start; only reduction order may differ"),
            Check("least_squares", 1e-5, "GD contracts the error ~0.8x per epoch, so 100 epochs leave float32 rounding: "
                  "5e-7 measured", required=True),
        ],
        model="linear",
    ),
    Case(
        name="pairshift",
        description="y = w[item1] - w[item2]: Estimator + feature columns + contrib regression head + FTRL vs Keras",
        dataset=DatasetSpec("pairshift", "pairshift", {
            "n_items": 100, "n_pairs": 20000, "value_scale": 1.0, "noise": 0.1, "seed": 2019}),
        hyperparameters=PAIR_TRAINING,
        impls=PAIR_IMPLS,
        reference="tf1/estimator",
        checks=[
            Check("weights", *PAIR_STRICT),
            Check("least_squares", 2e-3, "batch-1000 FTRL settles in a minibatch noise floor: 8e-4 to 1e-3 from epoch 35 "
                  "on (the kit's data; other data converges at its own pace: reported, not required)"),
        ] + PAIRSHIFT_ARTIFACTS,
        model="pairshift",
        gauge=("",),
    ),
    Case(
        name="pairlincorr",
        description="pairs with an offset c and slope correction d per item around u0: value = u + c + d (u - u0)",
        dataset=DatasetSpec("pairlincorr", "pairlincorr", {
            "n_items": 100, "n_pairs": 20000, "offset_scale": 1.0, "slope_scale": 0.05, "u0": U0,
            "u_halfwidth": 10.0, "noise": 0.1, "seed": 2019}),
        hyperparameters=dict(PAIR_TRAINING, u0=U0),
        impls=PAIR_IMPLS,
        reference="tf1/estimator",
        checks=[
            Check("weights", *PAIR_STRICT),
            Check("least_squares", 1e-2, "batch-1000 FTRL settles in a minibatch noise floor: 4e-3 to 6e-3 (slopes d) "
                  "from epoch 30 (the kit's data; other data converges at its own pace: reported, not required)"),
        ] + PAIRLINCORR_ARTIFACTS,
        model="pairlincorr",
        gauge=("c[",),
    ),
]

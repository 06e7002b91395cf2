"""The registered cases: each declared once, with data, hyperparameters, implementations and tolerances."""

from shared.registry import Case, DatasetSpec, Tolerance, register

FTRL = {
    "optimizer": "ftrl",
    "learning_rate": 0.2,
    "learning_rate_power": -0.5,
    "initial_accumulator_value": 0.1,
    "l1_regularization_strength": 0.0,
    "l2_regularization_strength": 0.0,
    "l2_shrinkage_regularization_strength": 0.0,
    "beta": 0.0,
}

register(
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
        tolerances={
            "strict": Tolerance(1e-5, "same float32 full-batch steps from the same start; only reduction order may differ"),
            "oracle": Tolerance(1e-4, "GD contracts the error by ~0.8 per epoch: 100 epochs leave ~1e-9 plus float32 rounding"),
        },
    )
)

"""The kit's own cases: each declared once, with data, hyperparameters, implementations and checks.

This module only declares (``CASES``); ``shared.core.registry`` registers them.
"""

from shared.core import canned
from shared.core.case import Case, Check, DatasetSpec, Init, InitSpec

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



# The canned Estimators train with V1 heads that SUM the loss over the batch, and with their own default
# optimizers (LinearRegressor: FTRL 0.2; DNNRegressor: Adagrad 0.05; DNNLinearCombinedClassifier: FTRL
# min(0.005, 1/sqrt(n columns)) for the linear part, Adagrad 0.001 for the deep part). The hyperparameters
# state those defaults for the ports to set; the TF1 side checks them against what the Estimator really built.
CANNED_IMPLS = {"tf1": ["estimator"], "tf2": ["keras2", "keras3"]}
CANNED_PLAN = {"shuffle": True, "plan_seed": 0}
ADAGRAD = {"optimizer": "adagrad", "initial_accumulator_value": 0.1, "epsilon": 0.0}  # TF1's Adagrad has no epsilon
BREAST_CANCER = {"package": "sklearn", "file": "datasets/data/breast_cancer.csv",
                 "sha256": "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed"}  # sklearn 1.0.2 = 1.7.2
DNN_HIDDEN = [32, 16]
WIDE_HIDDEN = [16, 8]
WIDE_EMBEDDING = 3
WIDE_BUCKETS = 16


def prefixed(prefix, settings):
    """``settings`` with every key prefixed (the two optimizers of a wide & deep model)."""
    return dict((prefix + k, v) for k, v in settings.items() if k != "loss_reduction")


def identity(weights):
    """The TF1 name map of a canned Estimator: its checkpoint names are the canonical ones."""
    return dict((name, name) for name in weights)


def canned_init(seed, shapes):
    """The canned models' own initializers, drawn by the kit: glorot-uniform kernels, zero biases and linear
    weights, and an embedding_column's truncated normal with stddev 1/sqrt(dimension)."""
    weights = {}
    for name, shape in shapes.items():
        if name == canned.EMBEDDING:
            weights[name] = Init("truncated_normal", shape, stddev=1.0 / shape[1] ** 0.5)
        elif name.startswith("dnn/") and name.endswith("kernel"):
            weights[name] = Init("glorot_uniform", shape)
        else:
            weights[name] = Init("zeros", shape)
    return InitSpec(seed, weights)


DNN_WEIGHTS = canned.dnn_weights(len(canned.DNN_INPUTS), DNN_HIDDEN)
WIDE_WEIGHTS = dict(canned.dnn_weights(len(canned.WIDE_NUMERIC) + WIDE_EMBEDDING, WIDE_HIDDEN),
                    **canned.wide_weights(WIDE_BUCKETS))
WIDE_WEIGHTS[canned.EMBEDDING] = (len(canned.VOCABULARIES["smooth_band"]), WIDE_EMBEDDING)
LINEAR_KERAS = {"linear_model/kernel[0:5]": canned.LINEAR + "age_bucketized/weights",  # sorted columns, one kernel
                "linear_model/kernel[5:6]": canned.LINEAR + "income/weights",
                "linear_model/kernel[6:11]": canned.LINEAR + "region/weights",
                "linear_model/bias": canned.LINEAR + "bias_weights"}


def wide_keras(embedding, linear_rows):
    """A wide & deep port's names: the deep layers by their canned names, the embedding, one linear kernel's rows."""
    table = dict((n[len("dnn/"):], n) for n in WIDE_WEIGHTS if n.startswith("dnn/hiddenlayer") or n.startswith("dnn/logits"))
    table[embedding] = canned.EMBEDDING
    table["linear_model/bias"] = canned.LINEAR + "bias_weights"
    start = 0
    for column in linear_rows:
        rows = WIDE_WEIGHTS[canned.LINEAR + column + "/weights"][0]
        table["linear_model/kernel[%d:%d]" % (start, start + rows)] = canned.LINEAR + column + "/weights"
        start += rows
    return table


WIDE_NAMES = {
    "tf1": identity(WIDE_WEIGHTS),
    # DenseFeatures sorts its columns by name, and 'area_band_X_texture_band_indicator' < 'area_band_indicator'
    "tf2/keras2": wide_keras("input_layer/smooth_band_embedding/embedding_weights",
                             [canned.CROSS, "area_band", "texture_band"]),
    "tf2/keras3": wide_keras("smooth_band_embedding/kernel", ["area_band", canned.CROSS, "texture_band"]),
}
WIDE_HP = dict(prefixed("linear_", dict(FTRL, learning_rate=0.005)), **prefixed("dnn_", dict(ADAGRAD, learning_rate=0.001)))
WIDE_HP.update(loss_reduction="sum", hidden_units=WIDE_HIDDEN, activation="relu", embedding_dimension=WIDE_EMBEDDING,
               hash_bucket_size=WIDE_BUCKETS, epochs=30, batch_size=64, **CANNED_PLAN)

# The canned Estimators keep their artifacts too: the checkpoint restored through the case's name maps (a port's
# kernel rows by slice), the parsing export served, the TF2 weights restored by TF 1.15 under the canned names.
ULP = "1 ulp of float32 at |y| < %s is %s"
CANNED_ARTIFACTS = {
    "linear": [
        Check("checkpoint", 1e-6, "TF1 checkpoint in each Keras model: the per-column sums of TF1's linear_model added "
                                  "in one matmul instead, 2.4e-7 measured (both ports); " + ULP % (3.6, "2.4e-7")),
        Check("savedmodel", 1e-6, "TF1 export served by TF 2.21 (3 signatures, TFSMLayer): 0 measured; float32 "
                                  "rounding at most, " + ULP % (3.6, "2.4e-7")),
        Check("rollback", 1e-6, "TF2 weights in TF 1.15's graph vs in the TF2 model, summed in another order: 2.4e-7 "
                                "measured (both ports); " + ULP % (3.6, "2.4e-7")),
    ],
    "dnn": [
        Check("checkpoint", 2e-6, "TF1 checkpoint in each Keras model, three float32 matmuls in Keras' kernels: 4.8e-7 "
                                  "measured (both ports); " + ULP % (5.2, "4.8e-7")),
        Check("savedmodel", 2e-6, "TF1 export served by TF 2.21's kernels (3 signatures, TFSMLayer): 4.8e-7 measured; "
                                  + ULP % (5.2, "4.8e-7")),
        Check("rollback", 2e-6, "TF2 weights in TF 1.15's graph vs in the TF2 model: 4.8e-7 measured (both ports); "
                                + ULP % (5.2, "4.8e-7")),
    ],
    "widedeep": [
        Check("checkpoint", 1e-6, "TF1 checkpoint in each Keras model, logits of the deep and the linear part: 2.4e-7 "
                                  "measured (both ports); " + ULP % (2.9, "2.4e-7")),
        Check("savedmodel", 1e-6, "TF1 export served by TF 2.21 (its predict signature, the only one serving logits, "
                                  "and TFSMLayer): 2.4e-7 measured; " + ULP % (2.9, "2.4e-7")),
        Check("rollback", 1e-6, "TF2 weights in TF 1.15's graph vs in the TF2 model: 2.4e-7 measured (both ports); "
                                + ULP % (2.9, "2.4e-7")),
    ],
}


CASES.extend([
    Case(
        name="canned_linear",
        description="tf.estimator.LinearRegressor (bucketized, numeric, categorical columns; its default FTRL 0.2 "
                    "and SUM loss) vs tf_keras DenseFeatures + LinearModel and Keras 3 preprocessing layers",
        dataset=DatasetSpec("canned_linear", "canned_linear", {"n": 450, "noise": 0.5, "seed": 2019}),
        hyperparameters=dict(FTRL, loss_reduction="sum", epochs=40, batch_size=100, **CANNED_PLAN),
        impls=CANNED_IMPLS,
        reference="tf1/estimator",
        checks=[
            Check("weights", 5e-6, "same batches, zero start and FTRL settings; float32 sum order over 200 steps: "
                                  "5.4e-7 measured (weights move up to 1.4); Keras' mean reduction instead: 7.4e-2"),
            Check("predictions", 5e-6, "probe predictions of the trained models: 4.8e-7 measured"),
            Check("loss", 2e-7, "full-data MSE per epoch, numpy float64 from each side's weights: 2.2e-8 measured"),
        ] + CANNED_ARTIFACTS["linear"],
        names={"tf1": identity(canned.LINEAR_WEIGHTS), "tf2": LINEAR_KERAS},
        forward=canned.forward_linear,
        label="y",
    ),
    Case(
        name="canned_dnn",
        description="tf.estimator.DNNRegressor(hidden_units=[32, 16]) with its defaults (Adagrad 0.05, ReLU, SUM), "
                    "warm-started from the kit's glorot init, vs tf_keras and Keras 3 Dense stacks",
        dataset=DatasetSpec("canned_dnn", "canned_dnn", {"n": 500, "noise": 0.3, "seed": 2019}),
        hyperparameters=dict(ADAGRAD, learning_rate=0.05, loss_reduction="sum", hidden_units=DNN_HIDDEN,
                             activation="relu", epochs=40, batch_size=100, **CANNED_PLAN),
        impls=CANNED_IMPLS,
        reference="tf1/estimator",
        checks=[
            Check("weights", 1e-5, "same batches, shared start and Adagrad settings; float32 matmul order over 200 "
                                  "steps through two ReLU layers: 1.2e-6 measured (weights move up to 0.55); Keras' "
                                  "mean reduction instead: 0.51"),
            Check("predictions", 1e-5, "probe predictions of the trained nets: 9.8e-7 measured"),
            Check("loss", 5e-7, "full-data MSE per epoch, numpy float64 from each side's weights: 8.0e-8 measured"),
        ] + CANNED_ARTIFACTS["dnn"],
        init=canned_init(1, DNN_WEIGHTS),
        names={"tf1": identity(DNN_WEIGHTS), "tf2": dict((n[len("dnn/"):], n) for n in DNN_WEIGHTS)},
        forward=canned.forward_dnn,
        label="y",
    ),
    Case(
        name="canned_widedeep",
        description="tf.estimator.DNNLinearCombinedClassifier on scikit-learn's breast-cancer table (linear: two bands "
                    "and their cross, FTRL; deep: six numerics and an embedded band, Adagrad; sigmoid cross-entropy, "
                    "SUM) vs tf_keras WideDeepModel and a Keras 3 model with two optimizers",
        dataset=DatasetSpec("breast_cancer", "breast_cancer", BREAST_CANCER),
        hyperparameters=WIDE_HP,
        impls=CANNED_IMPLS,
        reference="tf1/estimator",
        checks=[
            Check("weights", 1e-6, "same batches, shared start, FTRL and Adagrad settings; float32 rounding over 270 small "
                                  "steps (lr 0.005 and 0.001, weights move up to 0.15): 8.9e-8 measured; mean reduction "
                                  "instead: 7.4e-2"),
            Check("predictions", 5e-6, "probe logits of the trained models (deep plus linear part): 4.8e-7 measured"),
            Check("loss", 3e-7, "full-data sigmoid cross-entropy per epoch, numpy float64 from each side's weights "
                                "and its own crossed buckets: 3.1e-8 measured"),
        ] + CANNED_ARTIFACTS["widedeep"],
        init=canned_init(2, WIDE_WEIGHTS),
        names=WIDE_NAMES,
        label="label",
        loss="logloss",
    ),
])

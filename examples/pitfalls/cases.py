"""The pitfalls catalogue: every known numeric TF 1.x -> 2.x difference as a case, the real TF1 code against a
naive TF2 port (what people write) and a faithful one (the fix).

One case per pitfall entry (``pitfall_01a`` ... ``pitfall_12``), all on one CSV (``data/pitfalls.csv``,
200 rows, batches of 32: six full batches and one of 8 per epoch) in the kit's batch plan. The TF1
code is in ``tf1_pitfalls.py`` (TF 1.15: ``tf.Session``, ``tf.estimator``, ``tf.contrib``), the TF2
ports in ``tf2_pitfalls.py`` (TF 2.21: Keras 3 unless a port says ``tf_keras``), the numpy forward
passes and feeds in ``pitfalls_common.py``. ``PITFALLS`` is the catalogue: per entry its TF1 API and
default, the naive port, the fix, and the expected cause (the effective settings that must differ
and the stage where the naive port must first part from TF1). ``nox -s pitfalls`` runs it.
"""

import os

from shared.core.case import Case, Check, DatasetSpec, Impl, Init, InitSpec

import pitfalls_common as common

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = ([(c, "f") for c in common.FEATURES] + [("y", "f"), ("w", "f"), ("item", "f"), ("y_item", "f"),
                                                 ("cat", "s"), ("y_cat", "f"), ("tags", "s"), ("y_tags", "f")])
DATA = DatasetSpec("pitfalls", "csv", schema=SCHEMA, source=os.path.join(HERE, "data", "pitfalls.csv"))
PLAN = {"epochs": 5, "batch_size": 32, "shuffle": True, "plan_seed": 100}  # 35 steps, a short batch each epoch
TF1 = "tf1_pitfalls:"
TF2 = "tf2_pitfalls:"

# Tolerances: a few times what float32 round-off leaves between TF1 and the faithful port over these 35 steps
# (weights by name, probe predictions of size ~10, full-data MSE per epoch); each reason names that measured figure.
WEIGHTS, PREDICTIONS, LOSS = 1e-5, 2e-5, 2e-5
ORDER = "float32 operation order over the same steps from the same start: %s measured (faithful port)"


def checks(measured: tuple, weights: float = WEIGHTS, predictions: float = PREDICTIONS, loss=LOSS) -> list:
    """Weights, predictions and (with ``loss``) loss checks; ``measured``: the faithful port's figures, in that order."""
    out = [Check("weights", weights, ORDER % measured[0]),
           Check("predictions", predictions, "probe predictions: " + ORDER % measured[1])]
    if loss is not None:
        out.append(Check("loss", loss, "full-data MSE per epoch in float64 from each side's weights: "
                         + ORDER % measured[2]))
    return out


def linear_init(seed: int, kernel: str = "uniform") -> InitSpec:
    start = Init("zeros", (4, 1)) if kernel == "zeros" else Init("uniform", (4, 1), limit=0.5)
    return InitSpec(seed, {"kernel": start, "bias": Init("zeros" if kernel == "zeros" else "constant", (1,), value=0.1)})


def mlp_init(seed: int, hidden: int, out: str = "out") -> InitSpec:
    return InitSpec(seed, {"hidden/kernel": Init("glorot_uniform", (4, hidden)), "hidden/bias": Init("zeros", (hidden,)),
                           out + "/kernel": Init("glorot_uniform", (hidden, 1)), out + "/bias": Init("zeros", (1,))})


def emb_init(seed: int) -> InitSpec:
    return InitSpec(seed, {"emb": Init("uniform", (common.N_ITEMS, 2), limit=0.5), "bias": Init("zeros", (1,))})


def bn_init(seed: int, gamma: bool = False) -> InitSpec:
    weights = {"bn/beta": Init("zeros", (4,)), "bn/moving_mean": Init("zeros", (4,)),
               "bn/moving_variance": Init("ones", (4,)), "dense/kernel": Init("uniform", (4, 1), limit=0.5),
               "dense/bias": Init("constant", (1,), value=0.1)}
    if gamma:
        weights["bn/gamma"] = Init("ones", (4,))
    return InitSpec(seed, weights)


def names(**sides) -> dict:
    """``names(tf1={...}, naive={...})``: the ports' keys become run keys ``tf2/<port>``."""
    return dict((k if k in ("tf1", "tf2") else "tf2/" + k, v) for k, v in sides.items())


LINEAR_TF1 = {"dense/kernel": "kernel", "dense/bias": "bias"}
LINEAR_KERAS3 = {"linear/dense/kernel": "kernel", "linear/dense/bias": "bias"}  # Sequential(name="linear")
LINEAR_TF_KERAS = {"dense/kernel": "kernel", "dense/bias": "bias"}
# canned Estimators build partitioned variables (one partition here): their names end in /part_0
CANNED_LINEAR = {"linear/linear_model/x/weights/part_0": "kernel", "linear/linear_model/bias_weights/part_0": "bias"}
MLP_KERAS3 = {"mlp/hidden/kernel": "hidden/kernel", "mlp/hidden/bias": "hidden/bias",
              "mlp/out/kernel": "out/kernel", "mlp/out/bias": "out/bias"}
EMB_KERAS3 = {"emb_model/emb/embeddings": "emb", "emb_model/bias": "bias"}
EMB_TF_KERAS = {"emb_model/emb/embeddings": "emb", "bias": "bias"}  # tf_keras scopes only what is built in call()
BN = {"bn/beta": "bn/beta", "bn/moving_mean": "bn/moving_mean", "bn/moving_variance": "bn/moving_variance",
      "dense/kernel": "dense/kernel", "dense/bias": "dense/bias"}


def case(entry: str, title: str, label: str, tf1: str, checks_: list, init=None, names_=None, forward=None,
         hp=None, tf1_impls=None, reference: str = "session", needs=("tf1",), naive=("keras3",),
         faithful=("keras3",)) -> Case:
    """One pitfall as a case: its TF1 implementation(s) (TF 1.15 itself: ``needs``), the naive and the faithful port
    (Keras 3 unless they say ``tf_keras``)."""
    tf1_impls = tf1_impls or {reference: TF1 + tf1}
    impls = {"tf1": [Impl(name, target, needs) for name, target in tf1_impls.items()],
             "tf2": [Impl("naive", TF2 + tf1 + "_naive", naive), Impl("faithful", TF2 + tf1 + "_faithful", faithful)]}
    return Case(name="pitfall_" + entry, description=title, dataset=DATA,
                hyperparameters=dict(PLAN, label=label, **(hp or {})), impls=impls, reference="tf1/" + reference,
                checks=checks_, init=init, names=names_, forward=forward, label=label if forward else None)


# 10a: two frameworks never draw the same dropout masks, so its trained weights cannot agree to round-off; the checks
# stay at round-off (they report how far apart the runs are) and the catalogue judges 10a on the dropout settings.
DROPOUT_CHECKS = [Check("weights", WEIGHTS, "round-off, as every entry: the trained weights differ by the masks, reported "
                        "only (the catalogue judges 10a on its measured keep fraction, scale and forward pass)"),
                  Check("predictions", PREDICTIONS, "round-off: reported only, as the weights"),
                  Check("loss", LOSS, "round-off: reported only, as the weights")]

CASES = [
    case("01a", "canned LinearRegressor: V1 head loss_reduction SUM vs Keras mean", "y", "p01a",
         checks(("6e-8", "9.5e-7", "3.1e-8")), linear_init(101),
         names(tf1=CANNED_LINEAR, naive=LINEAR_KERAS3, faithful=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.002}, reference="estimator"),
    case("01b", "tf.losses.mean_squared_error(weights=w): SUM_BY_NONZERO_WEIGHTS vs Keras sample_weight", "y", "p01b",
         checks(("6e-8", "9.5e-7", "4.8e-8")), linear_init(102), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3),
         common.linear, {"learning_rate": 0.05}),
    case("02a", "LinearRegressor defaults: FtrlOptimizer(0.2), zero start, SUM", "y", "p02a",
         checks(("1.2e-7", "9.5e-7", "5.2e-7")), linear_init(103, "zeros"),
         names(tf1=CANNED_LINEAR, naive=LINEAR_KERAS3, faithful=LINEAR_KERAS3), common.linear,
         {"tf_seed": 1}, reference="estimator"),
    case("02b", "DNNRegressor defaults: AdagradOptimizer(0.05), ReLU, SUM", "y", "p02b",
         checks(("1.2e-7", "9.5e-7", "2.2e-7")), mlp_init(104, 8, "logits"),
         names(tf1={"dnn/hiddenlayer_0/kernel/part_0": "hidden/kernel", "dnn/hiddenlayer_0/bias/part_0": "hidden/bias",
                    "dnn/logits/kernel/part_0": "logits/kernel", "dnn/logits/bias/part_0": "logits/bias"},
               tf2={"mlp/hidden/kernel": "hidden/kernel", "mlp/hidden/bias": "hidden/bias",
                    "mlp/logits/kernel": "logits/kernel", "mlp/logits/bias": "logits/bias"}),
         common.dnn, {"hidden": 8}, reference="estimator"),
    case("03", "RMSPropOptimizer: mean-square slot starts at ones, epsilon 1e-10 inside the root", "y", "p03",
         checks(("1.3e-7", "8.3e-7", "1.9e-6")), linear_init(105), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.01}),
    case("04a", "AdadeltaOptimizer(1.0): epsilon 1e-8 vs Keras 1e-7", "y", "p04a",
         checks(("3.7e-9", "3.6e-7", "3.7e-8")), linear_init(106), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 1.0}),
    case("04b", "AdamOptimizer: epsilon 1e-8 vs Keras 1e-7", "y", "p04b",
         checks(("2.2e-6", "2.3e-5", "9.3e-5 (Adam divides by sqrt(v): round-off grows; relative 4e-6 of an MSE of 25)"),
                predictions=1e-4, loss=5e-4), linear_init(107), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.01}),
    case("04c", "AdagradOptimizer has no epsilon; tf_keras legacy Adagrad(epsilon=0) reads back 1e-7", "y", "p04c",
         checks(("1.2e-7", "9.5e-7", "3.4e-7")), linear_init(108), names(tf1=LINEAR_TF1, naive=LINEAR_TF_KERAS,
                                                          faithful=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.1}, naive=("tf_keras",)),
    case("05", "MomentumOptimizer with a staircase decay: TF1 accumulates g, Keras accumulates lr*g", "y", "p05",
         checks(("1.2e-7", "1.4e-6", "2.1e-6")), linear_init(109), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.02, "momentum": 0.9, "decay_steps": 10, "decay_rate": 0.5}),
    case("06a", "sparse embedding rows, Momentum: TF1 updates only the rows in the batch", "y_item", "p06a",
         checks(("1.2e-7", "4.8e-7", "3.3e-7")), emb_init(110), names(tf1={"emb": "emb", "bias": "bias"}, naive=EMB_KERAS3,
                                                       faithful=EMB_TF_KERAS), common.embedding,
         {"learning_rate": 0.1, "momentum": 0.9}, faithful=("tf_keras",)),
    case("06b", "sparse embedding rows, RMSProp: lazy rows, duplicate lookups summed", "y_item", "p06b",
         checks(("0", "0", "0")), emb_init(111), names(tf1={"emb": "emb", "bias": "bias"}, tf2=EMB_KERAS3),
         common.embedding, {"learning_rate": 0.05}),
    case("06c", "sparse embedding rows, FTRL from a non-zero start", "y_item", "p06c",
         checks(("0", "0", "0")), emb_init(112), names(tf1={"emb": "emb", "bias": "bias"}, naive=EMB_KERAS3,
                                                       faithful=EMB_TF_KERAS), common.embedding,
         {"learning_rate": 0.5}, faithful=("tf_keras",)),
    case("07a", "contrib l2_regularizer(s) is s*sum(w^2)/2; Keras L2(l) is l*sum(w^2)", "y", "p07a",
         checks(("1.2e-7", "1.9e-6", "6.5e-8")), linear_init(113), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.05, "l2": 0.5}),
    case("07b", "a head ignores REGULARIZATION_LOSSES unless they are passed", "y", "p07b",
         checks(("1.2e-7", "9.5e-7", "9.1e-8")), linear_init(114), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), common.linear,
         {"learning_rate": 0.05, "l2": 0.5}, reference="estimator"),
    case("08a", "contrib batch_norm defaults: decay 0.999, scale=False, fused moving variance n/(n-1)", "y", "p08a",
         checks(("9.5e-7", "9.5e-6", "1.6e-5 (the moving variance 0.999-averaged over 35 steps)"), predictions=5e-5,
                loss=1e-4), bn_init(115), names(tf1=BN, tf2=BN), common.batch_norm,
         {"learning_rate": 0.05}),
    case("08b", "contrib batch_norm with UPDATE_OPS forgotten: the moving statistics never move", "y", "p08b",
         checks(("2.4e-7", "1.9e-6", "8e-6"), loss=5e-5), bn_init(116), names(tf1=BN, tf2=BN), common.batch_norm,
         {"learning_rate": 0.05}),
    case("08c", "tf.layers.batch_normalization: training=False by default", "y", "p08c",
         checks(("3e-7", "1.9e-6", "1.1e-6")), bn_init(117, gamma=True), names(tf1=dict(BN, **{"bn/gamma": "bn/gamma"}),
                                                                  tf2=dict(BN, **{"bn/gamma": "bn/gamma"})),
         common.batch_norm, {"learning_rate": 0.05}),
    case("09a", "indicator_column vs StringLookup one-hot: the OOV slot shifts every index by one", "y_cat", "p09a",
         checks(("6e-8", "1.2e-7", "9.3e-9")), InitSpec(118, {"kernel": Init("uniform", (4, 1), limit=0.5),
                                                 "bias": Init("zeros", (1,))}),
         names(tf1=LINEAR_TF1, tf2={"onehot/dense/kernel": "kernel", "onehot/dense/bias": "bias"}), common.one_hot,
         {"learning_rate": 0.1}),
    case("09b", "embedding_column: combiner mean over known ids, columns sorted by name", "y_tags", "p09b",
         checks(("4.8e-7", "4.8e-7", "4.6e-8")), InitSpec(119, {"tags/embedding": Init("normal", (4, 2), stddev=0.7071),
                                                 "dense/kernel": Init("uniform", (4, 1), limit=0.5),
                                                 "dense/bias": Init("zeros", (1,))}),
         names(tf1={"input_layer/tags_embedding/embedding_weights": "tags/embedding", "dense/kernel": "dense/kernel",
                    "dense/bias": "dense/bias"},
               tf2={"emb/embeddings": "tags/embedding", "dense/kernel": "dense/kernel", "dense/bias": "dense/bias"}),
         common.tag_embedding, {"learning_rate": 0.1}),
    case("10a", "tf.nn.dropout(keep_prob) ported as Dropout(rate)", "y", "p10a",
         DROPOUT_CHECKS, mlp_init(120, 16),
         names(tf1={"net/hidden/kernel": "hidden/kernel", "net/hidden/bias": "hidden/bias",
                    "net/out/kernel": "out/kernel", "net/out/bias": "out/bias"},
               tf2={"hidden/kernel": "hidden/kernel", "hidden/bias": "hidden/bias", "out/kernel": "out/kernel",
                    "out/bias": "out/bias"}),
         common.mlp, {"learning_rate": 0.02, "keep_prob": 0.8, "hidden": 16, "tf_seed": 1}),
    case("10b", "tf.layers.dropout(rate) is a no-op unless training=True is passed", "y", "p10b",
         checks(("2.4e-7", "3.8e-6", "4.5e-7")), mlp_init(121, 16),
         names(tf1={"net/hidden/kernel": "hidden/kernel", "net/hidden/bias": "hidden/bias",
                    "net/out/kernel": "out/kernel", "net/out/bias": "out/bias"},
               tf2={"hidden/kernel": "hidden/kernel", "hidden/bias": "hidden/bias", "out/kernel": "out/kernel",
                    "out/bias": "out/bias"}),
         common.mlp, {"learning_rate": 0.02, "rate": 0.5, "hidden": 16, "tf_seed": 1}),
    case("11a", "pandas_input_fn(shuffle=True): an unseeded queue offset, so two TF1 runs differ", "y", "p11a",
         checks(("3e-8", "9.5e-7"), loss=None), linear_init(122), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), None,
         {"learning_rate": 0.02, "tf_seed": 7},
         tf1_impls={"plan_fed": TF1 + "p11a_plan_fed", "shuffled": TF1 + "p11a_shuffled",
                    "shuffled_again": TF1 + "p11a_shuffled"}, reference="plan_fed"),
    case("11b", "pandas_input_fn(shuffle=False, num_epochs): batch 128, batches cross epochs", "y", "p11b",
         checks(("0", "9.5e-7"), loss=None), linear_init(123), names(tf1=LINEAR_TF1, tf2=LINEAR_KERAS3), None,
         {"learning_rate": 0.02, "epochs": 10, "batch_size": 128, "shuffle": False}, reference="estimator"),
    case("12", "truncated_normal_initializer() stddev 1.0, contrib fully_connected ReLU by default", "y", "p12",
         checks(("6e-8", "9.5e-7", "5.6e-8")), None,
         names(tf1={"hidden/weights": "hidden/kernel", "hidden/biases": "hidden/bias", "out/weights": "out/kernel",
                    "out/biases": "out/bias"}, tf2=MLP_KERAS3),
         common.mlp, {"learning_rate": 0.002, "hidden": 8, "tf_seed": 1}),
]


def pitfall(entry: str, number: int, title: str, tf1_api: str, tf1_default: str, naive: str, fix: str,
            settings=(), stage=None, differs: bool = True, note: str = "", judged_on: str = "",
            tf1_runs_differ=()) -> dict:
    """One catalogue entry. ``settings``: effective settings (dotted names) that must differ between TF1 and the
    naive port; ``stage``: where the naive port must first part from TF1 (``forward pass``, ``first step``,
    ``epoch``); ``differs=False``: the naive port is expected NOT to differ measurably; ``judged_on``: the
    ports cannot match weight for weight (why), so both are judged on ``settings`` and the forward pass;
    ``tf1_runs_differ``: two TF1 implementations whose runs must differ from each other."""
    return {"id": entry, "pitfall": number, "case": "pitfall_" + entry, "title": title, "tf1_api": tf1_api,
            "tf1_default": tf1_default, "naive": naive, "fix": fix, "settings": list(settings), "stage": stage,
            "naive_differs": differs, "note": note, "judged_on": judged_on, "tf1_runs_differ": list(tf1_runs_differ)}


PITFALLS = [
    pitfall("01a", 1, "loss reduction of canned V1 estimators",
            "tf.estimator.LinearRegressor(optimizer=GradientDescentOptimizer(0.002))",
            "V1 head loss_reduction=SUM (summed over the batch)",
            "Dense(1), SGD(0.002), MeanSquaredError() (mean over the batch)",
            "MeanSquaredError(reduction='sum')", ["loss.reduction"], "first step"),
    pitfall("01b", 1, "weighted tf.losses reduce by the non-zero weights",
            "tf.losses.mean_squared_error(y, p, weights=w)", "reduction=SUM_BY_NONZERO_WEIGHTS",
            "fit(..., sample_weight=w) with MeanSquaredError() (divides by the batch size)",
            "per batch sample_weight = w * n / count_nonzero(w)", ["loss.reduction"], "first step"),
    pitfall("02a", 2, "LinearRegressor defaults a port must copy",
            "tf.estimator.LinearRegressor(feature_columns)", "FtrlOptimizer(0.2), zero start, loss SUM",
            "Dense(1) (glorot start), Ftrl() (lr 0.001), MeanSquaredError()",
            "Ftrl(0.2, initial_accumulator_value=0.1), kernel_initializer='zeros', reduction='sum'",
            ["optimizer.learning_rate", "loss.reduction", "init.kernel"], "forward pass"),
    pitfall("02b", 2, "DNNRegressor defaults a port must copy",
            "tf.estimator.DNNRegressor(hidden_units=[8])", "AdagradOptimizer(0.05) (no epsilon), ReLU, loss SUM",
            "Dense(8, 'relu') + Dense(1), Adagrad() (lr 0.001, epsilon 1e-7), MeanSquaredError(); same start",
            "Adagrad(0.05, initial_accumulator_value=0.1, epsilon=0), reduction='sum'",
            ["optimizer.learning_rate", "optimizer.epsilon", "loss.reduction"], "first step"),
    pitfall("03", 3, "RMSProp's mean-square slot and epsilon",
            "tf.train.RMSPropOptimizer(0.01)", "decay 0.9, epsilon 1e-10 inside the root, mean square starts at 1",
            "RMSprop(0.01) (epsilon 1e-7, mean square starts at 0)",
            "RMSprop(0.01, epsilon=1e-10); optimizer.build(vars); every velocity assigned ones (no argument does it)",
            ["optimizer.epsilon", "optimizer.mean_square_start"], "first step"),
    pitfall("04a", 4, "Adadelta's epsilon at lr 1.0",
            "tf.train.AdadeltaOptimizer(1.0)", "epsilon 1e-8", "Adadelta(1.0) (epsilon 1e-7)",
            "Adadelta(1.0, epsilon=1e-8)", ["optimizer.epsilon"], "first step"),
    pitfall("04b", 4, "Adam's epsilon",
            "tf.train.AdamOptimizer(0.01)", "epsilon 1e-8", "Adam(0.01) (epsilon 1e-7)", "Adam(0.01, epsilon=1e-8)",
            ["optimizer.epsilon"], differs=False,
            note="the naive and the faithful port are equally close to TF1: what is left is operation order, "
                 "not epsilon"),
    pitfall("04c", 4, "tf_keras legacy optimizers turn epsilon=0 into 1e-7",
            "tf.train.AdagradOptimizer(0.1)", "no epsilon: lr * g / sqrt(accumulator)",
            "tf_keras.optimizers.legacy.Adagrad(0.1, epsilon=0) (reads back epsilon 1e-7)",
            "Keras 3 Adagrad(0.1, epsilon=0) (keeps 0)", ["optimizer.epsilon"], differs=False,
            note="the accumulator starts at 0.1, so 1e-7 inside the root moves nothing measurable"),
    pitfall("05", 5, "momentum with a changing learning rate",
            "MomentumOptimizer(exponential_decay(0.02, step, 10, 0.5, staircase=True), 0.9)",
            "accumulates gradients: a = m*a + g; w -= lr_t * a",
            "SGD(ExponentialDecay(0.02, 10, 0.5, staircase=True), momentum=0.9): v = m*v - lr_t*g; w += v",
            "before each step where lr_t changed, scale every momentum slot by lr_new / lr_old", [], "epoch",
            note="learning rate, schedule and momentum are the same on both sides; the update rule differs, "
                 "from the first decay (step 11) on"),
    pitfall("06a", 6, "sparse updates: Momentum",
            "MomentumOptimizer(0.1, 0.9) on tf.nn.embedding_lookup", "sparse apply: only the rows in the batch move",
            "Keras 3 SGD(0.1, momentum=0.9) + Embedding (momentum moves every row)",
            "tf_keras.optimizers.legacy.SGD(0.1, momentum=0.9) (lazy sparse momentum)", [], "epoch",
            note="no setting differs: both see IndexedSlices gradients; from step 2 the Keras 3 momentum moves rows "
                 "that are not in the batch"),
    pitfall("06b", 6, "sparse updates: RMSProp",
            "RMSPropOptimizer(0.05) on tf.nn.embedding_lookup", "sparse apply; a row looked up k times gets one summed "
                                                                 "gradient",
            "Keras 3 RMSprop(0.05, epsilon=1e-10) with ones in the slots (pitfall 3 fixed)",
            "tf.compat.v1.train.RMSPropOptimizer(0.05) in a GradientTape step on the Keras 3 model", [], "first step",
            note="Keras 3.15 does not sum an embedding row's gradients when the row is looked up twice in a batch: it "
                 "squares each slice, so rows looked up more than once differ from the first step"),
    pitfall("06c", 6, "sparse updates: FTRL",
            "FtrlOptimizer(0.5) on tf.nn.embedding_lookup, non-zero start", "sparse apply; duplicate lookups summed",
            "Keras 3 Ftrl(0.5) + Embedding", "tf_keras.optimizers.legacy.Ftrl(0.5) (the fused sparse kernel)", [],
            "first step",
            note="Keras 3 sums no duplicate lookups either, and resets a non-zero row that is not in the batch"),
    pitfall("07a", 7, "L2 regularisation scale",
            "tf.layers.dense(kernel_regularizer=tf.contrib.layers.l2_regularizer(0.5))", "0.5 * sum(w^2) / 2",
            "Dense(kernel_regularizer=L2(0.5)) (0.5 * sum(w^2))", "L2(0.25)", ["regularizer.l2_per_sum_w2"],
            "first step"),
    pitfall("07b", 7, "heads drop REGULARIZATION_LOSSES",
            "contrib.estimator.regression_head().create_estimator_spec(...) with an l2_regularizer on the layer",
            "regularization_losses=None: the penalty is not in the training loss",
            "Dense(kernel_regularizer=L2(0.25)) (the right scale, but TF1 never applied it)",
            "no regularizer: reproduce what TF1 trained", ["regularizer.penalty_in_loss"], "first step"),
    pitfall("08a", 8, "contrib batch_norm defaults",
            "tf.contrib.layers.batch_norm(x, is_training=True) + UPDATE_OPS",
            "decay 0.999, scale=False; fused kernel feeds the moving variance var * n/(n-1)",
            "BatchNormalization() (momentum 0.99, scale=True)",
            "BatchNormalization subclass: momentum 0.999, scale=False, moving variance from var * n/(n-1)",
            ["bn.momentum", "bn.scale"], "first step",
            note="the naive port's bn/gamma has no TF1 variable (scale=False); it is left out of the name map and shows "
                 "in every other weight"),
    pitfall("08b", 8, "forgotten UPDATE_OPS",
            "tf.contrib.layers.batch_norm without the UPDATE_OPS control dependency",
            "the moving statistics stay 0 and 1, and inference uses them",
            "the 08a port (its moving statistics update)", "momentum=1.0: the statistics stay where TF1 left them",
            ["bn.moving_stats_updated"], "first step"),
    pitfall("08c", 8, "tf.layers.batch_normalization's training flag",
            "tf.layers.batch_normalization(x)", "training=False: always the moving statistics (which never move)",
            "BatchNormalization() in fit (batch statistics)",
            "BatchNormalization subclass whose call passes training=False (gamma and beta still train)",
            ["bn.moving_stats_updated"], "first step",
            note="BatchNormalization()(x, training=False) is no fix in Keras 3: a functional model overrides it "
                 "with the model's own training flag"),
    pitfall("09a", 9, "StringLookup's OOV slot",
            "indicator_column(categorical_column_with_vocabulary_list('cat', [a, b, c, d]))",
            "ids 0..3; an unknown value is an all-zero row",
            "StringLookup(vocabulary, output_mode='one_hot'): 5 columns, OOV first; kernel rows read by position",
            "map kernel rows by get_vocabulary(), drop the OOV column",
            ["features.cat.column_of", "features.cat.width"], "forward pass"),
    pitfall("09b", 9, "embedding_column combiner, order and unknown values",
            "input_layer([numeric_column('x', 2), embedding_column(tags, 2)])",
            "combiner mean over the known ids, columns concatenated sorted by name (tags_embedding, x)",
            "StringLookup + Embedding(5, 2) + GlobalAveragePooling1D + Concatenate([x, emb]); rows by position",
            "StringLookup(mask_token=''), mean over the known ids, Concatenate([emb, x]), rows by vocabulary",
            ["features.tags.combiner", "features.order"], "forward pass"),
    pitfall("10a", 10, "keep_prob is not rate",
            "tf.nn.dropout(h, keep_prob=0.8)", "keeps 80% of the units, scales by 1.25",
            "Dropout(0.8) (drops 80%, scales by 5)", "Dropout(rate=1 - keep_prob)",
            ["dropout.keep_fraction", "dropout.kept_scale"], "first step",
            judged_on="the two frameworks draw different dropout masks, so trained weights can never match: both ports "
                      "are judged on the measured keep fraction and scale and on the forward pass from the start"),
    pitfall("10b", 10, "tf.layers.dropout's training flag",
            "tf.layers.dropout(h, rate=0.5)", "training=False: a no-op", "Dropout(0.5) in fit",
            "no dropout layer (what TF1 trained)", ["dropout.keep_fraction"], "first step",
            note="Dropout(0.5)(h, training=False) is no fix in Keras 3: a functional model overrides it"),
    pitfall("11a", 11, "pandas_input_fn shuffles through an unseeded queue",
            "tf.estimator.inputs.pandas_input_fn(x, y, batch_size=32, num_epochs=5, shuffle=True), tf_random_seed=7",
            "the queue starts at an unseeded offset: two runs train on different orders",
            "fit(x, y, batch_size=32, epochs=5, shuffle=True) with keras.utils.set_random_seed(7)",
            "one numpy batch plan fed to both sides (TF1 input_fn and Keras fit, shuffle=False)", ["input.order"],
            "first step", tf1_runs_differ=["shuffled", "shuffled_again"],
            note="the reference is the TF1 model fed the plan; the two TF1 runs with shuffle=True are compared with "
                 "each other"),
    pitfall("11b", 11, "pandas_input_fn batches across epochs",
            "tf.estimator.inputs.pandas_input_fn(x, y, shuffle=False, num_epochs=10)",
            "batch_size=128, batches cross epoch boundaries, one short batch at the very end",
            "fit(x, y, epochs=10, shuffle=False) (batch 32, a short batch every epoch)",
            "Dataset.from_tensor_slices((x, y)).repeat(10).batch(128), fit(epochs=1)",
            ["input.batch_size", "input.steps"], "first step"),
    pitfall("12", 12, "initializer defaults",
            "contrib.layers.fully_connected(x, 8, weights_initializer=tf.truncated_normal_initializer(seed=1))",
            "stddev 1.0; activation ReLU", "Dense(8, kernel_initializer=TruncatedNormal(seed=1)) (stddev 0.05, linear)",
            "activation='relu', kernel_initializer=tf.compat.v1.truncated_normal_initializer(seed=1) after "
            "tf.random.set_seed(1) (the same values as TF1)",
            ["init.kernel_stddev", "model.hidden_activation"], "forward pass"),
]

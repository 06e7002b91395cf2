"""Distributed variants: TF1 ``RunConfig(train_distribute=MirroredStrategy)`` against TF2 ``tf.distribute``, on real replicas.

Two logical CPU devices stand in for two accelerators (TF1: ``device_count={"CPU": 2}``; TF2:
``tf.config.set_logical_device_configuration``, the side's ``--cpu-devices 2``), and two worker
processes on 127.0.0.1 for two machines (``MultiWorkerMirroredStrategy``, TF2). The global batch is
the plan's batch, split across the replicas; one replica and two must agree, and so must both sides.

- ``pairshift_distributed``: the kit's pairshift (FTRL) as the TF1 Estimator with and without the
  strategy, and as Keras 3 ``fit``, Keras 2 ``fit`` and a custom loop (``strategy.run`` +
  ``tf.nn.compute_average_loss``) on one replica, two replicas, and two worker processes;
- ``canned_dnn_distributed``: the kit's ``canned_dnn`` (``DNNRegressor(hidden_units=[32, 16])`` with its defaults,
  warm-started from the shared glorot start: Adagrad 0.05, ReLU, the SUM of squared errors) with its
  ``train_distribute`` strategy, against its Keras 3 and Keras 2 ports under ``MirroredStrategy`` and a
  custom loop whose replicas each sum their share (the global batch's SUM, as the canned head trains);
- ``mlp_distributed``: examples/mlp's network (tf.layers / Keras, Adam, shared glorot start) the same way;
- ``pairshift_naive_loop``: the pitfall (``PITFALLS``, in the catalogue's form): a custom loop that
  averages the loss per replica (``naive``) against the right one (``faithful``). The naive loop's
  gradients are the replica count times too large; it is red, naming the loss scale it measured.

Run it: ``nox -s distributed`` (its own results folder, results/distributed).
"""

import mlp_example  # this folder is on sys.path while the registry loads it

from shared.core.case import Case, Check, DatasetSpec, Impl
from shared.core.cases import CASES as KIT_CASES
from shared.core.cases import PAIR_TRAINING

MLP = mlp_example.module("cases")
REPLICAS = 2  # the distributed runs' replica count: two logical CPUs, or two workers of one CPU each
PAIRSHIFT_DATA = DatasetSpec("pairshift", "pairshift", {
    "n_items": 100, "n_pairs": 20000, "value_scale": 1.0, "noise": 0.1, "seed": 2019})  # the kit's pairshift data



def tf1(name: str, function: str) -> Impl:
    """A TF1 implementation in tf1_distributed.py: an Estimator (``tf.estimator``)."""
    return Impl(name, "tf1_distributed:" + function, needs=("estimator",))


def tf2(name: str, function: str, keras: str = "keras3") -> Impl:
    """A TF2 implementation in tf2_distributed.py, with the Keras it needs."""
    return Impl(name, "tf2_distributed:" + function, needs=(keras,))


PAIRSHIFT_IMPLS = {
    "tf1": [tf1("estimator", "pairshift"), tf1("estimator_mirrored", "pairshift")],
    "tf2": [tf2("keras3", "pairshift_fit"), tf2("keras3_mirrored", "pairshift_fit"),
            tf2("keras2", "pairshift_fit", "keras2"), tf2("keras2_mirrored", "pairshift_fit", "keras2"),
            tf2("loop", "pairshift_loop"), tf2("loop_mirrored", "pairshift_loop"),
            tf2("loop_multiworker", "pairshift_multiworker")],
}
CANNED_DNN = next(case for case in KIT_CASES if case.name == "canned_dnn")  # its data, settings, start and names
CANNED_DNN_IMPLS = {
    "tf1": [tf1("estimator", "canned_dnn"), tf1("estimator_mirrored", "canned_dnn")],
    "tf2": [tf2("keras3", "canned_dnn_fit"), tf2("keras3_mirrored", "canned_dnn_fit"),
            tf2("keras2", "canned_dnn_fit", "keras2"), tf2("keras2_mirrored", "canned_dnn_fit", "keras2"),
            tf2("loop", "canned_dnn_loop"), tf2("loop_mirrored", "canned_dnn_loop")],
}
ONE_VS_TWO = [("tf2/keras3", "tf2/keras3_mirrored"), ("tf2/keras2", "tf2/keras2_mirrored"), ("tf2/loop", "tf2/loop_mirrored")]

CASES = [
    Case(
        name="pairshift_distributed",
        description="pairshift on 1 and 2 replicas: Estimator train_distribute vs Keras fit, a custom loop, 2 workers",
        dataset=PAIRSHIFT_DATA,
        hyperparameters=dict(PAIR_TRAINING, replicas=REPLICAS),
        impls=PAIRSHIFT_IMPLS,
        reference="tf1/estimator_mirrored",
        checks=[Check("weights", 1e-5, "the same global batches split in two, the same FTRL; float32 sum order only: "
                                       "4.8e-7 (2 vs 1 replica) and 8.3e-7 (TF2 vs TF1) measured, multi-worker 0")],
        model="pairshift",
        pairs=ONE_VS_TWO + [("tf2/loop_mirrored", "tf2/loop_multiworker")],
    ),
    Case(
        name="canned_dnn_distributed",
        description="canned_dnn (DNNRegressor [32, 16], Adagrad 0.05, SUM) on 1 and 2 replicas: Estimator "
                    "train_distribute vs Keras 3 and Keras 2 fit, a loop",
        dataset=CANNED_DNN.dataset,
        hyperparameters=dict(CANNED_DNN.hyperparameters, replicas=REPLICAS),
        impls=CANNED_DNN_IMPLS,
        reference="tf1/estimator_mirrored",
        checks=[
            Check("weights", 1e-5, "same batches split in two, shared start, Adagrad settings and the global batch's SUM; "
                                   "float32 sum and matmul order over 200 steps through two ReLU layers: 8.6e-7 (TF1 2 "
                                   "vs 1), 6.6e-7 (Keras 3, loop) and 1.7e-6 (Keras 2) 2 vs 1, 1.3e-6 (TF2 vs TF1) "
                                   "measured, as canned_dnn's own 1.2e-6"),
            Check("predictions", 1e-5, "probe predictions of the trained nets: 8.3e-7 to 1.1e-6 measured"),
            Check("loss", 5e-7, "full-data MSE per epoch, numpy float64 from each side's weights: 5.3e-8 to 9.3e-8 "
                                "measured"),
        ],
        init=CANNED_DNN.init,
        names=CANNED_DNN.names,
        forward=CANNED_DNN.forward,
        label=CANNED_DNN.label,
        pairs=ONE_VS_TWO,
    ),
    Case(
        name="mlp_distributed",
        description="examples/mlp (8-16-8-1, Adam) on 1 and 2 replicas: Estimator train_distribute vs Keras fit, a loop",
        dataset=MLP.CASES[0].dataset,
        hyperparameters=dict(MLP.ADAM, replicas=REPLICAS),
        impls={"tf1": [tf1("estimator", "mlp"), tf1("estimator_mirrored", "mlp")],
               "tf2": [tf2("keras3", "mlp_fit"), tf2("keras3_mirrored", "mlp_fit"), tf2("loop", "mlp_loop"),
                       tf2("loop_mirrored", "mlp_loop")]},
        reference="tf1/estimator_mirrored",
        checks=[
            Check("weights", 1e-5, "same batches split in two, start and Adam settings; float32 operation order over "
                                   "200 Adam steps: 2.4e-7 (TF1 2 vs 1), 3.0e-7 (TF2 2 vs 1), 2.4e-6 (TF2 vs TF1)"),
            Check("predictions", 1e-5, "probe predictions of the trained nets: 2.4e-6 to 2.5e-6 measured (TF2 vs TF1)"),
            Check("loss", 2e-6, "full-data MSE per epoch, numpy float64 from each side's weights: 4.3e-7 measured"),
        ],
        init=MLP.init(),
        names=dict([("tf1", MLP.names("", "", ("dense", "dense_1", "dense_2")))] +
                   [("tf2/" + impl, MLP.names("mlp/", "", ("h0", "h1", "out"))) for impl in
                    ("keras3", "keras3_mirrored", "loop", "loop_mirrored")]),
        forward=MLP.forward,
        label="y",
        pairs=[("tf2/keras3", "tf2/keras3_mirrored"), ("tf2/loop", "tf2/loop_mirrored")],
    ),
    Case(
        name="pairshift_naive_loop",
        description="PITFALL: a custom loop that averages the loss per replica (gradients x replicas) vs the right loop",
        dataset=PAIRSHIFT_DATA,
        hyperparameters=dict(PAIR_TRAINING, replicas=REPLICAS),
        impls={"tf1": [tf1("estimator_mirrored", "pairshift")],
               "tf2": [tf2("faithful", "pairshift_loop"), tf2("naive", "pairshift_loop")]},
        reference="tf1/estimator_mirrored",
        checks=[Check("weights", 1e-5, "the same global batches split in two, the same FTRL; float32 sum order only: "
                                       "8.3e-7 (TF1 vs the faithful loop) measured")],
        model="pairshift",
    ),
]

# The pitfall in the catalogue's form (shared.pitfalls.entries): the naive port must be red with the loss scale in its
# settings diff and part from TF1 at the first step, the faithful port green.
PITFALLS = [{
    "id": "13", "pitfall": 13, "case": "pairshift_naive_loop",
    "title": "a distributed custom loop that averages the loss per replica",
    "tf1_api": "RunConfig(train_distribute=MirroredStrategy(...)) with a mean loss (the contrib head, tf.losses, "
               "or tf.reduce_mean)",
    "tf1_default": "the optimizer divides each replica's mean loss by the replica count, then sums the gradients",
    "naive": "strategy.run(step) with loss = tf.reduce_mean(per_example) on each replica's share",
    "fix": "loss = tf.nn.compute_average_loss(per_example, global_batch_size=<the global batch>)",
    "settings": ["distribute.loss_scale"], "stage": "first step",
    "note": "FTRL's accumulator hides most of the doubled gradient (1e-2 after 800 steps); the loss scale, measured "
            "at the first step, is the replica count",
}]

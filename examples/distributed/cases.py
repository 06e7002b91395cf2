"""Distributed variants: TF1 ``RunConfig(train_distribute=MirroredStrategy)`` against TF2 ``tf.distribute``, on real replicas.

Two logical CPU devices stand in for two accelerators (TF1: ``device_count={"CPU": 2}``; TF2:
``tf.config.set_logical_device_configuration``, the side's ``--cpu-devices 2``), and two worker
processes on 127.0.0.1 for two machines (``MultiWorkerMirroredStrategy``, TF2). The global batch is
the plan's batch, split across the replicas; one replica and two must agree, and so must both sides.

- ``pairshift_distributed``: the kit's pairshift (FTRL) as the TF1 Estimator with and without the
  strategy, and as Keras 3 ``fit``, Keras 2 ``fit`` and a custom loop (``strategy.run`` +
  ``tf.nn.compute_average_loss``) on one replica, two replicas, and two worker processes;
- ``mlp_distributed``: examples/mlp's network (tf.layers / Keras, Adam, shared glorot start) the same way;
- ``pairshift_naive_loop``: the pitfall: a custom loop that averages the loss per replica. Its
  gradients are the replica count times too large; the case is red, naming the loss scale it measured.

Run it: ``nox -s distributed`` (its own results folder, results/distributed).
"""

import mlp_example  # this folder is on sys.path while the registry loads it

from shared.core.case import Case, Check, DatasetSpec
from shared.core.cases import PAIR_TRAINING

MLP = mlp_example.module("cases")
REPLICAS = 2  # the distributed runs' replica count: two logical CPUs, or two workers of one CPU each
PAIRSHIFT_DATA = DatasetSpec("pairshift", "pairshift", {
    "n_items": 100, "n_pairs": 20000, "value_scale": 1.0, "noise": 0.1, "seed": 2019})  # the kit's pairshift data

T1 = "tf1_distributed:%s"
T2 = "tf2_distributed:%s"
PAIRSHIFT_IMPLS = {
    "tf1": {"estimator": T1 % "pairshift", "estimator_mirrored": T1 % "pairshift"},
    "tf2": {"keras3": T2 % "pairshift_fit", "keras3_mirrored": T2 % "pairshift_fit",
            "keras2": T2 % "pairshift_fit", "keras2_mirrored": T2 % "pairshift_fit",
            "loop": T2 % "pairshift_loop", "loop_mirrored": T2 % "pairshift_loop",
            "loop_multiworker": T2 % "pairshift_multiworker"},
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
        name="mlp_distributed",
        description="examples/mlp (8-16-8-1, Adam) on 1 and 2 replicas: Estimator train_distribute vs Keras fit, a loop",
        dataset=MLP.CASES[0].dataset,
        hyperparameters=dict(MLP.ADAM, replicas=REPLICAS),
        impls={"tf1": {"estimator": T1 % "mlp", "estimator_mirrored": T1 % "mlp"},
               "tf2": {"keras3": T2 % "mlp_fit", "keras3_mirrored": T2 % "mlp_fit",
                       "loop": T2 % "mlp_loop", "loop_mirrored": T2 % "mlp_loop"}},
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
        impls={"tf1": {"estimator_mirrored": T1 % "pairshift"},
               "tf2": {"loop_mirrored": T2 % "pairshift_loop", "loop_naive": T2 % "pairshift_loop"}},
        reference="tf2/loop_mirrored",
        checks=[Check("weights", 1e-5, "the same global batches split in two, the same FTRL; float32 sum order only: "
                                       "8.3e-7 (TF1 vs the right loop) measured")],
        model="pairshift",
    ),
]

"""The speed-ups tried on the kit, each with its before/after figures, what stayed bit-identical and what was kept.

Measured by hand on the 2-core machine this repository's CI runs on (wall seconds unless named;
alternating before/after runs in one sitting, as the machine is shared and noisy). ``nox -s bench``
copies this list into ``bench.json`` next to the figures it measures itself.
"""

SPEEDUPS = [
    {"name": "Envs synced with uv's --compile-bytecode (noxfile install)",
     "measured": "bare python -c 'import tensorflow' (best of 3) and warm nox -s tf1 tf2, before/after",
     "before_s": {"import tf1": 3.77, "import tf2": 7.13, "warm nox -s tf1 tf2": 38.3},
     "after_s": {"import tf1": 1.18, "import tf2": 2.82, "warm nox -s tf1 tf2": 31.7},
     "bit_identical": True, "kept": True,
     "why": "uv installs no .pyc files and PYTHONDONTWRITEBYTECODE=1 (set on this machine) stops Python writing "
            "them, so every process compiled TensorFlow's ~5,000 (1.15) to ~10,000 (2.21) modules from source"},
    {"name": "Input pipelines slice whole batches from plan.blocks() (legacy_tf1/pairs.py, modern_tf2/pairs.py)",
     "measured": "TF1 Estimator per step (800 steps, kit data); TF2 800 batches pulled through a tf.function",
     "before_s": {"tf1 pairshift ms/step": 2.28, "tf1 pairlincorr ms/step": 2.82, "tf2 pipeline": 0.61},
     "after_s": {"tf1 pairshift ms/step": 1.35, "tf1 pairlincorr ms/step": 1.66, "tf2 pipeline": 0.29},
     "bit_identical": True, "kept": True,
     "why": "Dataset.batch(1000) over a dataset of row indices assembles each batch one scalar element at a time "
            "(~0.5 ms a batch on both TFs); slicing [batches, batch] blocks of the plan yields the same rows"},
    {"name": "TensorFlow thread pools pinned to 1 (--threads, default 1)",
     "measured": "tf2 pair fits (6 fits x 800 steps), two runs each; tf1 Estimator pairshift, two runs each",
     "before_s": {"tf2 pair fits, default pools": [12.4, 12.6], "tf1 estimator, default pools": [2.23, 2.33]},
     "after_s": {"tf2 pair fits, 1 thread": [8.1, 8.4], "tf1 estimator, 1 thread": [2.29, 2.23]},
     "bit_identical": True, "kept": True,
     "why": "on 2 cores TF's inter- and intra-op pools, tf.data's threads and Python contend, and single steps of "
            "small ops stall (per-step times flipped between ~1.5 and ~3.2 ms); one thread each is steady. The pools "
            "are also the same on every machine. Large items (1e4) want more: --threads 0 (see the sweep)"},
    {"name": "Keras fit: steps_per_execution = batches per epoch (modern_tf2/pairs.py train_keras)",
     "measured": "tf2 pair fits (6 fits x 800 steps) with 1-thread pools, two runs each",
     "before_s": [12.0, 9.8], "after_s": [6.8, 6.5],
     "bit_identical": True, "kept": True,
     "why": "one call of the compiled train function per epoch instead of per step removes Keras' per-step Python "
            "round trip (~0.6-1 ms a step); the same updates run in the same order. Tried before the pools were pinned "
            "it showed no gain: the contention noise was larger than the saving"},
    {"name": "Sides end with exit_now(): no interpreter teardown once results are written (shared/core/runner.py)",
     "measured": "whole process wall of python -m modern_tf2 / legacy_tf1 --cases linear",
     "before_s": {"tf2": 4.30, "tf1": 1.42}, "after_s": {"tf2": 3.81, "tf1": 1.24},
     "bit_identical": True, "kept": True,
     "why": "tearing down an interpreter that imported TensorFlow destroys thousands of modules and C++ statics "
            "and writes nothing the kit needs; exit handlers still run and streams are flushed"},
    {"name": "TF1 head from tensorflow_estimator.contrib.estimator, not through tf.contrib (legacy_tf1/pairs.py)",
     "measured": "first access of tf.contrib.estimator.regression_head after import tensorflow, compiled bytecode",
     "before_s": 0.29, "after_s": 0.005,
     "bit_identical": True, "kept": True,
     "why": "the same function object (checked end to end); tf.contrib imports every contrib module first"},
    {"name": "Warm sessions skip uv pip sync while the venv is stamped as synced from the same lock (noxfile)",
     "measured": "install step of each of the 3 sessions of nox -s tf1 tf2",
     "before_s": [0.47, 0.43, 0.39], "after_s": [0.04, 0.04, 0.04],
     "bit_identical": True, "kept": True,
     "why": "uv re-reads every installed distribution and re-checks bytecode on each sync; the stamp holds the "
            "lock's hash and site-packages' mtime, which any install or removal changes"},
    {"name": "tf.data prefetch(1) after the gather map (both sides)",
     "measured": "tf1 Estimator pairshift + pairlincorr full runs, alternating, two each",
     "before_s": [[1.77, 2.36], [2.11, 2.65]], "after_s": [[1.67, 2.14], [1.80, 2.11]],
     "bit_identical": True, "kept": True,
     "why": "the gather of the next batch overlaps the step on the second core; order is unchanged"},
    {"name": "TF1 input_fn feeds columns and plan through placeholders at session start, not as graph constants",
     "measured": "Estimator first epoch (start-up included) and peak RSS at 1e6 rows, bench sweep before/after; "
                 "kit-size Estimator fixed cost from 1- vs 40-epoch runs",
     "before_s": {"1e6x1e3 first epoch": 23.73, "1e6x1e2 first epoch": 20.44, "kit-size fixed": 0.62},
     "after_s": {"1e6x1e3 first epoch": 6.83, "1e6x1e2 first epoch": 3.35, "kit-size fixed": 0.31},
     "before_peak_mib": {"1e6x1e3": 1740, "1e6x1e2": 1710}, "after_peak_mib": {"1e6x1e3": 807, "1e6x1e2": 768},
     "bit_identical": True, "kept": True,
     "why": "constants put every row and the whole plan into the GraphDef (6.8 MB at the kit's 20,000 rows x 40 "
            "epochs), which is serialized, copied and parsed when the session starts"},
    {"name": "Batch plan draws every epoch's permutation once per plan (shared/core/plan.py)",
     "measured": "cProfile of python -m modern_tf2: BatchPlan.order calls and their time",
     "before_s": {"calls": 820, "seconds": 0.14}, "after_s": {"calls": 0, "seconds": 0.0},
     "bit_identical": True, "kept": True,
     "why": "each implementation's input pipeline, the plan hash and the linear loops drew the same permutations "
            "again; the orders are now one read-only array per plan"},
    {"name": "Python 3.7 lookup tries a pyenv shim on PATH after pyenv's versions folder (shared/envtools/interpreters.py)",
     "measured": "python -m shared.interpreters 3.7 (what the noxfile runs at every nox start), wall",
     "before_s": [0.26, 0.35], "after_s": [0.14, 0.16],
     "bit_identical": True, "kept": True,
     "why": "the shim starts pyenv (bash) and failed here after ~0.15 s before the versions folder was searched; "
            "'pyenv root' now runs only when PYENV_ROOT and ~/.pyenv are not enough"},
    {"name": "TF1 input_fn: gather in the main graph instead of a tf.data map",
     "measured": "tf1 Estimator pairshift full run, alternating, three each",
     "before_s": [1.74, 1.76, 2.08], "after_s": [2.14, 2.24, 2.06],
     "bit_identical": True, "kept": False,
     "why": "slower: the map's cost was the per-row batching, not the function call"},
    {"name": "TF1 input_fn: tf.constant of a numpy bytes array instead of list(str) (legacy_tf1/pairs.py)",
     "measured": "one 1e6-string column into a graph constant, CPU seconds (wall in brackets)",
     "before_s": 1.33, "after_s": 0.96, "before_wall_s": 2.70, "after_wall_s": 2.00,
     "bit_identical": True, "kept": False,
     "why": "0.4 s CPU per 1e6-row column is under 1% of a 1e6-row epoch; astype(bytes) is ASCII-only and "
            "bring-your-own item names need not be, so not worth the edit"},
    {"name": "Keras: one fit over the whole plan (steps_per_epoch keeps the iterator) instead of one fit per epoch",
     "measured": "tf2 train_s per implementation, two consecutive full tf2 runs on the same idle machine",
     "before_s": {"linear/keras2": 4.95, "linear/keras3": 5.20},
     "after_s": {"linear/keras2": 0.91, "linear/keras3": 0.28},
     "bit_identical": True, "kept": True,
     "why": "each fit() call rebuilds Keras' epoch iterator and callbacks: 100 calls for linear's 100 epochs; a "
            "LambdaCallback snapshots the weights per epoch instead (verified equal on Keras 2 and 3)"},
    {"name": "Python 3.7 discovery: stop at the first interpreter that runs (uv python find only as a last resort)",
     "measured": "python -m shared.interpreters 3.7 (what the noxfile runs at every nox start), wall, 3 runs each",
     "before_s": [0.61, 0.58, 0.57], "after_s": [0.25, 0.24, 0.24],
     "bit_identical": True, "kept": True,
     "why": "every candidate was collected first, so uv python find (~0.4 s) ran even when pyenv's 3.7 was found"},
    {"name": "Input pipelines skip AutoGraph on their batch and gather functions (legacy_tf1/ and modern_tf2/feeding.py)",
     "measured": "CPU seconds to build the first plan input of a process (TF1: plan_input_fn's input_fn; TF2: "
                 "plan_dataset), two processes each",
     "before_s": {"tf1": [1.175, 1.085], "tf2": [0.176]}, "after_s": {"tf1": [0.051, 0.047], "tf2": [0.080]},
     "bit_identical": True, "kept": True,
     "why": "Dataset.map and flat_map run their functions through AutoGraph, which parses their source once per "
            "process; the functions have no Python control flow to convert"},
    {"name": "TF1 canned cases predict the probe in one predict graph for both weight sets, without checkpoints "
             "(legacy_tf1/feeding.py predict_from)",
     "measured": "CPU seconds (user) of python -m legacy_tf1 --cases canned_linear canned_dnn canned_widedeep, "
                 "alternating runs on a shared machine",
     "before_s": {"Estimator.predict twice, checkpoints at steps 0 and end": [15.98, 15.59],
                  "one predict graph restored from both checkpoints": [13.17, 13.46]},
     "after_s": {"one predict graph set to the session's weights, no checkpoints": [10.62, 11.95]},
     "bit_identical": True, "kept": True,
     "why": "Estimator.predict rebuilds the graph and a session each call; its model_fn in PREDICT mode built once "
            "and set to the weights the training session held gives the same predictions without the saver hook, "
            "graph.pbtxt and meta graph each checkpoint writes"},
    {"name": "AutoGraph off for tensorflow_core and tensorflow_estimator while a canned Estimator builds its graph",
     "measured": "CPU seconds (user) of python -m legacy_tf1 --cases canned_linear canned_dnn canned_widedeep, "
                 "alternating runs",
     "before_s": [10.37, 9.77], "after_s": [8.79, 9.70],
     "bit_identical": True, "kept": False,
     "why": "TF 1.15's do-not-convert rule names 'tensorflow', not 'tensorflow_core', so the feature-column and "
            "canned-model layers are converted; the gain is within the noise of a shared machine and would change "
            "how the reference builds its graph, so it was not kept"},
]

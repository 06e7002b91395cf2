"""The env side of the benchmark: ``python -m legacy_tf1.bench`` / ``python -m modern_tf2.bench``.

:func:`side_main` trains one implementation, or the bare training loop, on a synthetic pairshift set
(or every case's data) and prints one ``BENCH {json}`` line for ``shared.bench`` to collect.
"""

import argparse
import json
import resource
import sys
import time
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from shared.core.registry import PACKAGES
from shared.core.threads import default_threads, threads_arg

MARK = "BENCH "
BATCH = 1000


def peak_rss_mib() -> float:
    """Peak resident memory of this process (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s() -> float:
    """User + system CPU seconds of this process (less disturbed than wall time on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthetic(rows: int, items: int, seed: int = 2019):
    """An in-memory pairshift ``shared.data.Dataset`` of ``rows`` pairs over ``items`` items (no CSV)."""
    import pandas as pd

    from shared.core import data, datasets

    table = datasets.pairshift({"n_items": items, "n_pairs": rows, "value_scale": 1.0, "noise": 0.1, "seed": seed})
    frame = pd.DataFrame(dict((c, v) for c, v in zip(table["columns"], table["data"])))
    for column in ("item1", "item2"):
        frame[column] = frame[column].astype(object)
    return data.Dataset("bench", "<memory>", "synthetic-%d-%d-%d" % (rows, items, seed), frame, "pairshift")


def bench_case(epochs: int = 1, batch_size: int = BATCH):
    """The registered pairshift case with the benchmark's epochs and batch size."""
    from shared.core.registry import get_case
    from shared.core.runner import with_overrides

    return with_overrides(get_case("pairshift"), {"epochs": epochs, "batch_size": batch_size})


def ell(design) -> Tuple[Any, Any, Any]:
    """COO design -> per-row (columns, values) of fixed width, float32 values and targets (bare loop input)."""
    import numpy as np

    order = np.argsort(design.rows, kind="stable")
    width = design.rows.size // design.n_rows
    cols = design.cols[order].reshape(design.n_rows, width)
    vals = design.vals[order].reshape(design.n_rows, width).astype(np.float32)
    return cols, vals, design.y.astype(np.float32)


def start_values(case, n: int):
    """The kit's start: W0/b0 for linear, zeros (``init``) for the pair models."""
    import numpy as np

    hp = case.hyperparameters
    if "W0" in hp:
        return np.array([hp["W0"], hp["b0"]], dtype=np.float32)
    return np.full(n, float(hp.get("init", 0.0)), dtype=np.float32)


def net_start(case, inputs: Dict[str, Any]) -> Dict[str, Any]:
    """A canned case's network for the floor, from its shared start (zeros for a linear part without one):
    ``wide`` (kernel, bias), ``embedding``, ``layers`` [(kernel, bias), ...] ending with the logits layer."""
    import numpy as np

    from shared.core import canned
    from shared.core.weights import draw

    init = draw(case.init) if case.init is not None else {}
    out = {}  # type: Dict[str, Any]
    if "wide" in inputs:
        out["wide"] = (np.zeros((inputs["wide"].shape[1], 1), np.float32), np.zeros((1,), np.float32))
    if "numeric" in inputs:
        hidden = ["dnn/hiddenlayer_%d/" % i for i in range(len(case.hyperparameters["hidden_units"]))] + ["dnn/logits/"]
        out["layers"] = [(init[n + "kernel"], init[n + "bias"]) for n in hidden]
    if "embed" in inputs:
        out["embedding"] = init[canned.EMBEDDING]
    return out


def net_prefix(case, scope: str) -> str:
    """The hyperparameter prefix of the optimizer of one part (``linear_``/``dnn_`` with two optimizers, else none)."""
    return scope + "_" if scope + "_optimizer" in case.hyperparameters else ""


def unprefixed(hp: Dict[str, Any], prefix: str) -> Dict[str, Any]:
    """The settings of one optimizer under their plain names."""
    return dict((k[len(prefix):], v) for k, v in hp.items() if k.startswith(prefix)) if prefix else dict(hp)


def _side_parser(side: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m %s.bench" % PACKAGES[side], description="One benchmark measurement on %s." % side)
    sub = p.add_subparsers(dest="command")
    one = sub.add_parser("epoch", help="train one implementation (or 'bare') for --epochs on a synthetic pairshift set")
    one.add_argument("--rows", type=float, required=True)
    one.add_argument("--items", type=float, required=True)
    one.add_argument("--impl", required=True, help="an implementation of pairshift on this side, or 'bare'")
    one.add_argument("--epochs", type=int, default=2,
                     help="epochs to train (default 2: the first includes start-up, the later ones are the steady state)")
    one.add_argument("--batch-size", type=int, default=BATCH)
    floor = sub.add_parser("floor", help="bare training loop of every registered case on the kit's data (the canned "
                                         "cases: their networks on ready-made dense inputs)")
    floor.add_argument("--results", default=None)
    for q in (one, floor):
        q.add_argument("--threads", type=threads_arg, default=default_threads(),
                       help="TensorFlow's inter- and intra-op threads, as the kit's --threads")
    return p


def side_main(argv: Optional[Sequence[str]], side: str, setup: Callable[[str, int], Dict[str, Any]],
              bare: Callable[[Any, Any, Any], Tuple[float, Any]], bare_net: Callable[[Any, Any, Any], float]) -> int:
    """Entry of ``python -m <side>.bench``; ``bare(case, design, plan)`` returns (seconds, final weights) for the
    models linear in their weights, ``bare_net(case, inputs, plan)`` the seconds of a canned case's network."""
    args = _side_parser(side).parse_args(argv)
    if args.command is None:
        _side_parser(side).print_help()
        return 2
    import importlib

    from shared.core import canned, data, models
    from shared.core.plan import for_case
    from shared.core.results import Trained, results_root
    from shared.core.runner import Job, check_impls

    fp = setup("cpu", args.threads)
    out = {"schema": 1, "env": side, "command": args.command, "tensorflow": fp.get("tensorflow"), "threads": args.threads,
           "import_s": fp.get("import_s"), "python": "%d.%d.%d" % sys.version_info[:3]}  # type: Dict[str, Any]
    if args.command == "epoch":
        rows, items = int(args.rows), int(args.items)
        case = bench_case(args.epochs, args.batch_size)
        t0 = time.perf_counter()
        dataset = synthetic(rows, items)
        plan = for_case(case, dataset.n_rows)
        out["data_s"] = time.perf_counter() - t0
        out["rss_after_data_mib"] = peak_rss_mib()
        t0, c0 = time.perf_counter(), cpu_s()
        if args.impl == "bare":
            _, snapshots = bare(case, models.design(dataset, case.hyperparameters), plan)
            trained = Trained(snapshots[-1], snapshots)
        else:
            module = importlib.import_module("%s.pairshift" % PACKAGES[side])
            check_impls(module, case, [args.impl])
            trained = module.run(Job(side, args.impl, case, dataset, plan))
        train_s, train_cpu_s = time.perf_counter() - t0, cpu_s() - c0
        timings = trained.epoch_timings(t0)
        steady = timings["epoch_s"]
        out.update(train_cpu_s=train_cpu_s, impl=args.impl, rows=rows, items=items, n_items_seen=len(dataset.items()),
                   epochs=args.epochs, batch_size=args.batch_size, steps=plan.epochs * plan.batches_per_epoch,
                   train_s=train_s, first_epoch_s=timings["first_epoch_s"],
                   epoch_s=steady if steady is not None else train_s / args.epochs, epoch_s_is_steady=steady is not None,
                   peak_rss_mib=peak_rss_mib(), n_weights=len(trained.coefficients))
    else:
        from shared.core.registry import all_cases

        root = results_root(args.results)
        out["cases"] = {}
        for case in all_cases():
            t0 = time.perf_counter()
            dataset = data.load(root, case)
            plan = for_case(case, dataset.n_rows)
            design = models.design(dataset, case.hyperparameters) if case.model else canned.bare_inputs(case, dataset.frame)
            load_s = time.perf_counter() - t0
            c0 = cpu_s()
            seconds = bare(case, design, plan)[0] if case.model else bare_net(case, design, plan)
            out["cases"][case.name] = {"data_s": load_s, "bare_s": seconds, "bare_cpu_s": cpu_s() - c0, "impls": len(case.impls.get(side, ())),
                                       "steps": plan.epochs * plan.batches_per_epoch}
        out["peak_rss_mib"] = peak_rss_mib()
    sys.stdout.flush()
    print(MARK + json.dumps(out, sort_keys=True))
    return 0

"""``python -m shared.distributed [--results DIR] [side options]``: what ``nox -s distributed`` runs."""

import argparse
import os
import sys
import time

from shared.core import atomic
from shared.core.errors import KitError
from shared.distributed import CASES, FOLDER, RESULTS, side_args, table, verdict



def train(results: str, extra) -> dict:
    """Each side in its built env, one after the other; wall time per side."""
    from shared.pitfalls.run import train_sides

    return train_sides(side_args(results, extra), "distributed", log=lambda line: print(line, flush=True))


def main(argv=None) -> int:
    from shared import compare, report
    from shared.pitfalls import entries
    from shared.pitfalls.verdict import judge

    p = argparse.ArgumentParser(prog="python -m shared.distributed", description=__doc__.splitlines()[0])
    p.add_argument("--results", default=RESULTS, help="results folder of the distributed runs (default %s)" % RESULTS)
    args, extra = p.parse_known_args(argv)
    t0 = time.perf_counter()
    try:
        timings = train(args.results, extra)
        summary = compare.summarize(args.results, list(CASES), cases_from=[FOLDER])
        catalogue = judge(entries.load(FOLDER), summary, compare.load_runs(args.results))
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    print("distributed: every comparison of the runs (the naive loop's is red by design: the verdict below "
          "judges it, and the run's exit status is the verdict's)")
    print(compare.table(summary))
    print("report: %s" % report.write(args.results, summary))
    result = verdict(summary, catalogue.failures)
    timings["total"] = time.perf_counter() - t0
    result.update(timings_s=timings, catalogue=catalogue.to_dict())
    atomic.write_json(os.path.join(args.results, "distributed.json"), result)
    print(table(result))
    print("distributed: %.1f s (%s); verdict in %s" % (timings["total"], ", ".join(
        "%s %.1f s" % kv for kv in timings.items() if kv[0] != "total"), os.path.join(args.results, "distributed.json")))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

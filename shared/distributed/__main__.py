"""``python -m shared.distributed [--results DIR] [side options]``: what ``nox -s distributed`` runs."""

import argparse
import json
import os
import subprocess
import sys
import time

from shared.core import atomic
from shared.distributed import RESULTS, ROOT, side_args, table, verdict


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared.distributed", description=__doc__.splitlines()[0])
    p.add_argument("--results", default=RESULTS, help="results folder of the distributed runs (default %s)" % RESULTS)
    args, extra = p.parse_known_args(argv)
    summary_path = os.path.join(args.results, "summary.json")
    if os.path.exists(summary_path):
        os.remove(summary_path)  # never judge a summary an earlier run left
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "nox", "-f", os.path.join(ROOT, "noxfile.py"), "-s", "tf1", "tf2", "--"]
    code = subprocess.call(cmd + side_args(args.results, extra), cwd=ROOT)  # 1 where the naive loop is red
    wall = time.perf_counter() - t0
    try:
        with open(summary_path) as handle:
            summary = json.load(handle)
    except (OSError, ValueError) as exc:
        print("error: no comparison was written (%s); nox -s tf1 tf2 exited %d" % (exc, code), file=sys.stderr)
        return 2
    result = verdict(summary)
    result.update(wall_s=wall, nox_exit=code)
    atomic.write_json(os.path.join(args.results, "distributed.json"), result)
    print(table(result))
    print("distributed: %.1f s; verdict in %s" % (wall, os.path.join(args.results, "distributed.json")))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

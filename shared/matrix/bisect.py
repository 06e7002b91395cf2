"""Find the first released TensorFlow between two pins whose result differs from the good pin's.

``nox -s bisect -- --good 2.11 --bad 2.21 [--case pairshift] [--impl keras2]``. The released
versions come from the package index (pip); each version the search needs gets an env on demand
(a pin of the env table from its lock; any other version UNLOCKED, said so in the output); the
search assumes one change between the pins and halves the range, so n releases cost about
log2(n) builds. A version without a wheel for the search's Python is skipped with that reason.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from shared.core.envs import ENVS, Env
from shared.core.errors import KitError
from shared.core.results import results_root

Result = Dict[str, object]  # a run's result file, as the side wrote it
Runner = Callable[[str], Result]  # version -> result of the case's implementation on that TensorFlow


def version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def released(versions: Sequence[str]) -> List[str]:
    """Final releases only (no rc, dev, alpha or beta), oldest first."""
    final = [v for v in versions if re.match(r"^\d+\.\d+\.\d+(\.post\d+)?$", v)]
    return sorted(set(final), key=version_key)


def matches(pin: str, version: str) -> bool:
    """``2.11`` matches 2.11.0; ``2.15.1`` matches only itself."""
    return version == pin or version.startswith(pin + ".")


def between(versions: Sequence[str], good: str, bad: str) -> Tuple[str, List[str]]:
    """The good pin's release and the releases after it up to and including the bad pin's (the newest of each pin)."""
    goods = [v for v in versions if matches(good, v)]
    bads = [v for v in versions if matches(bad, v)]
    if not goods or not bads:
        raise KitError("no release matches %s" % (good if not goods else bad),
                       expected="versions released on the index, e.g. 2.11, 2.15.1, 2.21",
                       found="releases: " + ", ".join(versions[-12:]), fix="pick --good/--bad among them")
    lo, hi = max(goods, key=version_key), max(bads, key=version_key)
    if version_key(lo) >= version_key(hi):
        raise KitError("--good %s is not older than --bad %s" % (good, bad), expected="good < bad",
                       found="%s >= %s" % (lo, hi), fix="swap them")
    return lo, [v for v in versions if version_key(lo) < version_key(v) <= version_key(hi)]


def differs(good: Result, other: Result, tolerance: float) -> Tuple[bool, List[Tuple[str, float]]]:
    """Whether ``other``'s weights differ from ``good``'s beyond ``tolerance``, and the elements that moved most."""
    from shared.core.weights import elements

    a, b = dict(elements(good["coefficients"])), dict(elements(other["coefficients"]))
    if set(a) != set(b):
        return True, [("names differ: %s" % ", ".join(sorted(set(a) ^ set(b))[:5]), float("inf"))]
    moved = sorted(((n, abs(a[n] - b[n])) for n in a), key=lambda t: -t[1])
    return (bool(moved) and moved[0][1] > tolerance), moved[:5]


class Search(object):
    """The binary search over releases, with the runs it made (version -> result) and the versions it skipped."""

    def __init__(self, versions: Sequence[str], runner: Runner, tolerance: float, log: Callable[[str], None] = print):
        self.versions = list(versions)
        self.runner = runner
        self.tolerance = tolerance
        self.log = log
        self.results = {}  # type: Dict[str, Result]
        self.builds = 0

    def result(self, version: str) -> Result:
        if version not in self.results:
            self.builds += 1
            self.results[version] = self.runner(version)
        return self.results[version]

    def run(self, good: str) -> Dict[str, object]:
        """First bad version, last good one and what moved most; or that the bad pin agrees (no version moved)."""
        base = self.result(good)
        bad = self.versions[-1]
        moved, top = differs(base, self.result(bad), self.tolerance)
        if not moved:
            return {"moved": False, "good": good, "bad": bad, "builds": self.builds, "top": top}
        lo, hi = -1, len(self.versions) - 1  # invariant: versions[hi] differs; versions[lo] (or good) agrees
        while hi - lo > 1:
            mid = (lo + hi) // 2
            changed, _ = differs(base, self.result(self.versions[mid]), self.tolerance)
            self.log("bisect: %s %s" % (self.versions[mid], "differs" if changed else "agrees"))
            if changed:
                hi = mid
            else:
                lo = mid
        last_good = self.versions[lo] if lo >= 0 else good
        _, top = differs(self.result(last_good), self.result(self.versions[hi]), self.tolerance)
        return {"moved": True, "first_bad": self.versions[hi], "last_good": last_good, "builds": self.builds,
                "top": top}


def expected_builds(n: int) -> int:
    """Builds the search makes for ``n`` releases after the good pin: the good pin, the bad pin, then a halving."""
    return 2 + (int(math.ceil(math.log(n, 2))) if n > 1 else 0)


# --- the real runner: index look-ups, envs on demand, one side run per version --------------------------------


def index_versions(package: str, python: str) -> List[str]:
    """Versions of ``package`` with a wheel for CPython ``python`` on Linux x86-64, from the index (pip)."""
    pip = [getattr(sys, "_base_executable", sys.executable), "-m", "pip"]
    cmd = pip + ["index", "versions", package, "--python-version", python, "--only-binary=:all:",
                 "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64", "--implementation", "cp"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    match = re.search(r"Available versions:\s*(.*)", out.stdout)
    if out.returncode != 0 or not match:
        raise KitError("listing %s releases failed" % package, expected="pip index versions output",
                       found=out.stdout.strip()[-500:], fix="check that the package index is reachable")
    return released([v.strip() for v in match.group(1).split(",") if v.strip()])


def pinned_env(version: str) -> Optional[Env]:
    return next((e for e in ENVS.values() if e.side == "tf2" and e.tensorflow == version), None)


def requirements(version: str) -> List[str]:
    """An unlocked env for TF ``version``: tensorflow-cpu up to 2.15; from 2.16 tensorflow + tf-keras of that minor."""
    if version_key(version) < (2, 16):
        return ["tensorflow-cpu==%s" % version, "pandas", "scikit-learn"]
    minor = ".".join(version.split(".")[:2])
    return ["tensorflow==%s" % version, "tf-keras~=%s.0" % minor, "pandas", "scikit-learn"]


def real_runner(case: str, impl: str, python: str, results: str, kit_args: Sequence[str],
                log: Callable[[str], None]) -> Runner:
    from shared.envtools import venvs

    def run(version: str) -> Result:
        env = pinned_env(version)
        if env is not None:
            log("bisect: TF %s is the pin %s: its locked env" % (version, env.name))
            py = venvs.env_python(env.name, log=log)
            name = env.name
        else:
            name = "bisect-tf%s" % version.replace(".", "")
            py = venvs.ensure_unlocked(name, requirements(version), python, log=log)
        out = subprocess.run([py, "-m", "modern_tf2", "--env", name, "--results", results, "--cases", case,
                              "--impls", impl] + list(kit_args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        path = os.path.join(results, "runs", name, case, impl + ".json")
        if out.returncode != 0 or not os.path.exists(path):
            raise KitError("TF %s: %s/%s did not run" % (version, case, impl), expected="a finished result",
                           found=out.stdout[-2000:], fix="see the output; the implementation may not run on this TF")
        with open(path) as handle:
            result = json.load(handle)
        log("bisect: TF %s done (%s)" % (version, result.get("status")))
        return result

    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m shared.matrix.bisect", description=__doc__.splitlines()[0])
    p.add_argument("--good", required=True, help="the TF release whose result is right, e.g. 2.11")
    p.add_argument("--bad", required=True, help="a later TF release, e.g. 2.21")
    p.add_argument("--case", default="pairshift", help="case (default: pairshift)")
    p.add_argument("--impl", default="keras2", help="TF2 implementation (default: keras2: runs on every 2.x)")
    p.add_argument("--python", default="3.11", help="Python of the envs between the pins (default: 3.11)")
    p.add_argument("--results", default=None, help="output folder (default: <results>/bisect)")
    args, kit_args = p.parse_known_args(argv)
    results = args.results or os.path.join(results_root(None), "bisect")
    try:
        from shared.core import data
        from shared.core.registry import get_case

        case = get_case(args.case)
        tol = case.tolerance("strict")
        if not os.path.exists(os.path.join(results, "data", "manifest.json")):
            data.ensure(results, [case])
        on_python = index_versions("tensorflow-cpu", args.python)
        everything = released(index_versions("tensorflow-cpu", "3.7") + on_python)
        good, candidates = between(everything, args.good, args.bad)
        usable = [v for v in candidates if v in on_python]
        for v in candidates:
            if v not in on_python:
                print("bisect: skipping TF %s: no wheel for Python %s" % (v, args.python))
        if not usable:
            raise KitError("no release between the pins has a wheel for Python %s" % args.python,
                           expected="releases after %s" % good, found=", ".join(candidates) or "none",
                           fix="pass --python with a version those releases support")
        print("bisect: %s/%s, good TF %s, %d release(s) after it: %s (about %d builds)" % (
            args.case, args.impl, good, len(usable), ", ".join(usable), expected_builds(len(usable))))
        search = Search(usable, real_runner(args.case, args.impl, args.python, results, kit_args, print), tol.value)
        found = search.run(good)
    except KitError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    top = ", ".join("%s %.3g" % (n, d) for n, d in found["top"])
    if not found["moved"]:
        print("bisect: no version moved: TF %s agrees with TF %s within %.0e (largest: %s); %d builds" % (
            found["bad"], good, tol.value, top or "none", found["builds"]))
        return 0
    print("bisect: first bad TF %s, last good TF %s (tolerance %.0e, %d builds); moved most: %s" % (
        found["first_bad"], found["last_good"], tol.value, found["builds"], top))
    return 1


if __name__ == "__main__":
    sys.exit(main())

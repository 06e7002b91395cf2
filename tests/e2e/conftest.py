"""End-to-end fixtures: the tf1/tf2 interpreters nox built, and one full run of the kit shared by the tests."""

import os
import shutil
import subprocess

import pytest

from shared.core.registry import PACKAGES

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True, scope="module")
def own_registry():
    """Each test module sees the kit's cases and the folders it loads itself: a folder one module loads (the mlp
    example) must not join another module's comparisons of every registered case."""
    from shared.core import registry

    registry.all_cases()
    saved = (registry.OrderedDict(registry._REGISTRY), list(registry._FOLDERS), dict(registry._MODULES))
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    registry._FOLDERS[:] = saved[1]
    registry._MODULES.clear()
    registry._MODULES.update(saved[2])


def _python(side):
    path = os.environ.get("TFKIT_%s_PYTHON" % side.upper())
    if not path or not os.path.exists(path):
        message = "TFKIT_%s_PYTHON is not set to a built env: run 'nox -s tf1 tf2' then 'nox -s tests'" % side.upper()
        if os.environ.get("TFKIT_REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pythons():
    return dict((side, _python(side)) for side in PACKAGES)


def kit(python, module, *args, **kw):
    """Run ``python -m module args`` from the repository root; returns the CompletedProcess."""
    env = dict(os.environ, **kw.pop("env", {}))
    return subprocess.run([python, "-m", module] + list(args), cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, **kw)


def start(python, module, *args):
    return subprocess.Popen([python, "-m", module] + list(args), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True)


def in_order(pythons, roots, *args, **per_root):
    """What ``nox -s tf1 tf2`` runs, into each folder: tf1, then tf2 (it reads TF1's artifacts), then TF 1.15's
    rollback of the TF2 weights; each step in all folders at once. ``sides={root: [args]}`` adds arguments to
    the two sides' runs into that folder."""
    sides = per_root.pop("sides", {})
    steps = [("tf1", "legacy_tf1", ["--env", "tf1", "--lock", os.path.join("envs", "tf1.txt")]),
             ("tf2", "modern_tf2", ["--env", "tf2", "--lock", os.path.join("envs", "tf2.txt")]),
             ("tf1", "legacy_tf1.artifacts", [])]
    for side, module, extra in steps:
        procs = [(root, start(pythons[side], module, "--results", root, *(
            extra + list(args) + (sides.get(root, []) if module != "legacy_tf1.artifacts" else []))))
            for root in roots]
        for root, proc in procs:
            out = proc.communicate(timeout=1200)[0]
            assert proc.returncode == 0, "%s in %s failed:\n%s" % (module, root, out[-4000:])


@pytest.fixture(scope="session")
def twin_runs(pythons, tmp_path_factory):
    """Two complete runs into two folders from the same data, both folders at once, each side after the other;
    the first trains each side's cases in one process, the second in two (``--jobs``)."""
    roots = [str(tmp_path_factory.mktemp("run-a")), str(tmp_path_factory.mktemp("run-b"))]
    prep = kit(pythons["tf1"], "shared", "prepare", "--results", roots[0])
    assert prep.returncode == 0, prep.stdout
    shutil.copytree(os.path.join(roots[0], "data"), os.path.join(roots[1], "data"))
    in_order(pythons, roots, sides={roots[0]: ["--jobs", "1"], roots[1]: ["--jobs", "2"]})
    return roots

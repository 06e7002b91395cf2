"""Sessions of the TF 1.x -> 2.x reproduction kit; the logic lives in the packages (``python -m ...``)."""

import importlib.util
import os
import subprocess
import sys

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tf1", "tf2"]

HERE = os.path.dirname(os.path.abspath(__file__))


_TABLE = importlib.util.spec_from_file_location("tfkit_envs", os.path.join(HERE, "shared", "core", "envs.py"))
TABLE = importlib.util.module_from_spec(_TABLE)
_TABLE.loader.exec_module(TABLE)  # the kit's one table of sides and envs (stdlib only), loaded from its file
ENVS = TABLE.ENVS
PY311 = "3.11"
IMAGES = ("tf1-cpu", "tf2-cpu")  # CUDA images on GPU hosts: nox -s images -- tf1-cuda tf2-cuda


def host(*args: str) -> subprocess.CompletedProcess:
    """Run a stdlib-only helper module of the kit with nox's own interpreter, from this folder."""
    return subprocess.run([sys.executable, "-m", *args], cwd=HERE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


FIND_PY37 = host("shared.envtools.interpreters", "3.7")  # TF 1.15.5: CPython <= 3.7 only
PY37 = FIND_PY37.stdout.strip() or None


def need_py37(session: nox.Session) -> None:
    """Stop a Python 3.7 session with the lookup's message (where it looked, how to get one) when none was found."""
    if PY37 is None:
        session.error(FIND_PY37.stderr)


def built_envs() -> dict:
    """``TFKIT_TF1_PYTHON`` / ``TFKIT_TF2_PYTHON`` for the side envs nox has built, for end-to-end tests."""
    pythons = dict((env.side, os.path.abspath(os.path.join(".nox", env.name, "bin", "python"))) for env in ENVS.values()
                   if env.main)
    return dict(("TFKIT_%s_PYTHON" % env.upper(), path) for env, path in pythons.items() if os.path.exists(path))


def install(session: nox.Session, env: str) -> str:
    """Sync the venv to the hash-locked envs/<env>.txt (refused when stale against its .in), bytecode compiled.

    Skipped while the venv is unchanged since its last sync from that same lock (shared/envtools/venv_stamp.py);
    check, sync and stamp run under the venv's lock, so concurrent sessions never sync one venv at once.
    """
    sync = ("python", "-m", "shared.envtools.locks", "sync", env, "--venv", session.virtualenv.location)
    out = session.run_install(*sync, silent=True, stderr=None) or session.run(*sync, "--check-only", silent=True)
    return out.split()[-1]


def side(session: nox.Session, env: str) -> None:
    """Prepare the shared data, then train every case of one side in ONE interpreter; roll back and compare afterwards."""
    session.notify("rollback", posargs=session.posargs)
    session.notify("compare", posargs=session.posargs)
    lock = install(session, env)
    session.run("python", "-m", ENVS[env].package, "--prepare", "--env", env, "--lock", lock, *session.posargs)


@nox.session(python=PY37 or False)
def tf1(session: nox.Session) -> None:
    """Train every case on TF 1.15 / Python 3.7 (Session, Estimator, tf.contrib)."""
    need_py37(session)
    side(session, "tf1")


@nox.session(python=PY311)
def tf2(session: nox.Session) -> None:
    """Train every case on TF 2.21 / Python 3.11 (eager, tf.function, Keras 2 and Keras 3)."""
    side(session, "tf2")


@nox.session(python=False)
def rollback(session: nox.Session) -> None:
    """TF 1.15 restores each TF2 model's weights, written as a TF1 checkpoint, and predicts (after tf2, in the tf1 env)."""
    python = built_envs().get("TFKIT_TF1_PYTHON")
    if python is None:
        session.skip("no tf1 env: nothing restores the TF2 weights in TF 1.15 (nox -s tf1 builds it)")
    session.run(python, "-m", "legacy_tf1.artifacts", *session.posargs, external=True)


@nox.session(python=PY311)
def compare(session: nox.Session) -> None:
    """Compare all runs by name (strict, env, oracle); write summary.json and the report."""
    install(session, "report")
    session.run("python", "-m", "shared", "compare", *session.posargs)


@nox.session(python=PY311)
def pitfalls(session: nox.Session) -> None:
    """The pitfalls catalogue (examples/pitfalls) in the built tf1/tf2 envs -> results/pitfalls.{json,md,html}."""
    install(session, "report")
    session.run("python", "-m", "shared.pitfalls", "run", *session.posargs, env=built_envs())


@nox.session(python=PY311)
def baseline(session: nox.Session) -> None:
    """Record the TF1 results (results/runs/tf1) as the golden baselines/ (-- --force replaces them)."""
    install(session, "report")
    session.run("python", "-m", "shared.baselines", "record", *session.posargs)


@nox.session(python=PY311)
def tests(session: nox.Session) -> None:
    """Run the test suite on 3.11; end-to-end tests use the tf1/tf2 envs when nox has built them."""
    session.notify("tests-py37")
    install(session, "tests")
    session.run("python", "-m", "pytest", "-m", "not containers", *session.posargs, env=built_envs())


@nox.session(python=PY37 or False, name="tests-py37")
def tests_py37(session: nox.Session) -> None:
    """Run the shared.core tests on Python 3.7 with the TF 1.15 env's numpy and pandas."""
    need_py37(session)
    install(session, "tests-py37")
    session.run("python", "-m", "pytest", "tests/core")


@nox.session(python=False)
def images(session: nox.Session) -> None:
    """Build container images with docker or podman (posargs: flavours and options, e.g. --local-base)."""
    session.run(sys.executable, "-m", "shared.containers", "build", *(session.posargs or IMAGES), external=True)


def in_image(session: nox.Session, flavour: str) -> None:
    """Prepare the shared data on the host, then run one side inside its image (build it with nox -s images)."""
    session.notify("compare")
    install(session, "report")
    session.run("python", "-m", "shared", "prepare")
    session.run("python", "-m", "shared.containers", "run", flavour, *session.posargs)


@nox.session(python=PY311, name="tf1-image")
def tf1_image(session: nox.Session) -> None:
    """Train every case on TF 1.15 inside the tf1-cpu image (posargs e.g. --local-base)."""
    in_image(session, "tf1-cpu")


@nox.session(python=PY311, name="tf2-image")
def tf2_image(session: nox.Session) -> None:
    """Train every case on TF 2.21 inside the tf2-cpu image (posargs e.g. --local-base)."""
    in_image(session, "tf2-cpu")


@nox.session(python=PY311)
def containers(session: nox.Session) -> None:
    """Build the CPU images (podman on local bases if need be); check they agree with the tf1/tf2 venvs."""
    install(session, "tests")
    env = dict(built_envs(), TFKIT_REQUIRE_CONTAINERS="1")
    session.run("python", "-m", "pytest", "-m", "containers", *session.posargs, env=env)


@nox.session(python=PY311)
def matrix(session: nox.Session) -> None:
    """Version matrix: build and run every env of the table several at once, compare, heatmap (-- --envs E ... --cases C)."""
    install(session, "report")
    session.run("python", "-m", "shared.matrix", *session.posargs)


@nox.session(python=PY311)
def bisect(session: nox.Session) -> None:
    """Find the first TF release whose result moved: -- --good 2.11 --bad 2.21 [--case C] [--impl I]."""
    install(session, "report")
    session.run("python", "-m", "shared.matrix.bisect", *session.posargs)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmark: warm/cold kit vs its floor, uv vs pip, pairshift scale sweep -> results/bench.json (-- --quick)."""
    session.run(sys.executable, "-m", "shared.bench", "run", *session.posargs, external=True)


@nox.session(python=PY311)
def distributed(session: nox.Session) -> None:
    """Distributed parity: Estimator train_distribute vs tf.distribute on 2 CPUs and 2 workers (results/distributed)."""
    install(session, "report")
    session.run("python", "-m", "shared.distributed", *session.posargs, env=built_envs())


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Regenerate the hash-locked envs/*.txt from envs/*.in with uv (then commit both)."""
    session.run(sys.executable, "-m", "shared.envtools.locks", "compile", *session.posargs, external=True)

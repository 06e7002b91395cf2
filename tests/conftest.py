"""Fixtures shared by every test: small registered-like cases and fake result files."""

import copy

import pytest

from shared import compare
from shared.core import SCHEMA_VERSION, data, results
from shared.core.registry import get_case


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A results folder with every registered dataset generated (and no golden baseline in play)."""
    monkeypatch.setenv("TFKIT_BASELINE", str(tmp_path / "no-baselines"))
    path = str(tmp_path / "results")
    from shared.core.registry import all_cases

    data.ensure(path, all_cases(), log=lambda *_: None)
    return path


def fake_result(root, env, case_name, impl, coefficients, side=None, **changes):
    """Write a result file as a side would, for comparisons that need no TensorFlow."""
    case = get_case(case_name)
    payload = {
        "schema": SCHEMA_VERSION,
        "run_id": results.run_id(env, case_name, impl),
        "env": env,
        "side": side or env.split("-")[0],
        "case": case_name,
        "impl": impl,
        "status": "ok",
        "fingerprint": {"python": "3.x", "tensorflow": "x"},
        "data_sha256": data.dataset_sha(root, case.dataset.name),
        "arrays_sha256": "arrays",
        "plan_sha256": compare.expected_plan_sha(root, case),
        "spec_sha256": case.spec_sha256(),
        "hyperparameters": copy.deepcopy(case.hyperparameters),
        "coefficients": dict(coefficients),
        "loss_history": [1.0, 0.5],
        "timings": {"train_s": 0.1},
    }
    payload.update(changes)
    return results.write(root, payload)


def full_side(root, case_name, coefficients, skip=()):
    """A result for every implementation of ``case_name`` on both sides, all with ``coefficients``."""
    case = get_case(case_name)
    for side, impls in case.impls.items():
        for impl in impls:
            if "%s/%s" % (side, impl) not in skip:
                fake_result(root, side, case_name, impl, coefficients)


@pytest.fixture
def make_result():
    return fake_result


@pytest.fixture
def make_full():
    return full_side

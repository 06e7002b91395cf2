"""Fixtures shared by every test: small registered-like cases and fake result files."""

import copy

import pytest

from shared import compare
from shared.core import SCHEMA_VERSION, data, results
from shared.core.registry import get_case


def generatable(cases):
    """The cases whose data this interpreter can make: a table that a package ships needs that package (the TF envs
    install scikit-learn for the breast-cancer table; the test envs do not, and the end-to-end tests cover it)."""
    from importlib.util import find_spec

    return [c for c in cases if "package" not in c.dataset.params or find_spec(c.dataset.params["package"])]


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A results folder with every registered dataset this interpreter can make (and no golden baseline in play)."""
    monkeypatch.setenv("TFKIT_BASELINE", str(tmp_path / "no-baselines"))
    path = str(tmp_path / "results")
    from shared.core.registry import all_cases

    data.ensure(path, generatable(all_cases()), log=lambda *_: None)
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
    """A result for every implementation of ``case_name`` on both sides, all with ``coefficients``; for a case
    that checks its trained artifacts, the artifacts each side would keep, all predicting alike."""
    case = get_case(case_name)
    for side, impls in case.impls.items():
        for impl in impls:
            if "%s/%s" % (side, impl) not in skip:
                fake_result(root, side, case_name, impl, coefficients)
    if any(c.kind.artifact for c in case.checks) and not any(k.startswith("tf1/") for k in skip):
        fake_artifacts(root, case_name, [0.5, -0.25, 1.0])


def fake_artifacts(root, case_name, predictions, tf1_impl=None):
    """The records both sides write for a case's trained artifacts (no files: an empty manifest), all alike:
    the TF1 manifest and predictions, each TF2 model's restore and rollback, the served export, TF 1.15's restores."""
    import os

    from shared.core import artifacts as store

    case = get_case(case_name)
    tf1_impl = tf1_impl or case.impls["tf1"][0]
    entry = data.read_manifest(root)["datasets"][case.dataset.name]
    folder = store.impl_dir(root, "tf1", case_name, tf1_impl)
    manifest = {"status": "ok", "run_id": "tf1/%s/%s" % (case_name, tf1_impl), "files": {}, "key": "predictions",
                "content_sha256": "c" * 64, "data_sha256": entry["sha256"], "probe_sha256": entry["probe"]["sha256"],
                "spec_sha256": case.spec_sha256(), "plan_sha256": compare.expected_plan_sha(root, case)}
    store.write_record(os.path.join(folder, store.MANIFEST), manifest)
    store.write_record(os.path.join(folder, store.PREDICTIONS), {"predictions": list(predictions)})
    ok = {"status": "ok", "predictions": list(predictions), "source_sha256": "c" * 64}
    for impl in case.impls["tf2"]:
        tf2 = store.impl_dir(root, "tf2", case_name, impl)
        store.write_record(os.path.join(tf2, store.RESTORED), {"sources": {tf1_impl: ok}})
        store.write_record(os.path.join(tf2, store.ROLLBACK_RECORD), dict(ok, run_id="tf2/%s/%s" % (case_name, impl)))
        store.write_record(os.path.join(store.case_dir(root, "tf1", case_name), store.ROLLBACK, "tf2", impl + ".json"),
                           {"record_sha256": store.sha256_file(os.path.join(tf2, store.ROLLBACK_RECORD)),
                            "sources": {tf1_impl: ok}})
    store.write_record(os.path.join(store.case_dir(root, "tf2", case_name), store.SAVEDMODEL, tf1_impl + ".json"),
                       {"status": "ok", "source_sha256": "c" * 64, "calls": {"signature:predict": ok, "TFSMLayer:predict": ok}})


@pytest.fixture
def make_result():
    return fake_result


@pytest.fixture
def make_full():
    return full_side


@pytest.fixture
def make_artifacts():
    return fake_artifacts

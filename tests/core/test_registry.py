"""The case registry: every case valid, duplicates and unknown names refused with helpful messages."""

import importlib
import os

import pytest

from shared.core import runner
from shared.core.errors import RegistryError
from shared.core.registry import PACKAGES, Case, DatasetSpec, Tolerance, all_cases, case_names, get_case, register



@pytest.mark.parametrize("name", case_names())
def test_every_case_is_complete(name):
    case = get_case(name)
    assert case.description and case.dataset.name
    assert set(case.tolerances) == {"strict", "oracle"}
    for tol in case.tolerances.values():
        assert tol.value >= 0 and tol.reason.strip()
    assert case.reference in case.run_keys()
    assert len(case.spec_sha256()) == 64


@pytest.mark.parametrize("name", case_names())
@pytest.mark.parametrize("side", sorted(PACKAGES))
def test_every_implementation_has_a_module_that_declares_it(name, side):
    path = os.path.join(PACKAGES[side], name + ".py")
    assert os.path.exists(path), "%s lacks its twin %s" % (name, path)
    module = importlib.import_module("%s.%s" % (PACKAGES[side], name))  # TensorFlow is imported inside run() only
    runner.check_impls(module, get_case(name), get_case(name).impls[side])


def test_an_undeclared_implementation_is_refused():
    module = importlib.import_module("legacy_tf1.linear")
    with pytest.raises(RegistryError, match="does not implement nope"):
        runner.check_impls(module, get_case("linear"), ["session", "nope"])


def test_mirrored_module_names():
    def modules(package):
        return sorted(f for f in os.listdir(package) if f.endswith(".py") and not f.startswith("_"))

    assert modules("legacy_tf1") == modules("modern_tf2")


def test_unknown_case_lists_the_known_ones():
    with pytest.raises(RegistryError) as err:
        get_case("nope")
    for name in case_names():
        assert name in str(err.value)


def test_duplicate_registration_refused():
    with pytest.raises(RegistryError, match="registered twice"):
        register(all_cases()[0])


@pytest.mark.parametrize("value", [-1e-6, float("nan"), "1e-6", None, True])
def test_bad_tolerance_refused(value):
    with pytest.raises(RegistryError, match="tolerance"):
        Tolerance(value, "why")


def test_tolerance_needs_a_reason():
    with pytest.raises(RegistryError, match="no reason"):
        Tolerance(1e-6, " ")


def _case(**changes):
    kwargs = dict(
        name="x", description="d", dataset=DatasetSpec("x", "linear", {}), hyperparameters={},
        impls={"tf1": ["a"], "tf2": ["b"]}, reference="tf1/a",
        tolerances={"strict": Tolerance(1e-6, "r"), "oracle": Tolerance(1e-3, "r")})
    kwargs.update(changes)
    return Case(**kwargs)


def test_missing_tolerance_refused():
    with pytest.raises(RegistryError, match="wrong tolerances"):
        _case(tolerances={"strict": Tolerance(1e-6, "r")})


def test_missing_side_refused():
    with pytest.raises(RegistryError, match="no tf2 implementation"):
        _case(impls={"tf1": ["a"]})


def test_reference_must_be_an_implementation():
    with pytest.raises(RegistryError, match="reference"):
        _case(reference="tf2/zzz")


def test_spec_hash_follows_hyperparameters():
    assert _case(hyperparameters={"lr": 0.1}).spec_sha256() != _case(hyperparameters={"lr": 0.2}).spec_sha256()

"""The case registry: every case valid, duplicates and unknown names refused with helpful messages."""

import importlib
import os

import pytest

from shared.core import runner
from shared.core.errors import RegistryError
from shared.core.case import Case, Check, DatasetSpec, Tolerance
from shared.core.registry import PACKAGES, all_cases, case_names, get_case, register


@pytest.mark.parametrize("name", case_names())
def test_every_case_is_complete(name):
    case = get_case(name)
    assert case.description and case.dataset.name
    assert any(c.kind.agreement for c in case.checks)
    for check in case.checks:
        assert check.value >= 0 and check.reason.strip()
    assert case.reference in case.run_keys()
    assert len(case.spec_sha256()) == 64


@pytest.mark.parametrize("name", case_names())
@pytest.mark.parametrize("side", sorted(PACKAGES))
def test_every_implementation_has_a_module_that_declares_it(name, side):
    case = get_case(name)
    for impl in case.impls[side]:
        target = case.implementations[side][impl]
        if not case.folder:
            assert target.module.startswith(PACKAGES[side] + "."), target.target
            twin = target.module.replace(PACKAGES[side], PACKAGES["tf2" if side == "tf1" else "tf1"], 1)
            assert os.path.exists(twin.replace(".", os.sep) + ".py"), "%s lacks its twin %s" % (target.module, twin)
        assert callable(runner.resolve(case, side, impl))  # TensorFlow is imported inside run() only


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
        checks=[Check("weights", 1e-6, "r"), Check("least_squares", 1e-3, "r")], model="linear")
    kwargs.update(changes)
    return Case(**kwargs)


def test_a_case_needs_an_agreement_check():
    with pytest.raises(RegistryError, match="no cross-side agreement check"):
        _case(checks=[Check("least_squares", 1e-3, "r")])


def test_unknown_or_doubled_checks_refused():
    with pytest.raises(RegistryError, match="unknown check 'strictest'"):
        Check("strictest", 1e-6, "r")
    with pytest.raises(RegistryError, match="malformed checks"):
        _case(checks=[Check("weights", 1e-6, "r"), Check("weights", 1e-5, "r")])


def test_least_squares_only_for_a_linear_model():
    with pytest.raises(RegistryError, match="no linear numpy model"):
        _case(model=None)


def test_convergence_is_required_only_when_the_case_says_so():
    assert not Check("least_squares", 1e-3, "r").required and Check("least_squares", 1e-3, "r", required=True).required
    assert Check("weights", 1e-6, "r", required=False).required  # agreement always decides


def test_implementations_are_found_by_import_path():
    case = _case(impls={"tf1": {"a": "legacy_tf1.linear:run"}, "tf2": {"b": "modern_tf2.linear:run"}})
    assert case.implementations["tf1"]["a"].module == "legacy_tf1.linear"
    with pytest.raises(RegistryError, match="module:function"):
        _case(impls={"tf1": {"a": "legacy_tf1.linear"}, "tf2": ["b"]})


def test_missing_side_refused():
    with pytest.raises(RegistryError, match="no tf2 implementation"):
        _case(impls={"tf1": ["a"]})


def test_reference_must_be_an_implementation():
    with pytest.raises(RegistryError, match="reference"):
        _case(reference="tf2/zzz")


def test_spec_hash_follows_hyperparameters():
    assert _case(hyperparameters={"lr": 0.1}).spec_sha256() != _case(hyperparameters={"lr": 0.2}).spec_sha256()


def test_pairs_name_two_different_runs_of_the_case_and_need_the_weights_check():
    case = _case(impls={"tf1": ["a"], "tf2": ["b", "c"]}, pairs=[("tf2/b", "tf2/c")])
    assert case.pairs == [("tf2/b", "tf2/c")] and case.to_dict()["pairs"] == [["tf2/b", "tf2/c"]]
    with pytest.raises(RegistryError, match=r"has pair \('tf2/b', 'tf2/zzz'\)") as err:
        _case(impls={"tf1": ["a"], "tf2": ["b"]}, pairs=[("tf2/b", "tf2/zzz")])
    assert "expected: two different run keys of the case (tf1/a, tf2/b)" in str(err.value)
    with pytest.raises(RegistryError, match="has pair"):
        _case(pairs=[("tf2/b", "tf2/b")])
    with pytest.raises(RegistryError, match="no weights check to compare them with"):
        _case(impls={"tf1": ["a"], "tf2": ["b", "c"]}, pairs=[("tf2/b", "tf2/c")],
              checks=[Check("loss", 1e-6, "r")], model=None)

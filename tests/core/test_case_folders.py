"""Cases from a user's own folder (--cases-from / TFKIT_CASES): loaded like the kit's, or refused naming the fix."""

import os
import textwrap

import pytest

from shared.core import registry
from shared.core.errors import RegistryError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLP = os.path.join(REPO, "examples", "mlp")


@pytest.fixture
def scratch_registry(monkeypatch):
    """The registry as the kit alone fills it, restored afterwards (folders loaded here do not leak)."""
    registry.all_cases()
    monkeypatch.setattr(registry, "_REGISTRY", registry.OrderedDict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_FOLDERS", list(registry._FOLDERS))
    monkeypatch.setattr(registry, "_MODULES", dict(registry._MODULES))
    return registry


def _folder(tmp_path, source):
    folder = tmp_path / "mine"
    folder.mkdir()
    if source is not None:
        (folder / "cases.py").write_text(textwrap.dedent(source))
    return str(folder)


def test_the_example_folder_registers_its_case_with_its_folder(scratch_registry):
    cases = scratch_registry.load_folder(MLP)
    assert [c.name for c in cases] == ["mlp"] and cases[0].folder == MLP
    assert scratch_registry.get_case("mlp") is cases[0]
    assert scratch_registry.load_folder(MLP) == cases, "a folder loads once"
    assert {"weights", "predictions", "loss", "checkpoint", "savedmodel", "rollback"} == set(
        c.kind.value for c in cases[0].checks)


def test_a_folders_module_gives_what_it_declares_beside_cases(scratch_registry, tmp_path):
    folder = _folder(tmp_path, """
        from shared.core.case import Case, Check, DatasetSpec
        CASES = [Case("mine", "d", DatasetSpec("linear", "linear"), {"epochs": 1}, {"tf1": ["session"], "tf2": ["eager"]},
                      "tf1/session", [Check("weights", 1e-5, "why")])]
        CATALOGUE = ["an entry"]
    """)
    module = scratch_registry.folder_module(folder)
    assert module.CATALOGUE == ["an entry"] and scratch_registry.get_case("mine").folder == folder
    assert scratch_registry.folder_module(folder) is module, "loaded once, its cases registered once"


def test_the_pitfalls_catalogue_folder_loads_its_cases_and_entries(scratch_registry):
    """examples/pitfalls: every entry names one of its cases, each with a naive and a faithful port."""
    folder = os.path.join(REPO, "examples", "pitfalls")
    module = scratch_registry.folder_module(folder)
    names = [c.name for c in module.CASES]
    assert len(module.PITFALLS) == len(names) == 24 and [e["case"] for e in module.PITFALLS] == names
    assert sorted(set(e["pitfall"] for e in module.PITFALLS)) == list(range(1, 13))
    for case in module.CASES:
        assert set(case.impls["tf2"]) == {"naive", "faithful"} and case.folder == folder


def test_folders_from_the_environment(scratch_registry, monkeypatch):
    monkeypatch.setenv("TFKIT_CASES", os.pathsep.join([MLP, ""]))
    assert scratch_registry.folders_from_env() == [MLP]


def test_missing_folder_is_named(scratch_registry, tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        scratch_registry.load_folder(str(tmp_path / "nope"))


def test_folder_without_cases_py_lists_what_it_has(scratch_registry, tmp_path):
    folder = _folder(tmp_path, None)
    open(os.path.join(folder, "model.py"), "w").close()
    with pytest.raises(RegistryError) as err:
        scratch_registry.load_folder(folder)
    assert "has no cases.py" in str(err.value) and "model.py" in str(err.value) and "examples/mlp" in str(err.value)


def test_cases_py_that_raises_is_reported_with_its_file(scratch_registry, tmp_path):
    folder = _folder(tmp_path, "import no_such_module_anywhere\n")
    with pytest.raises(RegistryError) as err:
        scratch_registry.load_folder(folder)
    assert "cases.py failed to import" in str(err.value) and "no_such_module_anywhere" in str(err.value)
    assert os.path.join(folder, "cases.py") in str(err.value)


def test_cases_py_without_cases_says_what_to_declare(scratch_registry, tmp_path):
    folder = _folder(tmp_path, "CASE = 1\n")
    with pytest.raises(RegistryError, match="declares no CASES"):
        scratch_registry.load_folder(folder)


def test_a_user_case_named_like_a_kit_case_is_refused(scratch_registry, tmp_path):
    folder = _folder(tmp_path, """
        from shared.core.case import Case, Check, DatasetSpec
        CASES = [Case("linear", "d", DatasetSpec("mine", "csv", schema=[("x", "f")], source="x.csv"), {},
                      {"tf1": {"a": "m:run"}, "tf2": {"b": "m:run"}}, "tf1/a", [Check("weights", 1e-6, "r")])]
        """)
    with pytest.raises(RegistryError, match="registered twice") as err:
        scratch_registry.load_folder(folder)
    assert folder in str(err.value)


def test_an_implementation_that_does_not_import_is_named(scratch_registry, tmp_path):
    from shared.core import runner

    folder = _folder(tmp_path, """
        from shared.core.case import Case, Check, DatasetSpec
        CASES = [Case("mine", "d", DatasetSpec("mine", "csv", schema=[("x", "f")], source="x.csv"), {},
                      {"tf1": {"a": "not_there:run"}, "tf2": {"b": "tf2_mine:train"}}, "tf1/a",
                      [Check("weights", 1e-6, "r")])]
        """)
    with open(os.path.join(folder, "tf2_mine.py"), "w") as handle:
        handle.write("def run(job):\n    pass\n")
    case = scratch_registry.load_folder(folder)[0]
    with pytest.raises(RegistryError, match="names module 'not_there', which does not import"):
        runner.resolve(case, "tf1", "a")
    with pytest.raises(RegistryError, match="has no function 'train'") as err:
        runner.resolve(case, "tf2", "b")
    assert "run" in str(err.value)


DISTRIBUTED = os.path.join(REPO, "examples", "distributed")


def test_the_distributed_folder_declares_its_variants_and_loads_beside_the_mlp_example(scratch_registry):
    from shared.core import runner

    cases = dict((c.name, c) for c in scratch_registry.load_folder(DISTRIBUTED))
    assert sorted(cases) == ["canned_dnn_distributed", "mlp_distributed", "pairshift_distributed", "pairshift_naive_loop"]
    scratch_registry.load_folder(MLP)  # the network it borrows, loaded as well: no clash
    for case in cases.values():
        assert case.hyperparameters["replicas"] == 2 and case.hyperparameters["batch_size"] % 2 == 0
        for side, impls in case.impls.items():
            for impl in impls:
                assert callable(runner.resolve(case, side, impl))
    paired = cases["pairshift_distributed"].pairs
    assert ("tf2/loop_mirrored", "tf2/loop_multiworker") in paired and ("tf2/loop", "tf2/loop_mirrored") in paired
    naive = cases["pairshift_naive_loop"]
    assert naive.reference == "tf1/estimator_mirrored" and naive.impls["tf2"] == ("faithful", "naive")
    import importlib

    module, function = importlib.import_module("tf2_distributed").WORKER.split(":")
    assert callable(getattr(importlib.import_module(module), function)), "the multi-worker run's worker target"
    assert cases["mlp_distributed"].dataset.to_dict() == scratch_registry.get_case("mlp").dataset.to_dict()
    dnn, kit = cases["canned_dnn_distributed"], scratch_registry.get_case("canned_dnn")  # the kit's case, not a copy
    assert dnn.dataset.to_dict() == kit.dataset.to_dict() and dnn.init is kit.init and dnn.names == kit.names
    assert dnn.forward is kit.forward and dnn.hyperparameters == dict(kit.hyperparameters, replicas=2)
    assert ("tf2/loop", "tf2/loop_mirrored") in dnn.pairs and dnn.reference == "tf1/estimator_mirrored"

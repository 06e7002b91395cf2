"""Catalogue entries: read from a folder's PITFALLS, each checked against its case; a malformed one names the fix."""

import os
import textwrap

import pytest

from shared.core import registry
from shared.core.errors import RegistryError
from shared.pitfalls import entries

from tests.pitfalls.fakes import entry

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join(REPO, "examples", "pitfalls")


@pytest.fixture
def scratch_registry(monkeypatch):
    registry.all_cases()
    monkeypatch.setattr(registry, "_REGISTRY", registry.OrderedDict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_FOLDERS", list(registry._FOLDERS))
    monkeypatch.setattr(registry, "_MODULES", dict(registry._MODULES))
    return registry


def test_the_example_catalogue_has_all_twelve_pitfalls(scratch_registry):
    loaded = entries.load(FOLDER)
    assert len(loaded) == 24 and sorted(set(e.pitfall for e in loaded)) == list(range(1, 13))
    agree = [e.id for e in loaded if not e.naive_differs]
    assert agree == ["04b", "04c"], "declared not to differ measurably"
    assert [e.id for e in loaded if e.judged_on] == ["10a"]
    assert [(e.id, e.tf1_runs_differ) for e in loaded if e.tf1_runs_differ] == [("11a", ["shuffled", "shuffled_again"])]
    assert all(e.settings or e.stage for e in loaded)


@pytest.mark.parametrize("change, message", [
    ({"fix": ""}, "lacks fix"),
    ({"pitfall": "one"}, "lacks pitfall"),
    ({"stage": "second step"}, "names stage 'second step'"),
    ({"settings": ["ok", ""]}, "malformed settings"),
    ({"settings": [], "stage": None}, "declares no cause"),
    ({"tf1_runs_differ": ["a"]}, "tf1_runs_differ names ['a']"),
    ({"naive_differs": "no"}, "naive_differs='no'"),
    ({"colour": "red"}, "unknown field(s) colour"),
])
def test_a_malformed_entry_is_refused_with_what_to_do(change, message):
    with pytest.raises(RegistryError) as err:
        entry(**change)
    assert message in str(err.value) and "fix:" in str(err.value)


def test_an_entry_declared_not_to_differ_needs_no_cause():
    assert not entry(settings=[], stage=None, naive_differs=False).naive_differs


def _folder(tmp_path, pitfalls: str, impls: str = '{"tf1": ["session"], "tf2": ["naive", "faithful"]}'):
    folder = tmp_path / "catalogue"
    folder.mkdir()
    (folder / "cases.py").write_text(textwrap.dedent("""
        from shared.core.case import Case, Check, DatasetSpec
        CASES = [Case("pitfall_x1", "d", DatasetSpec("linear", "linear"), {"epochs": 1}, %s, "tf1/session",
                      [Check("weights", 1e-5, "why")])]
        PITFALLS = %s
    """) % (impls, pitfalls))
    return str(folder)


ENTRY = ('[{"id": "x1", "pitfall": 1, "case": "%s", "title": "t", "tf1_api": "a", "tf1_default": "d", "naive": "n", '
         '"fix": "f", "settings": ["loss.reduction"]}]')


def test_a_folder_without_a_catalogue_says_what_to_declare(scratch_registry, tmp_path):
    with pytest.raises(RegistryError, match="declares no PITFALLS"):
        entries.load(_folder(tmp_path, "[]"))


def test_an_entry_naming_an_unknown_case_lists_the_folders_cases(scratch_registry, tmp_path):
    with pytest.raises(RegistryError) as err:
        entries.load(_folder(tmp_path, ENTRY % "pitfall_nope"))
    assert "names case 'pitfall_nope'" in str(err.value) and "pitfall_x1" in str(err.value)


def test_a_case_without_a_faithful_port_is_refused(scratch_registry, tmp_path):
    with pytest.raises(RegistryError) as err:
        entries.load(_folder(tmp_path, ENTRY % "pitfall_x1", '{"tf1": ["session"], "tf2": ["naive"]}'))
    assert "has no faithful" in str(err.value)


def test_entries_declared_twice_are_refused():
    with pytest.raises(RegistryError, match="declared twice"):
        entries.check_cases([entry(), entry()], {}, "tests")

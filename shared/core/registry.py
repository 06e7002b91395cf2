"""One registry of cases, read by nox, every TensorFlow env, the comparison, the report and the tests.

The kit's own cases come from ``shared.core.cases``; a user's come from folders named by
``--cases-from DIR`` or ``TFKIT_CASES`` (several, separated by ``os.pathsep``), each holding a
``cases.py`` that declares ``CASES = [Case(...), ...]`` beside its implementation modules and data.
"""

import importlib
import importlib.util
import os
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from shared.core.case import Case
from shared.core.envs import PACKAGES, SIDES  # noqa: F401 - re-exported: the side table
from shared.core.errors import RegistryError

ENV_VAR = "TFKIT_CASES"
CASES_FILE = "cases.py"

_REGISTRY = OrderedDict()  # type: Dict[str, Case]
_FOLDERS = []  # type: List[str]
_MODULES = {}  # type: Dict[str, object]  # folder -> its imported cases.py
_LOADED = [False]


def register(case: Case) -> Case:
    """Add ``case`` to the registry; a second case of the same name is refused."""
    if case.name in _REGISTRY:
        other = _REGISTRY[case.name].folder or "the kit (shared/core/cases.py)"
        raise RegistryError(
            "case %r is registered twice" % case.name,
            expected="unique case names",
            found="%r from %s and from %s" % (case.name, other, case.folder or "the kit (shared/core/cases.py)"),
            fix="rename one of them",
        )
    _REGISTRY[case.name] = case
    return case


def _load() -> None:
    if not _LOADED[0]:
        _LOADED[0] = True
        from shared.core.cases import CASES

        for case in CASES:
            register(case)
        for folder in folders_from_env():
            load_folder(folder)


def folders_from_env() -> List[str]:
    """The case folders named by ``$TFKIT_CASES`` (``os.pathsep``-separated)."""
    raw = os.environ.get(ENV_VAR, "")
    return [p for p in raw.split(os.pathsep) if p.strip()]


def use_folders(folders: Optional[Sequence[str]]) -> None:
    """Load each ``--cases-from`` folder once (after the kit's own cases and ``$TFKIT_CASES``)."""
    _load()
    for folder in folders or ():
        load_folder(folder)


def load_folder(folder: str) -> List[Case]:
    """Import ``<folder>/cases.py`` and register its ``CASES``; a folder that does not fit says what is missing."""
    path = os.path.abspath(folder)
    if path in _FOLDERS:
        return [c for c in _REGISTRY.values() if c.folder == path]
    cases_py = os.path.join(path, CASES_FILE)
    if not os.path.isdir(path):
        raise RegistryError("case folder %s does not exist" % folder, expected="a folder holding %s" % CASES_FILE,
                            found="no such folder", fix="check the path given to --cases-from / %s" % ENV_VAR)
    if not os.path.isfile(cases_py):
        raise RegistryError(
            "case folder %s has no %s" % (folder, CASES_FILE),
            expected="%s declaring CASES = [Case(...), ...]" % cases_py,
            found="files: " + (", ".join(sorted(os.listdir(path))[:10]) or "none"),
            fix="write %s (see examples/mlp/cases.py)" % cases_py,
        )
    _FOLDERS.append(path)
    if path not in sys.path:
        sys.path.insert(0, path)  # the folder's implementation modules import by their own names
    module_name = "tfkit_cases_%d" % len(_FOLDERS)
    try:
        spec = importlib.util.spec_from_file_location(module_name, cases_py)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except RegistryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any error in a user's file is reported with its file
        raise RegistryError(
            "case folder %s: %s failed to import" % (folder, CASES_FILE),
            expected="a module that declares CASES = [Case(...), ...]",
            found="%s: %s" % (type(exc).__name__, exc),
            fix="fix %s (run it with python to see the traceback)" % cases_py,
        ) from None
    cases = getattr(module, "CASES", None)
    if not isinstance(cases, (list, tuple)) or not cases or not all(isinstance(c, Case) for c in cases):
        raise RegistryError(
            "case folder %s: %s declares no CASES" % (folder, CASES_FILE),
            expected="CASES = [Case(...), ...] (shared.core.case.Case objects)",
            found="CASES = %r" % (cases,) if cases is not None else "no name CASES",
            fix="add CASES = [Case(name=..., ...)] to %s" % cases_py,
        )
    for case in cases:
        case.folder = path
        register(case)
    _MODULES[path] = module
    return list(cases)


def folder_module(folder: str):
    """The imported ``cases.py`` of a case folder (loaded once, its cases registered), for what it declares beside
    ``CASES`` (e.g. a catalogue of the cases)."""
    path = os.path.abspath(folder)
    if path not in _MODULES:
        load_folder(folder)
    return _MODULES[path]


def case_names() -> List[str]:
    _load()
    return list(_REGISTRY)


def all_cases() -> List[Case]:
    _load()
    return list(_REGISTRY.values())


def get_case(name: str) -> Case:
    """The registered case ``name``; an unknown name lists the known ones and where cases come from."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RegistryError(
            "unknown case %r" % name,
            expected="one of: " + ", ".join(_REGISTRY),
            found=repr(name),
            fix="pick a registered case, register it in shared/core/cases.py, or load your folder with "
                "--cases-from DIR / %s=DIR" % ENV_VAR,
        ) from None


def select(names: Optional[Sequence[str]]) -> List[Case]:
    """The cases named (all when ``names`` is empty), in registry order."""
    if not names:
        return all_cases()
    wanted = [get_case(n).name for n in names]
    return [c for c in all_cases() if c.name in wanted]


def parse_run_key(key: str) -> Tuple[str, str]:
    side, _, impl = key.partition("/")
    return side, impl

"""The catalogue's entries: a case folder's ``PITFALLS`` declarations as typed records, checked against its cases."""

from typing import Any, List, Mapping, Optional, Sequence

from shared.core.errors import RegistryError
from shared.core.registry import folder_module

STAGES = ("variables", "forward pass", "first step", "epoch", "final weights")  # shared.compare.stages, in order
TEXT = ("id", "case", "title", "tf1_api", "tf1_default", "naive", "fix")
PORTS = ("naive", "faithful")


class Entry(object):
    """One pitfall: what TF1 does by default, the naive port, the fix, and the cause the naive port must show."""

    def __init__(self, id: str, pitfall: int, case: str, title: str, tf1_api: str, tf1_default: str, naive: str,
                 fix: str, settings: Sequence[str] = (), stage: Optional[str] = None, naive_differs: bool = True,
                 note: str = "", judged_on: str = "", tf1_runs_differ: Sequence[str] = ()) -> None:
        self.id, self.pitfall, self.case, self.title = id, int(pitfall), case, title
        self.tf1_api, self.tf1_default, self.naive, self.fix = tf1_api, tf1_default, naive, fix
        self.settings = list(settings)
        self.stage = stage
        self.naive_differs = bool(naive_differs)
        self.note, self.judged_on = note, judged_on
        self.tf1_runs_differ = list(tf1_runs_differ)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str) -> "Entry":
        """An entry from its declaration; a missing field, an unknown stage or a malformed list names the fix."""
        if not isinstance(raw, Mapping):
            raise RegistryError("%s: a catalogue entry is not a mapping" % where, expected="a dict per entry",
                                found=repr(raw)[:80], fix="declare each entry with pitfall(...) (examples/pitfalls)")
        label = "%s: entry %r" % (where, raw.get("id"))
        missing = [k for k in TEXT if not isinstance(raw.get(k), str) or not raw.get(k).strip()]
        if missing or not isinstance(raw.get("pitfall"), int):
            raise RegistryError("%s lacks %s" % (label, ", ".join(missing + ([] if isinstance(raw.get("pitfall"), int)
                                                                            else ["pitfall"]))),
                                expected="non-empty " + ", ".join(TEXT) + " and an integer pitfall number",
                                found=", ".join(sorted(raw)), fix="fill in every field of the entry")
        stage = raw.get("stage")
        if stage is not None and stage not in STAGES:
            raise RegistryError("%s names stage %r" % (label, stage), expected="one of " + ", ".join(STAGES),
                                found=repr(stage), fix="name the stage where the naive port first parts from TF1")
        settings = raw.get("settings") or []
        if not all(isinstance(s, str) and s for s in settings):
            raise RegistryError("%s has malformed settings" % label, expected="dotted setting names, e.g. 'loss.reduction'",
                                found=repr(settings), fix="list the effective settings that must differ")
        runs = raw.get("tf1_runs_differ") or []
        if runs and (len(runs) != 2 or runs[0] == runs[1]):
            raise RegistryError("%s: tf1_runs_differ names %r" % (label, runs), expected="two TF1 implementations",
                                found=repr(runs), fix="name the two TF1 runs that must differ from each other")
        differs = raw.get("naive_differs", True)
        if not isinstance(differs, bool):
            raise RegistryError("%s has naive_differs=%r" % (label, differs), expected="True or False",
                                found=repr(differs), fix="False only where the naive port is expected to agree")
        if differs and not settings and stage is None:
            raise RegistryError("%s declares no cause" % label, expected="the settings that differ and/or the stage "
                                "where the naive port first parts from TF1", found="neither",
                                fix="declare settings=[...] or stage=... (or naive_differs=False)")
        known = ("id", "pitfall", "case", "title", "tf1_api", "tf1_default", "naive", "fix", "settings", "stage",
                 "naive_differs", "note", "judged_on", "tf1_runs_differ")
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise RegistryError("%s has unknown field(s) %s" % (label, ", ".join(unknown)), expected=", ".join(known),
                                found=", ".join(unknown), fix="remove or rename them")
        return cls(raw["id"], raw["pitfall"], raw["case"], raw["title"], raw["tf1_api"], raw["tf1_default"],
                   raw["naive"], raw["fix"], settings, stage, differs, raw.get("note") or "",
                   raw.get("judged_on") or "", runs)

    def run_id(self, port: str) -> str:
        return "tf2/%s/%s" % (self.case, port)

    def to_dict(self) -> dict:
        return {"id": self.id, "pitfall": self.pitfall, "case": self.case, "title": self.title,
                "tf1_api": self.tf1_api, "tf1_default": self.tf1_default, "naive": self.naive, "fix": self.fix,
                "cause": {"settings": list(self.settings), "stage": self.stage}, "naive_differs": self.naive_differs,
                "note": self.note, "judged_on": self.judged_on, "tf1_runs_differ": list(self.tf1_runs_differ)}


def check_cases(entries: Sequence[Entry], cases: Mapping[str, Any], where: str) -> None:
    """Every entry names one of the folder's cases, which has a naive and a faithful TF2 port (and the TF1 runs
    it compares); no two entries share an id."""
    ids = [e.id for e in entries]
    doubled = sorted(set(i for i in ids if ids.count(i) > 1))
    if doubled:
        raise RegistryError("%s: entries %s are declared twice" % (where, ", ".join(doubled)), expected="unique ids",
                            found=", ".join(doubled), fix="rename one of them")
    for e in entries:
        case = cases.get(e.case)
        if case is None:
            raise RegistryError("%s: entry %r names case %r" % (where, e.id, e.case), expected="one of the folder's "
                                "cases: " + ", ".join(cases), found=repr(e.case), fix="point the entry at its case")
        lacking = [p for p in PORTS if p not in case.impls.get("tf2", ())]
        lacking += ["tf1/" + r for r in e.tf1_runs_differ if r not in case.impls.get("tf1", ())]
        if lacking:
            raise RegistryError("case %r of entry %r has no %s" % (e.case, e.id, ", ".join(lacking)),
                                expected="tf2 implementations 'naive' and 'faithful' (and the TF1 runs it names)",
                                found="tf1: %s; tf2: %s" % (", ".join(case.impls.get("tf1", ())),
                                                            ", ".join(case.impls.get("tf2", ()))),
                                fix="declare them in the case's impls")


def load(folder: str, name: str = "PITFALLS") -> List[Entry]:
    """The folder's catalogue: ``<folder>/cases.py`` declares ``PITFALLS = [...]`` beside ``CASES``."""
    module = folder_module(folder)
    raw = getattr(module, name, None)
    where = "%s/cases.py" % folder.rstrip("/")
    if not isinstance(raw, (list, tuple)) or not raw:
        raise RegistryError("%s declares no %s" % (where, name), expected="%s = [pitfall(...), ...] beside CASES" % name,
                            found="%s = %r" % (name, raw) if raw is not None else "no name %s" % name,
                            fix="declare the catalogue's entries (see examples/pitfalls/cases.py)")
    entries = [Entry.from_dict(r, where) for r in raw]
    check_cases(entries, dict((c.name, c) for c in module.CASES), where)
    return entries

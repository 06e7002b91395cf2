"""Data written once to ``<results>/data/`` with a SHA-256 manifest, verified before every use.

Beside each dataset the kit writes its probe set (rows both sides predict on, the same bytes as in
the data) and, per case that declares one, the shared initial weights; each has its checksum in
the manifest and is verified when a side loads it.
"""

import csv
import hashlib
import io
import json
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

from shared.core import SCHEMA_VERSION, atomic
from shared.core.case import Case, DatasetSpec
from shared.core.datasets import GENERATORS, to_csv_bytes
from shared.core.errors import ChecksumError, DataError
from shared.core.tables import csv_bytes, read_frame
from shared.core.weights import Weights, draw, to_json

MANIFEST = "manifest.json"
CSV = "csv"  # the generator name of a dataset read from a user's CSV file with a declared schema
PROBE_ROWS = 256  # rows of the probe set (all rows for smaller data)
PROBE_SEED = 7


def data_dir(results: str) -> str:
    return os.path.join(results, "data")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(results: str) -> Dict[str, Any]:
    """The manifest, or an empty one when there is none yet."""
    path = os.path.join(data_dir(results), MANIFEST)
    if not os.path.exists(path):
        return {"schema": SCHEMA_VERSION, "datasets": {}}
    try:
        with open(path) as handle:
            manifest = json.load(handle)
    except ValueError as exc:
        raise DataError(
            "data manifest %s is not valid JSON" % path,
            expected="the JSON written by 'python -m shared prepare'",
            found=str(exc),
            fix="delete %s and run again to regenerate the data" % data_dir(results),
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("datasets"), dict):
        raise DataError(
            "data manifest %s has no 'datasets' mapping" % path,
            expected='{"schema": 1, "datasets": {...}}',
            found=repr(manifest)[:200],
            fix="delete %s and run again to regenerate the data" % data_dir(results),
        )
    problems = _entry_problems(manifest)
    if problems:
        raise DataError(
            "data manifest %s has entries no run wrote" % path,
            expected='each entry a "file" inside %s and its 64-digit "sha256" (a probe set and inits likewise)'
                     % data_dir(results),
            found="; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""),
            fix="delete %s and run again to regenerate the data" % data_dir(results),
        )
    return manifest


def _entry_problems(manifest: Dict[str, Any]) -> List[str]:
    """What is wrong with the manifest's entries: each names a file inside the data folder and its SHA-256."""
    entries = []  # type: List[Any]
    for name, entry in manifest["datasets"].items():
        entries.append(("dataset %r" % name, entry, 0))
        if isinstance(entry, dict) and entry.get("probe") is not None:
            entries.append(("the probe set of %r" % name, entry["probe"], 0))
    inits = manifest.get("inits") or {}
    if not isinstance(inits, dict):
        return ["'inits' is a %s, not a mapping" % type(inits).__name__]
    entries.extend(("the init of %r" % name, entry, 1) for name, entry in inits.items())
    problems = []  # type: List[str]
    for what, entry, depth in entries:
        if not isinstance(entry, dict):
            problems.append("%s is a %s" % (what, type(entry).__name__))
            continue
        file, sha = entry.get("file"), entry.get("sha256")
        parts = file.replace("\\", "/").split("/") if isinstance(file, str) else []
        if not parts or len(parts) > depth + 1 or any(p in ("", ".", "..") for p in parts) or os.path.isabs(file):
            problems.append("%s names file %r" % (what, file))
        if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
            problems.append("%s has sha256 %r" % (what, sha))
        if "rows" in entry and not (isinstance(entry["rows"], int) and entry["rows"] >= 0):
            problems.append("%s has rows %r" % (what, entry["rows"]))
    return problems


def _entry_matches(entry: Dict[str, Any], spec: DatasetSpec) -> bool:
    return entry.get("spec") == spec.to_dict()


def generate(spec: DatasetSpec) -> bytes:
    """The CSV bytes of ``spec``: generated, or a user's file read as it is and validated against its schema."""
    if spec.generator == CSV:
        return _read_source(spec)
    try:
        generator = GENERATORS[spec.generator]
    except KeyError:
        raise DataError(
            "unknown data generator %r for dataset %r" % (spec.generator, spec.name),
            expected="one of " + ", ".join(sorted(GENERATORS)),
            found=repr(spec.generator),
            fix="fix the dataset spec in shared/core/cases.py",
        ) from None
    return to_csv_bytes(generator(spec.params))


def _read_source(spec: DatasetSpec) -> bytes:
    """A user dataset's CSV bytes, after checking them against the declared schema (line numbers in errors)."""
    path = spec.source
    if not path or not os.path.isfile(path):
        raise DataError(
            "dataset %r: CSV file %s does not exist" % (spec.name, path),
            expected="the CSV file the case declares (DatasetSpec(..., source=...))",
            found="no such file",
            fix="check the path in the case's cases.py (relative paths are from its folder)",
        )
    with open(path, "rb") as handle:
        payload = handle.read()
    read_frame(io.BytesIO(payload), spec.columns(), path)
    return payload


def _source_sha(spec: DatasetSpec) -> Optional[str]:
    return sha256_file(spec.source) if spec.generator == CSV and spec.source and os.path.isfile(spec.source) else None


def ensure(results: str, cases: Sequence[Case], log=print) -> Dict[str, Any]:
    """Make sure every dataset of ``cases`` exists and matches its spec, with its probe set and the cases' inits.

    What is missing is generated (or, for a user's CSV, copied in). A file whose spec matches but
    whose bytes do not is never regenerated: it is refused by ``verify`` so that a corrupted file is
    seen rather than silently replaced. A user's CSV that changed at its source is copied in again.
    """
    folder = data_dir(results)
    manifest = read_manifest(results)
    changed = False
    for case in cases:
        spec = case.dataset
        entry = manifest["datasets"].get(spec.name)
        path = os.path.join(folder, spec.name + ".csv")
        fresh = entry is not None and _entry_matches(entry, spec) and os.path.exists(path)
        if fresh and spec.generator == CSV and entry.get("source_sha256") != _source_sha(spec):
            fresh = False
        if not fresh and not (entry is not None and entry.get("source") == "user"):
            reason = "missing" if entry is None or not os.path.exists(path) else "spec or source changed"
            payload = generate(spec)
            atomic.write_bytes(path, payload)
            entry = {
                "file": spec.name + ".csv",
                "sha256": hashlib.sha256(payload).hexdigest(),
                "bytes": len(payload),
                "rows": _rows(payload, spec),
                "spec": spec.to_dict(),
                "source": "generated" if spec.generator != CSV else "case",
            }
            if spec.generator == CSV:
                entry["source_file"] = os.path.abspath(spec.source)
                entry["source_sha256"] = _source_sha(spec)
            manifest["datasets"][spec.name] = entry
            log("data: wrote %s (%s, %d bytes)" % (path, reason, len(payload)))
            changed = True
        if "probe" not in manifest["datasets"][spec.name]:
            manifest["datasets"][spec.name]["probe"] = write_probe(folder, spec.name, manifest["datasets"][spec.name])
            changed = True
        if case.init is not None:
            inits = manifest.setdefault("inits", {})
            current = inits.get(case.name)
            if current is None or current.get("spec") != case.init.to_dict() or not os.path.exists(
                    os.path.join(folder, current["file"])):
                inits[case.name] = _write_init(folder, case)
                log("data: wrote the shared initial weights of %s" % case.name)
                changed = True
    if changed:
        manifest["schema"] = SCHEMA_VERSION
        atomic.write_json(os.path.join(folder, MANIFEST), manifest)
    return manifest


def _rows(payload: bytes, spec: DatasetSpec) -> int:
    if spec.generator != CSV:
        return payload.count(b"\n") - 1
    return len(read_frame(io.BytesIO(payload), spec.columns(), spec.source))


def probe_rows(n_rows: int, size: int = PROBE_ROWS) -> np.ndarray:
    """The data rows of the probe set: ``size`` rows drawn once from a fixed seed, in file order."""
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(np.random.RandomState(PROBE_SEED).choice(n_rows, size, replace=False))


def write_probe(folder: str, name: str, entry: Dict[str, Any]) -> Dict[str, Any]:
    """Write ``<name>.probe.csv``: the header and the probe rows of the data file, their bytes as they are."""
    with open(os.path.join(folder, entry["file"]), "rb") as handle:
        payload = handle.read()
    frame_rows = int(entry["rows"])
    rows = probe_rows(frame_rows)
    lines = payload.splitlines(True)
    if b'"' in payload or b"\r" in payload or len(lines) != frame_rows + 1:
        # quoted fields, other line ends or blank lines: a row is not one line, so cut the probe from the records
        records = [r for r in csv.reader(io.StringIO(payload.decode("utf-8-sig"), newline="")) if r]
        probe = csv_bytes([records[0]] + [records[1 + int(r)] for r in rows])
    else:
        probe = lines[0] + b"".join(lines[1 + int(r)] for r in rows)
    file = name + ".probe.csv"
    atomic.write_bytes(os.path.join(folder, file), probe)
    return {"file": file, "sha256": hashlib.sha256(probe).hexdigest(), "rows": int(len(rows)),
            "data_rows": [int(r) for r in rows[:8]] + (["..."] if len(rows) > 8 else [])}


def _write_init(folder: str, case: Case) -> Dict[str, Any]:
    weights = draw(case.init)
    payload = json.dumps({"case": case.name, "spec": case.init.to_dict(), "weights": to_json(weights)},
                         sort_keys=True, indent=1).encode("utf-8") + b"\n"
    file = os.path.join("init", case.name + ".json")
    atomic.write_bytes(os.path.join(folder, file), payload)
    return {"file": file, "sha256": hashlib.sha256(payload).hexdigest(), "spec": case.init.to_dict()}


def _entry(results: str, name: str):
    """The manifest entry of dataset ``name`` and its file's path, both checked to exist."""
    manifest = read_manifest(results)
    entry = manifest["datasets"].get(name)
    folder = data_dir(results)
    if entry is None:
        raise DataError(
            "dataset %r is not in %s" % (name, os.path.join(folder, MANIFEST)),
            expected="an entry written by 'python -m shared prepare'",
            found="datasets: " + (", ".join(sorted(manifest["datasets"])) or "none"),
            fix="run 'nox -s tf1 tf2' (or 'python -m shared prepare --results %s') to generate it" % results,
        )
    path = os.path.join(folder, entry["file"])
    if not os.path.exists(path):
        raise DataError(
            "data file %s is missing" % path,
            expected="the file listed in the manifest (sha256 %s)" % entry["sha256"],
            found="no such file",
            fix="delete %s and run again to regenerate the data" % folder,
        )
    return entry, path


def _check_sha256(path: str, entry: Dict[str, Any], actual: str) -> None:
    if actual != entry["sha256"]:
        raise ChecksumError(
            "data file %s does not match its manifest; refusing to train on it" % path,
            expected="sha256 %s" % entry["sha256"],
            found="sha256 %s" % actual,
            fix="restore the file, or delete %s to regenerate the data" % os.path.dirname(path),
        )


def verify(results: str, name: str) -> Dict[str, Any]:
    """The manifest entry of dataset ``name`` after checking its file's SHA-256."""
    entry, path = _entry(results, name)
    _check_sha256(path, entry, sha256_file(path))
    return entry


class Dataset(object):
    """A verified dataset as loaded by one environment, with a hash of the arrays it feeds models."""

    def __init__(self, name: str, path: str, sha256: str, frame: pd.DataFrame, generator: str,
                 schema: Optional[Sequence] = None) -> None:
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.frame = frame
        self.generator = generator
        self.schema = list(schema) if schema is not None else None
        self.n_rows = len(frame)

    def columns(self) -> List:
        """``(column, kind)`` of the data's declared columns."""
        from shared.core.tables import schema_of

        return list(self.schema) if self.schema is not None else list(schema_of(self.generator))

    def floats(self, column: str) -> np.ndarray:
        return self.frame[column].to_numpy(dtype=np.float64).astype(np.float32)

    def strings(self, column: str) -> np.ndarray:
        return np.asarray(self.frame[column].astype(str).tolist(), dtype=object)

    def items(self) -> List[str]:
        """Sorted unique item names of a pair dataset."""
        names = set(self.frame["item1"].astype(str)) | set(self.frame["item2"].astype(str))
        return sorted(names)

    def arrays_sha256(self) -> str:
        """Hash of the float32 and string arrays as this environment parsed them."""
        digest = hashlib.sha256()
        for column, kind in self.columns():
            digest.update(column.encode("utf-8"))
            if kind == "f":
                digest.update(self.floats(column).astype("<f4").tobytes())
            else:
                digest.update("\x00".join(self.strings(column)).encode("utf-8"))
        return digest.hexdigest()


def load(results: str, case: Case) -> Dataset:
    """Read ``case``'s dataset once: check those bytes' SHA-256, then parse the same bytes."""
    entry, path = _entry(results, case.dataset.name)
    with open(path, "rb") as handle:
        payload = handle.read()
    _check_sha256(path, entry, hashlib.sha256(payload).hexdigest())
    generator = entry.get("spec", {}).get("generator", case.dataset.generator)
    schema = case.dataset.columns()
    frame = read_frame(io.BytesIO(payload), schema, path)
    if entry.get("rows") is not None and int(entry["rows"]) != len(frame):
        raise DataError(
            "data file %s has %d rows but its manifest says %d" % (path, len(frame), entry["rows"]),
            expected="%d rows" % entry["rows"],
            found="%d rows" % len(frame),
            fix="delete %s to regenerate the data" % data_dir(results),
        )
    return Dataset(case.dataset.name, path, entry["sha256"], frame, generator, schema)


def _read_listed(results: str, entry: Dict[str, Any], what: str):
    """A file the manifest lists beside the data (``entry["file"]``), read once and checked against its SHA-256."""
    path = os.path.join(data_dir(results), entry["file"])
    if not os.path.exists(path):
        raise DataError("%s %s is missing" % (what, path), expected="the file listed in the manifest",
                        found="no such file", fix="delete %s and run again to regenerate the data" % data_dir(results))
    with open(path, "rb") as handle:
        payload = handle.read()
    _check_sha256(path, entry, hashlib.sha256(payload).hexdigest())
    return path, payload


def load_probe(results: str, case: Case) -> Dataset:
    """The probe set of ``case``'s dataset, checked against its manifest checksum."""
    entry, _ = _entry(results, case.dataset.name)
    probe = entry.get("probe")
    if not probe:
        raise DataError(
            "dataset %r has no probe set in %s" % (case.dataset.name, os.path.join(data_dir(results), MANIFEST)),
            expected="a probe entry written by 'python -m shared prepare'",
            found="none",
            fix="run 'nox -s tf1 tf2' (it prepares the data) or 'python -m shared prepare --results %s'" % results,
        )
    path, payload = _read_listed(results, probe, "probe set")
    schema = case.dataset.columns()
    frame = read_frame(io.BytesIO(payload), schema, path)
    return Dataset(case.dataset.name + ".probe", path, probe["sha256"], frame, case.dataset.generator, schema)


def load_init(results: str, case: Case) -> Weights:
    """The shared initial weights of ``case`` as float32 arrays, checked against the manifest and the case's spec."""
    entry = (read_manifest(results).get("inits") or {}).get(case.name)
    if entry is None or entry.get("spec") != case.init.to_dict():
        raise DataError(
            "no shared initial weights of %s for its current init spec" % case.name,
            expected="an init entry in %s written by prepare" % os.path.join(data_dir(results), MANIFEST),
            found="none" if entry is None else "an entry for another init spec",
            fix="run 'nox -s tf1 tf2' (it prepares the data) or 'python -m shared prepare --results %s'" % results,
        )
    _, payload = _read_listed(results, entry, "initial weights")
    weights = json.loads(payload.decode("utf-8"))["weights"]
    return dict((name, np.asarray(value, dtype=np.float64).astype(np.float32)) for name, value in weights.items())


def init_sha(results: str, case: Case) -> Optional[str]:
    entry = (read_manifest(results).get("inits") or {}).get(case.name)
    return entry["sha256"] if entry else None


def probe_sha(results: str, name: str) -> Optional[str]:
    entry = read_manifest(results)["datasets"].get(name) or {}
    return (entry.get("probe") or {}).get("sha256")


def dataset_sha(results: str, name: str) -> Optional[str]:
    entry = read_manifest(results)["datasets"].get(name)
    return entry["sha256"] if entry else None

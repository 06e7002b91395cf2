"""Data written once to ``<results>/data/`` with a SHA-256 manifest, verified before every use."""

import hashlib
import io
import json
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

from shared.core import SCHEMA_VERSION, atomic
from shared.core.datasets import GENERATORS, SCHEMAS, to_csv_bytes
from shared.core.errors import ChecksumError, DataError
from shared.core.tables import read_frame
from shared.core.registry import Case, DatasetSpec

MANIFEST = "manifest.json"


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
    return manifest


def _entry_matches(entry: Dict[str, Any], spec: DatasetSpec) -> bool:
    return entry.get("spec") == spec.to_dict()


def generate(spec: DatasetSpec) -> bytes:
    """The CSV bytes of ``spec``."""
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


def ensure(results: str, cases: Sequence[Case], log=print) -> Dict[str, Any]:
    """Make sure every dataset of ``cases`` exists and matches its spec; generate what is missing.

    A file whose spec matches but whose bytes do not is never regenerated: it is refused by
    ``verify`` so that a corrupted file is seen rather than silently replaced.
    """
    folder = data_dir(results)
    manifest = read_manifest(results)
    changed = False
    for case in cases:
        spec = case.dataset
        entry = manifest["datasets"].get(spec.name)
        path = os.path.join(folder, spec.name + ".csv")
        if entry is not None and _entry_matches(entry, spec) and os.path.exists(path):
            continue
        if entry is not None and entry.get("source") == "user":
            continue
        reason = "missing" if entry is None or not os.path.exists(path) else "spec changed"
        payload = generate(spec)
        atomic.write_bytes(path, payload)
        manifest["datasets"][spec.name] = {
            "file": spec.name + ".csv",
            "sha256": hashlib.sha256(payload).hexdigest(),
            "bytes": len(payload),
            "rows": payload.count(b"\n") - 1,
            "spec": spec.to_dict(),
            "source": "generated",
        }
        log("data: wrote %s (%s, %d bytes)" % (path, reason, len(payload)))
        changed = True
    if changed:
        manifest["schema"] = SCHEMA_VERSION
        atomic.write_json(os.path.join(folder, MANIFEST), manifest)
    return manifest


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

    def __init__(self, name: str, path: str, sha256: str, frame: pd.DataFrame, generator: str) -> None:
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.frame = frame
        self.generator = generator
        self.n_rows = len(frame)

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
        for column, kind in SCHEMAS[self.generator]:
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
    frame = read_frame(io.BytesIO(payload), generator, path)
    if entry.get("rows") is not None and int(entry["rows"]) != len(frame):
        raise DataError(
            "data file %s has %d rows but its manifest says %d" % (path, len(frame), entry["rows"]),
            expected="%d rows" % entry["rows"],
            found="%d rows" % len(frame),
            fix="delete %s to regenerate the data" % data_dir(results),
        )
    return Dataset(case.dataset.name, path, entry["sha256"], frame, generator)


def dataset_sha(results: str, name: str) -> Optional[str]:
    entry = read_manifest(results)["datasets"].get(name)
    return entry["sha256"] if entry else None

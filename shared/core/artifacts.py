"""Trained artifacts on disk: where each side keeps them, their SHA-256 manifests, folders published whole.

``results/artifacts/<env>/<case>/<impl>/`` holds what one implementation kept: a TF1 Estimator its
final checkpoint, a parsing SavedModel, its probe predictions and ``manifest.json``; a TF2 model the
TF1 checkpoint restored into it (``checkpoint.json``) and its own weights as a TF1 checkpoint
(``rollback/``, ``rollback.json``). Per case, the TF2 side serves the TF1 export
(``savedmodel/<tf1 impl>.json``) and the TF1 side restores the TF2 weights
(``rollback/<tf2 env>/<tf2 impl>.json``). A folder is written beside its place and renamed into it
once complete, so a reader sees the old folder or the whole new one.
"""

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

import numpy as np

from shared.core import SCHEMA_VERSION, atomic
from shared.core.data import sha256_file  # noqa: F401 - the artifacts' checksums are the data's
from shared.core.errors import ArtifactError
from shared.core.results import run_id

ARTIFACTS = "artifacts"
MANIFEST = "manifest.json"  # a TF1 implementation's artifacts: files with their SHA-256, and what they are
PREDICTIONS = "predictions.json"  # the Estimator's own predictions on the probe set
CHECKPOINT = "checkpoint"  # the final name-based checkpoint (folder)
SAVEDMODEL = "savedmodel"  # the parsing export (folder); on the TF2 side, the case's served records
RESTORED = "checkpoint.json"  # TF2: the TF1 checkpoint restored into this model, and its predictions
ROLLBACK = "rollback"  # TF2: this model's weights as a TF1 checkpoint (folder); TF1: what TF 1.15 made of them
ROLLBACK_RECORD = "rollback.json"

# What a file is: tensor files are the same bytes in two identical runs; graph files carry random
# uuids (lookup-table shared names, the Saver's temp names), so their checksums only guard integrity.
TENSORS, GRAPH, RECORD, STATE, OTHER = "tensors", "graph", "record", "state", "other"


def case_dir(root: str, env: str, case: str) -> str:
    return os.path.join(root, ARTIFACTS, env, case)


def impl_dir(root: str, env: str, case: str, impl: str) -> str:
    return os.path.join(case_dir(root, env, case), impl)


def clear(root: str, env: str, case: str) -> None:
    """Remove one env's artifacts of ``case`` (a rerun starts clean: a crash leaves none, never stale ones)."""
    remove(case_dir(root, env, case))


def remove(folder: str) -> None:
    """Remove ``folder`` if it is there: renamed out of the way first, so it is gone at once."""
    if os.path.isdir(folder):
        trash = os.path.join(os.path.dirname(folder), ".%s.old-%d" % (os.path.basename(folder), os.getpid()))
        os.rename(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)


def role(relpath: str) -> str:
    """What the file at ``relpath`` is: tensors, graph, record, state or other."""
    base = os.path.basename(relpath)
    if base.endswith(".index") or ".data-" in base:
        return TENSORS
    if base in ("saved_model.pb", "saved_model.pbtxt") or base.endswith((".meta", ".pbtxt")):
        return GRAPH
    if base.endswith(".json"):
        return RECORD
    if base == "checkpoint":
        return STATE
    return OTHER


def keeps(job) -> bool:
    """Whether a run keeps artifacts: its case checks them and it runs in a results folder (not the benchmark)."""
    return job.artifacts is not None and job.results is not None and job.case.keeps_artifacts


def read_checkpoint(prefix: str, open_reader: Callable[[str], Any]) -> Dict[str, Any]:
    """Every tensor of a name-based checkpoint, read now with ``open_reader(prefix)`` (TF 1.15's
    ``NewCheckpointReader``, TF 2.x's ``load_checkpoint``): both read only the index when opened, and a short
    .data file fails only for the tensors past the cut, so every key is read before anything uses one."""
    try:
        reader = open_reader(prefix)
    except Exception as exc:  # noqa: BLE001 - TF's NotFoundError / DataLossError, named below
        raise ArtifactError("checkpoint %s cannot be opened" % prefix, expected="its .index and .data files",
                            found="%s: %s" % (type(exc).__name__, str(exc).splitlines()[0]),
                            fix="run the side that wrote it again") from None
    keys = sorted(reader.get_variable_to_shape_map())
    values, bad = {}, []
    for key in keys:
        try:
            values[key] = np.asarray(reader.get_tensor(key))
        except Exception as exc:  # noqa: BLE001 - OutOfRangeError (1.15) / IndexError (2.x) for keys past a cut
            bad.append("%s (%s: %s)" % (key, type(exc).__name__, str(exc).splitlines()[0][:120]))
    if bad:
        raise ArtifactError("checkpoint %s is damaged" % prefix, expected="all %d tensors readable" % len(keys),
                            found="%d unreadable: %s" % (len(bad), "; ".join(bad)),
                            fix="run the side that wrote it again (its .index lists tensors its .data does not hold)")
    return values


def manifest(folder: str, skip: tuple = (MANIFEST,)) -> Dict[str, Dict[str, Any]]:
    """``{relative path: {sha256, bytes, role}}`` of every file under ``folder`` ('/' separators, sorted)."""
    out = {}  # type: Dict[str, Dict[str, Any]]
    for here, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(here, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if rel in skip:
                continue
            out[rel] = {"sha256": sha256_file(full), "bytes": os.path.getsize(full), "role": role(rel)}
    return out


def verify(folder: str, files: Mapping[str, Mapping[str, Any]], what: str, only: Optional[str] = None) -> None:
    """Check the files under ``folder`` against their manifest entries (all, or those under ``only/``), size first."""
    bad = []  # type: List[str]
    for rel, want in sorted(files.items()):
        if only is not None and not rel.startswith(only.rstrip("/") + "/"):
            continue
        full = os.path.join(folder, rel)
        if not os.path.isfile(full):
            bad.append("%s: missing" % rel)
            continue
        size = os.path.getsize(full)
        if size != want["bytes"]:
            bad.append("%s: %d bytes, the manifest says %d (truncated or replaced)" % (rel, size, want["bytes"]))
            continue
        got = sha256_file(full)
        if got != want["sha256"]:
            bad.append("%s: sha256 %s, the manifest says %s" % (rel, got[:16], str(want["sha256"])[:16]))
    if bad:
        raise ArtifactError(
            "%s: files under %s do not match their manifest" % (what, folder),
            expected="each file as written, with the size and SHA-256 in %s" % MANIFEST,
            found="; ".join(bad),
            fix="run the side that wrote them again (nox -s tf1 tf2); never edit kept artifacts by hand",
        )


def content_sha256(files: Mapping[str, Mapping[str, Any]], extra: Any = None) -> str:
    """One hash of the reproducible files (tensors, records) and ``extra``: the same for two identical runs.

    Graph files are left out: their bytes differ between identical runs (random uuids). A record made
    from these artifacts names this hash, so a rerun that kept the same tensors does not make it stale.
    """
    digest = hashlib.sha256()
    for rel in sorted(files):
        if files[rel].get("role") in (TENSORS, RECORD):
            digest.update(("%s %s\n" % (rel, files[rel]["sha256"])).encode("utf-8"))
    digest.update(json.dumps(extra, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


@contextlib.contextmanager
def staged(folder: str) -> Iterator[str]:
    """A fresh folder beside ``folder`` to write into; on success it replaces ``folder`` whole, on error it is removed."""
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".%s." % os.path.basename(folder), suffix=".tmp", dir=parent)
    os.chmod(tmp, 0o777 & ~atomic._umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    remove(folder)
    os.rename(tmp, folder)


def write_record(path: str, record: Mapping[str, Any]) -> None:
    """Write a small JSON record atomically, with the schema version."""
    atomic.write_json(path, dict(record, schema=SCHEMA_VERSION))


def read_record(path: str) -> Optional[Dict[str, Any]]:
    """A record written by :func:`write_record`, or None when there is none; a damaged one is an error."""
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as handle:
            record = json.load(handle)
    except ValueError as exc:
        raise ArtifactError("artifact record %s is not valid JSON" % path, expected="a complete JSON record",
                            found=str(exc), fix="run the side that wrote it again (nox -s tf1 tf2)") from None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA_VERSION:
        raise ArtifactError("artifact record %s has another schema" % path, expected="schema %d" % SCHEMA_VERSION,
                            found=repr(record.get("schema") if isinstance(record, dict) else type(record).__name__),
                            fix="run the side that wrote it again with this version of the kit")
    return record


def error_of(exc: BaseException) -> Dict[str, str]:
    """An exception as a record's ``error``: its type and message (TF's long op traces cut off)."""
    message = str(exc).strip()
    for cut in ("\n\nOriginal stack trace", "\n\t [[", "\n\nErrors may have originated", "\nOriginal stack trace"):
        message = message.split(cut)[0]
    return {"type": type(exc).__name__, "message": message[:4000]}


DAMAGED = "damaged"  # the status tf1_sources gives a manifest it cannot read


def tf1_sources(root: str, env: str, case) -> Dict[str, Dict[str, Any]]:
    """``{TF1 impl: manifest}`` of the TF1 implementations of ``case`` that kept artifacts in ``env``; a manifest
    that cannot be read is ``{"status": "damaged", "error": ...}``, for each step to record (not to raise)."""
    out = {}  # type: Dict[str, Dict[str, Any]]
    for impl in case.impls.get("tf1", ()):
        folder = impl_dir(root, env, case.name, impl)
        try:
            record = read_record(os.path.join(folder, MANIFEST))
        except ArtifactError as exc:
            record = {"status": DAMAGED, "error": error_of(exc), "run_id": run_id(env, case.name, impl)}
        if record is not None:
            record["folder"] = folder
            out[impl] = record
    return out


def unusable(source: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """What a step records for a TF1 source it cannot use: its error when the manifest is damaged, skipped when
    the TF1 run kept no artifacts; None for a usable source."""
    if source.get("status") == "ok":
        return None
    if source.get("status") == DAMAGED:
        return {"status": "error", "error": source["error"]}
    return {"status": "skipped", "why": "tf1 kept no artifacts"}

"""Bring your own pairs file: validated, copied into the data folder and listed in the manifest."""

import hashlib
import io
import os
from typing import Any, Dict, Optional

import numpy as np

from shared.core import SCHEMA_VERSION, atomic
from shared.core.data import MANIFEST, data_dir, read_manifest, write_probe
from shared.core.errors import DataError
from shared.core.case import Case
from shared.core.tables import read_table


def read_items(path: str) -> set:
    """The item names of an item list, one per line, read exactly as the CSV reads them.

    Only the line end is removed: a name with leading or trailing spaces keeps them, as pandas keeps
    them in the pairs file, so the two agree on what a name is. Empty lines are skipped.
    """
    with open(path, newline="") as handle:
        names = [line.rstrip("\r\n") for line in handle]
    return set(n for n in names if n != "")


def import_user(results: str, case: Case, csv_path: str, items_path: Optional[str] = None,
                allow_duplicates: bool = False, log=print) -> Dict[str, Any]:
    """Bring your own pairs file: validate it, copy it into the data folder and list it in the manifest.

    ``items_path`` (one item name per line) is the vocabulary the rows must stay within; exact
    duplicate rows are refused unless ``allow_duplicates``. Later runs verify its checksum like
    generated data and never regenerate over it.
    """
    if not os.path.exists(csv_path):
        raise DataError("pairs file %s does not exist" % csv_path, expected="a CSV file",
                        found="no such file", fix="check the path")
    with open(csv_path, "rb") as handle:
        payload = handle.read()
    table = read_table(io.BytesIO(payload), case.dataset.columns(), csv_path)
    frame = table.frame
    strings = [c for c, k in case.dataset.columns() if k == "s"]
    if items_path is not None:
        vocabulary = read_items(items_path)
        used = set()  # type: set
        for column in strings:
            used.update(frame[column].astype(str))
        unseen = sorted(used - vocabulary)
        if unseen:
            raise DataError(
                "pairs file %s names %d item(s) not in %s" % (csv_path, len(unseen), items_path),
                expected="every item1/item2 in the item list",
                found="unseen: " + ", ".join(repr(n) for n in unseen[:10]) + (" ..." if len(unseen) > 10 else ""),
                fix="add them to the item list or drop those rows",
            )
    duplicated = frame.duplicated(keep="first")
    if duplicated.any() and not allow_duplicates:
        lines = [table.lines[int(i)] for i in np.flatnonzero(duplicated.to_numpy())]
        raise DataError(
            "pairs file %s has %d exact duplicate row(s)" % (csv_path, len(lines)),
            expected="each measurement once",
            found="duplicates at line(s) " + ", ".join(str(l) for l in lines[:10]) + (" ..." if len(lines) > 10 else ""),
            fix="deduplicate the file, or pass --allow-duplicates if repeated measurements are real",
        )
    folder = data_dir(results)
    name = case.dataset.name
    atomic.write_bytes(os.path.join(folder, name + ".csv"), payload)
    manifest = read_manifest(results)
    manifest["datasets"][name] = {
        "file": name + ".csv",
        "sha256": hashlib.sha256(payload).hexdigest(),
        "bytes": len(payload),
        "rows": int(len(frame)),
        "spec": dict(case.dataset.to_dict(), source_file=os.path.abspath(csv_path)),
        "source": "user",
    }
    manifest["datasets"][name]["probe"] = write_probe(folder, name, manifest["datasets"][name])
    manifest["schema"] = SCHEMA_VERSION
    atomic.write_json(os.path.join(folder, MANIFEST), manifest)
    log("data: imported %s as dataset %r (%d rows, sha256 %s)" % (csv_path, name, len(frame), manifest["datasets"][name]["sha256"][:12]))
    return manifest["datasets"][name]

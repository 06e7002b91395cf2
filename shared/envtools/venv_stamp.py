"""Whether a venv is still what the last sync from its lock made it, so a warm run can skip the sync.

After ``uv pip sync`` the noxfile stamps the venv with the lock file's SHA-256 and the modification
times of its ``site-packages`` folders. Installing or removing any distribution adds or removes a
``*.dist-info`` entry there and so changes that time; a different lock changes the hash; a recreated
venv has no stamp. In each case the next run syncs (and compiles bytecode) again. Stdlib only.
"""

import glob
import json
import os
from typing import Dict, Optional

from shared.core.atomic import write_json
from shared.core.fingerprint import lock_sha256

STAMP = "tfkit-synced.json"
VERSION = 1  # bump when the sync command changes what it installs or compiles


def _site_packages(venv: str) -> Dict[str, int]:
    """Every ``site-packages`` folder of ``venv`` with its modification time (ns)."""
    found = glob.glob(os.path.join(venv, "lib", "python*", "site-packages")) + glob.glob(
        os.path.join(venv, "Lib", "site-packages"))
    return dict((os.path.relpath(p, venv), os.stat(p).st_mtime_ns) for p in sorted(found))


def state(lock: str, venv: str) -> Dict[str, object]:
    """What the stamp records: format version, lock name and hash, site-packages times."""
    return {"version": VERSION, "lock": os.path.basename(lock), "lock_sha256": lock_sha256(lock),
            "site_packages": _site_packages(venv)}


def read(venv: str) -> Optional[Dict[str, object]]:
    """The venv's stamp, or None when it has none or it cannot be read."""
    try:
        with open(os.path.join(venv, STAMP)) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def is_synced(lock: str, venv: str) -> bool:
    """True when ``venv`` was synced from this very ``lock`` and no distribution came or went since."""
    stamp = read(venv)
    return stamp is not None and bool(stamp.get("site_packages")) and stamp == state(lock, venv)


def mark(lock: str, venv: str) -> None:
    """Stamp ``venv`` as synced from ``lock`` (written atomically)."""
    write_json(os.path.join(venv, STAMP), state(lock, venv))

"""What an environment is: interpreter, library versions and lock-file hash (TF parts added by each side)."""

import hashlib
import os
import platform
from typing import Any, Dict, Optional

from shared.core._compat import PY_VERSION


def lock_sha256(lock_path: Optional[str]) -> Optional[str]:
    if not lock_path or not os.path.exists(lock_path):
        return None
    with open(lock_path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def base(lock_path: Optional[str] = None) -> Dict[str, Any]:
    """Python, numpy, pandas, platform and the lock file this env was installed from."""
    import numpy
    import pandas

    return {
        "python": PY_VERSION,
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "lock_file": os.path.basename(lock_path) if lock_path else None,
        "lock_sha256": lock_sha256(lock_path),
        "container": os.environ.get("TFKIT_CONTAINER_IMAGE"),
    }

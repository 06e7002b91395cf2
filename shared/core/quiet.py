"""Hold back TensorFlow's start-up log (absl/C++ lines written straight to file descriptor 2).

TF 2.x writes notices such as "Could not find cuda drivers" and "failed call to cuInit" through
absl before ``TF_CPP_MIN_LOG_LEVEL`` takes effect, which hides the kit's own lines. While a side
imports TensorFlow and checks its devices, descriptor 2 goes to a temporary file; what was held
back is shown when that step fails, and always with ``--tf-log``.
"""

import contextlib
import os
import sys
import tempfile
from typing import Iterator, List


@contextlib.contextmanager
def held_back(show: bool = False) -> Iterator[List[str]]:
    """Redirect descriptor 2 into a temp file for the block; the list it yields receives the text afterwards.

    With ``show`` nothing is redirected. On an exception the held-back text is written to stderr first.
    """
    captured = []  # type: List[str]
    if show:
        yield captured
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        failed = False
        try:
            yield captured
        except BaseException:
            failed = True
            raise
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))
            if failed and captured[0].strip():
                sys.stderr.write(captured[0])
                sys.stderr.flush()


def quiet_setup(setup, device: str, threads: int, tf_log: bool, *more):
    """A side's ``setup(device, threads, *more)`` (TensorFlow's import and device check) with its start-up log held
    back, unless ``tf_log`` asks for the full log."""
    if tf_log:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    with held_back(show=tf_log):
        return setup(device, threads, *more)

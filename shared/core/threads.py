"""How many threads TensorFlow may use: ``--threads`` / ``TFKIT_THREADS`` (stdlib only)."""

import argparse
import os

DEFAULT_THREADS = 1  # the kit's models are small: one thread is fastest, and results do not depend on the core count


def threads_arg(text: str) -> int:
    """``--threads`` / ``TFKIT_THREADS``: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 0 (0 = one thread per core), found %r" % text)
    return value


def default_threads() -> int:
    """``$TFKIT_THREADS`` when set, else :data:`DEFAULT_THREADS`."""
    raw = os.environ.get("TFKIT_THREADS")
    if not raw:
        return DEFAULT_THREADS
    try:
        return threads_arg(raw)
    except argparse.ArgumentTypeError as exc:
        raise SystemExit("error: TFKIT_THREADS: %s" % exc)

"""How many threads TensorFlow may use: ``--threads`` / ``TFKIT_THREADS`` (stdlib only)."""

from shared.core.counts import from_environment, whole_number

DEFAULT_THREADS = 1  # the kit's models are small: one thread is fastest, and results do not depend on the core count


def threads_arg(text: str) -> int:
    """``--threads`` / ``TFKIT_THREADS``: a whole number >= 0."""
    return whole_number(text, 0, "a whole number >= 0 (0 = one thread per core)")


def default_threads() -> int:
    """``$TFKIT_THREADS`` when set, else :data:`DEFAULT_THREADS`."""
    return from_environment("TFKIT_THREADS", threads_arg, DEFAULT_THREADS)

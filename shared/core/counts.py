"""Whole-number command-line options and the environment variables behind them (stdlib only)."""

import argparse
import os
from typing import Callable


def whole_number(text: str, minimum: int, expected: str) -> int:
    """``text`` as an int >= ``minimum``; else an ``argparse`` error saying ``expected`` and what was found."""
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError("expected %s, found %r" % (expected, text))
    return value


def from_environment(name: str, parse: Callable[[str], int], default: int) -> int:
    """``$name`` parsed by ``parse`` when it is set, else ``default``; a bad value stops the program naming it."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return parse(raw)
    except argparse.ArgumentTypeError as exc:
        raise SystemExit("error: %s: %s" % (name, exc))

"""``--threads`` / ``TFKIT_THREADS``: whole numbers >= 0, with an error that says what was found."""

import argparse

import pytest

from shared.core.threads import DEFAULT_THREADS, default_threads, threads_arg


@pytest.mark.parametrize("text,value", [("0", 0), ("1", 1), ("16", 16)])
def test_whole_numbers_are_taken(text, value):
    assert threads_arg(text) == value


@pytest.mark.parametrize("text", ["-1", "two", "1.5", ""])
def test_anything_else_is_refused_with_what_was_found(text):
    with pytest.raises(argparse.ArgumentTypeError) as err:
        threads_arg(text)
    assert "expected a whole number >= 0" in str(err.value) and repr(text) in str(err.value)


def test_environment_sets_the_default(monkeypatch):
    monkeypatch.delenv("TFKIT_THREADS", raising=False)
    assert default_threads() == DEFAULT_THREADS
    monkeypatch.setenv("TFKIT_THREADS", "4")
    assert default_threads() == 4
    monkeypatch.setenv("TFKIT_THREADS", "many")
    with pytest.raises(SystemExit) as err:
        default_threads()
    assert "TFKIT_THREADS" in str(err.value) and "'many'" in str(err.value)

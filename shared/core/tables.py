"""Reading a dataset CSV and checking it: header, fields per line, item names, finite numbers, with line numbers.

The kit parses every dataset CSV itself (Python's ``csv`` module, then one ``float`` per number),
so both sides read the same bytes into the same values whatever their pandas, and every refusal
names the line the record starts on: a quoted name may span lines, blank lines are skipped.

What is read: UTF-8 (a leading byte-order mark is dropped), ``\\n``, ``\\r\\n`` or ``\\r`` line ends,
fields quoted with ``"`` where they hold commas, quotes or line breaks. A header of unique,
non-blank names holding every declared column; then records with as many fields as the header.
Kind ``s``: any text but an empty or whitespace-only one, kept exactly (spaces included). Kind
``f``: a decimal number (``-1.5``, ``2e-3``, ``.5``; spaces around it allowed) that float32, the
sides' training type, can hold; ``nan``, ``inf`` and every other spelling pandas would read are refused.
"""

import csv
import io
import math
import re
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from shared.core.datasets import SCHEMAS
from shared.core.errors import DataError

Schema = Sequence[Tuple[str, str]]
NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*\Z")
FLOAT32_MAX = float(np.finfo(np.float32).max)
_DECIMAL_CHARS = dict.fromkeys(map(ord, "0123456789+-.eE \t"))  # str.translate table that deletes them


def schema_of(schema: Union[str, Schema]) -> Schema:
    """A generator's schema by name, or a declared ``[(column, kind), ...]`` as it is."""
    return SCHEMAS[schema] if isinstance(schema, str) else list(schema)


class Table(object):
    """A parsed dataset: its frame (declared columns typed, others as text) and the line each row starts on."""

    def __init__(self, frame: pd.DataFrame, text: str, path: str) -> None:
        self.frame = frame
        self._text = text
        self._path = path
        self._lines = None  # type: Optional[List[int]]

    @property
    def lines(self) -> List[int]:
        """The line each data row starts on (counted when first asked for: only refusals need it)."""
        if self._lines is None:
            self._lines = _lines(self._text, self._path)
        return self._lines


class _Lines(object):
    """Each data row's start line, found from the text only when a refusal needs one."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.found = None  # type: Optional[List[int]]

    def __getitem__(self, row: int) -> int:
        if self.found is None:
            self.found = _lines(self.text, self.path)
        return self.found[row]


def _lines(text: str, path: str) -> List[int]:
    records = _records(text, path)
    next(records)
    return [line for line, _ in records]


def read_frame(source, schema: Union[str, Schema], path: Optional[str] = None) -> pd.DataFrame:
    """Parse and validate a dataset CSV (from a path or a byte stream) into a frame; see :func:`read_table`."""
    return read_table(source, schema, path).frame


def _bytes(source) -> bytes:
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as handle:
        return handle.read()


def _refuse(path: str, what: str, line: Optional[int], expected: str, found: str, fix: str) -> DataError:
    where = " at line %d" % line if line is not None else ""
    return DataError("data file %s %s%s" % (path, what, where), expected=expected, found=found, fix=fix)


def _text(payload: bytes, path: str) -> str:
    """The file as text: UTF-8 without its byte-order mark; NUL bytes and invalid UTF-8 refused with the line."""
    nul = payload.find(b"\x00")
    if nul >= 0:
        raise _refuse(path, "has a NUL byte", payload.count(b"\n", 0, nul) + 1, "a text file",
                      "byte 0x00 at offset %d" % nul, "export the file again as plain UTF-8 CSV")
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(path, "is not UTF-8", payload.count(b"\n", 0, exc.start) + 1, "UTF-8 text",
                      "byte 0x%02x at offset %d (%s)" % (payload[exc.start], exc.start, exc.reason),
                      "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None


def _records(text: str, path: str):
    """``(line, fields)`` of each non-blank record, ``line`` being where it starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    done = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _refuse(path, "could not be parsed as CSV", done + 1, "comma-separated fields, quoted with \" "
                          "where they hold commas, quotes or line breaks", str(exc),
                          "check that line for a stray or unclosed quote") from None
        start, done = done + 1, reader.line_num
        if fields:
            yield start, fields


def _header(records: List[List[str]], text: str, path: str, wanted: Sequence[str]) -> List[str]:
    """The header record, checked: unique non-blank names holding every wanted column."""
    if not records:
        raise DataError(
            "data file %s is empty" % path,
            expected="a header line %s and at least one row" % ",".join(wanted),
            found="no header line",
            fix="delete the data folder to regenerate it, or supply a complete file",
        )
    header = records[0]
    seen = {}  # type: dict
    problem = None
    for i, name in enumerate(header):
        if not name.strip():
            problem = ("has an empty column name in its header", "a name for every column",
                       "column %d of %r" % (i + 1, header), "name the column or remove it from every line")
            break
        if name in seen:
            problem = ("names column %r twice in its header" % name, "unique column names",
                       "columns %d and %d" % (seen[name] + 1, i + 1), "rename or drop one of them")
            break
        seen[name] = i
    missing = [c for c in wanted if c not in seen]
    if problem is None and missing:
        problem = ("lacks column(s) %s" % ", ".join(missing), "columns " + ", ".join(wanted),
                   "columns " + ", ".join(repr(c) for c in header), "rename or add the columns in the header line")
    if problem is not None:
        line = next(_records(text, path))[0]
        raise _refuse(path, problem[0], line, *problem[1:])
    return header


def read_table(source, schema: Union[str, Schema], path: Optional[str] = None) -> Table:
    """Parse and validate a dataset CSV from a path or a byte stream; ``path`` names the file in messages.

    ``schema`` is a generator's name or a declared ``[(column, kind), ...]``. Every refusal is a
    DataError naming the line the offending record starts on.
    """
    schema = schema_of(schema)
    path = path or str(source)
    text = _text(_bytes(source), path)
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error:
        for _ in _records(text, path):  # the same parse, counting lines: it raises naming the line
            pass
        raise
    header = _header(records, text, path, [c for c, _ in schema])
    lines = _Lines(text, path)
    widths = set(map(len, records[1:]))
    if widths - {len(header)}:
        row = next(i for i, r in enumerate(records[1:]) if len(r) != len(header))
        fields = records[1 + row]
        raise _refuse(path, "has %d field(s) where its header has %d" % (len(fields), len(header)), lines[row],
                      "%d comma-separated fields: %s" % (len(header), ",".join(header)),
                      "%r" % (fields[:8],), "fix the line: quote a field that holds a comma, or fill the missing ones")
    if len(records) < 2:
        raise DataError(
            "data file %s has a header but no rows" % path,
            expected="at least one row",
            found="0 rows",
            fix="supply data rows, or delete the data folder to regenerate it",
        )
    kinds = dict(schema)
    out = {}
    for name, values in zip(header, zip(*records[1:])):
        kind = kinds.get(name)
        if kind == "f":
            out[name] = _numbers(values, name, lines, path)
        else:
            if kind == "s":
                _names(values, name, lines, path)
            out[name] = np.array(values, dtype=object)
    return Table(pd.DataFrame(out, columns=header), text, path)


def _names(values: Sequence[str], column: str, lines: _Lines, path: str) -> None:
    if all(v.strip() for v in set(values)):  # names repeat: each distinct one is looked at once
        return
    for i, value in enumerate(values):
        if not value.strip():
            raise _refuse(path, "has an %s item name in column %r" % ("empty" if not value else "whitespace-only", column),
                          lines[i], "a name with at least one visible character in every row", repr(value),
                          "fill in or drop that row")


def _numbers(values: Sequence[str], column: str, lines: _Lines, path: str) -> np.ndarray:
    """The column as float64: each text parsed by ``float`` (correctly rounded) after checking it is a decimal."""
    out = None
    if not "".join(values).translate(_DECIMAL_CHARS):  # only digits, signs, points, exponents, spaces: float() decides
        try:
            out = np.array(values, dtype=object).astype(np.float64)
        except ValueError:
            out = None
    if out is not None and np.all(np.abs(out) <= FLOAT32_MAX):
        return out
    for i, text in enumerate(values):
        number = float(text) if NUMBER.match(text) else None
        if number is None or not math.isfinite(number) or abs(number) > FLOAT32_MAX:
            bad = sum(1 for t in values[i + 1:] if not NUMBER.match(t))
            raise _refuse(path, "has a non-numeric or non-finite value in column %r" % column, lines[i],
                          "a finite decimal number in every row of %r that float32 holds (|x| <= %.4g)" % (
                              column, FLOAT32_MAX),
                          repr(text) + (" (and %d more non-numeric after it)" % bad if bad else ""),
                          "fix or drop the offending rows")
    raise AssertionError("a column that float() refused has no refused cell")  # pragma: no cover


def csv_bytes(records: Sequence[Sequence[str]]) -> bytes:
    """Records as UTF-8 CSV with ``\\n`` line ends, quoting every field that holds a comma, a quote, ``\\r`` or ``\\n``.

    (Python's writer quotes a line-break character only when the line terminator holds it: each record
    is written with ``\\r\\n`` and its end replaced.)
    """
    out = []
    for record in records:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerow(record)
        out.append(buffer.getvalue()[:-2] + "\n")
    return "".join(out).encode("utf-8")

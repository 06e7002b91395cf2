"""Hostile input, property-based: every CSV import reads exactly what was written, or refuses it naming the line.

The two imports are the pairs import (``python -m shared prepare --pairs-csv``: shared.core.userdata)
and a user's schema dataset (``DatasetSpec(..., "csv", schema=..., source=...)``: shared.core.data);
both parse with shared.core.tables. Tables are written the ways exports write them (BOM or none,
LF or CRLF, minimal or full quoting, blank lines, names with commas, quotes and line breaks,
numbers in many formats); then one cell may be spoiled (an empty or whitespace-only name, a NaN
or infinity in any spelling pandas reads, a number float32 cannot hold, a field too few or too
many, a duplicated header) and the refusal must name the line that record starts on, counted
independently of the parser. How many inputs each property tried goes to
results/reliability/hypothesis-<python>.json.
"""

import csv
import io
import json
import os
import re
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from shared.core import data, userdata
from shared.core.case import Case, Check, DatasetSpec
from shared.core.errors import DataError
from shared.core.registry import get_case
from shared.core.tables import FLOAT32_MAX, read_table

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIED = {}  # property -> inputs tried
TIMES = {}  # what the size test measured
PROPERTY = settings(max_examples=int(os.environ.get("TFKIT_HYPOTHESIS_EXAMPLES") or 300), deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.function_scoped_fixture])
FILES = settings(PROPERTY, max_examples=max(PROPERTY.max_examples // 3, 20))


def _tried(name):
    TRIED[name] = TRIED.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def record_inputs_tried():
    yield
    folder = os.path.join(REPO, "results", "reliability")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hypothesis-py%d%d.json" % sys.version_info[:2]), "w") as handle:
        json.dump({"python": "%d.%d" % sys.version_info[:2], "max_examples": PROPERTY.max_examples,
                   "inputs_tried": TRIED, "total": sum(TRIED.values()), "seconds": TIMES}, handle, indent=1,
                  sort_keys=True)


# --- what a table holds -------------------------------------------------------------------------------

SPECIAL = [",", '"', "\n", "\r\n", "\r", " ", "\t", "'", ";", "\ufeff", "é", "漢", "\u2028", "\x85", "#"]
name_char = st.one_of(st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",),
                                                             blacklist_characters="\x00"))
names = st.lists(name_char, min_size=1, max_size=10).map("".join).filter(lambda s: s.strip() != "")
floats = st.floats(allow_nan=False, allow_infinity=False, min_value=-FLOAT32_MAX, max_value=FLOAT32_MAX)
FORMATS = ["%r", "%.6f", "%.17g", "%e", "%E", "%+.3f", " %r", "%r ", "%.0f", "%.20e"]


@st.composite
def number_texts(draw):
    """A float and one decimal way of writing it; the value read back must be ``float`` of that text."""
    value = draw(floats)
    text = draw(st.sampled_from(FORMATS)) % value
    if "inf" in text or "nan" in text or abs(float(text)) > FLOAT32_MAX:  # %.0f / %e may round past float32's max
        text = repr(value)
    return text


@st.composite
def schemas(draw):
    """Unique, non-blank column names with kinds: at least one name column and one number column."""
    n = draw(st.integers(2, 5))
    cols = draw(st.lists(names.filter(lambda s: not s.startswith("\ufeff")), min_size=n, max_size=n, unique=True))
    kinds = ["s", "f"] + draw(st.lists(st.sampled_from("sf"), min_size=n - 2, max_size=n - 2))
    return list(zip(cols, draw(st.permutations(kinds))))


@st.composite
def tables(draw, schema=None):
    """``(schema, rows)``: rows of texts, names for ``s`` columns and decimal numbers for ``f`` ones."""
    schema = schema or draw(schemas())
    rows = draw(st.lists(st.tuples(*[names if k == "s" else number_texts() for _, k in schema]), min_size=1,
                         max_size=25))
    return schema, [list(r) for r in rows]


@st.composite
def dialects(draw):
    return {"bom": draw(st.booleans()), "end": draw(st.sampled_from(["\n", "\r\n"])),
            "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
            "blank": draw(st.lists(st.integers(0, 30), max_size=3)), "last_end": draw(st.booleans())}


BREAK = re.compile(r"\r\n|\r|\n")


def render(header, rows, dialect):
    """CSV bytes of ``header`` + ``rows`` in ``dialect``, and the line each data row starts on, counted here."""
    out, starts, text = [], [], ""
    for i, record in enumerate([header] + rows):
        if i in dialect["blank"]:
            text += dialect["end"]
        if i:
            starts.append(len(BREAK.findall(text)) + 1)
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n", quoting=dialect["quoting"]).writerow(record)  # quotes \r and \n
        text += buffer.getvalue()[:-2] + dialect["end"]
    if not dialect["last_end"]:
        text = text[:-len(dialect["end"])]
    return ("\ufeff" if dialect["bom"] else "").encode("utf-8") + text.encode("utf-8"), starts


def bits(values):
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


def assert_same(frame, schema, rows):
    """``frame`` holds exactly the texts written (names) and ``float`` of them (numbers), bit for bit."""
    assert len(frame) == len(rows)
    for j, (column, kind) in enumerate(schema):
        written = [r[j] for r in rows]
        if kind == "s":
            assert frame[column].tolist() == written
        else:
            assert bits(frame[column]) == bits([float(t) for t in written])


def refused_at(error, line):
    assert isinstance(error, DataError)
    assert "at line %d\n" % line in str(error) + "\n", "expected line %d in: %s" % (line, error)
    assert "expected:" in str(error) and "fix:" in str(error)


# --- the parser both imports use ----------------------------------------------------------------------

@PROPERTY
@given(tables(), dialects())
def test_a_table_written_any_way_reads_back_exactly(table, dialect):
    _tried("round trip")
    schema, rows = table
    payload, _ = render([c for c, _ in schema], rows, dialect)
    assert_same(read_table(io.BytesIO(payload), schema, "t.csv").frame, schema, rows)


NOT_NUMBERS = sorted(set(["", " ", "nan", "NaN", "NAN", "-nan", "+nan", "inf", "-inf", "+inf", "Inf", "INF",
                          "infinity", "Infinity", "-Infinity", "+Infinity", "INFINITY", "1e999", "-1e999", "1e39",
                          "-3.5e38", "0x1p3", "1_000", "\u0661\u0662", "1,5", "--1", "1e", ".", "e5", "1.2.3",
                          "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN", "<NA>", "N/A",
                          "NA", "NULL", "None", "n/a", "null", "True"]))


def _pandas_na():
    try:
        from pandas._libs.parsers import STR_NA_VALUES
    except ImportError:
        return []
    return sorted(STR_NA_VALUES)


spoilt_numbers = st.one_of(st.sampled_from(sorted(set(NOT_NUMBERS + _pandas_na()))),
                           st.from_regex(r"\A[ ]?[+-]?(?i:nan|inf|infinity)[ ]?\Z"),
                           st.floats(min_value=FLOAT32_MAX * 1.0001, max_value=1.7e308).map(repr))


@st.composite
def spoilt(draw):
    """A valid table with one record spoiled, the reason, and which data row (None: the header line)."""
    schema, rows = draw(tables())
    header = [c for c, _ in schema]
    how = draw(st.sampled_from(["name", "number", "short", "long", "duplicate header", "blank header"]))
    row = draw(st.integers(0, len(rows) - 1))
    kinds = [k for _, k in schema]
    if how == "name":
        rows[row][kinds.index("s")] = draw(st.sampled_from(["", " ", "\t", "  \t ", "\r\n", "\n"]))
    elif how == "number":
        rows[row][kinds.index("f")] = draw(spoilt_numbers)
    elif how == "short":
        rows[row] = rows[row][:-1]
    elif how == "long":
        rows[row] = rows[row] + [draw(names)]
    elif how == "duplicate header":
        header = header + [header[draw(st.integers(0, len(header) - 1))]]
        rows = [r + ["1"] for r in rows]
        row = None
    else:
        header = header + [draw(st.sampled_from(["", " ", "\t"]))]
        rows = [r + ["1"] for r in rows]
        row = None
    return schema, header, rows, how, row


@PROPERTY
@given(spoilt(), dialects())
def test_a_spoilt_record_is_refused_naming_its_line(case, dialect):
    _tried("spoilt record")
    schema, header, rows, how, row = case
    dialect = dict(dialect, blank=[b for b in dialect["blank"] if b != 0])  # the header stays the first line
    payload, starts = render(header, rows, dialect)
    with pytest.raises(DataError) as err:
        read_table(io.BytesIO(payload), schema, "t.csv")
    refused_at(err.value, 1 if row is None else starts[row])
    reason = {"name": "item name", "number": "non-numeric or non-finite", "short": "field(s) where its header",
              "long": "field(s) where its header", "duplicate header": "twice in its header",
              "blank header": "empty column name"}[how]
    assert reason in str(err.value)


@PROPERTY
@given(st.one_of(st.binary(max_size=200),
                 st.binary(max_size=120).map(lambda b: b"item1,item2,dif\n" + b),
                 st.binary(max_size=120).map(lambda b: b"\xef\xbb\xbfitem1,item2,dif\r\na,b,1.0\r\n" + b)))
def test_random_bytes_read_or_are_refused_with_a_line_within_the_file(payload):
    _tried("random bytes")
    lines = len(BREAK.findall(payload.decode("utf-8", "replace"))) + 1
    try:
        table = read_table(io.BytesIO(payload), "pairshift", "r.csv")
    except DataError as exc:
        found = re.search(r" at line (\d+)$", str(exc).splitlines()[0])
        assert found or "is empty" in str(exc) or "no rows" in str(exc), str(exc)
        assert found is None or 1 <= int(found.group(1)) <= lines, (str(exc), lines)
        return
    assert 1 <= len(table.frame) <= lines and table.lines == sorted(table.lines)
    assert all(name.strip() for name in table.frame["item1"]) and np.all(np.isfinite(table.frame["dif"]))


# --- the two imports, end to end ------------------------------------------------------------------------

PAIRS = [("item1", "s"), ("item2", "s"), ("dif", "f")]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("imports")


@FILES
@given(tables(PAIRS), dialects(), st.booleans())
def test_the_pairs_import_keeps_exactly_what_was_written_or_names_the_duplicate_lines(folder, table, dialect, dup):
    _tried("pairs import")
    _, rows = table
    if dup:
        rows = rows + [list(rows[0])]
    payload, starts = render([c for c, _ in PAIRS], rows, dialect)
    results, path = str(folder / "results"), str(folder / "pairs.csv")
    with open(path, "wb") as handle:
        handle.write(payload)
    case = get_case("pairshift")
    keys = [(r[0], r[1], float(r[2]) + 0.0) for r in rows]  # as the import compares rows: by value, -0 == 0
    repeated = [starts[i] for i, key in enumerate(keys) if key in keys[:i]]
    if repeated:
        before = data.read_manifest(results)
        with pytest.raises(DataError) as err:
            userdata.import_user(results, case, path, log=lambda *_: None)
        assert "duplicates at line(s) " + ", ".join(str(l) for l in repeated[:10]) in str(err.value)
        assert data.read_manifest(results) == before
        return
    entry = userdata.import_user(results, case, path, log=lambda *_: None)
    assert entry["rows"] == len(rows)
    assert_same(data.load(results, case).frame, PAIRS, rows)


@FILES
@given(tables(), dialects())
def test_a_users_schema_dataset_is_copied_in_exactly(folder, table, dialect):
    _tried("schema import")
    schema, rows = table
    extra = "extra column" if "extra column" not in [c for c, _ in schema] else "another"
    payload, _ = render([c for c, _ in schema] + [extra], [r + ["x"] for r in rows], dialect)
    source = str(folder / "mine.csv")
    with open(source, "wb") as handle:
        handle.write(payload)
    case = Case("mine", "d", DatasetSpec("mine", "csv", schema=schema, source=source), {"epochs": 1},
                {"tf1": {"a": "m:run"}, "tf2": {"b": "m:run"}}, "tf1/a", [Check("weights", 1e-6, "r")])
    results = str(folder / "schema-results")
    data.ensure(results, [case], log=lambda *_: None)
    loaded = data.load(results, case)
    assert_same(loaded.frame, schema, rows) and loaded.frame[extra].tolist() == ["x"] * len(rows)
    probe = data.load_probe(results, case).frame
    assert_same(probe, schema, [rows[int(i)] for i in data.probe_rows(len(rows))])


# --- size ----------------------------------------------------------------------------------------------

def test_a_million_rows_import_within_a_bounded_time(tmp_path):
    n = 1000000
    rs = np.random.RandomState(0)
    first, second = rs.randint(0, 10000, n), rs.randint(0, 10000, n)
    dif = rs.normal(size=n)
    body = "\n".join("it%d,it%d,%.6f" % row for row in zip(first.tolist(), second.tolist(), dif.tolist()))
    payload = ("item1,item2,dif\n" + body + "\n").encode("ascii")
    started = time.perf_counter()
    table = read_table(io.BytesIO(payload), "pairshift", "big.csv")
    took = time.perf_counter() - started
    assert len(table.frame) == n and table.lines[-1] == n + 1
    assert table.frame["item1"].iloc[-1] == "it%d" % first[-1]
    assert bits(table.frame["dif"]) == bits([float("%.6f" % v) for v in dif.tolist()])
    spoilt = payload.replace(b"\nit%d,it%d," % (first[n // 2], second[n // 2]),
                             b"\nit%d,it%d,NaN,\n" % (first[n // 2], second[n // 2]), 1)
    with pytest.raises(DataError) as err:
        read_table(io.BytesIO(spoilt), "pairshift", "big.csv")
    assert "at line" in str(err.value)
    TIMES["read 1e6 pair rows"] = round(took, 2)
    assert took < 60, "a million rows took %.1f s to read" % took

"""Reading a dataset CSV and checking it: columns, rows, item names and finite numbers."""

from typing import Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from shared.core.datasets import SCHEMAS
from shared.core.errors import DataError

Schema = Sequence[Tuple[str, str]]


def schema_of(schema: Union[str, Schema]) -> Schema:
    """A generator's schema by name, or a declared ``[(column, kind), ...]`` as it is."""
    return SCHEMAS[schema] if isinstance(schema, str) else list(schema)


def read_frame(source, schema: Union[str, Schema], path: Optional[str] = None) -> pd.DataFrame:
    """Parse and validate a dataset CSV (columns, non-empty, finite numbers) from a path or a byte stream.

    ``schema`` is a generator's name or a declared ``[(column, kind), ...]``; ``path`` names the file
    in messages when ``source`` is a stream of its bytes.
    """
    schema = schema_of(schema)
    strings = {c: str for c, k in schema if k == "s"}
    path = path or source
    try:
        frame = pd.read_csv(source, dtype=strings, float_precision="round_trip", keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise DataError(
            "data file %s is empty" % path,
            expected="a header line %s and at least one row" % ",".join(c for c, _ in schema),
            found="0 bytes",
            fix="delete the data folder to regenerate it, or supply a complete file",
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            "data file %s could not be parsed as CSV" % path,
            expected="comma-separated columns %s" % ",".join(c for c, _ in schema),
            found=str(exc).strip().splitlines()[-1],
            fix="check the file for truncated or garbled lines",
        ) from None
    validate_frame(frame, path, schema)
    return frame


def validate_frame(frame: pd.DataFrame, path: str, schema: Union[str, Schema]) -> None:
    schema = schema_of(schema)
    wanted = [c for c, _ in schema]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            "data file %s lacks column(s) %s" % (path, ", ".join(missing)),
            expected="columns " + ", ".join(wanted),
            found="columns " + ", ".join(map(str, frame.columns)),
            fix="rename or add the columns in the header line",
        )
    if len(frame) == 0:
        raise DataError(
            "data file %s has a header but no rows" % path,
            expected="at least one row",
            found="0 rows",
            fix="supply data rows, or delete the data folder to regenerate it",
        )
    for column, kind in schema:
        series = frame[column]
        if kind == "s":
            bad = series.isna() | (series.astype(str).str.len() == 0)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(
                    "data file %s has an empty item name in column %r at row %d" % (path, column, row + 2),
                    expected="a non-empty item name in every row",
                    found="an empty cell",
                    fix="fill in or drop that row",
                )
            continue
        numbers = pd.to_numeric(series, errors="coerce")
        bad = ~np.isfinite(numbers.to_numpy(dtype=np.float64))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                "data file %s has a non-numeric or non-finite value in column %r at line %d" % (path, column, row + 2),
                expected="a finite number in every row of %r" % column,
                found=repr(series.iloc[row]) + (" (and %d more)" % (int(bad.sum()) - 1) if bad.sum() > 1 else ""),
                fix="fix or drop the offending rows",
            )
        frame[column] = numbers.astype(np.float64)

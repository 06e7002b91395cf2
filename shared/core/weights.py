"""Weights as named tensors (``name -> ndarray`` of any shape): JSON form, element names, name maps, shared init.

A scalar weight keeps its bare name (``W``, ``item017``); an element of a larger tensor is named
``name[i, j]`` in messages. Each side maps its own variable names to the case's canonical names
through one declared table, and :class:`NameMap` refuses a variable it does not know and a
canonical weight nothing provides, so a wrong or partial map fails loudly instead of comparing less.
"""

import math
import re
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from shared.core.errors import RegistryError

Weights = Dict[str, np.ndarray]
SLICE = re.compile(r"^(.*)\[(\d+):(\d+)\]$")  # a name map key for rows a:b of a variable


def as_arrays(weights: Mapping[str, Any]) -> Weights:
    """Every weight as a float64 array (scalars as 0-d arrays)."""
    return dict((str(k), np.asarray(v, dtype=np.float64)) for k, v in weights.items())


def to_json(weights: Mapping[str, Any]) -> Dict[str, Any]:
    """JSON form: a scalar as a float, a tensor as nested lists (float64 values of the float32 weights)."""
    out = {}  # type: Dict[str, Any]
    for name, value in weights.items():
        arr = np.asarray(value, dtype=np.float64)
        out[str(name)] = float(arr) if arr.ndim == 0 else arr.tolist()
    return out


def element_name(name: str, index: Tuple[int, ...]) -> str:
    return name if not index else "%s[%s]" % (name, ", ".join(str(i) for i in index))


def elements(weights: Mapping[str, Any]) -> Iterator[Tuple[str, float]]:
    """``(element name, value)`` of every element of every weight, in name then C order."""
    for name in sorted(weights):
        arr = np.asarray(weights[name], dtype=np.float64)
        if arr.ndim == 0:
            yield name, float(arr)
            continue
        for index in np.ndindex(*arr.shape):
            yield element_name(name, index), float(arr[index])


def shapes(weights: Mapping[str, Any]) -> Dict[str, List[int]]:
    return dict((name, list(np.shape(value))) for name, value in weights.items())


def all_finite(weights: Mapping[str, Any]) -> List[str]:
    """Names of weights holding NaN or infinity."""
    return sorted(n for n, v in weights.items() if not np.all(np.isfinite(np.asarray(v, dtype=np.float64))))


def max_abs_change(start: Mapping[str, Any], end: Mapping[str, Any]) -> float:
    """Largest element-wise change between two weight sets over their common names."""
    changes = [float(np.max(np.abs(np.asarray(end[n], np.float64) - np.asarray(start[n], np.float64))))
               for n in start if n in end and np.size(start[n])]
    return max(changes) if changes else 0.0


def tiles(spans: Sequence[Tuple[int, int]], rows: Optional[int] = None) -> bool:
    """Whether the row slices ``[(a, b), ...]``, in order, follow each other from row 0 (each row once) and, given
    ``rows``, end at it: the rule of a weight split by rows, in a name map and in a restore table alike."""
    ends = [0] + [b for _, b in spans]
    return all(a == end for (a, _), end in zip(spans, ends)) and (rows is None or bool(spans) and spans[-1][1] == rows)


class NameMap(object):
    """One implementation's table ``{its variable name: canonical name}``, with coverage checked both ways.

    A key ``name[a:b]`` maps rows ``a`` to ``b - 1`` (first axis) of a variable to one canonical weight,
    for a port that concatenates several of the reference's variables into one kernel; the slices of a
    variable must cover all of its rows, each once.
    """

    def __init__(self, run_key: str, table: Mapping[str, str], canonical: Optional[Mapping[str, Any]] = None) -> None:
        self.run_key = run_key
        self.table = dict(table)
        self.canonical = dict(canonical) if canonical is not None else None
        doubled = sorted(c for c in set(self.table.values()) if list(self.table.values()).count(c) > 1)
        if doubled:
            raise RegistryError(
                "%s: the name map sends several variables to %s" % (run_key, ", ".join(repr(c) for c in doubled)),
                expected="each canonical weight from exactly one variable",
                found=", ".join("%r -> %r" % kv for kv in sorted(self.table.items()) if kv[1] in doubled),
                fix="fix the case's names table",
            )
        if self.canonical is not None:
            missing = sorted(set(self.canonical) - set(self.table.values()))
            if missing:
                raise RegistryError(
                    "%s: the name map covers no variable for canonical weight(s) %s" % (
                        run_key, ", ".join(repr(n) for n in missing)),
                    expected="every canonical weight (%s) mapped from one variable" % ", ".join(sorted(self.canonical)),
                    found="mapped: " + ", ".join(sorted(set(self.table.values()))),
                    fix="add the variable that holds each of them to the case's names table",
                )

    @staticmethod
    def key(name: str) -> str:
        """A variable name without the ``:0`` output suffix that TF1 and tf_keras add."""
        return name[:-2] if name.endswith(":0") else name

    @staticmethod
    def rows(entry: str) -> Tuple[str, Optional[Tuple[int, int]]]:
        """``("kernel", (0, 16))`` for a table key ``kernel[0:16]``; ``(name, None)`` for a whole variable."""
        match = SLICE.match(entry)
        if match is None:
            return entry, None
        return match.group(1), (int(match.group(2)), int(match.group(3)))

    def _by_variable(self) -> Dict[str, List[Tuple[Optional[Tuple[int, int]], str]]]:
        """Per variable, its ``(rows or None, canonical name)`` entries, slices in row order."""
        out = {}  # type: Dict[str, List[Tuple[Optional[Tuple[int, int]], str]]]
        for entry, canonical in self.table.items():
            base, rows = self.rows(entry)
            out.setdefault(base, []).append((rows, canonical))
        for base, parts in out.items():
            if len(parts) > 1 and any(rows is None for rows, _ in parts):
                raise RegistryError(
                    "%s: the name map maps variable %r both whole and by rows" % (self.run_key, base),
                    expected="either '%s' or row slices '%s[a:b]'" % (base, base),
                    found=", ".join(sorted(e for e in self.table if self.rows(e)[0] == base)),
                    fix="fix the case's names table",
                )
            parts.sort(key=lambda p: p[0] or (0, 0))
            if parts[0][0] is not None and not tiles([rows for rows, _ in parts]):
                raise RegistryError(
                    "%s: the row slices of %r do not follow each other from row 0" % (self.run_key, base),
                    expected="slices [0:a], [a:b], [b:c], ... each row once",
                    found=", ".join("[%d:%d] -> %r" % (r[0], r[1], c) for r, c in parts),
                    fix="fix the case's names table",
                )
        return out

    def to_canonical(self, live: Mapping[str, Any]) -> Weights:
        """The model's variables (``name -> value``) by canonical name; unmapped or missing variables are errors."""
        found = dict((self.key(k), v) for k, v in live.items())
        by_variable = self._by_variable()
        unmapped = sorted(set(found) - set(by_variable))
        unused = sorted(set(by_variable) - set(found))
        if unmapped or unused:
            raise RegistryError(
                "%s: the model's variables and the name map do not match" % self.run_key,
                expected="every model variable in the map, every mapped variable in the model",
                found="unmapped variable(s): %s; mapped but not in the model: %s" % (
                    ", ".join(repr(n) for n in unmapped) or "none", ", ".join(repr(n) for n in unused) or "none"),
                fix="map each variable to a canonical name in the case's names table (model variables are: %s)" % (
                    ", ".join(repr(n) for n in sorted(found))),
            )
        out = {}  # type: Weights
        for name, value in found.items():
            value = np.asarray(value)
            parts = by_variable[name]
            if parts[0][0] is None:
                out[parts[0][1]] = value
                continue
            covered = parts[-1][0][1]
            if not value.ndim or covered != value.shape[0]:
                raise RegistryError(
                    "%s: the row slices of %r cover %d row(s) of its %s" % (
                        self.run_key, name, covered, "%d" % value.shape[0] if value.ndim else "none (a scalar)"),
                    expected="slices covering every row of %r, shape %s" % (name, list(value.shape)),
                    found=", ".join("[%d:%d] -> %r" % (r[0], r[1], c) for r, c in parts),
                    fix="map every row of the variable to a canonical weight in the case's names table",
                )
            for (a, b), canonical in parts:
                out[canonical] = value[a:b]
        self._check_shapes(out)
        return out

    def from_canonical(self, weights: Mapping[str, Any]) -> Dict[str, np.ndarray]:
        """Canonical weights (e.g. the shared init) by this implementation's variable names."""
        missing = sorted(set(self.table.values()) - set(weights))
        if missing:
            raise RegistryError(
                "%s: no value for canonical weight(s) %s" % (self.run_key, ", ".join(repr(n) for n in missing)),
                expected="a value for every canonical weight the name map uses",
                found="values for: " + ", ".join(sorted(weights)),
                fix="declare them in the case's init",
            )
        out = {}  # type: Dict[str, np.ndarray]
        for name, parts in self._by_variable().items():
            values = [np.asarray(weights[canonical]) for _, canonical in parts]
            out[name] = values[0] if parts[0][0] is None else np.concatenate(values, axis=0)
        return out

    def _check_shapes(self, out: Mapping[str, Any]) -> None:
        if self.canonical is None:
            return
        wrong = [(n, list(np.shape(v)), list(np.shape(self.canonical[n]))) for n, v in sorted(out.items())
                 if n in self.canonical and tuple(np.shape(v)) != tuple(np.shape(self.canonical[n]))]
        if wrong:
            raise RegistryError(
                "%s: weight shapes differ from the case's" % self.run_key,
                expected=", ".join("%s %s" % (n, c) for n, _, c in wrong),
                found=", ".join("%s %s" % (n, s) for n, s, _ in wrong),
                fix="check the layer sizes against the case's init shapes",
            )


def draw(spec) -> Weights:
    """The shared initial weights of an :class:`~shared.core.case.InitSpec`, drawn once with numpy, as float32.

    One ``RandomState(seed)`` stream, weights drawn in sorted name order; glorot-uniform takes its
    fans from the first two dimensions of the shape (the layout of a dense kernel).
    """
    rs = np.random.RandomState(spec.seed)
    out = {}  # type: Weights
    for name, init in spec.weights.items():
        shape = init.shape
        if init.kind == "zeros":
            value = np.zeros(shape)
        elif init.kind == "ones":
            value = np.ones(shape)
        elif init.kind == "constant":
            value = np.full(shape, init.params.get("value", 0.0))
        elif init.kind == "glorot_uniform":
            fan_in = shape[0] if len(shape) > 1 else 1
            fan_out = shape[1] if len(shape) > 1 else (shape[0] if shape else 1)
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            value = rs.uniform(-limit, limit, size=shape)
        elif init.kind == "uniform":
            limit = init.params.get("limit", 0.05)
            value = rs.uniform(-limit, limit, size=shape)
        elif init.kind == "truncated_normal":
            stddev = init.params.get("stddev", 1.0)
            value = rs.normal(scale=stddev, size=shape)
            outside = np.abs(value) > 2.0 * stddev
            while outside.any():
                value[outside] = rs.normal(scale=stddev, size=int(outside.sum()))
                outside = np.abs(value) > 2.0 * stddev
        else:
            value = rs.normal(scale=init.params.get("stddev", 1.0), size=shape)
        out[name] = np.asarray(value, dtype=np.float64).astype(np.float32)
    return out

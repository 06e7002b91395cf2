"""Restore tables between a TF1 name-based checkpoint and a TF2 model, with coverage, and serving-call checks.

A :class:`Table` says, for each checkpoint key, which model weight it restores (by the names the TF2
implementation gives its weights) and, where a kernel's rows are named (one row per item, a Keras 3
out-of-vocabulary slot where TF1 has none), how the rows line up; and which checkpoint keys are left
over on purpose (optimizer slots, the step counter). Restoring checks every key, shape and dtype
before it assigns anything, and refuses a model weight that no key or several keys restore and a
key left over that nobody declared: the silent partial restores of TF 2.x fail here, by name.
"""

import difflib
import fnmatch
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from shared.core.errors import ArtifactError
from shared.core.weights import NameMap, tiles

STEP = "global_step"  # TF1's step counter: every Estimator graph restores it
KINDS = {"string": "bytes_list", "float32": "float_list", "int64": "int64_list"}  # parse-spec dtype -> Example kind

# The checkpoint keys each TF1 optimizer leaves besides the weights: declare them as a table's ``unused``.
STATE = {
    "ftrl": {STEP: "the Estimator's step counter", "*/Ftrl": "FTRL accumulator slot",
             "*/Ftrl_1": "FTRL linear slot"},
    "adam": {STEP: "the Estimator's step counter", "*/Adam": "Adam first-moment slot",
             "*/Adam_1": "Adam second-moment slot", "beta1_power": "Adam beta1 power accumulator",
             "beta2_power": "Adam beta2 power accumulator"},
    "adagrad": {STEP: "the Estimator's step counter", "*/Adagrad": "Adagrad accumulator slot"},
    "sgd": {STEP: "the Estimator's step counter"},
}


class Target(object):
    """Where one checkpoint key goes: a model weight by name, with its rows matched by name when ``rows`` is given.

    ``rows=(checkpoint rows, model rows)`` names each row on both sides; a model row named ``None`` is
    a slot TF1 does not have (Keras 3 ``StringLookup``'s out-of-vocabulary row): it restores as 0,
    and rolls back only while it is still 0. ``part=(a, b)`` puts the key in rows ``a`` to ``b - 1``
    of the weight (a port that concatenates several TF1 variables into one kernel); the parts of a
    weight must cover each of its rows once.
    """

    def __init__(self, weight: str, rows: Optional[Tuple[Sequence[Optional[str]], Sequence[Optional[str]]]] = None,
                 part: Optional[Tuple[int, int]] = None) -> None:
        self.weight = weight
        self.rows = (list(rows[0]), list(rows[1])) if rows is not None else None
        self.part = (int(part[0]), int(part[1])) if part is not None else None
        if self.part is not None and (self.rows is not None or not 0 <= self.part[0] < self.part[1]):
            raise ArtifactError("part %r of %r" % (part, weight), expected="rows (a, b) with 0 <= a < b, without rows=",
                                found="part=%r, rows=%s" % (part, "given" if rows is not None else "none"),
                                fix="give a key either rows by name or a part (a, b) of the weight's rows")
        if self.rows is not None:
            names = [r for r in self.rows[1] if r is not None]
            if sorted(names) != sorted(r for r in self.rows[0]) or len(set(names)) != len(names):
                raise ArtifactError(
                    "rows of %r do not match" % weight,
                    expected="the same row names on both sides, each once (model rows may add None slots)",
                    found="only in the checkpoint: %s; only in the model: %s" % (
                        _few(sorted(set(self.rows[0]) - set(names))), _few(sorted(set(names) - set(self.rows[0])))),
                    fix="name the rows as each side's kernel holds them",
                )

    def describe(self) -> str:
        if self.part is not None:
            return "rows %d:%d" % self.part
        if self.rows is None:
            return "as is"
        slots = sum(1 for r in self.rows[1] if r is None)
        return "rows by name" + (" (+%d zero slot%s)" % (slots, "s" if slots > 1 else "") if slots else "")

    def to_model(self, key: str, value: np.ndarray) -> np.ndarray:
        if self.rows is None:
            return value
        source, target = self.rows
        if value.ndim == 0 or value.shape[0] != len(source):
            raise ArtifactError("checkpoint key %r has %s rows" % (key, list(value.shape)[:1] or "no"),
                                expected="%d rows (%s)" % (len(source), _few(source)), found="shape %s" % list(value.shape),
                                fix="check the restore table's row names against the TF1 kernel")
        index = dict((name, i) for i, name in enumerate(source))
        out = np.zeros((len(target),) + value.shape[1:], dtype=value.dtype)
        for i, name in enumerate(target):
            if name is not None:
                out[i] = value[index[name]]
        return out

    def to_checkpoint(self, key: str, value: np.ndarray) -> np.ndarray:
        if self.rows is None:
            return value
        source, target = self.rows
        if value.ndim == 0 or value.shape[0] != len(target):
            raise ArtifactError("model weight %r has %s rows" % (self.weight, list(value.shape)[:1] or "no"),
                                expected="%d rows" % len(target), found="shape %s" % list(value.shape),
                                fix="check the restore table's row names against the model's kernel")
        slots = [(i, value[i]) for i, name in enumerate(target) if name is None and np.any(value[i] != 0)]
        if slots:
            raise ArtifactError(
                "model weight %r holds a nonzero out-of-vocabulary slot" % self.weight,
                expected="0 in every row TF1 does not have (key %r): TF1's vocabulary-list column gives unknown "
                         "items no weight" % key,
                found=", ".join("row %d = %s" % (i, np.asarray(v).tolist()) for i, v in slots[:5]),
                fix="keep the OOV slot at 0 (it stays 0 when training sees only known items) or map unknown items "
                    "to a TF1 bucket (num_oov_buckets) before rolling back",
            )
        index = dict((name, i) for i, name in enumerate(target) if name is not None)
        return np.stack([value[index[name]] for name in source]) if source else value[:0]


class Table(object):
    """``{checkpoint key: Target or weight name}`` and ``unused``: ``{key or glob: why it may be left over}``."""

    def __init__(self, targets: Mapping[str, Any], unused: Optional[Mapping[str, str]] = None) -> None:
        self.targets = OrderedDict((str(k), t if isinstance(t, Target) else Target(str(t)))
                                   for k, t in sorted(targets.items()))
        self.unused = dict(unused or {})
        doubled = _doubled(dict((k, t.weight) for k, t in self.targets.items() if t.part is None),
                           dict((k, t.weight) for k, t in self.targets.items() if t.part is not None))
        if doubled:
            raise ArtifactError("the restore table sends several keys to one weight",
                                expected="each model weight from exactly one checkpoint key (or from parts: "
                                         "row ranges that follow each other from row 0)", found=doubled,
                                fix="fix the table: one key per weight, or parts (a, b) covering each row once")

    def parts(self, weight: str) -> List[Tuple[str, "Target"]]:
        """The ``(key, target)`` pairs that restore ``weight``, parts in row order."""
        found = [(k, t) for k, t in self.targets.items() if t.weight == weight]
        return sorted(found, key=lambda kt: kt[1].part or (0, 0))

    @classmethod
    def from_names(cls, tf1: Mapping[str, str], tf2: Mapping[str, str], unused: Optional[Mapping[str, str]] = None,
                   where: str = "") -> "Table":
        """The table the case's two name maps imply: TF1 variable -> canonical name -> TF2 variable.

        A TF2 entry ``kernel[a:b]`` (rows of one kernel, as in the weight comparison) becomes a part of
        that weight; TF1 entries name whole checkpoint keys.
        """
        sliced = sorted(var for var in tf1 if NameMap.rows(var)[1] is not None)
        if sliced:
            raise ArtifactError(
                "%sthe tf1 name map slices rows of %s" % (where + ": " if where else "", _few(sliced)),
                expected="whole TF1 variables (each is one checkpoint key)", found=_few(sliced),
                fix="build the restore Table(...) yourself for a TF1 model that concatenates weights")
        inverse = dict((canon, var) for var, canon in tf2.items())
        lost = sorted(canon for canon in tf1.values() if canon not in inverse)
        extra = sorted(set(inverse) - set(tf1.values()))
        if lost or extra:
            raise ArtifactError(
                "%sthe tf1 and tf2 name maps do not name the same weights" % (where + ": " if where else ""),
                expected="every canonical weight in both maps",
                found="only in the tf1 map: %s; only in the tf2 map: %s" % (_few(lost), _few(extra)),
                fix="fix the case's names table",
            )
        targets = {}
        for var, canon in tf1.items():
            base, part = NameMap.rows(inverse[canon])
            targets[_key(var)] = Target(_key(base), part=part)
        return cls(targets, unused)

    def ignorable(self, key: str) -> Optional[str]:
        """Why ``key`` may be left over, or None when nobody declared it."""
        for pattern, why in sorted(self.unused.items()):
            if key == pattern or fnmatch.fnmatchcase(key, pattern):
                return why
        return None

    def to_dict(self) -> Dict[str, Any]:
        return {"targets": dict((k, {"weight": t.weight, "transform": t.describe()}) for k, t in self.targets.items()),
                "unused": dict(self.unused)}


def _key(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _few(names: Sequence[Any], n: int = 6) -> str:
    names = [repr(x) for x in names]
    if not names:
        return "none"
    return ", ".join(names[:n]) + (" (+%d more)" % (len(names) - n) if len(names) > n else "")


def _doubled(whole: Mapping[str, str], parts: Mapping[str, str] = None) -> str:
    """Weights that several whole keys restore, or whole keys and parts together."""
    by = {}  # type: Dict[str, List[str]]
    for key, weight in whole.items():
        by.setdefault(weight, []).append(key)
    parted = set((parts or {}).values())
    return "; ".join("%r <- %s" % (w, _few(sorted(ks) + sorted(k for k, v in (parts or {}).items() if v == w)))
                     for w, ks in sorted(by.items()) if len(ks) > 1 or w in parted)


def _tiling(table: Table, weight: str, rows: int) -> Optional[str]:
    """Why the parts of ``weight`` do not cover its ``rows`` rows each once, or None."""
    parts = table.parts(weight)
    if not parts or parts[0][1].part is None:
        return None
    if not tiles([t.part for _, t in parts], rows):
        return "the parts of %r (%s) do not cover its %d rows each once" % (
            weight, ", ".join("%s -> rows %d:%d" % (k, t.part[0], t.part[1]) for k, t in parts), rows)
    return None


def _dtype(value: Any) -> str:
    return np.asarray(value).dtype.name


def plan_restore(table: Table, checkpoint: Mapping[str, np.ndarray], weights: Mapping[str, Tuple[Sequence[int], str]],
                 where: str) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    """What to assign to each model weight from ``checkpoint`` (every tensor, read), checked whole before any assign.

    ``weights`` is ``{name: (shape, dtype)}`` of every weight of the model (trainable or not). Returns
    ``({weight: value}, coverage report)``; every problem found is named in one :class:`ArtifactError`.
    """
    problems = []  # type: List[str]
    missing = [k for k in table.targets if k not in checkpoint]
    for key in missing:
        close = difflib.get_close_matches(key, list(checkpoint), n=3, cutoff=0.3)
        problems.append("key %r is not in the checkpoint (closest: %s)" % (key, _few(close)))
    sources = dict((name, []) for name in weights)  # type: Dict[str, List[str]]
    values = {}  # type: Dict[str, np.ndarray]
    pieces = {}  # type: Dict[str, List[Tuple[Tuple[int, int], np.ndarray]]]
    for key, target in table.targets.items():
        if target.weight not in weights:
            problems.append("key %r goes to %r, which is not a weight of the model (its weights: %s)" % (
                key, target.weight, _few(sorted(weights))))
            continue
        sources[target.weight].append(key)
        if key in missing:
            continue
        raw = np.asarray(checkpoint[key])
        try:
            value = target.to_model(key, raw)
        except ArtifactError as exc:
            problems.append("key %r: %s (%s)" % (key, exc.what, exc.found))
            continue
        shape, dtype = weights[target.weight]
        if target.part is not None and len(shape) >= 1:
            shape = (target.part[1] - target.part[0],) + tuple(shape[1:])  # its rows of the weight
        if tuple(value.shape) != tuple(int(d) for d in shape):
            hint = ""
            if value.ndim >= 1 and len(shape) == value.ndim and int(shape[0]) > value.shape[0]:
                hint = "; %d more row(s) in the model: Keras 3 StringLookup out-of-vocabulary slots? name the rows " \
                       "(Target(weight, rows=(checkpoint rows, model rows with None)))" % (int(shape[0]) - value.shape[0])
            problems.append("key %r -> %r: shape %s%s, the model's weight%s is %s%s" % (
                key, target.weight, list(raw.shape), " (%s: %s)" % (target.describe(), list(value.shape))
                if target.rows is not None else "", " (%s)" % target.describe() if target.part is not None else "",
                [int(d) for d in shape], hint))
            continue
        if _dtype(value) != dtype:
            problems.append("key %r -> %r: dtype %s, the model's weight is %s" % (key, target.weight, _dtype(value), dtype))
            continue
        if target.part is None:
            values[target.weight] = value
        else:
            pieces.setdefault(target.weight, []).append((target.part, value))
    for name, (shape, _) in sorted(weights.items()):
        tiling = _tiling(table, name, int(shape[0]) if len(shape) else 0) if sources.get(name) else None
        if tiling:
            problems.append(tiling)
        elif name in pieces and len(pieces[name]) == len(sources[name]):
            values[name] = np.concatenate([v for _, v in sorted(pieces[name], key=lambda p: p[0])], axis=0)
    unrestored = sorted(n for n, ks in sources.items() if not ks)
    if unrestored:
        problems.append("model weight(s) no key restores: %s" % _few(unrestored))
    left = sorted(k for k in checkpoint if k not in table.targets)
    undeclared = [k for k in left if table.ignorable(k) is None]
    if undeclared:
        problems.append("checkpoint key(s) left over that the table neither restores nor declares unused: %s" % (
            _few(undeclared)))
    if problems:
        raise ArtifactError(
            "%s: the checkpoint does not fit the model" % where,
            expected="every table key in the checkpoint with the weight's shape and dtype, every model weight "
                     "restored by one key, every other key declared unused",
            found="; ".join(problems),
            fix="fix the restore table (checkpoint keys: %s)" % _few(sorted(checkpoint), 12),
        )
    report = {
        "restored": restored_from(table),
        "transforms": dict((k, t.describe()) for k, t in table.targets.items()),
        "unused": dict((k, table.ignorable(k)) for k in left),
        "n_weights": len(weights),
        "n_keys": len(checkpoint),
    }
    return values, report


def restored_from(table: Table) -> Dict[str, Any]:
    """``{weight: its key}``, or the list of its parts' keys in row order."""
    out = {}  # type: Dict[str, Any]
    for key, target in table.targets.items():
        if target.weight not in out:
            parts = table.parts(target.weight)
            out[target.weight] = [k for k, _ in parts] if target.part is not None else key
    return out


def plan_rollback(table: Table, values: Mapping[str, np.ndarray], step: int,
                  where: str) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    """The model's weights (``{name: value}``, every weight) as TF1 checkpoint tensors, with ``global_step``."""
    problems = []  # type: List[str]
    mapped = set(t.weight for t in table.targets.values())
    lost = sorted(set(values) - mapped)
    if lost:
        problems.append("model weight(s) the table gives no checkpoint key, which TF1 could not restore: %s" % _few(lost))
    for weight in sorted(set(t.weight for t in table.targets.values() if t.part is not None) & set(values)):
        value = np.asarray(values[weight])  # a weight split by rows: its parts checked once
        tiling = _tiling(table, weight, value.shape[0] if value.ndim else 0)
        if tiling:
            problems.append(tiling)
    out = OrderedDict()  # type: Dict[str, np.ndarray]
    for key, target in table.targets.items():
        if target.weight not in values:
            problems.append("key %r comes from %r, which is not a weight of the model (its weights: %s)" % (
                key, target.weight, _few(sorted(values))))
            continue
        value = np.asarray(values[target.weight])
        if target.part is not None:
            out[key] = value[target.part[0]:target.part[1]]
            continue
        try:
            out[key] = target.to_checkpoint(key, value)
        except ArtifactError as exc:
            problems.append("%s (%s)" % (exc.what, exc.found))
    if STEP in out:
        problems.append("key %r comes from a model weight; the kit writes it from the steps trained" % STEP)
    if problems:
        raise ArtifactError("%s: the weights cannot be written as the TF1 checkpoint" % where,
                            expected="every model weight under one TF1 key", found="; ".join(problems),
                            fix="fix the restore table")
    out[STEP] = np.asarray(step, dtype=np.int64)
    report = {"written": dict((k, t.weight) for k, t in table.targets.items()),
              "transforms": dict((k, t.describe()) for k, t in table.targets.items()), "step": int(step)}
    return out, report


def preflight(graph: Mapping[str, Tuple[Sequence[int], str]], checkpoint: Mapping[str, Tuple[Sequence[int], str]],
              where: str) -> None:
    """A checkpoint against the variables a TF1 graph restores (``{name: (shape, dtype)}`` both): every graph
    variable present with its shape and dtype, no key that nothing in the graph restores."""
    problems = []  # type: List[str]
    for name, (shape, dtype) in sorted(graph.items()):
        if name not in checkpoint:
            problems.append("graph variable %r has no key in the checkpoint (its keys: %s)" % (name, _few(sorted(checkpoint))))
            continue
        got_shape, got_dtype = checkpoint[name]
        if list(got_shape) != list(shape):
            hint = ""
            if got_shape and shape and int(got_shape[0]) > int(shape[0]):
                hint = " (a Keras 3 kernel with its out-of-vocabulary rows? name the rows in the restore table)"
            problems.append("%r: checkpoint shape %s, graph shape %s%s" % (name, list(got_shape), list(shape), hint))
        elif got_dtype != dtype:
            problems.append("%r: checkpoint dtype %s, graph dtype %s" % (name, got_dtype, dtype))
    extra = sorted(set(checkpoint) - set(graph))
    if extra:
        problems.append("key(s) no graph variable restores: %s" % _few(extra))
    if problems:
        raise ArtifactError(
            "%s: the checkpoint does not fit the TF1 graph" % where,
            expected="exactly the graph's variables (%s), %s included, with their shapes and dtypes" % (
                _few(sorted(graph)), STEP),
            found="; ".join(problems),
            fix="write every weight under its TF1 name, plus %s (int64)" % STEP,
        )


def spec_to_json(features: Mapping[str, Tuple[str, str, Sequence[int]]]) -> Dict[str, Dict[str, Any]]:
    """A parse spec as data: ``{feature: (var_len | fixed_len, dtype name, shape)}`` -> JSON-able dict."""
    out = {}  # type: Dict[str, Dict[str, Any]]
    for name, (form, dtype, shape) in sorted(features.items()):
        if dtype not in KINDS:
            raise ArtifactError("feature %r has dtype %s" % (name, dtype), expected="one of " + ", ".join(KINDS),
                                found=dtype, fix="parse it as string, float32 or int64")
        out[name] = {"form": form, "dtype": dtype, "shape": [int(d) for d in shape]}
    return out


def serialized_examples(train, spec: Mapping[str, Mapping[str, Any]], frame) -> List[bytes]:
    """Each row of ``frame`` as a serialized ``tf.train.Example`` with the features of ``spec``; ``train`` is the
    side's ``tf.train`` (TF 1.15's or TF 2.x's: the same protos)."""
    lists = {"bytes_list": train.BytesList, "float_list": train.FloatList, "int64_list": train.Int64List}
    out = []
    for row in example_rows(spec, frame):
        feature = dict((name, train.Feature(**{kind: lists[kind](value=values)})) for name, (kind, values) in row.items())
        out.append(train.Example(features=train.Features(feature=feature)).SerializeToString())
    return out


def prediction_rows(values: Any, n: int) -> List[Any]:
    """Predictions as rows: one float per row when the model has one output, else a list per row."""
    values = np.asarray(values, dtype=np.float64).reshape(n, -1)
    return (values[:, 0] if values.shape[1] == 1 else values).tolist()


def example_rows(spec: Mapping[str, Mapping[str, Any]], frame) -> List[Dict[str, Tuple[str, List[Any]]]]:
    """Each row of ``frame`` as the features of one ``tf.train.Example``: ``{feature: (kind, values)}``."""
    absent = sorted(set(spec) - set(frame.columns))
    if absent:
        raise ArtifactError("the probe set has no column for feature(s) %s" % _few(absent),
                            expected="a column per feature of the parse spec (%s)" % _few(sorted(spec)),
                            found="columns %s" % _few(list(frame.columns)),
                            fix="export with a parse spec of the columns the data has")
    columns = {}  # type: Dict[str, List[Any]]
    for name, entry in spec.items():
        if int(np.prod(entry["shape"] or [1])) != 1:
            raise ArtifactError("feature %r has shape %s" % (name, entry["shape"]), expected="one value per example",
                                found="shape %s" % entry["shape"], fix="parse one column per feature")
        col = frame[name]
        if entry["dtype"] == "string":
            columns[name] = [[str(v).encode("utf-8")] for v in col.astype(str).tolist()]
        elif entry["dtype"] == "float32":
            columns[name] = [[float(v)] for v in col.to_numpy(np.float64).astype(np.float32).tolist()]
        else:
            columns[name] = [[int(v)] for v in col.to_numpy(np.int64).tolist()]
    return [dict((name, (KINDS[spec[name]["dtype"]], columns[name][i])) for name in sorted(spec))
            for i in range(len(frame))]


def check_call(signature: str, inputs: Mapping[str, Tuple[str, Sequence[Optional[int]]]],
               given: Mapping[str, Tuple[str, Sequence[int]]]) -> None:
    """The inputs a call gives a serving signature (``{name: (dtype, shape)}``) against what it takes (shape None: any)."""
    if sorted(inputs) != sorted(given):
        raise ArtifactError(
            "signature %r takes other inputs" % signature,
            expected="inputs %s (%s)" % (_few(sorted(inputs)), ", ".join("%s %s %s" % (n, d, list(s)) for n, (d, s)
                                                                          in sorted(inputs.items()))),
            found="a call with %s" % _few(sorted(given)),
            fix="call it with exactly its inputs: a TF1 parsing export takes one batch of serialized tf.train.Examples",
        )
    for name, (dtype, shape) in sorted(inputs.items()):
        got_dtype, got_shape = given[name]
        ok_shape = shape is None or (len(shape) == len(got_shape) and all(
            a is None or int(a) == int(b) for a, b in zip(shape, got_shape)))
        if got_dtype != dtype or not ok_shape:
            raise ArtifactError("signature %r input %r" % (signature, name),
                                expected="%s of shape %s" % (dtype, list(shape) if shape is not None else "any"),
                                found="%s of shape %s" % (got_dtype, list(got_shape)),
                                fix="pass serialized tf.train.Example strings, one per row (a vector)")


def check_examples(signature: str, name: str, decoded: Sequence[Any], spec: Mapping[str, Mapping[str, Any]]) -> None:
    """Decoded Examples (``{feature: kind}`` each, or an exception where one did not parse) against the parse spec.

    An Example lacking a feature parses as empty, and an indicator column gives that row no weight: a
    call with the wrong feature keys predicts 0.0 without an error. This check makes it one.
    """
    for i, example in enumerate(decoded):
        if isinstance(example, Exception):
            raise ArtifactError("signature %r input %r[%d] is not a serialized tf.train.Example" % (signature, name, i),
                                expected="tf.train.Example(...).SerializeToString()", found=str(example)[:200],
                                fix="serialize each row as a tf.train.Example")
        absent = sorted(set(spec) - set(example))
        wrong = sorted((f, example[f], KINDS[spec[f]["dtype"]]) for f in spec if f in example
                       and example[f] != KINDS[spec[f]["dtype"]])
        if absent or wrong:
            raise ArtifactError(
                "signature %r input %r[%d] does not fit the parse spec" % (signature, name, i),
                expected="features %s" % ", ".join("%s (%s)" % (f, KINDS[e["dtype"]]) for f, e in sorted(spec.items())),
                found="; ".join((["missing %s (has %s): a missing feature parses as empty and predicts as if "
                                  "the item had no weight" % (_few(absent), _few(sorted(example)))] if absent else [])
                                + ["feature %r is a %s, the spec wants %s" % w for w in wrong]),
                fix="build each Example with the export's feature names and types",
            )

"""Golden vectors: committed hard cases with expectations computed by mpmath.

One file per family, ``<family>.jsonl``, one case per line::

    {"id": "sce.golden.offset-1e308", "function": "softmax_cross_entropy",
     "clause": "sce.special.huge-logits", "args": [...], "kwargs": {...},
     "expected": ..., "ulps": 4, "floor": 1.0}

Floats are stored as hex strings (``float.hex``), arrays as
``{"dtype": "float64", "data": [...nested hex strings...]}``, so the files are
exact and diff-friendly.  They are regenerated only by
``python -m conformance.golden.generate``, which imports every
``gen_<family>.py`` module beside this file and calls its ``cases()``.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent


def encode(value):
    """Turn numpy arrays and floats into JSON with exact hex floats."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            data = np.vectorize(_hex, otypes=[object])(value).tolist() if value.size else value.tolist()
            return {"dtype": value.dtype.name, "shape": list(value.shape), "data": data}
        return {"dtype": value.dtype.name, "shape": list(value.shape), "data": value.tolist()}
    if isinstance(value, (float, np.floating)):
        return {"float": _hex(float(value))}
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value):
    """Inverse of :func:`encode`."""
    if isinstance(value, dict):
        if "float" in value and len(value) == 1:
            return _unhex(value["float"])
        if "dtype" in value and "data" in value:
            dt = np.dtype(value["dtype"])
            shape = tuple(value.get("shape", ()))
            if dt.kind == "f":
                flat = np.array([_unhex(x) for x in _flatten(value["data"])], dtype=dt)
            else:
                flat = np.array(list(_flatten(value["data"])), dtype=dt)
            return flat.reshape(shape)
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _flatten(x):
    if isinstance(x, list):
        for y in x:
            yield from _flatten(y)
    else:
        yield x


def _hex(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x).hex()


def _unhex(s):
    if isinstance(s, (int, float)):
        return float(s)
    if s in ("nan", "inf", "-inf"):
        return float(s)
    return float.fromhex(s)


def load(family: str) -> list[dict]:
    """The decoded cases of one family (empty when the file does not exist)."""
    path = HERE / f"{family}.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            row["args"] = decode(row.get("args", []))
            row["kwargs"] = decode(row.get("kwargs", {}))
            row["expected"] = decode(row["expected"])
            rows.append(row)
    return rows


def save(family: str, cases: list[dict]) -> pathlib.Path:
    path = HERE / f"{family}.jsonl"
    with open(path, "w") as fh:
        for case in cases:
            row = dict(case)
            row["args"] = encode(list(row.get("args", [])))
            row["kwargs"] = encode(dict(row.get("kwargs", {})))
            row["expected"] = encode(row["expected"])
            fh.write(json.dumps(row, sort_keys=False) + "\n")
    return path

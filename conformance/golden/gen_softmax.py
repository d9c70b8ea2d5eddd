"""Golden cases for softmax and friends, from the one oracle :mod:`accuracy.exact`.

Run ``python -m conformance.golden.generate softmax`` to rewrite ``softmax.jsonl``.
Every expected value is the oracle's exact result (mpmath at 60 digits, the
limits of the spec for infinite and NaN logits) rounded to the nearest float64;
nothing comes from the reference.  A row carries no tolerance of its own: it
is judged with its function's budget (``conformance/checks/softmax.py``).
"""

from __future__ import annotations

import numpy as np

from accuracy import exact
from conformance.golden._mpmath import INF, NAN, rounded, to_float


def along(oracle, *arrays, axis=-1):
    """The oracle (class axis last) applied along ``axis``: move the axis last and back."""
    moved = [np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1) for a in arrays]
    out = rounded(oracle(*moved))
    return np.moveaxis(out, -1, axis) if np.shape(out) == moved[0].shape else out


#: (id suffix, logits, the clause the row illustrates)
CASES = [
    ("source-perturbed", np.log([0.03, 0.05, 0.8, 0.1, 0.02]) + [0.4, 0.4, 0.0, 0.3, 0.3],
     "softmax.example.source"),
    ("overflow-1000", [1000.0, 1000.0], "softmax.example.overflow"),
    ("offset-plus-1e4", [1e4, 1e4 + 1.0, 1e4 + 2.5, 1e4 - 3.0], "softmax.prop.shift-invariance"),
    ("offset-minus-1e4", [-1e4, -1e4 + 1.0, -1e4 + 2.5, -1e4 - 3.0], "softmax.prop.shift-invariance"),
    ("spread-1e4", [1e4, -1e4, 0.0], "softmax.special.huge"),
    ("plus-1e308", [1e308, 1e308, 1e308 * (1 - 2**-52)], "softmax.special.huge"),
    ("minus-1e308", [-1e308, -1e308, -1e308], "softmax.special.huge"),
    ("pm-1e308", [1e308, -1e308], "softmax.special.huge"),
    ("max-float", [1.7976931348623157e308, 0.0, -1.7976931348623157e308], "softmax.special.huge"),
    ("confident-40", [40.0, 0.0, 0.0, 0.0, 0.0], "softmax.special.confident"),
    ("confident-50", [50.0, 0.0], "softmax.special.confident"),
    ("confident-300", [0.0, 300.0, -1.0], "softmax.special.confident"),
    ("confident-700", [700.0, 0.0, 1.0], "softmax.special.confident"),
    ("confident-745", [745.0, 0.0], "softmax.special.confident"),
    ("posinf-one", [INF, 0.0, 1.0], "softmax.special.posinf"),
    ("posinf-two", [INF, -2.0, INF, -INF], "softmax.special.posinf"),
    ("posinf-all", [INF, INF, INF], "softmax.special.posinf"),
    ("neginf-mask", [-INF, 0.0, 1.0, -INF], "softmax.special.neginf-mask"),
    ("neginf-all-but-one", [-INF, -INF, 3.0], "softmax.special.neginf-mask"),
    ("neginf-all", [-INF, -INF, -INF], "softmax.special.all-neginf"),
    ("nan", [0.0, NAN, 1.0], "softmax.special.nan"),
    ("nan-with-posinf", [INF, NAN], "softmax.special.nan"),
    ("subnormal", [5e-324, -5e-324, 0.0], "softmax.definition"),
    ("one-class", [-123.25], "softmax.definition"),
    ("one-class-huge", [-1e308], "softmax.definition"),
    ("tiny-differences", [1.0, 1.0 + 2**-52, 1.0 - 2**-53], "softmax.definition"),
    ("many-equal", [0.1] * 64, "softmax.definition"),
    ("wide-range", [-700.0, -350.0, 0.0, 10.0, 20.0, 30.0], "softmax.definition"),
]

#: sigmoid and log_sigmoid in both tails, at the boundaries and at the limits.
SIGMOID_INPUTS = [-1000.0, -745.0, -700.0, -40.0, -1.0, -2**-30, 0.0, 5e-324, 2**-30, 1.0, 17.0, 37.0, 40.0,
                  700.0, 1000.0, 1e308, -1e308, INF, -INF]

ROW_ORACLES = (("softmax", exact.softmax), ("log_softmax", exact.log_softmax), ("logsumexp", exact.logsumexp))


def _row(function, clause, suffix, z, kwargs, expected):
    return {"id": f"{function}.golden.{suffix}", "function": function, "clause": clause,
            "args": [z], "kwargs": kwargs, "expected": expected}


def cases():
    out = []
    for suffix, z, clause in CASES:
        z = np.asarray(z, dtype=np.float64)
        for function, oracle in ROW_ORACLES:
            out.append(_row(function, clause, suffix, z, {}, along(oracle, z)))
    # A batch along axis 0.
    zb = np.array([[1e4, -INF, 0.0], [1e4 + 1.0, -INF, 0.0], [1e4 - 1.0, -INF, NAN]])
    for function, oracle in ROW_ORACLES:
        out.append(_row(function, "softmax.accuracy", "axis0", zb, {"axis": 0}, along(oracle, zb, axis=0)))
    for i, x in enumerate(SIGMOID_INPUTS):
        x = np.array([x])
        out.append(_row("sigmoid", "sigmoid.accuracy", f"{i:02d}", x, {}, rounded(exact.sigmoid(x))))
        out.append(_row("log_sigmoid", "sigmoid.accuracy", f"{i:02d}", x, {}, rounded(exact.log_sigmoid(x))))
    return out

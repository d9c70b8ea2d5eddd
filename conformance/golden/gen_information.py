"""Golden cases for ``entropy``, ``cross_entropy`` and ``kl_divergence``, from
the one oracle :mod:`accuracy.exact`.

Run ``python -m conformance.golden.generate information`` to rewrite
``information.jsonl``.  Every expected value is the oracle's exact result
(mpmath at 60 digits, ``0 log 0 = 0``, ``-p log 0 = +inf`` for ``p > 0``)
rounded to the nearest float64, never the reference's.  A row carries no
tolerance of its own: it is judged with its function's budget
(``conformance/checks/information.py``).
"""

from __future__ import annotations

import numpy as np

from accuracy import exact
from conformance.golden.gen_softmax import along

ORACLES = {"entropy": exact.entropy, "cross_entropy": exact.cross_entropy, "kl_divergence": exact.kl_divergence}

T = 1e-300
CASES = [
    # (suffix, function, p, q, kwargs)
    ("coin", "entropy", [0.5, 0.5], None, {}),
    ("coin-bits", "entropy", [0.5, 0.5], None, {"base": 2}),
    ("die", "entropy", [1 / 6] * 6, None, {}),
    ("certain", "entropy", [0.0, 1.0, 0.0], None, {}),
    ("tiny", "entropy", [T, 1.0 - 2**-53, 0.0], None, {}),
    ("subnormal", "entropy", [5e-324, 1.0], None, {}),
    ("near-one", "entropy", [1e-17, 1.0], None, {}),
    ("one-outcome", "entropy", [1.0], None, {}),
    ("unnormalised", "entropy", [2.0, 3.0, 0.25], None, {}),
    ("many", "entropy", [1 / 1000] * 1000, None, {}),
    ("source-label", "cross_entropy", [0, 0, 1.0, 0, 0], [0.03, 0.05, 0.8, 0.1, 0.02], {"eps": 1e-9}),
    ("source-label-exact", "cross_entropy", [0, 0, 1.0, 0, 0], [0.03, 0.05, 0.8, 0.1, 0.02], {}),
    ("one-hot-rest-a", "cross_entropy", [0, 0, 1.0, 0, 0], [0.05, 0.03, 0.8, 0.02, 0.1], {}),
    ("one-hot-rest-b", "cross_entropy", [0, 0, 1.0, 0, 0], [0.0, 0.0, 0.8, 0.2, 0.0], {}),
    ("zero-q", "cross_entropy", [0.5, 0.5], [1.0, 0.0], {}),
    ("zero-q-eps", "cross_entropy", [0.5, 0.5], [1.0, 0.0], {"eps": 1e-9}),
    ("zero-p-zero-q", "cross_entropy", [1.0, 0.0], [1.0, 0.0], {}),
    ("tiny-q", "cross_entropy", [1.0, 0.0], [T, 1.0], {}),
    ("subnormal-q", "cross_entropy", [0.5, 0.5], [5e-324, 1.0], {}),
    ("confident", "cross_entropy", [1.0, 0.0], [1.0 - 2**-53, 2**-53], {}),
    ("bits", "cross_entropy", [0.25, 0.75], [0.5, 0.5], {"base": 2}),
    ("kl-source", "kl_divergence", [1 / 3, 2 / 3], [2 / 3, 1 / 3], {}),
    ("kl-reverse", "kl_divergence", [2 / 3, 1 / 3], [1 / 3, 2 / 3], {}),
    ("kl-equal", "kl_divergence", [0.1, 0.2, 0.7], [0.1, 0.2, 0.7], {}),
    ("kl-near-equal", "kl_divergence", [0.5, 0.5], [0.5 + 2**-30, 0.5 - 2**-30], {}),
    ("kl-zero-p", "kl_divergence", [1.0, 0.0, 0.0], [0.5, 0.25, 0.25], {}),
    ("kl-zero-q", "kl_divergence", [0.5, 0.5], [1.0, 0.0], {}),
    ("kl-tiny-q", "kl_divergence", [1.0, 0.0], [T, 1.0], {}),
    ("kl-subnormal-q", "kl_divergence", [1.0, 0.0], [1e-310, 1.0], {}),
    ("kl-tiny-p", "kl_divergence", [T, 1.0 - T], [0.5, 0.5], {}),
    ("kl-huge-ratio", "kl_divergence", [1e-300, 1.0], [1.0, 1e-300], {}),
    ("kl-bits", "kl_divergence", [0.25, 0.75], [0.5, 0.5], {"base": 2}),
]


def _expected(function, args, kwargs, axis=-1):
    oracle = ORACLES[function]
    return along(lambda *moved: oracle(*moved, **kwargs), *args, axis=axis)


def cases():
    out = []
    for suffix, function, p, q, kw in CASES:
        args = [np.asarray(p, dtype=np.float64)] + ([] if q is None else [np.asarray(q, dtype=np.float64)])
        out.append({"id": f"{function}.golden.{suffix}", "function": function, "clause": "info.accuracy",
                    "args": args, "kwargs": kw, "expected": _expected(function, args, kw)})
    # A batch along axis 0: each column is a distribution.
    p = np.array([[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]])
    q = np.array([[0.25, 0.5, T], [0.75, 0.5, 1.0]])
    for function in ("entropy", "cross_entropy", "kl_divergence"):
        args = [p] if function == "entropy" else [p, q]
        out.append({"id": f"{function}.golden.axis0", "function": function, "clause": "info.accuracy",
                    "args": args, "kwargs": {"axis": 0}, "expected": _expected(function, args, {}, axis=0)})
    return out

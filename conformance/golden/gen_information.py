"""Golden cases for ``entropy``, ``cross_entropy`` and ``kl_divergence``,
computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate information`` to rewrite
``information.jsonl``.  Every expectation is computed here from the
definitions (``0 log 0 = 0``, ``-p log 0 = +inf`` for ``p > 0``), never from
the reference implementation.  Inputs are exact float64 numbers; mpmath
converts them exactly.
"""

from __future__ import annotations


import mpmath as mp
import numpy as np

from conformance.golden._mpmath import to_float as _f


def _scale(base):
    return mp.mpf(1) if base is None else mp.log(mp.mpf(base))


def _entropy(p, base=None):
    p = [mp.mpf(float(v)) for v in p]
    return mp.fsum(-v * mp.log(v) for v in p if v != 0) / _scale(base)


def _cross_entropy(p, q, eps=0.0, base=None):
    total = mp.mpf(0)
    for a, b in zip(p, q):
        a, b = mp.mpf(float(a)), mp.mpf(float(b)) + mp.mpf(float(eps))
        if a == 0:
            continue
        if b == 0:
            return mp.inf
        total -= a * mp.log(b)
    return total / _scale(base)


def _kl(p, q, base=None):
    total = mp.mpf(0)
    for a, b in zip(p, q):
        a, b = mp.mpf(float(a)), mp.mpf(float(b))
        if a == 0:
            continue
        if b == 0:
            return mp.inf
        total += a * mp.log(a / b)
    return total / _scale(base)


def _ulps(terms, value):
    """A budget of ``8 * (1 + sum|terms| / max(|value|, 1))`` float64 ulps at ``floor = 1``."""
    s = sum(abs(float(t)) for t in terms if mp.isfinite(t))
    v = abs(float(value)) if mp.isfinite(value) else 1.0
    return float(8.0 * (1.0 + (s + len(terms)) / max(v, 1.0)))


def _row(function, p, q=None, **kw):
    if function == "entropy":
        value = _entropy(p, kw.get("base"))
        terms = [-mp.mpf(v) * mp.log(mp.mpf(v)) for v in p if v > 0]
        args = [np.asarray(p, dtype=np.float64)]
    elif function == "cross_entropy":
        value = _cross_entropy(p, q, kw.get("eps", 0.0), kw.get("base"))
        terms = [mp.mpf(a) * mp.log(mp.mpf(b) + mp.mpf(kw.get("eps", 0.0))) for a, b in zip(p, q) if a > 0 and b + kw.get("eps", 0.0) > 0]
        args = [np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)]
    else:
        value = _kl(p, q, kw.get("base"))
        terms = [mp.mpf(a) * mp.log(mp.mpf(a) / mp.mpf(b)) for a, b in zip(p, q) if a > 0 and b > 0]
        args = [np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)]
    return args, _f(value), _ulps(terms, value)


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


def cases():
    out = []
    for suffix, function, p, q, kw in CASES:
        args, expected, ulps = _row(function, p, q, **kw)
        clause = "info.accuracy"
        out.append({"id": f"{function}.golden.{suffix}", "function": function, "clause": clause,
                    "args": args, "kwargs": kw, "expected": expected, "ulps": ulps, "floor": 1.0})
    # A batch along axis 0: each column is a distribution.
    p = np.array([[0.5, 0.0, 1.0], [0.5, 1.0, 0.0]])
    q = np.array([[0.25, 0.5, T], [0.75, 0.5, 1.0]])
    for function in ("entropy", "cross_entropy", "kl_divergence"):
        vals, budgets = [], []
        for j in range(p.shape[1]):
            _, v, u = _row(function, list(p[:, j]), list(q[:, j]))
            vals.append(v)
            budgets.append(u)
        args = [p] if function == "entropy" else [p, q]
        out.append({"id": f"{function}.golden.axis0", "function": function, "clause": "info.accuracy",
                    "args": args, "kwargs": {"axis": 0}, "expected": np.array(vals), "ulps": max(budgets),
                    "floor": 1.0})
    return out

"""Golden cases for softmax and friends, computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate softmax`` to rewrite ``softmax.jsonl``.
Expectations come from the definitions evaluated in mpmath (never from the
reference); infinite logits take their limits (``+inf`` entries share the mass,
``-inf`` entries drop out, all ``-inf`` is NaN for softmax/log_softmax and
``-inf`` for logsumexp, NaN anywhere makes the row NaN).

Tolerances: ``softmax`` rows get ``ulps = 4 * (1 + max|d| + log C)`` where
``d = z - max z`` (an absolute error in ``d`` becomes a relative one in
``exp(d)``); ``log_softmax`` and ``logsumexp`` are judged with ``floor = 1``.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np

from conformance.golden._mpmath import INF, NAN, to_float as _f


def _row(z):
    """``(softmax, log_softmax, logsumexp)`` of one row as mpmath values (or floats for limits)."""
    z = [float(v) for v in z]
    c = len(z)
    if any(math.isnan(v) for v in z):
        return [NAN] * c, [NAN] * c, NAN
    pos = [i for i, v in enumerate(z) if v == INF]
    if pos:
        k = len(pos)
        sm = [mp.mpf(1) / k if i in pos else mp.mpf(0) for i in range(c)]
        ls = [-mp.log(k) if i in pos else -INF for i in range(c)]
        return sm, ls, INF
    live = [i for i, v in enumerate(z) if v != -INF]
    if not live:
        return [NAN] * c, [NAN] * c, -INF
    m = max(mp.mpf(z[i]) for i in live)
    star = max(live, key=lambda i: z[i])
    # log1p of the rest: at 60 digits, log(1 + e^-300) would round to 0.
    log_s = mp.log1p(mp.fsum(mp.exp(mp.mpf(z[i]) - m) for i in live if i != star))
    ls = [(mp.mpf(z[i]) - m) - log_s if i in live else -INF for i in range(c)]
    sm = [mp.exp(v) if i in live else mp.mpf(0) for i, v in enumerate(ls)]
    return sm, ls, m + log_s


def _rows(z):
    z = np.asarray(z, dtype=np.float64)
    flat = z.reshape(-1, z.shape[-1])
    out = [_row(r) for r in flat]
    sm = np.array([[_f(v) for v in r[0]] for r in out]).reshape(z.shape)
    ls = np.array([[_f(v) for v in r[1]] for r in out]).reshape(z.shape)
    lse = np.array([_f(r[2]) for r in out]).reshape(z.shape[:-1])
    return sm, ls, lse


def _softmax_ulps(z):
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        m = np.max(z, axis=-1, keepdims=True)
        d = np.where(np.isfinite(m), z - m, 0.0)
        d = np.where(np.isfinite(d) & (d > -746.0), np.abs(d), 0.0)
    return float(4.0 * (1.0 + np.max(d) + math.log(z.shape[-1])))


#: (id suffix, logits, what it exercises)
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


def cases():
    out = []
    for suffix, z, clause in CASES:
        z = np.asarray(z, dtype=np.float64)
        sm, ls, lse = _rows(z[None, :])
        sm, ls, lse = sm[0], ls[0], float(lse[0])
        out.append({"id": f"softmax.golden.{suffix}", "function": "softmax", "clause": clause,
                    "args": [z], "kwargs": {}, "expected": sm, "ulps": _softmax_ulps(z), "floor": 0.0})
        # log_softmax: floor 1 (absolute below 1) except the confident rows, whose
        # tiny maximal entry is judged relatively: the spec asks for it.
        confident = suffix.startswith("confident")
        out.append({"id": f"log_softmax.golden.{suffix}", "function": "log_softmax",
                    "clause": clause, "args": [z], "kwargs": {}, "expected": ls,
                    "ulps": 8.0, "floor": 0.0 if confident else 1.0})
        out.append({"id": f"logsumexp.golden.{suffix}", "function": "logsumexp", "clause": clause,
                    "args": [z], "kwargs": {}, "expected": lse, "ulps": 8.0, "floor": 1.0})
    # A batch along axis 0.
    zb = np.array([[1e4, -INF, 0.0], [1e4 + 1.0, -INF, 0.0], [1e4 - 1.0, -INF, NAN]])
    sm, ls, lse = _rows(zb.T)
    out.append({"id": "softmax.golden.axis0", "function": "softmax", "clause": "softmax.accuracy",
                "args": [zb], "kwargs": {"axis": 0}, "expected": sm.T, "ulps": 16.0, "floor": 0.0})
    out.append({"id": "log_softmax.golden.axis0", "function": "log_softmax", "clause": "softmax.accuracy",
                "args": [zb], "kwargs": {"axis": 0}, "expected": ls.T, "ulps": 8.0, "floor": 1.0})
    out.append({"id": "logsumexp.golden.axis0", "function": "logsumexp", "clause": "softmax.accuracy",
                "args": [zb], "kwargs": {"axis": 0}, "expected": lse, "ulps": 8.0, "floor": 1.0})
    # sigmoid and log_sigmoid in both tails.
    xs = np.array([-1000.0, -745.0, -700.0, -40.0, -1.0, -2**-30, 0.0, 5e-324, 2**-30, 1.0, 17.0, 37.0, 40.0,
                   700.0, 1000.0, 1e308, -1e308, INF, -INF])
    sig, lsig = [], []
    for x in xs:
        if math.isinf(x):
            sig.append(1.0 if x > 0 else 0.0)
            lsig.append(0.0 if x > 0 else -INF)
            continue
        X = mp.mpf(float(x))
        sig.append(_f(1 / (1 + mp.exp(-X))))
        lsig.append(_f(-mp.log1p(mp.exp(-X)) if X > -1000 else X - mp.log1p(mp.exp(X))))
    with np.errstate(all="ignore"):
        cond = np.where(np.isfinite(xs), np.minimum(np.abs(xs), 1e6), 0.0)
    for i, x in enumerate(xs):
        # Relative budget: |x| ulps where exp(x) is taken of a large |x| (lower tail of
        # sigmoid, upper tail of log_sigmoid), 4 ulps elsewhere.
        out.append({"id": f"sigmoid.golden.{i:02d}", "function": "sigmoid", "clause": "sigmoid.accuracy",
                    "args": [np.array([x])], "kwargs": {}, "expected": np.array([sig[i]]),
                    "ulps": float(4.0 * (1.0 + (cond[i] if x < 0 else 0.0))), "floor": 0.0})
        out.append({"id": f"log_sigmoid.golden.{i:02d}", "function": "log_sigmoid", "clause": "sigmoid.accuracy",
                    "args": [np.array([x])], "kwargs": {}, "expected": np.array([lsig[i]]),
                    "ulps": float(4.0 * (1.0 + (cond[i] if x > 0 else 0.0))), "floor": 0.0})
    return out

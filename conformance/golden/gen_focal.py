"""Golden cases for the focal losses, computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate focal`` to rewrite ``focal.jsonl``.
The expectations come from the definitions: ``p = softmax(z)`` with
``1 - p_c = sum_{j != c} p_j`` (no cancellation at 60 digits either), the
limits of infinite logits, and ``0**0 = 1``.  Confident rows carry ``floor=0``
(relative accuracy): they fail an implementation that forms ``1 - p`` by
subtraction.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

from conformance.golden._mpmath import INF, to_float as _f


def _focal_row(z, t, gamma, alpha):
    """-sum_c t_c alpha_c (1 - p_c)^gamma log p_c for one row, with infinite logits' limits."""
    z = [float(v) for v in z]
    c = len(z)
    g = mp.mpf(gamma)
    coef = [mp.mpf(float(t[i])) * mp.mpf(float(alpha[i])) for i in range(c)]
    pos = [i for i in range(c) if z[i] == INF]
    if pos:
        logp = [(-mp.log(len(pos)) if i in pos else -mp.inf) for i in range(c)]
        q = [(1 - mp.mpf(1) / len(pos)) if i in pos else mp.mpf(1) for i in range(c)]
    else:
        live = [i for i in range(c) if z[i] != -INF]
        m = max(mp.mpf(z[i]) for i in live)
        e = {i: mp.exp(mp.mpf(z[i]) - m) for i in live}
        star = max(live, key=lambda i: z[i])
        rest = mp.fsum(e[j] for j in live if j != star)  # the sum without one maximal term
        s = 1 + rest
        logp = [(mp.mpf(z[i]) - m - mp.log1p(rest)) if i in live else -mp.inf for i in range(c)]
        q = [mp.fsum(e[j] for j in live if j != i) / s if i in live else mp.mpf(1) for i in range(c)]
    out = mp.mpf(0)
    for i in range(c):
        mod = mp.mpf(1) if g == 0 else q[i] ** g
        k = coef[i] * mod
        if k == 0:
            continue
        out -= k * logp[i]
    return out


def _softplus(x):
    if x == INF:
        return mp.inf
    if x == -INF:
        return mp.mpf(0)
    x = mp.mpf(x)
    return x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x))


def _sigmoid(x):
    if x == INF:
        return mp.mpf(1)
    if x == -INF:
        return mp.mpf(0)
    return 1 / (1 + mp.exp(-mp.mpf(x)))


def _sfocal(x, y, gamma, alpha=None):
    y, g = mp.mpf(y), mp.mpf(gamma)
    ce = (y * _softplus(-x) if y != 0 else 0) + ((1 - y) * _softplus(x) if y != 1 else 0)
    m = y * _sigmoid(-x) + (1 - y) * _sigmoid(x)
    mod = mp.mpf(1) if g == 0 else m ** g
    at = 1 if alpha is None else mp.mpf(alpha) * y + (1 - mp.mpf(alpha)) * (1 - y)
    k = at * mod
    return mp.mpf(0) if k == 0 else k * ce


def _row(cid, function, clause, args, kwargs, expected, ulps=8, floor=1.0):
    return {"id": cid, "function": function, "clause": clause, "args": list(args), "kwargs": kwargs,
            "expected": expected, "ulps": ulps, "floor": floor}


def _onehot(idx, c):
    return np.eye(c)[idx]


def cases():
    rows = []
    fl, sf = "focal_loss", "sigmoid_focal_loss"

    # --- softmax focal: confident rows (relative accuracy) -------------------
    z = np.array([[40.0, 0.0, 0.0], [300.0, 0.0, -5.0], [700.0, 690.0, 0.0], [20.0, 0.0, 0.0]])
    y = np.array([0, 0, 0, 0])
    for gamma in (0.0, 0.5, 2.0, 5.0):
        exp = np.array([_f(_focal_row(z[i], _onehot(y[i], 3), gamma, [1, 1, 1])) for i in range(len(z))])
        rows.append(_row(f"focal.golden.confident-gamma-{gamma:g}", fl, "focal.special.confident", (z, y),
                         {"gamma": gamma, "reduction": "none"}, exp, ulps=16, floor=0.0))

    # --- softmax focal: huge and infinite logits ------------------------------
    z = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [INF, 0.0, 1.0], [INF, 0.0, 1.0], [-INF, 0.0, 1.0],
                  [INF, INF, 0.0], [1e308, -1e308, 0.0]])
    y = np.array([1, 0, 0, 1, 2, 0, 0])
    alpha = np.array([0.25, 2.0, 0.5])
    for gamma in (0.0, 2.0):
        for a in (None, alpha):
            aa = [1, 1, 1] if a is None else a
            exp = np.array([_f(_focal_row(z[i], _onehot(y[i], 3), gamma, aa)) for i in range(len(z))])
            name = "none" if a is None else "vector"
            rows.append(_row(f"focal.golden.huge-inf-gamma-{gamma:g}-alpha-{name}", fl, "focal.special.inf", (z, y),
                             _kw(gamma=gamma, alpha=a, reduction="none"), exp, ulps=8, floor=1.0))

    # --- softmax focal: soft targets, reductions, scalar alpha ----------------
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0], [-30.0, 30.0, 0.0]])
    t = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    vals = [_focal_row(z[i], t[i], 1.5, [0.25] * 3) for i in range(3)]
    rows.append(_row("focal.golden.soft-none", fl, "focal.def", (z, t), {"gamma": 1.5, "alpha": 0.25, "reduction": "none"},
                     np.array([_f(v) for v in vals]), ulps=8, floor=1.0))
    rows.append(_row("focal.golden.soft-mean", fl, "focal.def", (z, t), {"gamma": 1.5, "alpha": 0.25},
                     _f(mp.fsum(vals) / 3), ulps=8, floor=1.0))

    # --- sigmoid focal ---------------------------------------------------------
    x = np.array([1e4, -1e4, 1e4, -1e4, 1e308, -1e308, 1e308, -1e308, INF, -INF, INF, -INF, INF])
    yx = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5])
    for gamma in (0.0, 2.0):
        for a in (None, 0.25):
            exp = np.array([_f(_sfocal(float(v), float(w), gamma, a)) for v, w in zip(x, yx)])
            rows.append(_row(f"sfocal.golden.huge-inf-gamma-{gamma:g}-alpha-{a}", sf, "sfocal.special.inf", (x, yx),
                             _kw(gamma=gamma, alpha=a, reduction="none"), exp, ulps=8, floor=1.0))
    xc = np.array([40.0, 300.0, 700.0, -40.0, -300.0, -700.0, 15.0])
    yc = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    for gamma in (0.5, 2.0, 5.0):
        exp = np.array([_f(_sfocal(float(v), float(w), gamma, 0.25)) for v, w in zip(xc, yc)])
        rows.append(_row(f"sfocal.golden.confident-gamma-{gamma:g}", sf, "sfocal.special.confident", (xc, yc),
                         {"gamma": gamma, "alpha": 0.25, "reduction": "none"}, exp, ulps=16, floor=0.0))
    xm = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    ym = np.array([[0.0, 1.0, 1.0], [1.0, 0.3, 0.5]])
    vals = [_sfocal(float(v), float(w), 2.0, 0.25) for v, w in zip(xm.ravel(), ym.ravel())]
    rows.append(_row("sfocal.golden.mean", sf, "sfocal.def", (xm, ym), {"alpha": 0.25}, _f(mp.fsum(vals) / 6),
                     ulps=8, floor=1.0))
    rows.append(_row("sfocal.golden.sum", sf, "sfocal.def", (xm, ym), {"alpha": 0.25, "reduction": "sum"},
                     _f(mp.fsum(vals)), ulps=8, floor=1.0))
    return rows


def _kw(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not None}

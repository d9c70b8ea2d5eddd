"""Golden cases for binary cross entropy, computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate binary`` to rewrite ``binary.jsonl``.
Every expectation is computed here from the definitions (never from the
reference implementation); ``0 * log 0 = 0`` and infinite logits take their
limits.  Rows whose expected loss is tiny (confident predictions, probabilities
next to 0) carry ``floor=0``: they ask for relative accuracy, which a stable
formula delivers and a clamped or naive one does not.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

from conformance.golden._mpmath import INF, to_float as _f


def _bce(p, y, eps=0.0):
    p, y, e = mp.mpf(p), mp.mpf(y), mp.mpf(eps)
    out = mp.mpf(0)
    if y != 0:
        out -= y * (mp.log(p + e) if p + e > 0 else -mp.inf)
    if y != 1:
        out -= (1 - y) * (mp.log1p(e - p) if 1 - p + e > 0 else -mp.inf)
    return out


def _softplus(x):
    if x == INF:
        return mp.inf
    if x == -INF:
        return mp.mpf(0)
    x = mp.mpf(x)
    return x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x))


def _sbce(x, y, pw=1.0):
    y, pw = mp.mpf(y), mp.mpf(pw)
    out = mp.mpf(0)
    if pw * y != 0:
        out += pw * y * _softplus(-x)
    if y != 1:
        out += (1 - y) * _softplus(x)
    return out


def _reduce(values, weights, reduction):
    if reduction == "none":
        return np.array([_f(w * v) if w != 0 else 0.0 for v, w in zip(values, weights)])
    total = mp.fsum(mp.mpf(w) * v for v, w in zip(values, weights) if w != 0)
    if reduction == "sum":
        return _f(total)
    return _f(total / mp.fsum(mp.mpf(w) for w in weights))


def _row(cid, function, clause, args, kwargs, expected, ulps=4, floor=1.0):
    return {"id": cid, "function": function, "clause": clause, "args": list(args), "kwargs": kwargs,
            "expected": expected, "ulps": ulps, "floor": floor}


def cases():
    rows = []
    bce = "binary_cross_entropy"
    sbce = "sigmoid_binary_cross_entropy"

    # --- probabilities exactly 0 and 1, 1e-300, 1 - 1e-15 -------------------
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e-300, 1e-300, 1 - 1e-15, 1 - 1e-15, 5e-324, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 1.0, 0.0, 0.0, 0.5])
    vals = [_bce(a, b) for a, b in zip(p, y)]
    rows.append(_row("bce.golden.zero-one-tiny", bce, "bce.special.zero-one", (p, y), {"reduction": "none"},
                     _reduce(vals, [1.0] * len(p), "none"), ulps=4, floor=1.0))
    # the tiny losses alone, to relative accuracy
    pt = np.array([1e-300, 1 - 1e-15, 1e-20, 5e-324, 1e-10])
    yt = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    rows.append(_row("bce.golden.tiny-relative", bce, "bce.special.tiny", (pt, yt), {"reduction": "none"},
                     _reduce([_bce(a, b) for a, b in zip(pt, yt)], [1.0] * 5, "none"), ulps=4, floor=0.0))
    # log(p) below -100: no clamp (PyTorch clamps at -100)
    pc = np.array([1e-50, 1e-300, 1 - 2**-53])
    yc = np.array([1.0, 1.0, 0.0])
    rows.append(_row("bce.golden.no-clamp", bce, "bce.def", (pc, yc), {"reduction": "none"},
                     _reduce([_bce(a, b) for a, b in zip(pc, yc)], [1.0] * 3, "none"), ulps=4, floor=1.0))
    # eps inside both logs
    pe = np.array([0.0, 1.0, 0.3, 1e-300])
    ye = np.array([1.0, 0.0, 0.75, 0.0])
    for eps in (1e-7, 1e-12):
        rows.append(_row(f"bce.golden.eps-{eps:g}", bce, "bce.eps", (pe, ye), {"eps": eps, "reduction": "none"},
                         _reduce([_bce(a, b, eps) for a, b in zip(pe, ye)], [1.0] * 4, "none"), ulps=8, floor=1.0))
    # weighted mean
    pw_ = np.array([[0.2, 0.7, 0.9], [0.5, 1e-300, 0.6]])
    yw = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    w = np.array([0.5, 2.0, 1.0])
    wb = np.broadcast_to(w, yw.shape).ravel()
    vals = [_bce(a, b) for a, b in zip(pw_.ravel(), yw.ravel())]
    for red in ("sum", "mean"):
        rows.append(_row(f"bce.golden.weighted-{red}", bce, "bce.weight", (pw_, yw), {"weight": w, "reduction": red},
                         _reduce(vals, wb, red), ulps=8, floor=1.0))

    # --- logits: ±1e4, ±1e308, ±inf, confident ------------------------------
    x = np.array([1e4, -1e4, 1e4, -1e4, 1e308, -1e308, 1e308, -1e308, INF, -INF, INF, -INF, INF, 1e4])
    yx = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
    rows.append(_row("sbce.golden.huge-and-inf", sbce, "sbce.special.huge", (x, yx), {"reduction": "none"},
                     _reduce([_sbce(a, b) for a, b in zip(x, yx)], [1.0] * len(x), "none"), ulps=4, floor=1.0))
    xc = np.array([40.0, 300.0, 700.0, -40.0, -300.0, -700.0, 37.5, 745.0])
    yc = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    rows.append(_row("sbce.golden.confident", sbce, "sbce.special.confident", (xc, yc), {"reduction": "none"},
                     _reduce([_sbce(a, b) for a, b in zip(xc, yc)], [1.0] * len(xc), "none"), ulps=8, floor=0.0))
    xn = np.array([-800.0, -40.0, 0.0, 2.5, -1e-300, 36.7])
    yn = np.array([1.0, 1.0, 0.5, 0.3, 1.0, 0.999])
    rows.append(_row("sbce.golden.moderate", sbce, "sbce.def", (xn, yn), {"reduction": "none"},
                     _reduce([_sbce(a, b) for a, b in zip(xn, yn)], [1.0] * len(xn), "none"), ulps=8, floor=1.0))
    # pos_weight along the last axis and weights
    xp = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 40.0]])
    yp = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    pwv = np.array([3.0, 1.0, 0.5])
    ww = np.array([[2.0], [0.5]])
    vals = [_sbce(xp[i, j], yp[i, j], pwv[j]) for i in range(2) for j in range(3)]
    wb = np.broadcast_to(ww, yp.shape).ravel()
    for red in ("none", "sum", "mean"):
        rows.append(_row(f"sbce.golden.pos-weight-{red}", sbce, "sbce.pos-weight", (xp, yp),
                         {"weight": ww, "pos_weight": pwv, "reduction": red},
                         _reduce(vals, wb, red).reshape(2, 3) if red == "none" else _reduce(vals, wb, red),
                         ulps=8, floor=1.0))
    return rows

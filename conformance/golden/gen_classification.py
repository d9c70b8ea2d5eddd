"""Golden cases for the classification losses, computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate classification`` to rewrite
``classification.jsonl``.  Every expectation is computed here from the
definition (log-sum-exp in mpmath), never from the reference implementation;
infinite logits are resolved by their limits (``+inf`` classes share the mass,
``-inf`` classes drop out).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

from conformance.golden._mpmath import INF, to_float as _f


def _row_loss(z, coef):
    """``-sum_c coef_c log softmax(z)_c`` for one row, with the limits of ±inf."""
    z = [float(v) for v in z]
    coef = [mp.mpf(float(c)) for c in coef]
    pos = [i for i, v in enumerate(z) if v == INF]
    if pos:
        k = len(pos)
        if any(coef[i] > 0 for i in range(len(z)) if i not in pos):
            return mp.inf
        return mp.fsum(coef[i] * mp.log(k) for i in pos)
    live = [i for i, v in enumerate(z) if v != -INF]
    if not live:
        return mp.nan
    if any(coef[i] > 0 for i in range(len(z)) if i not in live):
        return mp.inf
    # Shift by the maximum exactly (mpf differences of floats are exact at this
    # precision only when they are formed before the logarithm is added).
    m = max(mp.mpf(z[i]) for i in live)
    log_rest = mp.log(mp.fsum(mp.exp(mp.mpf(z[i]) - m) for i in live))
    return mp.fsum(coef[i] * ((m - mp.mpf(z[i])) + log_rest) for i in live if coef[i] != 0)


def _sce(z, target, weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean"):
    z = np.asarray(z, dtype=np.float64)
    n, c = z.shape
    w = [1.0] * c if weight is None else list(weight)
    eps = mp.mpf(label_smoothing)
    losses, wn = [], []
    for i in range(n):
        if np.issubdtype(np.asarray(target).dtype, np.integer):
            yi = int(target[i])
            if ignore_index is not None and yi == ignore_index:
                losses.append(mp.mpf(0))
                wn.append(mp.mpf(0))
                continue
            y = [mp.mpf(1) if j == yi else mp.mpf(0) for j in range(c)]
        else:
            y = [mp.mpf(float(v)) for v in target[i]]
        t = [(1 - eps) * y[j] + eps / c for j in range(c)]
        coef = [t[j] * mp.mpf(w[j]) for j in range(c)]
        losses.append(_row_loss(z[i], coef))
        wn.append(mp.fsum(y[j] * mp.mpf(w[j]) for j in range(c)) if weight is not None else mp.mpf(1))
    return _reduce(losses, wn, reduction)


def _reduce(losses, wn, reduction):
    if reduction == "none":
        return np.array([_f(v) for v in losses], dtype=np.float64)
    total = mp.fsum(losses) if losses else mp.mpf(0)
    if reduction == "sum":
        return _f(total)
    denom = mp.fsum(wn) if wn else mp.mpf(0)
    return float("nan") if denom == 0 else _f(total / denom)


def _nll(lp, target, weight=None, ignore_index=None, reduction="mean"):
    losses, wn = [], []
    for i, yi in enumerate(target):
        yi = int(yi)
        if ignore_index is not None and yi == ignore_index:
            losses.append(mp.mpf(0))
            wn.append(mp.mpf(0))
            continue
        w = mp.mpf(1) if weight is None else mp.mpf(float(weight[yi]))
        v = float(lp[i][yi])
        losses.append(-w * (mp.mpf(v) if np.isfinite(v) else (mp.inf if v > 0 else -mp.inf)))
        wn.append(w)
    return _reduce(losses, wn, reduction)


def _cce(q, t, eps=0.0, reduction="mean"):
    losses = []
    for qi, ti in zip(q, t):
        s = mp.mpf(0)
        for qc, tc in zip(qi, ti):
            if tc == 0:
                continue
            arg = mp.mpf(float(qc)) + mp.mpf(eps)
            s -= mp.mpf(float(tc)) * (mp.log(arg) if arg > 0 else -mp.inf)
        losses.append(s)
    return _reduce(losses, [mp.mpf(1)] * len(losses), reduction)


def _case(id, function, clause, args, kwargs, expected, ulps=4.0, floor=1.0):
    return {"id": id, "function": function, "clause": clause, "args": list(args),
            "kwargs": dict(kwargs), "expected": expected, "ulps": ulps, "floor": floor}


def _a(x, dtype=np.float64):
    return np.array(x, dtype=dtype)


def cases():
    out = []
    sce = "softmax_cross_entropy"

    def add_sce(id, clause, z, target, ulps=4.0, floor=1.0, **kw):
        expected = _sce(z, target, **kw)
        out.append(_case(id, sce, clause, (z, target), kw, expected, ulps, floor))

    i64 = np.int64
    # Large finite logits.
    z = _a([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 1e4, -1e4]])
    add_sce("sce.golden.logits-1e4", "sce.special.huge-logits", z, _a([0, 0, 2], i64), reduction="none")
    add_sce("sce.golden.logits-1e4-smoothing", "sce.special.huge-logits", z, _a([0, 1, 1], i64),
            ulps=16.0, label_smoothing=0.1, reduction="none")
    z = _a([[1e308, -1e308, 0.0], [1e308, 1e308, -1e308], [-1e308, -1e308, -1e308]])
    add_sce("sce.golden.logits-1e308", "sce.special.huge-logits", z, _a([2, 0, 1], i64), reduction="none")
    add_sce("sce.golden.logits-1e308-sum", "sce.special.huge-logits", z, _a([0, 1, 1], i64), reduction="sum")
    # Infinite logits.
    z = _a([[INF, 0.0, 1.0], [INF, INF, 0.0], [-INF, 0.0, 1.0], [-INF, -INF, 3.0]])
    add_sce("sce.golden.inf-index", "sce.special.posinf-target", z, _a([0, 0, 1, 2], i64), reduction="none")
    add_sce("sce.golden.inf-other", "sce.special.posinf-other", z[:2], _a([2, 2], i64), reduction="none")
    soft = _a([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.25, 0.75], [0.0, 0.0, 1.0]])
    add_sce("sce.golden.inf-soft", "sce.special.neginf-mask", z, soft, reduction="none")
    add_sce("sce.golden.masked-class-index", "sce.special.neginf-mask", _a([[-INF, 0.0, 1.0]]), _a([0], i64),
            reduction="none")
    add_sce("sce.golden.masked-class-smoothing", "sce.special.neginf-mask", _a([[-INF, 0.0, 1.0]]), _a([1], i64),
            label_smoothing=0.1, reduction="none")
    add_sce("sce.golden.masked-class-weighted", "sce.special.neginf-mask",
            _a([[-INF, 0.0, 1.0], [2.0, -INF, -1.0]]), _a([[0.0, 0.5, 0.5], [0.75, 0.0, 0.25]]),
            weight=_a([3.0, 0.5, 2.0]), reduction="sum")
    # Confident predictions: 40, 300, 700 above the rest.
    z = _a([[40.0, 0.0, 0.0, 0.0], [300.0, 0.0, -5.0, 1.0], [700.0, 0.0, 0.0, 0.0]])
    add_sce("sce.golden.confident", "sce.special.confident", z, _a([0, 0, 0], i64), reduction="none")
    add_sce("sce.golden.confident-wrong", "sce.special.confident", z, _a([1, 2, 3], i64), reduction="none")
    add_sce("sce.golden.confident-mean", "sce.special.confident", z, _a([0, 2, 3], i64))
    # Ignored targets.
    z = _a([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0]])
    for red in ("mean", "sum", "none"):
        add_sce(f"sce.golden.all-ignored-{red}", "sce.special.all-ignored-mean-nan", z, _a([-100, -100], i64),
                ignore_index=-100, reduction=red)
    add_sce("sce.golden.ignore-real-class", "sce.definition", z, _a([1, 2], i64), ignore_index=1,
            weight=_a([0.2, 5.0, 1.5]))
    # Options together, moderate logits.
    z = _a([[2.5, -1.0, 0.25, 4.0], [-3.0, 0.0, 1.0, 1.0], [10.0, -10.0, 5.0, 0.0]])
    add_sce("sce.golden.weights-smoothing-mean", "sce.definition", z, _a([3, 0, 1], i64),
            weight=_a([1.0, 2.0, 0.5, 0.25]), label_smoothing=0.2)
    add_sce("sce.golden.soft-weights-mean", "sce.definition", z,
            _a([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.5]]),
            weight=_a([1.0, 2.0, 0.5, 0.25]), label_smoothing=0.05)

    # nll_loss
    nll = "nll_loss"

    def add_nll(id, clause, lp, target, ulps=4.0, floor=1.0, **kw):
        out.append(_case(id, nll, clause, (lp, target), kw, _nll(lp, target, **kw), ulps, floor))

    lp = _a([[-INF, np.log(0.25), np.log(0.75)], [-1e308, -0.0, -INF], [-745.0, -1e-300, -50.0]])
    add_nll("nll.golden.neginf", "nll.special.neginf", lp, _a([0, 0, 2], i64), reduction="none")
    add_nll("nll.golden.finite", "nll.special.neginf", lp, _a([2, 1, 1], i64), reduction="none")
    add_nll("nll.golden.weights-ignore-mean", "nll.definition", lp, _a([2, -1, 0], i64),
            weight=_a([0.5, 2.0, 3.0]), ignore_index=-1)
    add_nll("nll.golden.all-ignored", "nll.definition", lp, _a([1, 1, 1], i64), ignore_index=1)

    # categorical_cross_entropy
    cce = "categorical_cross_entropy"

    def add_cce(id, clause, q, t, ulps=4.0, floor=1.0, **kw):
        out.append(_case(id, cce, clause, (q, t), kw, _cce(q, t, **kw), ulps, floor))

    q = _a([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1e-300, 0.5, 0.5], [0.2, 0.0, 0.8]])
    t = _a([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.25, 0.0, 0.75]])
    add_cce("cce.golden.zero-one", "cce.special.zero-one", q, t, reduction="none")
    add_cce("cce.golden.zero-one-eps", "cce.eps", q, t, eps=1e-9, reduction="none")
    add_cce("cce.golden.source-mean", "cce.definition",
            _a([[0.03, 0.05, 0.8, 0.1, 0.02], [0.2, 0.2, 0.2, 0.2, 0.2]]),
            _a([[0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.0, 0.5]]), eps=1e-9)
    return out

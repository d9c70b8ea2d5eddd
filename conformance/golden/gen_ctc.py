"""Golden cases for CTC, computed with mpmath at 60 digits.

Run ``python -m conformance.golden.generate ctc`` to rewrite ``ctc.jsonl``.
The expectations come from the forward recursion of the definition in
*linear* space with mpmath numbers, whose exponent range is unbounded: the
probability ``e^{-1e308}`` is an ordinary mpmath number, so no log-space trick
is involved and the result is exact to 60 digits.  Gradients are the state
posteriors ``alpha_t(s) beta_t(s) / p`` of the same recursion.  The recursion
is the accuracy oracle's (``accuracy.exact.ctc_sequence``), so the golden rows
and the accuracy page measure against one model.

Every case uses normalised log-probabilities (rows whose probabilities sum to
1 up to float64 rounding) without ``-inf`` and without padding garbage, so
that they measure accuracy only; impossible alignments carry the clause
``ctc.special.impossible`` and are checked separately.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np

from accuracy.exact import ctc_sequence
from conformance.golden._mpmath import to_float as _f


def _exact(lp, label, blank):
    """``(-log p, gradient)`` of one sequence: the exact recursion of the
    accuracy oracle (:func:`accuracy.exact.ctc_sequence`) at 60 digits."""
    rows = [[mp.mpf(float(v)) for v in row] for row in lp]
    return ctc_sequence(rows, [int(k) for k in label], blank)


def mp_ctc(lp, label, blank):
    """``-log p(label | lp)`` for one sequence of frames ``lp`` (T x C)."""
    return _exact(lp, label, blank)[0]


def mp_ctc_grad(lp, label, blank):
    """``d(-log p)/d lp[t, k] = -sum_{s: ext[s] = k} alpha_t(s) beta_t(s) / p``."""
    grad = _exact(lp, label, blank)[1]
    if grad is None:
        raise ValueError("no gradient of an impossible alignment")
    return grad


def _batch(lp, targets, il, tl, blank, reduction, zero_infinity=False):
    per = []
    for n in range(lp.shape[0]):
        value = mp_ctc(lp[n, :il[n]], list(targets[n, :tl[n]]), blank)
        if zero_infinity and value == mp.inf:
            value = mp.mpf(0)
        per.append(value)
    if reduction == "none":
        return np.array([_f(v) for v in per])
    total = mp.fsum(per)
    return _f(total if reduction == "sum" else total / len(per))


def _batch_grad(lp, targets, il, tl, blank, reduction):
    n, _, c = lp.shape
    scale = mp.mpf(1) / n if reduction == "mean" else mp.mpf(1)
    out = np.zeros(lp.shape)
    for i in range(n):
        g = mp_ctc_grad(lp[i, :il[i]], list(targets[i, :tl[i]]), blank)
        for t in range(il[i]):
            for k in range(c):
                out[i, t, k] = _f(g[t][k] * scale)
    return out


def _log_softmax(z):
    """float64 log_softmax of rows, computed at 60 digits and rounded once."""
    out = np.empty(z.shape)
    for idx in np.ndindex(z.shape[:-1]):
        row = [mp.mpf(float(v)) for v in z[idx]]
        lse = mp.log(mp.fsum(mp.exp(v) for v in row))
        out[idx] = [_f(v - lse) for v in row]
    return out


def _budget(lp, targets, il, tl, blank, value, ulps=4.0):
    """``ulps (1 + (T+1)(1 + A)/max(|l|, 1))`` with ``A`` the sum over valid
    frames of the largest |log-probability| among the classes of the extended
    label (the blank and the target's labels): the spec's accuracy clause."""
    per = np.atleast_1d(np.asarray(value, dtype=np.float64))
    worst = 0.0
    for n in range(lp.shape[0]):
        used = sorted({blank, *(int(k) for k in targets[n, :tl[n]])})
        frames = lp[n, :il[n]][:, used]
        with np.errstate(over="ignore"):
            a = float(np.sum(np.max(np.abs(frames), axis=-1))) if il[n] else 0.0
        mag = abs(per[n]) if per.size == lp.shape[0] and math.isfinite(per[n]) else 1.0
        worst = max(worst, (il[n] + 1) * (1.0 + min(a, 1e300)) / max(mag, 1.0))
    return float(ulps * (1.0 + worst))


def _case(cid, clause, lp, targets, il, tl, *, blank=0, reduction="none", zero_infinity=False):
    lp = np.asarray(lp, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    il, tl = np.asarray(il, dtype=np.int64), np.asarray(tl, dtype=np.int64)
    kwargs = {}
    if blank != 0:
        kwargs["blank"] = blank
    if reduction != "mean":
        kwargs["reduction"] = reduction
    if zero_infinity:
        kwargs["zero_infinity"] = True
    expected = _batch(lp, targets, il, tl, blank, reduction, zero_infinity)
    return {"id": cid, "function": "ctc_loss", "clause": clause,
            "args": [lp, targets, il, tl], "kwargs": kwargs, "expected": expected,
            "ulps": _budget(lp, targets, il, tl, blank,
                            expected if reduction == "none" else [expected] * lp.shape[0]),
            "floor": 1.0}


def _grad_case(cid, clause, lp, targets, il, tl, *, blank=0, reduction="sum"):
    lp = np.asarray(lp, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    il, tl = np.asarray(il, dtype=np.int64), np.asarray(tl, dtype=np.int64)
    kwargs = {"reduction": reduction} if reduction != "mean" else {}
    if blank != 0:
        kwargs["blank"] = blank
    expected = _batch_grad(lp, targets, il, tl, blank, reduction)
    per = _batch(lp, targets, il, tl, blank, "none")
    return {"id": cid, "function": "ctc_loss_grad", "clause": clause,
            "args": [lp, targets, il, tl], "kwargs": kwargs, "expected": expected,
            "ulps": _budget(lp, targets, il, tl, blank, np.ones_like(per)), "floor": 1.0}


def cases():
    rng = np.random.default_rng(20240607)
    out = []

    # Two frames, three classes, blank 2: the source's numbers with P(b) small but
    # positive (the -inf form is the example check's business).
    probs = np.array([[0.4, 1e-3, 0.599], [0.4, 1e-3, 0.599]])
    src = np.log(probs)[None]
    out.append(_case("ctc.golden.two-frames-a", "ctc.def", src, [[0]], [2], [1], blank=2))
    out.append(_case("ctc.golden.two-frames-ab", "ctc.def", src, [[0, 1]], [2], [2], blank=2))
    out.append(_case("ctc.golden.two-frames-empty", "ctc.special.empty-target", src, [[0]], [2], [0], blank=2))

    # Repeated labels: "aa" needs a blank between, "abba" needs five frames.
    z = rng.normal(size=(1, 5, 3)) * 2.0
    lp = _log_softmax(z)
    out.append(_case("ctc.golden.repeat-aa-3", "ctc.def", lp, [[1, 1]], [3], [2]))
    out.append(_case("ctc.golden.repeat-abba-5", "ctc.def", lp, [[1, 2, 2, 1]], [5], [4]))
    out.append(_case("ctc.golden.aba-3", "ctc.def", lp, [[1, 2, 1]], [3], [3]))
    out.append(_case("ctc.golden.impossible-aa-2", "ctc.special.impossible", lp, [[1, 1]], [2], [2]))
    out.append(_case("ctc.golden.impossible-abba-4", "ctc.special.impossible", lp, [[1, 2, 2, 1]], [4], [4]))
    out.append(_case("ctc.golden.impossible-zero-frames", "ctc.special.impossible", lp, [[1, 2, 2, 1]], [0], [1]))
    out.append(_case("ctc.golden.impossible-zero-infinity", "ctc.special.zero-infinity",
                     np.concatenate([lp, lp]), [[1, 1], [2, 1]], [2, 5], [2, 2], reduction="sum",
                     zero_infinity=True))

    # Very negative log-probabilities: rows normalised to float64 precision
    # (log_softmax of [0, -745, -1e4, -1e308] rounds to the same numbers).
    row = [0.0, -745.0, -1e4, -1e308]
    ext = np.array([[row] * 4])
    out.append(_case("ctc.golden.extreme-745", "ctc.special.extreme", ext, [[1]], [4], [1]))
    out.append(_case("ctc.golden.extreme-1e4", "ctc.special.extreme", ext, [[2, 1]], [4], [2]))
    out.append(_case("ctc.golden.extreme-1e308", "ctc.special.extreme", ext, [[3, 2]], [3], [2]))
    out.append(_case("ctc.golden.extreme-blank-last", "ctc.special.extreme",
                     np.array([[[-1e4, 0.0, -745.0]] * 3]), [[1, 1]], [3], [2], blank=2))

    # Confident and flat rows, several blanks, reductions.
    z = rng.normal(size=(3, 6, 4)) * np.array([1.0, 8.0, 30.0])[:, None, None]
    lp = _log_softmax(z)
    tg = np.array([[1, 2, 3], [3, 3, 1], [2, 1, 2]])
    for red in ("none", "sum"):   # "mean" has checks of its own (ctc.reduction, red.weights.ctc)
        out.append(_case(f"ctc.golden.batch-{red}", "ctc.def", lp, tg, [6, 6, 5], [3, 3, 2], reduction=red))
    tgb = np.array([[0, 2, 3], [3, 0, 0], [2, 3, 1]])
    out.append(_case("ctc.golden.batch-blank-1", "ctc.def", lp, tgb, [6, 4, 5], [3, 3, 2], blank=1))
    out.append(_case("ctc.golden.ragged-lengths", "ctc.padding", lp, tg, [6, 3, 0], [3, 1, 0]))

    # A long sequence: T = 60, C = 5, L = 20 with repeats, plus a shorter row.
    z = rng.normal(size=(2, 60, 5)) * 3.0
    lp = _log_softmax(z)
    label = rng.integers(1, 5, size=20)
    label[5] = label[4]
    label[12] = label[11]
    tg = np.stack([label, np.roll(label, 3)])
    out.append(_case("ctc.golden.long-60", "ctc.accuracy", lp, tg, [60, 41], [20, 12]))
    out.append(_case("ctc.golden.long-60-sum", "ctc.accuracy", lp, tg, [60, 41], [20, 12], reduction="sum"))

    # Gradients (reduction "sum" and "mean").
    z = rng.normal(size=(2, 5, 4)) * 2.0
    lp = _log_softmax(z)
    out.append(_grad_case("ctc.golden.grad-small", "ctc.gradient", lp, [[1, 1, 2], [3, 2, 0]], [5, 4], [3, 2]))
    out.append(_grad_case("ctc.golden.grad-mean-blank-3", "ctc.gradient", lp, [[1, 1, 2], [0, 2, 0]], [5, 3],
                          [3, 1], blank=3, reduction="mean"))
    out.append(_grad_case("ctc.golden.grad-extreme", "ctc.gradient", np.array([[row] * 4]), [[2, 1]], [4], [2]))
    z = rng.normal(size=(1, 30, 4)) * 4.0
    out.append(_grad_case("ctc.golden.grad-long", "ctc.gradient", _log_softmax(z),
                          [[1, 2, 2, 3, 1, 1, 3, 2, 1, 3]], [30], [10]))
    return out

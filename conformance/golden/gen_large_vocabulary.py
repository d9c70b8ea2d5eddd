"""Golden rows of the large-vocabulary page (docs/spec/large-vocabulary.md): the
z-loss and softcap of softmax cross entropy and ``linear_cross_entropy`` with its
three gradients, every expected value from the one oracle, :mod:`accuracy.exact`
(mpmath at 60 digits, rounded once to float64).

Run ``python -m conformance.golden.generate large_vocabulary`` to rewrite
``large_vocabulary.jsonl``.  The inputs are fixed draws (a seeded generator)
chosen where implementations go wrong: logits far from 0 (the z-loss squares a
large logsumexp), confident rows under a cap, masked and ignored tokens, a
dot product that cancels, and non-unit class weights with smoothing.
"""

from __future__ import annotations

import numpy as np

from conformance.golden._mpmath import INF, oracle_row

SCE = "softmax_cross_entropy"
LCE = "linear_cross_entropy"


def _a(x, dtype=np.float64):
    return np.array(x, dtype=dtype)


def cases():
    out = []
    rng = np.random.default_rng(20240614)
    i64 = np.int64

    # z-loss: logsumexp far from 0, ignored tokens, class weights, every reduction
    z = np.round(3.0 * rng.standard_normal((4, 6)), 3)
    z[1] += 50.0
    z[2] -= 1e4
    t = _a([0, 5, 2, -100], i64)
    for red in ("none", "sum", "mean"):
        out.append(oracle_row(f"zloss.golden.offsets-{red}", SCE, "zloss.definition", (z, t),
                              {"z_loss": 1e-4, "ignore_index": -100, "reduction": red}))
    w = _a([1.0, 2.0, 0.5, 3.0, 0.25, 1.5])
    out.append(oracle_row("zloss.golden.weighted-mean", SCE, "zloss.mean", (z, t),
                          {"z_loss": 0.01, "weight": w, "ignore_index": -100, "label_smoothing": 0.1}))
    out.append(oracle_row("zloss.golden.gradient", SCE + "_grad", "zloss.gradient", (z, t),
                          {"z_loss": 1e-3, "ignore_index": -100, "reduction": "mean"}))

    # softcap: confident rows, infinite logits, the far tail of the slope
    zc = _a([[60.0, 0.0, -3.0], [INF, 1.0, -INF], [-INF, -INF, -INF], [400.0, -400.0, 0.0]])
    tc = _a([0, 1, 2, 2], i64)
    out.append(oracle_row("softcap.golden.confident-inf", SCE, "softcap.special.inf", (zc, tc),
                          {"softcap": 30.0, "reduction": "none"}))
    out.append(oracle_row("softcap.golden.gradient-tail", SCE + "_grad", "softcap.gradient", (zc, tc),
                          {"softcap": 15.0, "reduction": "sum"}))
    out.append(oracle_row("softcap.golden.with-zloss", SCE, "softcap.definition", (zc, tc),
                          {"softcap": 30.0, "z_loss": 1e-4, "label_smoothing": 0.1, "reduction": "none"}))

    # linear cross entropy: a small model, with and without the options
    n, c, h = 5, 7, 4
    x = np.round(rng.standard_normal((n, h)), 4)
    wt = np.round(rng.standard_normal((c, h)) / 2.0, 4)
    b = np.round(rng.standard_normal(c), 4)
    y = _a([0, 6, 3, -100, 2], i64)
    opts = {"linear_bias": b, "ignore_index": -100}
    out.append(oracle_row("lce.golden.bias-none", LCE, "lce.definition", (x, wt, y), {**opts, "reduction": "none"}))
    out.append(oracle_row("lce.golden.options-mean", LCE, "lce.definition", (x, wt, y),
                          {**opts, "z_loss": 1e-3, "softcap": 4.0, "label_smoothing": 0.1,
                           "weight": np.round(rng.uniform(0.2, 2.0, c), 3), "reduction": "mean"}))
    for wrt in ("input", "linear_weight", "linear_bias"):
        out.append(oracle_row(f"lce.golden.gradient-{wrt.replace('_', '-')}", LCE + "_grad", "lce.gradient",
                              (x, wt, y), {**opts, "z_loss": 1e-3, "softcap": 4.0, "wrt": wrt,
                                           "reduction": "sum"}))
    # a token whose logits cancel: 1e8 * (w_0 - w_1) + w_1 * 1e8 ... leaves small exact values
    xs = _a([[1e8, 1.0, -1e8, 0.5]])
    ws = _a([[1.0, 0.25, 1.0, 0.0], [3.0, -1.0, 3.0, 2.0], [0.5, 0.5, 0.5, -1.0]])
    out.append(oracle_row("lce.golden.cancelling", LCE, "lce.accuracy", (xs, ws, _a([1], i64)),
                          {"reduction": "none"}))
    # a masked class (bias -inf) and an all-ignored batch
    out.append(oracle_row("lce.golden.masked-class", LCE, "lce.bias", (x[:2], wt, _a([1, 2], i64)),
                          {"linear_bias": np.where(np.arange(c) == 0, -INF, b), "reduction": "none"}))
    return out

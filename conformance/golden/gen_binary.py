"""Golden rows for binary cross entropy: every expected value from the one
oracle, :mod:`accuracy.exact` (mpmath at 60 digits, rounded once to float64).

Run ``python -m conformance.golden.generate binary`` to rewrite ``binary.jsonl``.
``0 * log 0 = 0`` and infinite logits take their limits.  Each row is judged
under its clause's budget; the tiny losses that ask for relative accuracy are
also checked by ``bce.special.tiny`` and ``sbce.special.confident``.
"""

from __future__ import annotations

import numpy as np

from conformance.golden._mpmath import INF
from conformance.golden._mpmath import oracle_row as _row


def cases():
    rows = []
    bce = "binary_cross_entropy"
    sbce = "sigmoid_binary_cross_entropy"

    # --- probabilities exactly 0 and 1, 1e-300, 1 - 1e-15 -------------------
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e-300, 1e-300, 1 - 1e-15, 1 - 1e-15, 5e-324, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 1.0, 0.0, 0.0, 0.5])
    rows.append(_row("bce.golden.zero-one-tiny", bce, "bce.special.zero-one", (p, y), {"reduction": "none"}))
    # the tiny losses alone, to relative accuracy
    pt = np.array([1e-300, 1 - 1e-15, 1e-20, 5e-324, 1e-10])
    yt = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    rows.append(_row("bce.golden.tiny-relative", bce, "bce.special.tiny", (pt, yt), {"reduction": "none"}))
    # log(p) below -100: no clamp (PyTorch clamps at -100)
    pc = np.array([1e-50, 1e-300, 1 - 2**-53])
    yc = np.array([1.0, 1.0, 0.0])
    rows.append(_row("bce.golden.no-clamp", bce, "bce.def", (pc, yc), {"reduction": "none"}))
    # eps inside both logs
    pe = np.array([0.0, 1.0, 0.3, 1e-300])
    ye = np.array([1.0, 0.0, 0.75, 0.0])
    for eps in (1e-7, 1e-12):
        rows.append(_row(f"bce.golden.eps-{eps:g}", bce, "bce.eps", (pe, ye), {"eps": eps, "reduction": "none"}))
    # weighted mean
    pw_ = np.array([[0.2, 0.7, 0.9], [0.5, 1e-300, 0.6]])
    yw = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    w = np.array([0.5, 2.0, 1.0])
    for red in ("sum", "mean"):
        rows.append(_row(f"bce.golden.weighted-{red}", bce, "bce.weight", (pw_, yw), {"weight": w, "reduction": red}))

    # --- logits: ±1e4, ±1e308, ±inf, confident ------------------------------
    x = np.array([1e4, -1e4, 1e4, -1e4, 1e308, -1e308, 1e308, -1e308, INF, -INF, INF, -INF, INF, 1e4])
    yx = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
    rows.append(_row("sbce.golden.huge-and-inf", sbce, "sbce.special.huge", (x, yx), {"reduction": "none"}))
    xc = np.array([40.0, 300.0, 700.0, -40.0, -300.0, -700.0, 37.5, 745.0])
    yc = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    rows.append(_row("sbce.golden.confident", sbce, "sbce.special.confident", (xc, yc), {"reduction": "none"}))
    xn = np.array([-800.0, -40.0, 0.0, 2.5, -1e-300, 36.7])
    yn = np.array([1.0, 1.0, 0.5, 0.3, 1.0, 0.999])
    rows.append(_row("sbce.golden.moderate", sbce, "sbce.def", (xn, yn), {"reduction": "none"}))
    # pos_weight along the last axis and weights
    xp = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 40.0]])
    yp = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    pwv = np.array([3.0, 1.0, 0.5])
    ww = np.array([[2.0], [0.5]])
    for red in ("none", "sum", "mean"):
        rows.append(_row(f"sbce.golden.pos-weight-{red}", sbce, "sbce.pos-weight", (xp, yp),
                         {"weight": ww, "pos_weight": pwv, "reduction": red}))
    return rows

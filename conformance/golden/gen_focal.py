"""Golden rows for the focal losses: every expected value from the one oracle,
:mod:`accuracy.exact` (mpmath at 60 digits, rounded once to float64).

Run ``python -m conformance.golden.generate focal`` to rewrite ``focal.jsonl``.
The oracle forms ``1 - p_c`` without cancellation, takes the limits of infinite
logits and uses ``0**0 = 1``.  Each row is judged under its clause's budget;
the confident rows' relative accuracy is also checked by
``focal.special.confident`` and ``sfocal.special.confident``.
"""

from __future__ import annotations

import numpy as np

from conformance.golden._mpmath import INF
from conformance.golden._mpmath import oracle_row as _row


def _kw(**kwargs):
    return {k: v for k, v in kwargs.items() if v is not None}


def cases():
    rows = []
    fl, sf = "focal_loss", "sigmoid_focal_loss"

    # --- softmax focal: confident rows ----------------------------------------
    z = np.array([[40.0, 0.0, 0.0], [300.0, 0.0, -5.0], [700.0, 690.0, 0.0], [20.0, 0.0, 0.0]])
    y = np.array([0, 0, 0, 0])
    for gamma in (0.0, 0.5, 2.0, 5.0):
        rows.append(_row(f"focal.golden.confident-gamma-{gamma:g}", fl, "focal.special.confident", (z, y),
                         {"gamma": gamma, "reduction": "none"}))

    # --- softmax focal: huge and infinite logits ------------------------------
    z = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [INF, 0.0, 1.0], [INF, 0.0, 1.0], [-INF, 0.0, 1.0],
                  [INF, INF, 0.0], [1e308, -1e308, 0.0]])
    y = np.array([1, 0, 0, 1, 2, 0, 0])
    alpha = np.array([0.25, 2.0, 0.5])
    for gamma in (0.0, 2.0):
        for a in (None, alpha):
            name = "none" if a is None else "vector"
            rows.append(_row(f"focal.golden.huge-inf-gamma-{gamma:g}-alpha-{name}", fl, "focal.special.inf", (z, y),
                             _kw(gamma=gamma, alpha=a, reduction="none")))

    # --- softmax focal: soft targets, reductions, scalar alpha ----------------
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0], [-30.0, 30.0, 0.0]])
    t = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    rows.append(_row("focal.golden.soft-none", fl, "focal.def", (z, t), {"gamma": 1.5, "alpha": 0.25, "reduction": "none"}))
    rows.append(_row("focal.golden.soft-mean", fl, "focal.def", (z, t), {"gamma": 1.5, "alpha": 0.25}))

    # --- sigmoid focal ---------------------------------------------------------
    x = np.array([1e4, -1e4, 1e4, -1e4, 1e308, -1e308, 1e308, -1e308, INF, -INF, INF, -INF, INF])
    yx = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5])
    for gamma in (0.0, 2.0):
        for a in (None, 0.25):
            rows.append(_row(f"sfocal.golden.huge-inf-gamma-{gamma:g}-alpha-{a}", sf, "sfocal.special.inf", (x, yx),
                             _kw(gamma=gamma, alpha=a, reduction="none")))
    xc = np.array([40.0, 300.0, 700.0, -40.0, -300.0, -700.0, 15.0])
    yc = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    for gamma in (0.5, 2.0, 5.0):
        rows.append(_row(f"sfocal.golden.confident-gamma-{gamma:g}", sf, "sfocal.special.confident", (xc, yc),
                         {"gamma": gamma, "alpha": 0.25, "reduction": "none"}))
    xm = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    ym = np.array([[0.0, 1.0, 1.0], [1.0, 0.3, 0.5]])
    rows.append(_row("sfocal.golden.mean", sf, "sfocal.def", (xm, ym), {"alpha": 0.25}))
    rows.append(_row("sfocal.golden.sum", sf, "sfocal.def", (xm, ym), {"alpha": 0.25, "reduction": "sum"}))
    return rows

"""Golden rows for the classification losses: every expected value from the one
oracle, :mod:`accuracy.exact` (mpmath at 60 digits, rounded once to float64).

Run ``python -m conformance.golden.generate classification`` to rewrite
``classification.jsonl``.  Each row is a check of its own under its clause's
budget (no per-row tolerance); infinite logits take the limits the oracle
names (``+inf`` classes share the mass, ``-inf`` classes drop out).
"""

from __future__ import annotations

import numpy as np

from accuracy import exact
from conformance.golden._mpmath import INF, oracle_row, rounded, to_float


def _a(x, dtype=np.float64):
    return np.array(x, dtype=dtype)


def cases():
    out = []
    sce = "softmax_cross_entropy"

    def add_sce(id, clause, z, target, **kw):
        out.append(oracle_row(id, sce, clause, (z, target), kw))

    i64 = np.int64
    # Large finite logits.
    z = _a([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 1e4, -1e4]])
    add_sce("sce.golden.logits-1e4", "sce.special.huge-logits", z, _a([0, 0, 2], i64), reduction="none")
    add_sce("sce.golden.logits-1e4-smoothing", "sce.special.huge-logits", z, _a([0, 1, 1], i64),
            label_smoothing=0.1, reduction="none")
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

    def add_nll(id, clause, lp, target, **kw):
        out.append(oracle_row(id, nll, clause, (lp, target), kw))

    lp = _a([[-INF, np.log(0.25), np.log(0.75)], [-1e308, -0.0, -INF], [-745.0, -1e-300, -50.0]])
    add_nll("nll.golden.neginf", "nll.special.neginf", lp, _a([0, 0, 2], i64), reduction="none")
    add_nll("nll.golden.finite", "nll.special.neginf", lp, _a([2, 1, 1], i64), reduction="none")
    add_nll("nll.golden.weights-ignore-mean", "nll.definition", lp, _a([2, -1, 0], i64),
            weight=_a([0.5, 2.0, 3.0]), ignore_index=-1)
    add_nll("nll.golden.all-ignored", "nll.definition", lp, _a([1, 1, 1], i64), ignore_index=1)

    # categorical_cross_entropy
    cce = "categorical_cross_entropy"

    def add_cce(id, clause, q, t, **kw):
        out.append(oracle_row(id, cce, clause, (q, t), kw))

    q = _a([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1e-300, 0.5, 0.5], [0.2, 0.0, 0.8]])
    t = _a([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.25, 0.0, 0.75]])
    add_cce("cce.golden.zero-one", "cce.special.zero-one", q, t, reduction="none")
    add_cce("cce.golden.zero-one-eps", "cce.eps", q, t, eps=1e-9, reduction="none")
    add_cce("cce.golden.source-mean", "cce.definition",
            _a([[0.03, 0.05, 0.8, 0.1, 0.02], [0.2, 0.2, 0.2, 0.2, 0.2]]),
            _a([[0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.0, 0.5]]), eps=1e-9)
    return out

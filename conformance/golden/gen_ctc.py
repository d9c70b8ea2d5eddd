"""Golden rows for CTC: every expected value from the one oracle, :mod:`accuracy.exact`.

Run ``python -m conformance.golden.generate ctc`` to rewrite ``ctc.jsonl``.
The oracle runs the forward-backward recursion of the definition in *linear*
space with mpmath numbers, whose exponent range is unbounded: the probability
``e^{-1e308}`` is an ordinary mpmath number, so no log-space trick is involved
and the result is exact to 60 digits before its one rounding to float64.

Two groups of rows:

* ``ctc.golden.*`` measure accuracy: normalised log-probabilities (rows whose
  probabilities sum to 1 up to float64 rounding) without padding garbage,
  including very negative entries and long sequences.
* The fixed inputs of the special-value, layout and gradient clauses whose
  expected values are not closed forms (impossible alignments next to the
  possible ones, ``zero_infinity``, empty labels and arrays, ``-inf`` and NaN
  entries, the gradient's special entries), each row named after the clause it
  illustrates.  Their inputs are normalised too, so that a framework that
  normalises its input itself is judged on what these clauses claim.

A row's budget is its function's (``conformance/checks/ctc.py``), not the row's.
"""

from __future__ import annotations

import math

import numpy as np

from accuracy import exact
from conformance.golden._mpmath import rounded, to_float

CTC = "ctc_loss"
GRAD = "ctc_loss_grad"
DEFAULTS = {"blank": 0, "reduction": "mean", "zero_infinity": False}


def _log_softmax(z):
    """float64 log_softmax of rows: the oracle's, rounded once."""
    return rounded(exact.log_softmax(np.asarray(z, dtype=np.float64)))


def _frames(t, c, seed, n=1, scale=1.0):
    """``(n, t, c)`` normalised log-probabilities of standard normal logits times ``scale``."""
    return _log_softmax(np.random.default_rng(seed).normal(size=(n, t, c)) * scale)


def _row(cid, clause, function, lp, targets, il, tl, **kwargs):
    """One golden row of ``function`` (the loss or its gradient), expected from the oracle."""
    lp = np.asarray(lp, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    il, tl = np.asarray(il, dtype=np.int64), np.asarray(tl, dtype=np.int64)
    kwargs = {k: v for k, v in kwargs.items() if DEFAULTS.get(k) != v}
    oracle = exact.ctc_loss if function == CTC else exact.ctc_loss_grad
    expected = rounded(oracle(lp, targets, il, tl, **kwargs))
    return {"id": cid, "function": function, "clause": clause,
            "args": [lp, targets, il, tl], "kwargs": kwargs, "expected": expected}


def _accuracy_rows(rng):
    out = []
    # Two frames, three classes, blank 2: the source's numbers with P(b) small but
    # positive (the -inf form is row ctc.example.source of the case table).
    src = np.log(np.array([[0.4, 1e-3, 0.599], [0.4, 1e-3, 0.599]]))[None]
    out.append(_row("ctc.golden.two-frames-a", "ctc.def", CTC, src, [[0]], [2], [1], blank=2, reduction="none"))
    out.append(_row("ctc.golden.two-frames-ab", "ctc.def", CTC, src, [[0, 1]], [2], [2], blank=2, reduction="none"))
    out.append(_row("ctc.golden.two-frames-empty", "ctc.special.empty-target", CTC, src, [[0]], [2], [0], blank=2,
                    reduction="none"))

    # Repeated labels: "aa" needs a blank between, "abba" needs five frames.
    lp = _log_softmax(rng.normal(size=(1, 5, 3)) * 2.0)
    out.append(_row("ctc.golden.repeat-aa-3", "ctc.def", CTC, lp, [[1, 1]], [3], [2], reduction="none"))
    out.append(_row("ctc.golden.repeat-abba-5", "ctc.def", CTC, lp, [[1, 2, 2, 1]], [5], [4], reduction="none"))
    out.append(_row("ctc.golden.aba-3", "ctc.def", CTC, lp, [[1, 2, 1]], [3], [3], reduction="none"))
    out.append(_row("ctc.golden.impossible-aa-2", "ctc.special.impossible", CTC, lp, [[1, 1]], [2], [2],
                    reduction="none"))
    out.append(_row("ctc.golden.impossible-abba-4", "ctc.special.impossible", CTC, lp, [[1, 2, 2, 1]], [4], [4],
                    reduction="none"))
    out.append(_row("ctc.golden.impossible-zero-frames", "ctc.special.impossible", CTC, lp, [[1, 2, 2, 1]], [0],
                    [1], reduction="none"))
    out.append(_row("ctc.golden.impossible-zero-infinity", "ctc.special.zero-infinity", CTC,
                    np.concatenate([lp, lp]), [[1, 1], [2, 1]], [2, 5], [2, 2], reduction="sum",
                    zero_infinity=True))

    # Very negative log-probabilities: rows normalised to float64 precision
    # (log_softmax of [0, -745, -1e4, -1e308] rounds to the same numbers).
    row = [0.0, -745.0, -1e4, -1e308]
    ext = np.array([[row] * 4])
    out.append(_row("ctc.golden.extreme-745", "ctc.special.extreme", CTC, ext, [[1]], [4], [1], reduction="none"))
    out.append(_row("ctc.golden.extreme-1e4", "ctc.special.extreme", CTC, ext, [[2, 1]], [4], [2], reduction="none"))
    out.append(_row("ctc.golden.extreme-1e308", "ctc.special.extreme", CTC, ext, [[3, 2]], [3], [2],
                    reduction="none"))
    out.append(_row("ctc.golden.extreme-blank-last", "ctc.special.extreme", CTC,
                    np.array([[[-1e4, 0.0, -745.0]] * 3]), [[1, 1]], [3], [2], blank=2, reduction="none"))

    # Confident and flat rows, several blanks, reductions ("mean" has checks of
    # its own: ctc.property.reductions, red.weights.ctc).
    lp = _log_softmax(rng.normal(size=(3, 6, 4)) * np.array([1.0, 8.0, 30.0])[:, None, None])
    tg = np.array([[1, 2, 3], [3, 3, 1], [2, 1, 2]])
    for red in ("none", "sum"):
        out.append(_row(f"ctc.golden.batch-{red}", "ctc.def", CTC, lp, tg, [6, 6, 5], [3, 3, 2], reduction=red))
    tgb = np.array([[0, 2, 3], [3, 0, 0], [2, 3, 1]])
    out.append(_row("ctc.golden.batch-blank-1", "ctc.def", CTC, lp, tgb, [6, 4, 5], [3, 3, 2], blank=1,
                    reduction="none"))
    out.append(_row("ctc.golden.ragged-lengths", "ctc.padding", CTC, lp, tg, [6, 3, 0], [3, 1, 0], reduction="none"))

    # A long sequence: T = 60, C = 5, L = 20 with repeats, plus a shorter row.
    lp = _log_softmax(rng.normal(size=(2, 60, 5)) * 3.0)
    label = rng.integers(1, 5, size=20)
    label[5] = label[4]
    label[12] = label[11]
    tg = np.stack([label, np.roll(label, 3)])
    out.append(_row("ctc.golden.long-60", "ctc.accuracy", CTC, lp, tg, [60, 41], [20, 12], reduction="none"))
    out.append(_row("ctc.golden.long-60-sum", "ctc.accuracy", CTC, lp, tg, [60, 41], [20, 12], reduction="sum"))

    # Gradients (reduction "sum" and "mean").
    lp = _log_softmax(rng.normal(size=(2, 5, 4)) * 2.0)
    out.append(_row("ctc.golden.grad-small", "ctc.gradient", GRAD, lp, [[1, 1, 2], [3, 2, 0]], [5, 4], [3, 2],
                    reduction="sum"))
    out.append(_row("ctc.golden.grad-mean-blank-3", "ctc.gradient", GRAD, lp, [[1, 1, 2], [0, 2, 0]], [5, 3],
                    [3, 1], blank=3))
    out.append(_row("ctc.golden.grad-extreme", "ctc.gradient", GRAD, np.array([[row] * 4]), [[2, 1]], [4], [2],
                    reduction="sum"))
    lp = _log_softmax(rng.normal(size=(1, 30, 4)) * 4.0)
    out.append(_row("ctc.golden.grad-long", "ctc.gradient", GRAD, lp, [[1, 2, 2, 3, 1, 1, 3, 2, 1, 3]], [30],
                    [10], reduction="sum"))
    return out


def _clause_rows():
    out = []
    none = {"reduction": "none"}

    # ctc.special.impossible: fewer frames than labels plus adjacent repeats gives
    # +inf although every log-probability is finite; one frame more is possible.
    lp = _frames(5, 3, 1)
    for cid, label, frames in (("ctc.special.impossible", [1, 1], 2),
                               ("ctc.special.impossible.aab-3", [1, 1, 2], 3),
                               ("ctc.special.impossible.abba-4", [1, 2, 2, 1], 4),
                               ("ctc.special.impossible.a-0", [1], 0),
                               ("ctc.special.impossible.bbb-4", [2, 2, 2], 4),
                               ("ctc.special.impossible.possible-aa-3", [1, 1], 3),
                               ("ctc.special.impossible.possible-abba-5", [1, 2, 2, 1], 5)):
        out.append(_row(cid, "ctc.special.impossible", CTC, lp, [label], [frames], [len(label)], **none))

    # ctc.special.zero-infinity: the +inf of the impossible row 0 becomes 0 before
    # the reduction ("mean": ctc.property.reductions).
    lp = np.concatenate([_frames(3, 3, 2)] * 2)
    args = (lp, [[1, 1], [1, 2]], [2, 3], [2, 2])
    out.append(_row("ctc.special.zero-infinity", "ctc.special.zero-infinity", CTC, *args, zero_infinity=True,
                    **none))
    out.append(_row("ctc.special.zero-infinity.sum", "ctc.special.zero-infinity", CTC, *args, zero_infinity=True,
                    reduction="sum"))
    out.append(_row("ctc.special.zero-infinity.off", "ctc.special.zero-infinity", CTC, *args, **none))

    # ctc.special.empty-target: -sum_t lp[t, blank]; with no frames either, 0.
    lp = np.concatenate([_frames(4, 3, 4), _frames(4, 3, 5), _frames(4, 3, 6)])
    for cid, blank in (("ctc.special.empty-target", 0), ("ctc.special.empty-target.blank-2", 2)):
        out.append(_row(cid, "ctc.special.empty-target", CTC, lp, [[1], [1], [1]], [4, 2, 0], [0, 0, 0],
                        blank=blank, **none))

    # ctc.special.neginf: three frames over (blank, a, b); a has probability 0 at
    # frame 1 and b at frame 2.  "a" keeps a-- and --a, "ab" only ab-, "ba" b-a,
    # -ba and bba; "aa" has the one alignment a-a, which masking a at frame 0 removes.
    with np.errstate(divide="ignore"):
        lp = np.log(np.array([[0.5, 0.3, 0.2], [0.7, 0.0, 0.3], [0.6, 0.4, 0.0]]))[None]
    out.append(_row("ctc.special.neginf", "ctc.special.neginf", CTC, np.concatenate([lp] * 3),
                    [[1, 0], [1, 2], [2, 1]], [3, 3, 3], [1, 2, 2], **none))
    masked = lp.copy()
    masked[0, 0, 1] = -math.inf
    out.append(_row("ctc.special.neginf.masked-aa", "ctc.special.neginf", CTC, masked, [[1, 1]], [3], [2], **none))

    # ctc.special.extreme: entries of -745, -1e4 and -1e308 in normalised rows.
    lp = np.array([[[0.0, -745.0, -1e4, -1e308]] * 3])
    for cid, label in (("ctc.special.extreme", [1]), ("ctc.special.extreme.1e4", [2]),
                       ("ctc.special.extreme.745-1e4", [1, 2]), ("ctc.special.extreme.1e308", [3])):
        out.append(_row(cid, "ctc.special.extreme", CTC, lp, [label], [3], [len(label)], **none))

    # ctc.special.nan: NaN in a frame of row 0 makes row 0 NaN, whether every
    # alignment visits the entry (the blank) or none does (class 3).
    base = np.concatenate([_frames(3, 4, 7)] * 2)
    for cid, idx in (("ctc.special.nan", (0, 1, 0)), ("ctc.special.nan.unused-class", (0, 1, 3))):
        lp = base.copy()
        lp[idx] = math.nan
        out.append(_row(cid, "ctc.special.nan", CTC, lp, [[1], [1]], [3, 3], [1, 1], **none))

    # ctc.reduction: "mean" is the plain mean over the batch, not divided by the
    # target lengths (2 and 3 here) first.
    out.append(_row("ctc.reduction.mean", "ctc.reduction", CTC, _frames(6, 3, 13, n=2), [[1, 2, 0], [2, 1, 2]],
                    [6, 6], [2, 3]))

    # ctc.layout: empty arrays.  N = 0 ('none' empty, 'sum' 0, 'mean' NaN); T = 0
    # (only the empty label has an alignment); S = 0 (every label empty).
    empty = (np.zeros((0, 3, 3)), np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64),
             np.zeros(0, dtype=np.int64))
    for cid, red in (("ctc.value.empty", "none"), ("ctc.value.empty.sum", "sum"), ("ctc.value.empty.mean", "mean")):
        out.append(_row(cid, "ctc.layout", CTC, *empty, reduction=red))
    out.append(_row("ctc.value.empty.no-frames", "ctc.layout", CTC, np.zeros((2, 0, 3)), [[1], [1]], [0, 0], [0, 1],
                    **none))
    out.append(_row("ctc.value.empty.no-labels", "ctc.layout", CTC, _frames(3, 3, 12), np.zeros((1, 0)), [3], [0],
                    **none))

    # ctc.gradient: P = [[.2, .8], [.6, .4]], label [1]: alignments 11 (0.32),
    # 1- (0.48), -1 (0.08), so p = 0.88 and the gradient is -[[.08, .8], [.48, .4]] / 0.88.
    lp = np.log(np.array([[[0.2, 0.8], [0.6, 0.4]]]))
    out.append(_row("ctc.gradient.closed-form", "ctc.gradient", GRAD, lp, [[1]], [2], [1], reduction="sum"))

    # ctc.gradient.special: 0 past input_lengths (row 0, frame 3) and at -inf
    # entries; NaN on the frames of the impossible row 1 ("aa" in 2 frames) and 0
    # past them; 0 on that row with zero_infinity.
    lp = np.concatenate([_frames(4, 3, 9)] * 2)
    args = (lp, [[1, 2], [1, 1]], [3, 2], [2, 2])
    out.append(_row("ctc.gradient.special", "ctc.gradient.special", GRAD, *args, reduction="sum"))
    out.append(_row("ctc.gradient.special.zero-infinity", "ctc.gradient.special", GRAD, *args, reduction="sum",
                    zero_infinity=True))
    with np.errstate(divide="ignore"):
        src = np.log(np.array([[0.4, 0.0, 0.6], [0.4, 0.0, 0.6]]))[None]
    out.append(_row("ctc.gradient.special.neginf", "ctc.gradient.special", GRAD, src, [[0]], [2], [1], blank=2,
                    reduction="sum"))
    return out


def cases():
    return _accuracy_rows(np.random.default_rng(20240607)) + _clause_rows()

"""Conformance checks for CTC (spec page ``docs/spec/ctc.md``).

Functions: ``ctc_loss``, ``ctc_loss_grad``, ``ctc_collapse`` and
``ctc_path_probability``.

Inputs are normalised log-probabilities (``log_softmax`` of random logits)
unless a check is about something else (unnormalised input, ``-inf`` entries,
padding garbage), so that a framework that normalises its input itself is
compared on what it claims.  The generated value checks draw only feasible
alignments and the reductions ``"none"``/``"sum"``: impossible alignments and
``"mean"`` have checks of their own, so that one documented difference does
not hide the others.

Budgets: ``ulps * (1 + cond)`` float ulps at ``max(|l|, 1)`` with, per
sequence, ``cond = (T_n + 1)(1 + A_n) / max(|l_n|, 1)`` and ``A_n`` the sum
over its frames of the largest |log-probability| among the classes of its
extended label (the log-space recursion rounds a few times per frame, each
time relative to the running sum of log-probabilities).  Gradients are judged
at scale 1 (posteriors lie in [0, 1]) with ``cond = (T_n + 1)(1 + A_n)``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

from conformance.checks._common import call as _call
from conformance.checks._common import finite_floats as _floats, reduced_cond
from conformance.context import format_call
from conformance.golden import load as load_golden
from conformance.registry import Skip, check

CTC = "ctc_loss"
GRAD = "ctc_loss_grad"
COLLAPSE = "ctc_collapse"
PATH = "ctc_path_probability"
INF = np.inf
ULPS = 8.0


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _kw(**kwargs):
    """Keyword arguments without the defaults, so that a call shows only what it sets."""
    defaults = {"blank": 0, "reduction": "mean", "zero_infinity": False}
    return {k: v for k, v in kwargs.items() if v is not None and defaults.get(k, object()) != v}


def _log_softmax(z):
    """Row-wise log_softmax of finite logits (numpy, float64)."""
    z = np.asarray(z, dtype=np.float64)
    if z.size == 0:
        return z.copy()
    m = np.max(z, axis=-1, keepdims=True)
    return (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _needed_frames(label) -> int:
    """``L + R``: labels plus the blanks compulsory between equal neighbours."""
    label = list(label)
    return len(label) + sum(1 for a, b in itertools.pairwise(label) if a == b)


def _ints(values):
    return np.array(values, dtype=np.int64)


def _row_cond(lp, targets, il, tl, blank):
    """Per sequence ``(T_n + 1)(1 + A_n)`` (see the module docstring)."""
    lp = np.asarray(lp, dtype=np.float64)
    out = np.zeros(lp.shape[0])
    for n in range(lp.shape[0]):
        if il[n] == 0:
            out[n] = 1.0
            continue
        used = sorted({int(blank), *(int(k) for k in targets[n, :tl[n]])})
        frames = lp[n, :il[n]][:, used]
        with np.errstate(all="ignore"):
            a = float(np.sum(np.max(np.where(np.isfinite(frames), np.abs(frames), 0.0), axis=-1)))
        out[n] = (il[n] + 1) * (1.0 + min(a, 1e300))
    return out


def _few(ctx):
    """Examples for the costly CTC properties (several calls per example, and a
    compiling framework compiles each new shape and option): a third of the
    run's budget."""
    return max(ctx.max_examples // 3, 5)


def _loss_cond(case, per, expected, reduction):
    """The condition term of ``assert_close`` for a loss under ``reduction``."""
    lp, targets, il, tl, kwargs = case
    a_n = _row_cond(lp, targets, il, tl, kwargs.get("blank", 0))
    return reduced_cond(a_n, per, expected, reduction)


def _grad_floor_cond(case):
    lp, targets, il, tl, kwargs = case
    a_n = _row_cond(lp, targets, il, tl, kwargs.get("blank", 0))
    n = lp.shape[0]
    scale = 1.0 / n if kwargs.get("reduction", "mean") == "mean" and n else 1.0
    return scale, np.broadcast_to(a_n[:, None, None], lp.shape)


@st.composite
def ctc_case(draw, *, feasible=True, reductions=("none", "sum"), zero_infinity=(False, True),
             max_t=7, max_c=5, max_s=4, min_n=1, max_n=3, normalised=True, blanks=True):
    """``(log_probs, targets, input_lengths, target_lengths, kwargs)``.

    The arrays are never empty (``N, T, S >= 1``; lengths may be 0): empty
    arrays have a check of their own (``ctc.value.empty``), so that a
    framework that refuses them is still judged on everything else."""
    n = draw(st.integers(min_n, max_n))
    t = draw(st.integers(1, max_t))
    c = draw(st.integers(2, max_c))
    s = draw(st.integers(1, max_s))
    blank = draw(st.integers(0, c - 1)) if blanks else 0
    scale = draw(st.sampled_from([1.0, 4.0, 30.0]))
    z = np.array(draw(st.lists(_floats(-scale, scale), min_size=n * t * c, max_size=n * t * c)))
    z = z.reshape(n, t, c)
    lp = _log_softmax(z) if normalised else z
    labels = [k for k in range(c) if k != blank]
    targets = np.array(draw(st.lists(st.sampled_from(labels), min_size=n * s, max_size=n * s)),
                       dtype=np.int64).reshape(n, s)
    il = _ints(draw(st.lists(st.integers(0, t), min_size=n, max_size=n)))
    tl = _ints(draw(st.lists(st.integers(0, s), min_size=n, max_size=n)))
    if feasible:
        for i in range(n):
            while tl[i] > 0 and _needed_frames(targets[i, :tl[i]]) > il[i]:
                tl[i] -= 1
    reduction = draw(st.sampled_from(list(reductions)))
    zi = draw(st.sampled_from(list(zero_infinity)))
    return lp, targets, il, tl, _kw(blank=blank, reduction=reduction, zero_infinity=zi)


def _args(case):
    return case[:4]


def _compare_loss(ctx, fn, case, expected=None, *, what="value", dtype=None):
    lp, targets, il, tl, kwargs = case
    reduction = kwargs.get("reduction", "mean")
    if expected is None:
        expected = ctx.reference.ctc_loss(*_args(case), **kwargs)
    got, call = _call(ctx, fn, CTC, _args(case), kwargs)
    per = np.asarray(ctx.reference.ctc_loss(lp.astype(np.float64), targets, il, tl,
                                            **{**kwargs, "reduction": "none"}))
    ctx.assert_close(got, expected, call=call, ulps=ULPS, floor=1.0, dtype=dtype, what=what,
                     cond=_loss_cond(case, per, expected, reduction))
    return got


def _source_log_probs():
    """The source's two frames over (a, b, blank) with P = (0.4, 0, 0.6)."""
    frame = [math.log(0.4), -INF, math.log(0.6)]
    return np.array([[frame, frame]])


# ---------------------------------------------------------------------------
# the source example
# ---------------------------------------------------------------------------

@check("ctc.example.source", function=CTC, clause="ctc.example", kind="example",
       description="two frames, P(a) = 0.4, P(b) = 0, P(-) = 0.6: 'a' costs -ln 0.64, '' -ln 0.36, 'aa' is +inf")
def _(fn, ctx):
    lp = _source_log_probs()
    got, call = _call(ctx, fn, CTC, (lp, _ints([[0]]), _ints([2]), _ints([1])), {"blank": 2, "reduction": "none"})
    ctx.assert_close(got, [0.4462871026284195], call=call, ulps=4, floor=1.0)
    got, call = _call(ctx, fn, CTC, (lp, _ints([[0]]), _ints([2]), _ints([0])), {"blank": 2, "reduction": "none"})
    ctx.assert_close(got, [-2.0 * math.log(0.6)], call=call, ulps=4, floor=1.0)
    got, call = _call(ctx, fn, CTC, (lp, _ints([[0, 0]]), _ints([2]), _ints([2])), {"blank": 2, "reduction": "none"})
    ctx.assert_close(got, [INF], call=call, floor=1.0)


@check("ctc.path-probability.source", function=PATH, clause="ctc.example", kind="example",
       description="the source's number: the path 'a a' has probability 0.4 * 0.4, -log = 1.8325814637483102")
def _(fn, ctx):
    probs = np.array([[0.4, 0.0, 0.6], [0.4, 0.0, 0.6]])
    got, call = _call(ctx, fn, PATH, (probs, _ints([0, 0])))
    ctx.assert_close(got, 0.16, call=call, ulps=4)
    ctx.assert_close(-np.log(np.asarray(got, dtype=np.float64)), 1.8325814637483102, call=f"-log({call})", ulps=4)
    for path, expected in (([0, 2], 0.24), ([2, 0], 0.24), ([2, 2], 0.36), ([1, 0], 0.0)):
        got, call = _call(ctx, fn, PATH, (probs, _ints(path)))
        ctx.assert_close(got, expected, call=call, ulps=4)


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

@check("ctc.value.options", function=CTC, clause="ctc.def", kind="value",
       description="matches the reference over batch, frames, classes, lengths, blank, 'none'/'sum', zero_infinity")
def _(fn, ctx):
    ctx.property(ctc_case(), lambda case: _compare_loss(ctx, fn, case))


@check("ctc.value.long", function=CTC, clause="ctc.def", kind="value",
       description="longer sequences (T up to 40, labels up to 12) against the reference")
def _(fn, ctx):
    ctx.property(ctc_case(max_t=40, max_s=12, max_c=6, min_n=1, max_n=2, zero_infinity=(False,)),
                 lambda case: _compare_loss(ctx, fn, case), max_examples=_few(ctx))


@check("ctc.value.layout", function=CTC, clause="ctc.layout", kind="value",
       description="batch-major (N, T, C) input; 'none' has shape (N,), 'sum' and 'mean' are scalars")
def _(fn, ctx):
    rng = np.random.default_rng(11)
    for n in (1, 3):
        lp = _log_softmax(rng.normal(size=(n, 4, 3)))
        args = (lp, np.ones((n, 2), dtype=np.int64), np.full(n, 4, dtype=np.int64), np.full(n, 2, dtype=np.int64))
        per = ctx.reference.ctc_loss(*args, reduction="none")
        for red, shape in (("none", (n,)), ("sum", ()), ("mean", ())):
            got, call = _call(ctx, fn, CTC, args, {"reduction": red})
            ctx.assert_true(np.shape(got) == shape, f"reduction={red!r}: shape {np.shape(got)}, expected {shape}",
                            call=call)
        # Distinct rows, to tell (N, T, C) from (T, N, C): the rows are not interchangeable.
        got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
        ctx.assert_close(got, per, call=call, ulps=ULPS, floor=1.0, cond=64.0)


@check("ctc.value.empty", function=CTC, clause="ctc.layout", kind="value",
       description="empty arrays: N = 0 ('none' empty, 'sum' 0, 'mean' NaN), T = 0, S = 0")
def _(fn, ctx):
    lp0 = np.zeros((0, 3, 3))
    args = (lp0, np.zeros((0, 2), dtype=np.int64), _ints([]), _ints([]))
    for red, expected in (("none", np.zeros(0)), ("sum", 0.0), ("mean", np.nan)):
        got, call = _call(ctx, fn, CTC, args, {"reduction": red})
        ctx.assert_close(got, expected, call=call, floor=1.0)
    # T = 0: only the empty label has an alignment (the empty one).
    got, call = _call(ctx, fn, CTC, (np.zeros((2, 0, 3)), _ints([[1], [1]]), _ints([0, 0]), _ints([0, 1])),
                      {"reduction": "none"})
    ctx.assert_close(got, [0.0, INF], call=call, floor=1.0)
    # S = 0: every label is empty; the loss sums the blank's log-probabilities.
    lp = _finite_frames(3, 3, 12)
    got, call = _call(ctx, fn, CTC, (lp, np.zeros((1, 0), dtype=np.int64), _ints([3]), _ints([0])),
                      {"reduction": "none"})
    ctx.assert_close(got, [-math.fsum(lp[0, :, 0])], call=call, ulps=ULPS, floor=1.0, cond=8.0)


@check("ctc.value.unnormalised", function=CTC, clause="ctc.domain", kind="value",
       description="log_probs are used as given: unnormalised rows (positive entries included) against the reference")
def _(fn, ctx):
    ctx.property(ctc_case(normalised=False, zero_infinity=(False,)), lambda case: _compare_loss(ctx, fn, case))


@check("ctc.value.shifted-frame", function=CTC, clause="ctc.domain", kind="value",
       description="adding c to every entry of one frame subtracts c from every loss that uses the frame")
def _(fn, ctx):
    rng = np.random.default_rng(3)
    lp = _log_softmax(rng.normal(size=(2, 4, 3)))
    args = (lp, _ints([[1, 2], [2, 2]]), _ints([4, 4]), _ints([2, 2]))
    base = ctx.reference.ctc_loss(*args, reduction="none")
    shifted = lp.copy()
    shifted[:, 1, :] += 2.5
    got, call = _call(ctx, fn, CTC, (shifted,) + args[1:], {"reduction": "none"})
    ctx.assert_close(got, base - 2.5, call=call, ulps=ULPS, floor=1.0, cond=64.0)


# ---------------------------------------------------------------------------
# golden
# ---------------------------------------------------------------------------

def _golden(fn, ctx, function, keep):
    rows = [r for r in load_golden("ctc") if r["function"] == function and keep(r)]
    if not rows:
        raise Skip("no golden rows for this function (conformance/golden/ctc.jsonl)")
    for row in rows:
        got, text = _call(ctx, fn, function, tuple(row["args"]), row["kwargs"])
        ctx.assert_close(got, row["expected"], call=text, ulps=row.get("ulps", 16.0), floor=row.get("floor", 1.0),
                         what=f"golden case {row['id']} ({row.get('clause', 'ctc.accuracy')})")


_OWN_GOLDEN = ("ctc.special.impossible", "ctc.special.zero-infinity", "ctc.special.extreme")


@check("ctc.golden", function=CTC, clause="ctc.accuracy", kind="golden",
       description="repeated labels, several blanks, ragged lengths and T = 60 against mpmath")
def _(fn, ctx):
    _golden(fn, ctx, CTC, lambda r: r.get("clause") not in _OWN_GOLDEN)


@check("ctc.golden.extreme", function=CTC, clause="ctc.special.extreme", kind="golden",
       description="golden rows with entries of -745, -1e4 and -1e308 (normalised rows) against mpmath")
def _(fn, ctx):
    _golden(fn, ctx, CTC, lambda r: r.get("clause") == "ctc.special.extreme")


@check("ctc.golden.impossible", function=CTC, clause="ctc.special.impossible", kind="golden",
       description="golden impossible alignments ('aa' in 2 frames, 'abba' in 4, a label over 0 frames) are +inf")
def _(fn, ctx):
    _golden(fn, ctx, CTC, lambda r: r.get("clause") == "ctc.special.impossible")


@check("ctc.golden.zero-infinity", function=CTC, clause="ctc.special.zero-infinity", kind="golden",
       description="golden batch with an impossible row and zero_infinity=True under 'sum'")
def _(fn, ctx):
    _golden(fn, ctx, CTC, lambda r: r.get("clause") == "ctc.special.zero-infinity")


@check("ctc.gradient.golden", function=GRAD, clause="ctc.accuracy", kind="golden",
       description="gradients (state posteriors) against mpmath, including T = 30 and entries of -1e4 and -1e308")
def _(fn, ctx):
    _golden(fn, ctx, GRAD, lambda r: True)


# ---------------------------------------------------------------------------
# special values
# ---------------------------------------------------------------------------

def _finite_frames(t, c, seed):
    return _log_softmax(np.random.default_rng(seed).normal(size=(1, t, c)))


@check("ctc.special.impossible", function=CTC, clause="ctc.special.impossible", kind="special",
       description="fewer frames than labels + adjacent repeats gives +inf (finite log-probabilities everywhere)")
def _(fn, ctx):
    lp = _finite_frames(5, 3, 1)
    for label, frames in (([1, 1], 2), ([1, 1, 2], 3), ([1, 2, 2, 1], 4), ([1], 0), ([2, 2, 2], 4)):
        args = (lp, _ints([label]), _ints([frames]), _ints([len(label)]))
        got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
        ctx.assert_close(got, [INF], call=call, floor=1.0)
    # The same labels with one frame more are possible.
    for label, frames in (([1, 1], 3), ([1, 2, 2, 1], 5)):
        args = (lp, _ints([label]), _ints([frames]), _ints([len(label)]))
        got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
        ctx.assert_close(got, ctx.reference.ctc_loss(*args, reduction="none"), call=call, ulps=ULPS, floor=1.0,
                         cond=64.0)


@check("ctc.special.zero-infinity", function=CTC, clause="ctc.special.zero-infinity", kind="special",
       description="zero_infinity=True turns the +inf of an impossible row into 0 before the reduction")
def _(fn, ctx):
    lp = np.concatenate([_finite_frames(3, 3, 2)] * 2)
    args = (lp, _ints([[1, 1], [1, 2]]), _ints([2, 3]), _ints([2, 2]))
    ok = float(ctx.reference.ctc_loss(lp[1:], _ints([[1, 2]]), _ints([3]), _ints([2]), reduction="sum"))
    for red, expected in (("none", [0.0, ok]), ("sum", ok)):   # "mean": ctc.property.reductions
        got, call = _call(ctx, fn, CTC, args, {"reduction": red, "zero_infinity": True})
        ctx.assert_close(got, expected, call=call, ulps=ULPS, floor=1.0, cond=64.0)
    got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
    ctx.assert_close(got, [INF, ok], call=call, ulps=ULPS, floor=1.0, cond=64.0)


@check("ctc.special.empty-target", function=CTC, clause="ctc.special.empty-target", kind="special",
       description="an empty label costs -sum_t lp[t, blank]; with zero frames as well it costs 0")
def _(fn, ctx):
    lp = np.concatenate([_finite_frames(4, 3, 4), _finite_frames(4, 3, 5), _finite_frames(4, 3, 6)])
    for blank in (0, 2):
        args = (lp, _ints([[1], [1], [1]]), _ints([4, 2, 0]), _ints([0, 0, 0]))
        expected = [-math.fsum(lp[0, :, blank]), -math.fsum(lp[1, :2, blank]), 0.0]
        got, call = _call(ctx, fn, CTC, args, _kw(blank=blank, reduction="none"))
        ctx.assert_close(got, expected, call=call, ulps=ULPS, floor=1.0, cond=8.0)


@check("ctc.special.neginf", function=CTC, clause="ctc.special.neginf", kind="special",
       description="-inf entries are probability 0: finite loss when an alignment avoids them, +inf otherwise")
def _(fn, ctx):
    # Three frames over (blank, a, b); a has probability 0 at frame 1 and b at frame 2.
    p = np.array([[0.5, 0.3, 0.2], [0.7, 0.0, 0.3], [0.6, 0.4, 0.0]])
    with np.errstate(divide="ignore"):
        lp = np.log(p)[None]
    pa = 0.3 * 0.7 * 0.6 + 0.5 * 0.7 * 0.4                  # "a": a-- and --a survive
    pab = 0.3 * 0.3 * 0.6                                   # "ab": ab- only
    pba = 0.2 * 0.7 * 0.4 + 0.5 * 0.3 * 0.4 + 0.2 * 0.3 * 0.4  # "ba": b-a, -ba, bba
    args = (np.concatenate([lp] * 3), _ints([[1, 0], [1, 2], [2, 1]]), _ints([3, 3, 3]), _ints([1, 2, 2]))
    got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
    ctx.assert_close(got, [-math.log(pa), -math.log(pab), -math.log(pba)], call=call, ulps=ULPS, floor=1.0,
                     cond=8.0)
    # "aa" over three frames has the one alignment a-a; masking a at frame 0 leaves none.
    lp2 = lp.copy()
    lp2[0, 0, 1] = -INF
    got, call = _call(ctx, fn, CTC, (lp2, _ints([[1, 1]]), _ints([3]), _ints([2])), {"reduction": "none"})
    ctx.assert_close(got, [INF], call=call, floor=1.0)


@check("ctc.special.extreme", function=CTC, clause="ctc.special.extreme", kind="special",
       description="entries of -745, -1e4 and -1e308 contribute exactly (no underflow, no overflow, no NaN)")
def _(fn, ctx):
    # Normalised rows (log_softmax rounds them to themselves).
    row = [0.0, -745.0, -1e4, -1e308]
    lp = np.array([[row] * 3])
    three = _ints([3])
    cases = [
        ([1], 745.0 - math.log(3.0)),      # one a among blanks: 3 alignments at e^-745 (more a's are negligible)
        ([2], 1e4 - math.log(3.0)),
        ([1, 2], 745.0 + 1e4 - math.log(3.0)),   # "12-", "1-2", "-12"
        ([3], 1e308),
    ]
    for label, expected in cases:
        got, call = _call(ctx, fn, CTC, (lp, _ints([label]), three, _ints([len(label)])), {"reduction": "none"})
        ctx.assert_close(got, [expected], call=call, ulps=ULPS, floor=1.0)


@check("ctc.special.nan", function=CTC, clause="ctc.special.nan", kind="special",
       description="NaN within a row's frames gives NaN for that row only (also in a class no alignment uses)")
def _(fn, ctx):
    lp = np.concatenate([_finite_frames(3, 4, 7)] * 2)
    args_tail = (_ints([[1], [1]]), _ints([3, 3]), _ints([1, 1]))
    ok = ctx.reference.ctc_loss(lp[1:], _ints([[1]]), _ints([3]), _ints([1]), reduction="none")
    used = lp.copy()
    used[0, 1, 0] = np.nan                       # the blank of a frame every alignment visits
    got, call = _call(ctx, fn, CTC, (used,) + args_tail, {"reduction": "none"})
    ctx.assert_close(got, [np.nan, float(ok[0])], call=call, ulps=ULPS, floor=1.0, cond=8.0)
    unused = lp.copy()
    unused[0, 1, 3] = np.nan                     # class 3: not in the label, not the blank
    got, call = _call(ctx, fn, CTC, (unused,) + args_tail, {"reduction": "none"})
    ctx.assert_close(got, [np.nan, float(ok[0])], call=call, ulps=ULPS, floor=1.0, cond=8.0)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

def _collapse(path, blank):
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def _enumerated_loss(lp, label, blank):
    """``-log sum_{B(pi) = label} prod_t exp(lp[t, pi_t])`` by enumeration (math.fsum)."""
    t, c = lp.shape
    terms = []
    for path in itertools.product(range(c), repeat=t):
        if _collapse(path, blank) == list(label):
            terms.append(math.exp(math.fsum(lp[i, k] for i, k in enumerate(path))))
    total = math.fsum(terms)
    return -math.log(total) if total > 0 else INF


@check("ctc.identity.alignments", function=CTC, clause="ctc.property.alignments", kind="property",
       description="exp(-loss) is the sum over every path collapsing to the label of its probability (enumeration)")
def _(fn, ctx):
    def body(case):
        lp, targets, il, tl, kwargs = case
        blank = kwargs.get("blank", 0)
        expected = np.array([_enumerated_loss(lp[n, :il[n]], targets[n, :tl[n]], blank) for n in range(lp.shape[0])])
        _compare_loss(ctx, fn, (lp, targets, il, tl, {**kwargs, "reduction": "none"}), expected)
    ctx.property(ctc_case(max_t=5, max_c=3, max_s=3, zero_infinity=(False,), reductions=("none",),
                          feasible=False), body)


@check("ctc.property.padding", function=CTC, clause="ctc.padding", kind="property",
       description="garbage past the lengths (labels: blank, -1, C + 3; frames: NaN, +-inf, 1e308) changes nothing")
def _(fn, ctx):
    def body(case):
        lp, targets, il, tl, kwargs = case
        kwargs = {**kwargs, "reduction": "none"}
        n, t, c = lp.shape
        blank = kwargs.get("blank", 0)
        base, call0 = _call(ctx, fn, CTC, _args(case), kwargs)
        junk_labels = np.array([blank, -1, c + 3, (blank + 1) % c], dtype=np.int64)
        tg = np.concatenate([targets, np.zeros((n, 2), dtype=np.int64)], axis=1)
        mask = np.arange(tg.shape[1])[None, :] >= tl[:, None]
        tg[mask] = np.resize(junk_labels, int(mask.sum()))
        junk_frames = np.array([np.nan, INF, -INF, 1e308, -1e308])
        padded = np.concatenate([lp, np.zeros((n, 2, c))], axis=1)
        fmask = np.arange(t + 2)[None, :] >= il[:, None]
        padded[fmask] = np.resize(junk_frames, (int(fmask.sum()), c))
        got, call = _call(ctx, fn, CTC, (padded, tg, il, tl), kwargs)
        ctx.assert_close(got, np.asarray(base, dtype=np.float64), call=f"{call}  vs  {call0}", ulps=2, floor=1.0)
    ctx.property(ctc_case(min_n=1, zero_infinity=(False,)), body)


@check("ctc.property.batch", function=CTC, clause="ctc.property.batch", kind="property",
       description="each row alone gives its entry of 'none'; reversing the batch reverses the result")
def _(fn, ctx):
    def body(case):
        lp, targets, il, tl, kwargs = case
        kwargs = {**kwargs, "reduction": "none"}
        whole, call = _call(ctx, fn, CTC, _args(case), kwargs)
        whole = np.asarray(whole, dtype=np.float64)
        for i in range(lp.shape[0]):
            one, call_i = _call(ctx, fn, CTC, (lp[i:i + 1], targets[i:i + 1], il[i:i + 1], tl[i:i + 1]), kwargs)
            ctx.assert_close(one, whole[i:i + 1], call=f"{call_i}  vs  row {i} of {call}", ulps=2, floor=1.0)
        rev, call_r = _call(ctx, fn, CTC, (lp[::-1].copy(), targets[::-1].copy(), il[::-1].copy(), tl[::-1].copy()),
                            kwargs)
        ctx.assert_close(rev, whole[::-1], call=f"{call_r}  vs  reversed {call}", ulps=2, floor=1.0)
    ctx.property(ctc_case(min_n=1, zero_infinity=(False,)), body, max_examples=_few(ctx))


@check("ctc.property.relabel", function=CTC, clause="ctc.property.relabel", kind="property",
       description="permuting the classes of log_probs, targets and blank together leaves the loss unchanged")
def _(fn, ctx):
    def body(example):
        case, seed = example
        lp, targets, il, tl, kwargs = case
        perm = np.random.default_rng(seed).permutation(lp.shape[2])   # class k becomes perm[k]
        new_lp = np.empty_like(lp)
        new_lp[..., perm] = lp
        new_kwargs = _kw(**{**kwargs, "blank": int(perm[kwargs.get("blank", 0)])})
        got, call = _call(ctx, fn, CTC, (new_lp, perm[targets], il, tl), new_kwargs)
        base, call0 = _call(ctx, fn, CTC, _args(case), kwargs)
        reduction = kwargs.get("reduction", "mean")
        per = np.asarray(ctx.reference.ctc_loss(*_args(case), **{**kwargs, "reduction": "none"}))
        ctx.assert_close(got, np.asarray(base, dtype=np.float64), call=f"{call}  vs  {call0}", ulps=4, floor=1.0,
                         cond=_loss_cond(case, per, np.sum(per), reduction))
    ctx.property(st.tuples(ctc_case(min_n=1, zero_infinity=(False,)), st.integers(0, 2**16)), body,
                 max_examples=_few(ctx))


@check("ctc.property.reductions", function=CTC, clause="ctc.reduction", kind="property",
       description="'sum' is the sum of 'none' and 'mean' is 'sum' / N (no division by target lengths)")
def _(fn, ctx):
    def body(case):
        kwargs = case[4]
        base = {k: v for k, v in kwargs.items() if k != "reduction"}
        none, call_n = _call(ctx, fn, CTC, _args(case), {**base, "reduction": "none"})
        total, call_s = _call(ctx, fn, CTC, _args(case), {**base, "reduction": "sum"})
        mean, call_m = _call(ctx, fn, CTC, _args(case), base)
        none = np.asarray(none, dtype=np.float64)
        s = math.fsum(none) if np.all(np.isfinite(none)) else float(np.sum(none))
        with np.errstate(all="ignore"):
            cond = len(none) * float(np.sum(np.abs(none))) / max(abs(s), 1.0)
        ctx.assert_close(total, s, call=f"{call_s}  vs  sum of {call_n}", ulps=4, floor=1.0, cond=cond)
        ctx.assert_close(mean, np.float64(total) / len(none), call=f"{call_m}  vs  ({call_s}) / {len(none)}",
                         ulps=4, floor=1.0)
    ctx.property(ctc_case(min_n=1, zero_infinity=(False,)), body, max_examples=_few(ctx))


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

def _compare_grad(ctx, fn, case, expected=None):
    kwargs = case[4]
    if expected is None:
        expected = ctx.reference.ctc_loss_grad(*_args(case), **kwargs)
    got, call = _call(ctx, fn, GRAD, _args(case), kwargs)
    scale, cond = _grad_floor_cond(case)
    ctx.assert_close(got, expected, call=call, ulps=ULPS, floor=scale, cond=cond)
    return got


@check("ctc.gradient.value", function=GRAD, clause="ctc.gradient", kind="gradient",
       description="-(state posteriors summed per class) on each frame, against the reference")
def _(fn, ctx):
    ctx.property(ctc_case(reductions=("none", "sum", "mean")), lambda case: _compare_grad(ctx, fn, case))


@check("ctc.gradient.closed-form", function=GRAD, clause="ctc.gradient", kind="gradient",
       description="P = [[.2, .8], [.6, .4]], label [1]: p = 0.88, gradient -[[.08, .8], [.48, .4]] / 0.88")
def _(fn, ctx):
    lp = np.log(np.array([[[0.2, 0.8], [0.6, 0.4]]]))
    got, call = _call(ctx, fn, GRAD, (lp, _ints([[1]]), _ints([2]), _ints([1])), {"reduction": "sum"})
    # Alignments 11 (0.32), 1- (0.48), -1 (0.08): posteriors per frame and class.
    expected = -np.array([[[0.08, 0.80], [0.48, 0.40]]]) / 0.88
    ctx.assert_close(got, expected, call=call, ulps=ULPS, floor=1.0)


@check("ctc.gradient.frame-sum", function=GRAD, clause="ctc.gradient", kind="gradient",
       description="on every frame t < T_n of a finite row the gradient sums to -1 over the classes ('sum')")
def _(fn, ctx):
    def body(case):
        lp, _, il, _, kwargs = case
        kwargs = {**kwargs, "reduction": "sum"}
        got, call = _call(ctx, fn, GRAD, _args(case), kwargs)
        sums = np.sum(np.asarray(got, dtype=np.float64), axis=-1)
        inside = np.arange(lp.shape[1])[None, :] < il[:, None]
        expected = np.where(inside, -1.0, 0.0)
        _, cond = _grad_floor_cond(case)
        ctx.assert_close(sums, expected, call=f"sum over classes of {call}", ulps=ULPS * lp.shape[2], floor=1.0,
                         cond=cond[..., 0])
    ctx.property(ctc_case(min_n=1, zero_infinity=(False,)), body)


@check("ctc.gradient.finite-difference", function=GRAD, clause="ctc.gradient", kind="gradient",
       needs=(CTC,), description="matches central differences of the implementation's own ctc_loss, entry by entry")
def _(fn, ctx):
    loss = ctx.impl(CTC)
    rng = np.random.default_rng(5)
    lp = _log_softmax(rng.normal(size=(2, 4, 3)))
    rest = (_ints([[1, 2], [2, 2]]), _ints([4, 4]), _ints([2, 2]))
    got, call = _call(ctx, fn, GRAD, (lp,) + rest, {"reduction": "sum"})
    h = 1e-6
    fd = np.zeros(lp.shape)
    for idx in np.ndindex(lp.shape):
        up, down = lp.copy(), lp.copy()
        up[idx] += h
        down[idx] -= h
        diff = float(ctx.call(loss, up, *rest, reduction="sum")) - float(ctx.call(loss, down, *rest, reduction="sum"))
        fd[idx] = diff / (2 * h)
    # Central differences are good to ~1e-9 here: the budget is 1e-7 absolute (judged
    # directly, so that the report's ulp figures stay those of exact comparisons).
    g = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        err = float(np.max(np.abs(g - fd))) if g.shape == fd.shape else INF
    ctx.assert_true(g.shape == fd.shape and err <= 1e-7,
                    f"gradient differs from central differences of ctc_loss by {err:.3g} (budget 1e-7)",
                    call=f"{call}  vs  central differences of ctc_loss(..., reduction='sum')",
                    expected=fd.round(9).tolist(), got=g.tolist())


@check("ctc.gradient.special", function=GRAD, clause="ctc.gradient.special", kind="gradient",
       description="0 past input_lengths and at -inf entries; NaN on the frames of an impossible row; 0 with "
       "zero_infinity")
def _(fn, ctx):
    # Only the entries the clause fixes are compared; the other values are ctc.gradient's business.
    lp = _finite_frames(4, 3, 9)
    lp2 = np.concatenate([lp, lp])
    args = (lp2, _ints([[1, 2], [1, 1]]), _ints([3, 2]), _ints([2, 2]))   # row 1: "aa" in 2 frames
    got, call = _call(ctx, fn, GRAD, args, {"reduction": "sum"})
    g = np.asarray(got, dtype=np.float64)
    ctx.assert_close(g[0, 3:], np.zeros((1, 3)), call=f"frame 3 of row 0 (past its input length) in {call}",
                     ulps=ULPS, floor=1.0)
    ctx.assert_close(g[1], [[np.nan] * 3] * 2 + [[0.0] * 3] * 2,
                     call=f"row 1 (impossible: NaN on its 2 frames, 0 past them) in {call}", floor=1.0)
    got, call = _call(ctx, fn, GRAD, args, {"reduction": "sum", "zero_infinity": True})
    ctx.assert_close(np.asarray(got, dtype=np.float64)[1], np.zeros((4, 3)),
                     call=f"row 1 (impossible, zero_infinity) in {call}", ulps=ULPS, floor=1.0)
    # A -inf entry gets 0 (the source example: class b has probability 0).
    got, call = _call(ctx, fn, GRAD, (_source_log_probs(), _ints([[0]]), _ints([2]), _ints([1])),
                      {"blank": 2, "reduction": "sum"})
    ctx.assert_close(np.asarray(got, dtype=np.float64)[0, :, 1], [0.0, 0.0],
                     call=f"class b (probability 0) in {call}", ulps=ULPS, floor=1.0)


@check("ctc.gradient.logits", function=GRAD, clause="ctc.gradient.logits", kind="gradient",
       description="projected through log_softmax (g - exp(lp) sum_k g) the gradient is exp(lp) - posteriors")
def _(fn, ctx):
    def body(case):
        lp, kwargs = case[0], case[4]
        got, call = _call(ctx, fn, GRAD, _args(case), kwargs)
        g = np.asarray(got, dtype=np.float64)
        ref = ctx.reference.ctc_loss_grad(*_args(case), **kwargs)
        with np.errstate(all="ignore"):
            projected = g - np.exp(lp) * np.sum(g, axis=-1, keepdims=True)
            expected = ref - np.exp(lp) * np.sum(ref, axis=-1, keepdims=True)
        scale, cond = _grad_floor_cond(case)
        ctx.assert_close(projected, expected, call=f"log_softmax projection of {call}", ulps=ULPS * lp.shape[2],
                         floor=scale, cond=cond)
    ctx.property(ctc_case(zero_infinity=(False,)), body, max_examples=_few(ctx))


@check("red.gradient.ctc", function=GRAD, clause="red.gradient", kind="gradient",
       description="CTC: grad under 'none' = grad under 'sum'; 'mean' = 'sum' / N")
def _(fn, ctx):
    def body(case):
        lp, kwargs = case[0], case[4]
        base = {k: v for k, v in kwargs.items() if k != "reduction"}
        g_sum, call = _call(ctx, fn, GRAD, _args(case), {**base, "reduction": "sum"})
        g_none, call_n = _call(ctx, fn, GRAD, _args(case), {**base, "reduction": "none"})
        g_mean, call_m = _call(ctx, fn, GRAD, _args(case), base)
        g_sum = np.asarray(g_sum, dtype=np.float64)
        ctx.assert_close(g_none, g_sum, call=f"{call_n}  vs  {call}", ulps=2, floor=1.0)
        n = lp.shape[0]
        ctx.assert_close(g_mean, g_sum / n, call=f"{call_m}  vs  ({call}) / {n}", ulps=4, floor=1.0 / n)
    ctx.property(ctc_case(min_n=1), body, max_examples=_few(ctx))


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------

@check("ctc.dtype.float32", function=CTC, clause="ctc.accuracy", kind="dtype",
       description="float32 log_probs: within float32 ulps of the float64 loss of the same input")
def _(fn, ctx):
    def body(case):
        lp, targets, il, tl, kwargs = case
        lp32 = lp.astype(np.float32)
        expected = ctx.reference.ctc_loss(lp32.astype(np.float64), targets, il, tl, **kwargs)
        _compare_loss(ctx, fn, (lp32, targets, il, tl, kwargs), expected, dtype=np.float32)
    ctx.property(ctc_case(zero_infinity=(False,)), body)


@check("ctc.dtype.float64", function=CTC, clause="ctc.accuracy", kind="dtype",
       description="float64 log_probs give a float64 result accurate to float64 ulps")
def _(fn, ctx):
    lp = _log_softmax(np.random.default_rng(8).normal(size=(2, 5, 4)) * 3.0)
    args = (lp, _ints([[1, 2, 3], [3, 3, 0]]), _ints([5, 4]), _ints([3, 2]))
    got, call = _call(ctx, fn, CTC, args, {"reduction": "none"})
    ctx.assert_true(np.asarray(got).dtype == np.float64, f"float64 input gave dtype {np.asarray(got).dtype}",
                    call=call)
    ctx.assert_close(got, ctx.reference.ctc_loss(*args, reduction="none"), call=call, ulps=ULPS, floor=1.0,
                     cond=16.0)


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

def _invalid(ctx, fn, name, args, kwargs=None):
    ctx.assert_raises_or_nan(fn, args, kwargs or {}, call=format_call(name, args, kwargs or {}))


def _valid_args():
    lp = _log_softmax(np.random.default_rng(10).normal(size=(2, 3, 3)))
    return lp, _ints([[1, 2], [2, 1]]), _ints([3, 3]), _ints([2, 1])


@check("ctc.invalid.shapes", function=CTC, clause="ctc.invalid", kind="invalid",
       description="log_probs not 3-d, targets not 2-d with N rows, lengths not of shape (N,)")
def _(fn, ctx):
    lp, tg, il, tl = _valid_args()
    _invalid(ctx, fn, CTC, (lp[0], tg, il, tl))
    _invalid(ctx, fn, CTC, (lp, tg[0], il, tl))
    _invalid(ctx, fn, CTC, (lp, tg[:1], il, tl))
    _invalid(ctx, fn, CTC, (lp, tg, il[:1], tl))
    _invalid(ctx, fn, CTC, (lp, tg, il, tl[None]))


@check("ctc.invalid.lengths", function=CTC, clause="ctc.invalid", kind="invalid",
       description="negative lengths, input_lengths > T, target_lengths > S")
def _(fn, ctx):
    lp, tg, il, tl = _valid_args()
    _invalid(ctx, fn, CTC, (lp, tg, _ints([3, -1]), tl))
    _invalid(ctx, fn, CTC, (lp, tg, il, _ints([2, -1])))
    _invalid(ctx, fn, CTC, (lp, tg, _ints([3, 4]), tl))
    _invalid(ctx, fn, CTC, (lp, tg, il, _ints([2, 3])))


@check("ctc.invalid.targets", function=CTC, clause="ctc.invalid", kind="invalid",
       description="a class >= C, a negative class or the blank within a target length; floating targets")
def _(fn, ctx):
    lp, tg, il, tl = _valid_args()
    _invalid(ctx, fn, CTC, (lp, _ints([[1, 2], [3, 1]]), il, tl))
    _invalid(ctx, fn, CTC, (lp, _ints([[1, -1], [2, 1]]), il, tl))
    _invalid(ctx, fn, CTC, (lp, _ints([[1, 0], [2, 1]]), il, tl))
    _invalid(ctx, fn, CTC, (lp, _ints([[1, 2], [2, 1]]), il, tl), {"blank": 2})
    _invalid(ctx, fn, CTC, (lp, tg.astype(np.float64), il, tl))


@check("ctc.invalid.blank", function=CTC, clause="ctc.invalid", kind="invalid",
       description="blank outside [0, C)")
def _(fn, ctx):
    lp, tg, il, tl = _valid_args()
    for blank in (3, -1, 7):
        _invalid(ctx, fn, CTC, (lp, tg, il, tl), {"blank": blank})


@check("ctc.invalid.posinf", function=CTC, clause="ctc.invalid", kind="invalid",
       description="+inf in log_probs within an input length (in a used class and in an unused one)")
def _(fn, ctx):
    lp, tg, il, tl = _valid_args()
    for idx in ((0, 1, 1), (1, 0, 0), (1, 2, 0)):
        bad = lp.copy()
        bad[idx] = INF
        _invalid(ctx, fn, CTC, (bad, tg, il, tl))


@check("ctc.invalid.reduction", function=CTC, clause="ctc.invalid", kind="invalid",
       description="an unknown reduction")
def _(fn, ctx):
    for red in ("avg", "batchmean", "MEAN"):
        _invalid(ctx, fn, CTC, _valid_args(), {"reduction": red})


# ---------------------------------------------------------------------------
# ctc_collapse
# ---------------------------------------------------------------------------

def _assert_labels(ctx, got, expected, call):
    arr = np.asarray(got)
    ok = arr.ndim == 1 and arr.dtype.kind in "iu" and arr.tolist() == list(expected)
    ctx.assert_true(ok, f"expected the integer labels {list(expected)}, got {arr!r}", call=call,
                    expected=list(expected), got=arr.tolist())


@check("ctc.collapse.examples", function=COLLAPSE, clause="ctc.collapse", kind="example",
       description="repeats merge before blanks go: [1,1,0,1,2,2,0] -> [1,1,2]; [1,1] -> [1]; all blanks -> []")
def _(fn, ctx):
    for path, kwargs, expected in (
            ([1, 1, 0, 1, 2, 2, 0], {}, [1, 1, 2]),
            ([1, 1], {}, [1]),
            ([0, 0, 0], {}, []),
            ([], {}, []),
            ([2, 0, 0, 2, 1, 1], {"blank": 2}, [0, 1]),
            ([3, 3, 3, 1, 3], {"blank": 1}, [3, 3])):
        got, call = _call(ctx, fn, COLLAPSE, (_ints(path),), kwargs)
        _assert_labels(ctx, got, expected, call)


@check("ctc.collapse.property", function=COLLAPSE, clause="ctc.collapse", kind="property",
       description="stretching a label (runs, blanks between, blanks anywhere else) collapses back to it")
def _(fn, ctx):
    @st.composite
    def stretched(draw):
        blank = draw(st.integers(0, 3))
        labels = [k for k in range(5) if k != blank]
        label = draw(st.lists(st.sampled_from(labels), max_size=6))
        path = [blank] * draw(st.integers(0, 2))
        for i, k in enumerate(label):
            if i and label[i - 1] == k:
                path += [blank] * draw(st.integers(1, 2))      # compulsory between equal labels
            elif i:
                path += [blank] * draw(st.integers(0, 2))
            path += [k] * draw(st.integers(1, 3))
        path += [blank] * draw(st.integers(0, 2))
        return path, blank, label

    def body(example):
        path, blank, label = example
        got, call = _call(ctx, fn, COLLAPSE, (_ints(path),), _kw(blank=blank))
        _assert_labels(ctx, got, label, call)
    ctx.property(stretched(), body)


@check("ctc.collapse.invalid", function=COLLAPSE, clause="ctc.collapse", kind="invalid",
       description="a 2-d or floating path, a negative class, a negative blank")
def _(fn, ctx):
    for args, kwargs in (((_ints([[1, 2]]),), {}), ((np.array([1.0, 2.0]),), {}), ((_ints([1, -2]),), {}),
                         ((_ints([1, 2]),), {"blank": -1})):
        try:
            out = fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - any exception is a refusal, which is what the clause asks
            out = None
        ctx.assert_true(out is None, "invalid input returned a result instead of raising",
                        call=format_call(COLLAPSE, args, kwargs), got=None if out is None else np.asarray(out).tolist())


# ---------------------------------------------------------------------------
# ctc_path_probability
# ---------------------------------------------------------------------------

@st.composite
def path_case(draw, max_t=6):
    t = draw(st.integers(0, max_t))
    c = draw(st.integers(1, 4))
    raw = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=t * c, max_size=t * c))).reshape(t, c)
    path = _ints(draw(st.lists(st.integers(0, c - 1), min_size=t, max_size=t)))
    return raw, path


@check("ctc.path-probability.value", function=PATH, clause="ctc.path-probability", kind="value",
       description="the product of probs[t, path[t]] over the frames (1 for no frames)")
def _(fn, ctx):
    def body(case):
        probs, path = case
        picked = [probs[t, k] for t, k in enumerate(path)]
        expected = math.prod(picked) if picked else 1.0
        got, call = _call(ctx, fn, PATH, (probs, path))
        ctx.assert_close(got, expected, call=call, ulps=2.0 * max(len(picked), 1))
    ctx.property(path_case(), body)


@check("ctc.path-probability.total", function=PATH, clause="ctc.path-probability", kind="property",
       description="summed over all C^T paths the probabilities give prod_t sum_c probs[t, c] (1 for normalised rows)")
def _(fn, ctx):
    def body(case):
        probs, _ = case
        t, c = probs.shape
        total = math.fsum(float(ctx.call(fn, probs, _ints(p))) for p in itertools.product(range(c), repeat=t))
        expected = math.prod(math.fsum(row) for row in probs) if t else 1.0
        ctx.assert_close(total, expected, call=f"sum over all paths of {format_call(PATH, (probs, '...'))}",
                         ulps=4.0 * t * c + 4.0, floor=1e-300)
    ctx.property(path_case(max_t=4), body, max_examples=_few(ctx))


@check("ctc.path-probability.invalid", function=PATH, clause="ctc.path-probability", kind="invalid",
       description="probs not 2-d or outside [0, 1]; path of the wrong length or with a class outside [0, C)")
def _(fn, ctx):
    probs = np.array([[0.4, 0.0, 0.6], [0.4, 0.0, 0.6]])
    for args in ((probs[0], _ints([0])), (probs * 2.0, _ints([0, 0])), (-probs, _ints([0, 1])),
                 (probs, _ints([0])), (probs, _ints([0, 3])), (probs, _ints([-1, 0]))):
        _invalid(ctx, fn, PATH, args)

"""Conformance checks for CTC (spec page ``docs/spec/ctc.md``).

Functions: ``ctc_loss``, ``ctc_loss_grad``, ``ctc_collapse`` and
``ctc_path_probability``.

The worked examples, special values, empty arrays, refused inputs and golden
vectors are rows (``conformance/cases/ctc.toml`` and the generated
``conformance/golden/ctc.jsonl``), each a check of its own.  This module keeps
what is not a row: values against the reference over generated inputs,
identities and properties, gradients against the reference gradient, and
registers the budget of every function once.

Inputs are normalised log-probabilities (``log_softmax`` of random logits)
unless a check is about something else (unnormalised input, padding garbage),
so that a framework that normalises its input itself is compared on what it
claims.  The generated value checks draw only feasible alignments and the
reductions ``"none"``/``"sum"``: impossible alignments and ``"mean"`` have
checks of their own, so that one documented difference does not hide the
others.

Budgets: ``ulps * (1 + cond)`` float ulps at ``max(|l|, 1)`` with, per
sequence, ``cond = (T_n + 1)(1 + A_n) / max(|l_n|, 1)`` and ``A_n`` the sum
over its frames of the largest |log-probability| among the classes of its
extended label (the log-space recursion rounds a few times per frame, each
time relative to the running sum of log-probabilities), plus the summation's
share for ``"sum"`` and ``"mean"`` (:func:`conformance.budgets.reduced_cond`).
Gradients are judged at scale 1 (posteriors lie in [0, 1]; ``1/N`` under
``"mean"``) with ``cond = (T_n + 1)(1 + A_n)``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st

import reference
from conformance.budgets import condition, judge, reduced_cond
from conformance.checks._common import call as _call
from conformance.checks._common import finite_floats as _floats
from conformance.context import format_call
from conformance.registry import check

CTC = "ctc_loss"
GRAD = "ctc_loss_grad"
COLLAPSE = "ctc_collapse"
PATH = "ctc_path_probability"
INF = np.inf
# Per-entry ulps of the gradient's frame-sum and projection properties (their
# sums over the C classes get C times this).
_GRAD_ULPS = 8.0


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
    targets, il, tl = np.asarray(targets), np.asarray(il), np.asarray(tl)
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


# ---------------------------------------------------------------------------
# budgets: one registration per function
# ---------------------------------------------------------------------------

def _lengths(args):
    lp = np.asarray(args[0], dtype=np.float64)
    return lp, np.asarray(args[1]), np.asarray(args[2]), np.asarray(args[3])


@condition(CTC)
def _ctc_budget(args, kwargs, expected):
    lp, targets, il, tl = _lengths(args)
    a_n = _row_cond(lp, targets, il, tl, kwargs.get("blank", 0))
    per = np.asarray(reference.ctc_loss(lp, targets, il, tl, **{**kwargs, "reduction": "none"}))
    return 1.0, reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"))


@condition(GRAD)
def _ctc_grad_budget(args, kwargs, expected):
    lp, targets, il, tl = _lengths(args)
    a_n = _row_cond(lp, targets, il, tl, kwargs.get("blank", 0))
    n = lp.shape[0]
    scale = 1.0 / n if kwargs.get("reduction", "mean") == "mean" and n else 1.0
    floor = np.full(lp.shape, scale)
    cot = kwargs.get("cotangent")
    if cot is not None:
        # The gradient of sum(cotangent * loss): each row scaled by its cotangent.
        c = np.abs(np.asarray(cot, dtype=np.float64))
        floor = floor * (c[:, None, None] if c.ndim == 1 else c)
    floor = np.maximum(np.where(np.isfinite(floor), floor, 1.0), 1e-300)
    return floor, np.broadcast_to(a_n[:, None, None], lp.shape)


@condition(COLLAPSE)
def _collapse_budget(args, kwargs, expected):
    # Integer labels, compared as numbers: any wrong label is many ulps away.
    return 0.0, 0.0


@condition(PATH)
def _path_budget(args, kwargs, expected):
    # A product of T rounded factors: about T ulps (16 (1 + T/8) = 16 + 2T).
    return 0.0, np.size(args[1]) / 8.0


@st.composite
def ctc_case(draw, *, feasible=True, reductions=("none", "sum"), zero_infinity=(False, True),
             max_t=7, max_c=5, max_s=4, min_n=1, max_n=3, normalised=True, blanks=True):
    """``(log_probs, targets, input_lengths, target_lengths, kwargs)``.

    The arrays are never empty (``N, T, S >= 1``; lengths may be 0): empty
    arrays have rows of their own (``ctc.value.empty*``), so that a
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
    if expected is None:
        expected = ctx.reference.ctc_loss(*_args(case), **kwargs)
    got, call = _call(ctx, fn, CTC, _args(case), kwargs)
    ctx.expect(CTC, (lp.astype(np.float64), targets, il, tl), kwargs, got, expected, call=call, dtype=dtype,
               what=what)
    return got


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
    batches = []
    for n in (1, 3):
        # Distinct rows, to tell (N, T, C) from (T, N, C): the rows are not interchangeable.
        lp = _log_softmax(rng.normal(size=(n, 4, 3)))
        batches.append((lp, np.ones((n, 2), dtype=np.int64), np.full(n, 4, dtype=np.int64),
                        np.full(n, 2, dtype=np.int64)))

    def body(case):
        args, red = case
        n = args[0].shape[0]
        shape = (n,) if red == "none" else ()
        got, call = _call(ctx, fn, CTC, args, {"reduction": red})
        ctx.assert_true(np.shape(got) == shape, f"reduction={red!r}: shape {np.shape(got)}, expected {shape}",
                        call=call)
        if red != "mean":   # the value of "mean" is ctc.reduction's business
            ctx.expect(CTC, args, {"reduction": red}, got, ctx.reference.ctc_loss(*args, reduction=red), call=call)
    ctx.subcases([(args, red) for args in batches for red in ("none", "sum", "mean")], body)


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
    ctx.expect(CTC, (shifted,) + args[1:], {"reduction": "none"}, got, base - 2.5, call=call)


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
        floor, cond = judge(CTC, _args(case), kwargs, ctx.reference.ctc_loss(*_args(case), **kwargs))
        ctx.assert_close(got, np.asarray(base, dtype=np.float64), call=f"{call}  vs  {call0}", ulps=4, floor=floor,
                         cond=cond)
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
    ctx.expect(GRAD, _args(case), kwargs, got, expected, call=call)
    return got


@check("ctc.gradient.value", function=GRAD, clause="ctc.gradient", kind="gradient",
       description="-(state posteriors summed per class) on each frame, against the reference")
def _(fn, ctx):
    ctx.property(ctc_case(reductions=("none", "sum", "mean")), lambda case: _compare_grad(ctx, fn, case))


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
        _, cond = judge(GRAD, _args(case), kwargs, np.zeros(lp.shape))
        ctx.assert_close(sums, expected, call=f"sum over classes of {call}", ulps=_GRAD_ULPS * lp.shape[2],
                         floor=1.0, cond=cond[..., 0])
    ctx.property(ctc_case(min_n=1, zero_infinity=(False,)), body)


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
        scale, cond = judge(GRAD, _args(case), kwargs, ref)
        ctx.assert_close(projected, expected, call=f"log_softmax projection of {call}", ulps=_GRAD_ULPS * lp.shape[2],
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
    ctx.expect(CTC, args, {"reduction": "none"}, got, ctx.reference.ctc_loss(*args, reduction="none"), call=call)


# ---------------------------------------------------------------------------
# ctc_collapse
# ---------------------------------------------------------------------------

def _assert_labels(ctx, got, expected, call):
    arr = np.asarray(got)
    ok = arr.ndim == 1 and arr.dtype.kind in "iu" and arr.tolist() == list(expected)
    ctx.assert_true(ok, f"expected the integer labels {list(expected)}, got {arr!r}", call=call,
                    expected=list(expected), got=arr.tolist())


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
        ctx.expect(PATH, (probs, path), {}, got, expected, call=call)
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
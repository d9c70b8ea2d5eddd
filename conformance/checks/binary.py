"""Conformance checks for binary cross entropy (spec page ``docs/spec/binary.md``).

Functions: ``binary_cross_entropy`` (from probabilities),
``sigmoid_binary_cross_entropy`` (from logits) and their ``_grad`` functions.

The worked examples, special values and invalid inputs are rows of
``conformance/cases/binary.toml``, the hard cases golden rows
(``conformance/golden/binary.jsonl``).

Budgets (registered once per function with
:func:`conformance.budgets.condition`): a loss is judged at ``max(|l|, 1)``
(``floor = 1``); for the logits form the rounding error of a stable formula of
the kind ``max(x, 0) - x y + log1p(exp(-|x|))`` grows with ``|x|``, per element
``a_n = w (|x| + 1)(pw y + (1 - y) + 1)``; for probabilities
``a_n = w (y |log(p + eps)| + (1 - y) |log(1 - p + eps)| + 1)``; the
reductions add the summation by :func:`conformance.budgets.reduced_cond`.
Gradients are judged at the natural scale of each element
(``w * scale * (|a| + |b|)`` for a difference ``a - b``), so the cancellation
in ``sigmoid(x) - y`` is allowed for but a wrong sign or factor is not.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.budgets import condition, reduced_cond
from conformance.checks._common import agree as _agree, agree_in_float32 as _agree32, call as _call, finite_floats as _floats
from conformance.context import format_call
from conformance.registry import check

BCE = "binary_cross_entropy"
SBCE = "sigmoid_binary_cross_entropy"
INF = np.inf



# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _kw(**kwargs):
    """Keyword arguments without the ones left at their defaults."""
    out = {}
    for k, v in kwargs.items():
        if v is None or (k == "reduction" and v == "mean"):
            continue
        if k == "eps" and not isinstance(v, np.ndarray) and v == 0.0:
            continue
        out[k] = v
    return out


def _weights(kwargs, shape):
    w = kwargs.get("weight")
    return np.ones(shape) if w is None else np.broadcast_to(np.asarray(w, dtype=np.float64), shape)


def _scale(w, reduction):
    if reduction != "mean":
        return 1.0
    s = float(np.sum(w))
    return 1.0 / s if s > 0 else 1.0


def _pos_weights(kwargs, shape):
    pw = kwargs.get("pos_weight")
    return 1.0 if pw is None else np.broadcast_to(np.asarray(pw, dtype=np.float64), shape)


@condition(SBCE)
def _sbce_budget(args, kwargs, expected):
    import reference

    x, y = args[0], np.asarray(args[1], dtype=np.float64)
    w = _weights(kwargs, y.shape)
    per = np.asarray(reference.sigmoid_binary_cross_entropy(x, y, **{**kwargs, "reduction": "none"}))
    with np.errstate(all="ignore"):
        xa = np.where(np.isfinite(x), np.abs(x), 0.0)
        a_n = w * (xa + 1.0) * (_pos_weights(kwargs, y.shape) * y + (1.0 - y) + 1.0)
    return 1.0, reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"), w_sum=float(np.sum(w)))


@condition(BCE)
def _bce_budget(args, kwargs, expected):
    import reference

    p, y = args[0], np.asarray(args[1], dtype=np.float64)
    eps = kwargs.get("eps", 0.0)
    w = _weights(kwargs, y.shape)
    per = np.asarray(reference.binary_cross_entropy(p, y, **{**kwargs, "reduction": "none"}))
    with np.errstate(all="ignore"):
        lp = np.abs(np.log(p + eps))
        lq = np.abs(np.log1p(eps - p))
        terms = np.where(y > 0, y * lp, 0.0) + np.where(y < 1, (1 - y) * lq, 0.0)
        a_n = w * (terms + 1.0)
    return 1.0, reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"), w_sum=float(np.sum(w)))


@condition(BCE + "_grad")
def _bce_grad_budget(args, kwargs, expected):
    """``-y/(p+eps) + (1-y)/(1-p+eps)`` at the scale of its two terms (times ``w``
    and the mean's ``1/sum(w)``), with the rounding of each (``cond = 1``)."""
    p, y = args[0], np.asarray(args[1], dtype=np.float64)
    eps = kwargs.get("eps", 0.0)
    w = _weights(kwargs, y.shape)
    with np.errstate(all="ignore"):
        mag = w * _scale(w, kwargs.get("reduction", "mean")) * (y / (p + eps) + (1 - y) / (1 - p + eps))
    return _finite(mag), 1.0


@condition(SBCE + "_grad")
def _sbce_grad_budget(args, kwargs, expected):
    """The terms of either closed form, ``-pw y s(-x) + (1 - y) s(x)`` or
    ``s(x) (1 + (pw - 1) y) - pw y``: a rounding of ``1 + (pw - 1) y`` is fair."""
    y = np.asarray(args[1], dtype=np.float64)
    w = _weights(kwargs, y.shape)
    mag = w * _scale(w, kwargs.get("reduction", "mean")) * (1.0 + (_pos_weights(kwargs, y.shape) + 1.0) * y)
    return _finite(mag), 1.0


def _finite(a):
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, 0.0)


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------


@st.composite
def _shape(draw):
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, 4))
    return (n, c) if draw(st.booleans()) else (n * c,)


@st.composite
def _targets(draw, shape):
    size = int(np.prod(shape))
    kind = draw(st.sampled_from(["hard", "soft", "mixed"]))
    if kind == "hard":
        vals = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=size, max_size=size))
    elif kind == "soft":
        vals = draw(st.lists(_floats(0.0, 1.0), min_size=size, max_size=size))
    else:
        vals = draw(st.lists(st.one_of(st.sampled_from([0.0, 1.0]), _floats(0.0, 1.0)), min_size=size, max_size=size))
    return np.array(vals, dtype=np.float64).reshape(shape)


@st.composite
def _weight_kw(draw, shape):
    if not draw(st.booleans()):
        return None
    which = draw(st.sampled_from(["full", "last", "scalar"]))
    wshape = shape if which == "full" else ((shape[-1],) if which == "last" and shape else ())
    size = int(np.prod(wshape))
    vals = draw(st.lists(st.one_of(st.just(0.0), _floats(0.01, 4.0)), min_size=size, max_size=size))
    return np.array(vals, dtype=np.float64).reshape(wshape)


def _no_weighted_mean(kwargs):
    """The generated cases leave the weighted mean to the weight and reduction
    checks ({bce,sbce}.weight, red.weights.*), so that a framework that divides
    by the element count fails those clauses and not the definition."""
    if kwargs.get("reduction", "mean") == "mean":
        kwargs.pop("weight", None)
    return kwargs


@st.composite
def bce_case(draw, reductions=None):
    shape = draw(_shape())
    size = int(np.prod(shape))
    p = np.array(draw(st.lists(st.one_of(_floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 1e-300, 1 - 1e-15])),
                               min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    y = draw(_targets(shape))
    kwargs = {"weight": draw(_weight_kw(shape)), "eps": draw(st.sampled_from([0.0, 0.0, 1e-7, 1e-12])),
              "reduction": draw(st.sampled_from(reductions or ["none", "sum", "mean"]))}
    return p, y, _no_weighted_mean(_kw(**kwargs))


@st.composite
def sbce_case(draw, reductions=None, bound=None):
    shape = draw(_shape())
    size = int(np.prod(shape))
    b = draw(st.sampled_from([30.0, 1000.0])) if bound is None else bound
    x = np.array(draw(st.lists(_floats(-b, b), min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    y = draw(_targets(shape))
    kwargs = {"weight": draw(_weight_kw(shape)),
              "reduction": draw(st.sampled_from(reductions or ["none", "sum", "mean"]))}
    which = draw(st.sampled_from(["none", "scalar", "last"]))
    if which == "scalar":
        kwargs["pos_weight"] = np.array(draw(_floats(0.0, 4.0)))
    elif which == "last" and shape:
        kwargs["pos_weight"] = np.array(draw(st.lists(_floats(0.0, 4.0), min_size=shape[-1], max_size=shape[-1])))
    return x, y, _no_weighted_mean(_kw(**kwargs))


# ---------------------------------------------------------------------------
# values against the reference
# ---------------------------------------------------------------------------

@check("bce.value.options", function=BCE, clause="bce.def", kind="value",
       description="matches the reference over shapes, hard/soft targets, weight, eps and reduction")
def _(fn, ctx):
    def body(case):
        p, y, kwargs = case
        _agree(ctx, fn, BCE, (p, y), kwargs)
    ctx.property(bce_case(), body)


# A fixed batch for the weight options: element-wise weights broadcast from a
# row, a column, a scalar and the full shape.
P23 = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
Y23 = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
X23 = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
WEIGHTS23 = (np.array([0.5, 2.0, 1.0]), np.array([[3.0], [0.25]]), np.array(2.0),
             np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 4.0]]))


@check("bce.value.weight", function=BCE, clause="bce.weight", kind="value",
       description="'none' is w*l, 'mean' is sum(w*l)/sum(w) with weight broadcast (row, column, scalar, full)")
def _(fn, ctx):
    unweighted = ctx.reference.binary_cross_entropy(P23, Y23, reduction="none")

    def body(case):
        w, reduction = case
        wb = np.broadcast_to(w, Y23.shape)
        kwargs = {"weight": w, "reduction": reduction}
        got, call = _call(ctx, fn, BCE, (P23, Y23), kwargs)
        expected = wb * unweighted if reduction == "none" else np.sum(wb * unweighted) / np.sum(wb)
        ctx.expect(BCE, (P23, Y23), kwargs, got, expected, call=call)
    ctx.subcases([(w, r) for w in WEIGHTS23 for r in ("none", "mean")], body)


@check("sbce.value.options", function=SBCE, clause="sbce.def", kind="value",
       description="matches the reference over shapes, hard/soft targets, weight, pos_weight and reduction")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree(ctx, fn, SBCE, (x, y), kwargs)
    ctx.property(sbce_case(), body)


def _softplus(v):
    return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))


@check("sbce.value.pos-weight", function=SBCE, clause="sbce.pos-weight", kind="value",
       description="pos_weight (one per class, last axis) multiplies only y*softplus(-x) and stays out of the mean")
def _(fn, ctx):
    pw = np.array([3.0, 1.0, 0.5])
    per = pw * Y23 * _softplus(-X23) + (1 - Y23) * _softplus(X23)

    def body(reduction):
        kwargs = {"pos_weight": pw, "reduction": reduction}
        got, call = _call(ctx, fn, SBCE, (X23, Y23), kwargs)
        ctx.expect(SBCE, (X23, Y23), kwargs, got, per if reduction == "none" else np.sum(per) / 6.0, call=call)
    ctx.subcases(("none", "mean"), body)


@check("sbce.value.weight", function=SBCE, clause="sbce.weight", kind="value",
       description="weight is the sample weight: 'none' is w*l, 'mean' divides by sum(w)")
def _(fn, ctx):
    w = np.array([[2.0], [0.5]])
    wb = np.broadcast_to(w, Y23.shape)
    per = wb * ctx.reference.sigmoid_binary_cross_entropy(X23, Y23, reduction="none")

    def body(reduction):
        kwargs = {"weight": w, "reduction": reduction}
        got, call = _call(ctx, fn, SBCE, (X23, Y23), kwargs)
        ctx.expect(SBCE, (X23, Y23), kwargs, got, per if reduction == "none" else np.sum(per) / 7.5, call=call)
    ctx.subcases(("none", "mean"), body)


# ---------------------------------------------------------------------------
# special values that ask for relative accuracy
# ---------------------------------------------------------------------------
# Not table rows: these clauses ask for a tiny loss to its relative accuracy,
# which the function's budget (absolute below 1, floor = 1) cannot state.

@check("bce.special.tiny", function=BCE, clause="bce.special.tiny", kind="special",
       description="p = 1e-300, y = 0 gives 1e-300 (not 0); p = 1 - 1e-15, y = 1 gives -log(1 - 1e-15)")
def _(fn, ctx):
    got, call = _call(ctx, fn, BCE, (np.array([1e-300]), np.array([0.0])), {"reduction": "none"})
    ctx.assert_close(got, [1e-300], call=call, ulps=4, floor=0.0)
    p = 1 - 1e-15  # the float64 nearest; 1 - p is exact
    got, call = _call(ctx, fn, BCE, (np.array([p]), np.array([1.0])), {"reduction": "none"})
    ctx.assert_close(got, [-math.log(p)], call=call, ulps=4, floor=0.0)


@check("sbce.special.huge", function=SBCE, clause="sbce.special.huge", kind="special",
       description="logits ±1e4 and ±1e308 give their exact values |x| or 0 without overflow")
def _(fn, ctx):
    # Not a table row: the function's budget grows with |x| (up to 1e308 here),
    # while this clause asks for the exact values.
    x = np.array([1e4, -1e4, 1e308, -1e308, 1e308, -1e308, 1e4])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    got, call = _call(ctx, fn, SBCE, (x, y), {"reduction": "none"})
    ctx.assert_close(got, [1e4, 1e4, 1e308, 1e308, 0.0, 0.0, 5e3], call=call, ulps=4, floor=1.0)


@check("sbce.special.confident", function=SBCE, clause="sbce.special.confident", kind="special",
       description="x = 40 / 300 / 700 with y = 1 keep their tiny losses log1p(exp(-x)), relative accuracy")
def _(fn, ctx):
    x = np.array([40.0, 300.0, 700.0])
    got, call = _call(ctx, fn, SBCE, (x, np.ones(3)), {"reduction": "none"})
    # log1p(e^-x) = e^-x (1 - e^-x/2 + ...): e^-x to the last bit for these x.
    ctx.assert_close(got, [math.log1p(math.exp(-40.0)), math.exp(-300.0), math.exp(-700.0)],
                     call=call, ulps=8, floor=0.0)


# ---------------------------------------------------------------------------
# identities
# ---------------------------------------------------------------------------

@check("bce.identity.hard-target", function=BCE, clause="bce.identity.hard-target", kind="property",
       description="with y in {0, 1} the loss is -log of the probability given to the observed class")
def _(fn, ctx):
    def body(case):
        p, y = case
        got, call = _call(ctx, fn, BCE, (p, y), {"reduction": "none"})
        with np.errstate(divide="ignore"):
            expected = np.where(y == 1, -np.log(p), -np.log1p(-p))
        ctx.assert_close(got, expected, call=call, ulps=4, floor=1.0)

    @st.composite
    def case(draw):
        n = draw(st.integers(1, 6))
        p = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=n, max_size=n)))
        y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n)))
        return p, y
    ctx.property(case(), body)


@check("bce.identity.sigmoid", function=BCE, clause="bce.identity.sigmoid", kind="property",
       needs=(SBCE,), description="binary_cross_entropy(sigmoid(x), y) = sigmoid_binary_cross_entropy(x, y) for |x| <= 8")
def _(fn, ctx):
    sbce = ctx.impl(SBCE)

    def body(case):
        x, y, kwargs = case
        kwargs = {k: v for k, v in kwargs.items() if k != "pos_weight"}
        p = 1.0 / (1.0 + np.exp(-x))
        got, call = _call(ctx, fn, BCE, (p, y), kwargs)
        other = ctx.call(sbce, x, y, **kwargs)
        # sigmoid(x) rounds by half an ulp: |d l / d p| * p ulp ~ 1/(1-p) <= e^8.
        ctx.assert_close(got, other, call=f"{call}  vs  {format_call(SBCE, (x, y), kwargs)}",
                         ulps=16, floor=1.0, cond=float(np.exp(8.0)) * max(np.asarray(y).size, 1))
    ctx.property(sbce_case(bound=8.0), body)


# ---------------------------------------------------------------------------
# gradients: against the spec's gradient (the reference, closed forms)
# ---------------------------------------------------------------------------

@check("bce.gradient.value", function=BCE + "_grad", clause="bce.gradient", kind="gradient",
       description="-y/(p+eps) + (1-y)/(1-p+eps) (0 where a coefficient is 0) times w and the reduction scale")
def _(fn, ctx):
    def body(case):
        p, y, kwargs = case
        _agree(ctx, fn, BCE + "_grad", (p, y), kwargs)
    ctx.property(bce_case(), body)


@check("bce.gradient.closed-form", function=BCE + "_grad", clause="bce.gradient", kind="gradient",
       description="p = 0.25, y = 1: -4; p = 0.5, y = 0: 2; p = 0, y = 0: 1; p = 0, y = 1: -inf")
def _(fn, ctx):
    p = np.array([0.25, 0.5, 0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    cases = [((p, y), {"reduction": "sum"}, np.array([-4.0, 2.0, 1.0, -1.0, -INF, INF])),
             ((p[:3], y[:3]), {}, np.array([-4.0, 2.0, 1.0]) / 3)]

    def body(case):
        args, kwargs, expected = case
        got, call = _call(ctx, fn, BCE + "_grad", args, kwargs)
        ctx.expect(BCE + "_grad", args, kwargs, got, expected, call=call)
    ctx.subcases(cases, body)


@check("sbce.gradient.value", function=SBCE + "_grad", clause="sbce.gradient", kind="gradient",
       description="-pw*y*sigmoid(-x) + (1-y)*sigmoid(x) times w and the reduction scale")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree(ctx, fn, SBCE + "_grad", (x, y), kwargs)
    ctx.property(sbce_case(), body)


@check("sbce.gradient.limits", function=SBCE + "_grad", clause="sbce.gradient", kind="gradient",
       description="sigmoid(x) - y at x = 0, ±inf, ±1e308; pos_weight 3 at x = 0, y = 0.5 gives -0.5")
def _(fn, ctx):
    cases = [((np.array([0.0, INF, -INF, INF, -INF, 1e308, -1e308]), np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.5, 0.5])),
              {"reduction": "none"}, np.array([-0.5, 0.0, -1.0, 1.0, 0.0, 0.5, -0.5])),
             ((np.array([0.0]), np.array([0.5])), {"pos_weight": np.array([3.0]), "reduction": "sum"},
              np.array([-0.5]))]

    def body(case):
        args, kwargs, expected = case
        got, call = _call(ctx, fn, SBCE + "_grad", args, kwargs)
        ctx.expect(SBCE + "_grad", args, kwargs, got, expected, call=call)
    ctx.subcases(cases, body)


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------

@check("bce.dtype.float32", function=BCE, clause="bce.accuracy", kind="dtype",
       description="float32 input: within float32 ulps of the float64 loss of the same input")
def _(fn, ctx):
    def body(case):
        p, y, kwargs = case
        _agree32(ctx, fn, BCE, (p, y), kwargs)
    ctx.property(bce_case(), body)


@check("bce.dtype.float64", function=BCE, clause="bce.accuracy", kind="dtype",
       description="float64 input gives a float64 result with float64 accuracy (no float32 detour)")
def _(fn, ctx):
    p = np.array([0.7, 1 - 1e-15, 0.3, 0.01])
    y = np.array([0.0, 1.0, 0.25, 0.6])
    got, call = _call(ctx, fn, BCE, (p, y), {"reduction": "none"})
    ctx.assert_true(np.asarray(got).dtype == np.float64, f"float64 input gave dtype {np.asarray(got).dtype}", call=call)
    expected = ctx.reference.binary_cross_entropy(p, y, reduction="none")
    ctx.expect(BCE, (p, y), {"reduction": "none"}, got, expected, call=call)


@check("sbce.dtype.float32", function=SBCE, clause="sbce.accuracy", kind="dtype",
       description="float32 logits: within float32 ulps of the float64 loss of the same input")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree32(ctx, fn, SBCE, (x, y), kwargs)
    ctx.property(sbce_case(), body)


@check("sbce.dtype.float64", function=SBCE, clause="sbce.accuracy", kind="dtype",
       description="float64 logits give a float64 result with float64 accuracy (no float32 detour)")
def _(fn, ctx):
    x = np.array([30.0, -30.0, 2.5])
    y = np.array([1.0, 0.0, 0.75])
    got, call = _call(ctx, fn, SBCE, (x, y), {"reduction": "none"})
    ctx.assert_true(np.asarray(got).dtype == np.float64, f"float64 input gave dtype {np.asarray(got).dtype}", call=call)
    ctx.expect(SBCE, (x, y), {"reduction": "none"}, got,
               ctx.reference.sigmoid_binary_cross_entropy(x, y, reduction="none"), call=call)

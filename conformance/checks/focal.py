"""Conformance checks for the focal losses (spec page ``docs/spec/focal.md``).

Functions: ``focal_loss`` (softmax form, index or probability targets),
``sigmoid_focal_loss`` (the RetinaNet form) and their ``_grad`` functions.

The worked examples, special values and invalid inputs are rows of
``conformance/cases/focal.toml``, the hard cases golden rows
(``conformance/golden/focal.jsonl``).

Budgets (registered once per function with
:func:`conformance.budgets.condition`): losses at ``max(|l|, 1)``
(``floor = 1``) with the per-sample bound ``a_n`` summed by
:func:`conformance.budgets.reduced_cond`.  For ``focal_loss`` the error of
``log_softmax`` grows with the logits' magnitude as for softmax cross entropy
(``a_n = sum_c |alpha_c t_c| (max|z| + log C + 1)(1 + gamma)``: the modulating
factor is at most 1 and its rounding adds at most ``gamma`` ulps of ``1 - p``
relative).  For ``sigmoid_focal_loss`` ``a_n = (|x| + 1)(gamma + 2)``.
Gradients are judged at their natural scale, ``(1 + gamma) sum_c |alpha_c t_c|``
times the reduction scale.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.budgets import condition, judge, reduced_cond
from conformance.checks._common import agree as _agree, agree_in_float32 as _agree32, call as _call, finite_floats as _floats
from conformance.context import format_call
from conformance.registry import check

FOCAL = "focal_loss"
SFOCAL = "sigmoid_focal_loss"
SCE = "softmax_cross_entropy"
SBCE = "sigmoid_binary_cross_entropy"
INF = np.inf


def _kw(**kwargs):
    out = {}
    for k, v in kwargs.items():
        if v is None or (k == "reduction" and v == "mean") or (k == "axis" and v == -1):
            continue
        out[k] = v
    return out


# ---------------------------------------------------------------------------
# strategies and budgets
# ---------------------------------------------------------------------------

@st.composite
def focal_case(draw, soft=None, reductions=None, alpha_kinds=("none", "scalar", "vector"), gammas=None):
    bound = draw(st.sampled_from([30.0, 1000.0]))
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, 5))
    z = np.array(draw(st.lists(_floats(-bound, bound), min_size=n * c, max_size=n * c))).reshape(n, c)
    use_soft = draw(st.booleans()) if soft is None else soft
    if use_soft:
        raw = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=n * c, max_size=n * c))).reshape(n, c)
        s = raw.sum(axis=-1, keepdims=True)
        target = np.clip(np.where(s > 0, raw / np.where(s > 0, s, 1.0), 1.0 / c), 0.0, 1.0)
    else:
        target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    kind = draw(st.sampled_from(alpha_kinds))
    alpha = None
    if kind == "scalar":
        alpha = draw(st.sampled_from([0.25, 0.0, 1.0, draw(_floats(0.0, 1.0))]))
    elif kind == "vector":
        alpha = np.array(draw(st.lists(st.one_of(st.just(0.0), _floats(0.01, 3.0)), min_size=c, max_size=c)))
    gamma = draw(st.sampled_from(gammas or [0.0, 0.5, 1.0, 2.0, 5.0]))
    reduction = draw(st.sampled_from(reductions or ["none", "sum", "mean"]))
    return z, target, _kw(gamma=gamma, alpha=alpha, reduction=reduction)


@st.composite
def sfocal_case(draw, reductions=None, gammas=None, alpha=True):
    bound = draw(st.sampled_from([30.0, 1000.0]))
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, 4))
    shape = (n, c)
    x = np.array(draw(st.lists(_floats(-bound, bound), min_size=n * c, max_size=n * c))).reshape(shape)
    y = np.array(draw(st.lists(st.one_of(st.sampled_from([0.0, 1.0]), _floats(0.0, 1.0)),
                               min_size=n * c, max_size=n * c))).reshape(shape)
    a = draw(st.sampled_from([None, 0.25, 0.0, 1.0, draw(_floats(0.0, 1.0))])) if alpha else None
    gamma = draw(st.sampled_from(gammas or [0.0, 0.5, 1.0, 2.0, 5.0]))
    reduction = draw(st.sampled_from(reductions or ["none", "sum", "mean"]))
    return x, y, _kw(gamma=gamma, alpha=a, reduction=reduction)


def _coef(z, target, alpha):
    c = z.shape[-1]
    if np.issubdtype(target.dtype, np.integer):
        t = np.zeros(z.shape)
        if target.size:
            np.put_along_axis(t, target[..., None], 1.0, axis=-1)
    else:
        t = target.astype(np.float64)
    a = np.ones(c) if alpha is None else np.broadcast_to(np.asarray(alpha, dtype=np.float64), (c,))
    return t * a


@condition(FOCAL)
def _focal_budget(args, kwargs, expected):
    import reference

    z, target = args[0], np.asarray(args[1])
    axis = kwargs.get("axis", -1)
    zl = np.moveaxis(z, axis, -1)
    tl = target if np.issubdtype(target.dtype, np.integer) else np.moveaxis(target, axis, -1)
    coef = _coef(zl, tl, kwargs.get("alpha"))
    per = np.asarray(reference.focal_loss(z, target, **{**kwargs, "reduction": "none"}))
    with np.errstate(all="ignore"):
        zmax = np.max(np.abs(np.where(np.isfinite(zl), zl, 0.0)), axis=-1) if zl.size else np.zeros(zl.shape[:-1])
        a_n = np.sum(np.abs(coef), axis=-1) * (zmax + math.log(max(zl.shape[-1], 1)) + 1.0) \
            * (1.0 + kwargs.get("gamma", 2.0))
    return 1.0, reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"))


@condition(SFOCAL)
def _sfocal_budget(args, kwargs, expected):
    import reference

    x = args[0]
    per = np.asarray(reference.sigmoid_focal_loss(*args, **{**kwargs, "reduction": "none"}))
    with np.errstate(all="ignore"):
        a_n = (np.where(np.isfinite(x), np.abs(x), 0.0) + 1.0) * (kwargs.get("gamma", 2.0) + 2.0)
    return 1.0, reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"))


@condition(FOCAL + "_grad")
def _focal_grad_budget(args, kwargs, expected):
    """``g - p sum(g)`` with ``g_c = alpha_c t_c (1-p_c)^gamma (...)``: at the
    scale ``(sum_c |alpha_c t_c| + 1)(1 + gamma)`` of its terms (times the mean's
    ``1/N``), two roundings of the softmax and of the difference."""
    z, target = args[0], np.asarray(args[1])
    axis = kwargs.get("axis", -1)
    zl = np.moveaxis(z, axis, -1)
    tl = target if np.issubdtype(target.dtype, np.integer) else np.moveaxis(target, axis, -1)
    coef = _coef(zl, tl, kwargs.get("alpha"))
    n = int(np.prod(zl.shape[:-1]))
    scale = 1.0 / n if kwargs.get("reduction", "mean") == "mean" and n else 1.0
    mag = (np.sum(np.abs(coef), axis=-1, keepdims=True) + 1.0) * (1.0 + kwargs.get("gamma", 2.0)) * scale
    return np.moveaxis(np.broadcast_to(mag, zl.shape), -1, axis), 2.0


@condition(SFOCAL + "_grad")
def _sfocal_grad_budget(args, kwargs, expected):
    """``alpha_t m^gamma [s(x) - y + gamma (1 - 2y) ce s(x) s(-x) / m]``: at the
    scale ``1 + gamma (1 + ce)`` of its terms (times the mean's ``1/N``)."""
    import reference

    x, y = args[0], args[1]
    scale = 1.0 / x.size if kwargs.get("reduction", "mean") == "mean" and x.size else 1.0
    with np.errstate(all="ignore"):
        ce = np.asarray(reference.sigmoid_binary_cross_entropy(x, y, reduction="none"))
        mag = (1.0 + kwargs.get("gamma", 2.0) * (1.0 + np.where(np.isfinite(ce), ce, 0.0))) * scale
    return mag, 2.0


# ---------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------

@check("focal.value.options", function=FOCAL, clause="focal.def", kind="value",
       description="matches the reference over index/soft targets, gamma, alpha (none/scalar/vector), reduction")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        _agree(ctx, fn, FOCAL, (z, target), kwargs)
    ctx.property(focal_case(), body)


@check("focal.value.axis", function=FOCAL, clause="focal.def", kind="value",
       description="axis=0 on transposed logits (and soft targets) gives the same losses")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        expected = ctx.reference.focal_loss(z, target, **kwargs)
        tt = target if np.issubdtype(target.dtype, np.integer) else np.ascontiguousarray(target.T)
        args = (np.ascontiguousarray(z.T), tt)
        got, call = _call(ctx, fn, FOCAL, args, {**kwargs, "axis": 0})
        ctx.expect(FOCAL, args, {**kwargs, "axis": 0}, got, expected, call=call)
    ctx.property(focal_case(), body, max_examples=max(ctx.max_examples // 2, 5))


@check("sfocal.value.options", function=SFOCAL, clause="sfocal.def", kind="value",
       description="matches the reference over hard/soft targets, gamma, alpha and reduction")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree(ctx, fn, SFOCAL, (x, y), kwargs)
    ctx.property(sfocal_case(), body)


# ---------------------------------------------------------------------------
# special values that ask for relative accuracy
# ---------------------------------------------------------------------------
# Not table rows: these clauses ask for a loss far below ulp(1) to its relative
# accuracy, which the function's budget (absolute below 1, floor = 1) cannot state.

@check("focal.special.confident", function=FOCAL, clause="focal.special.confident", kind="special",
       description="logits [40, 0], target 0: loss ~ e^-120 to relative accuracy (1 - p computed without cancellation)")
def _(fn, ctx):
    # 1 - p = e^-40 / (1 + e^-40) = s;  loss = s^2 * log1p(e^-40)
    s = math.exp(-40.0) / (1.0 + math.exp(-40.0))
    for gamma, expected in ((2.0, s * s * math.log1p(math.exp(-40.0))), (1.0, s * math.log1p(math.exp(-40.0)))):
        got, call = _call(ctx, fn, FOCAL, (np.array([[40.0, 0.0]]), np.array([0])), {"gamma": gamma})
        ctx.assert_close(got, expected, call=call, ulps=16, floor=0.0)


@check("sfocal.special.huge", function=SFOCAL, clause="sfocal.special.huge", kind="special",
       description="logits ±1e4, ±1e308 take their limits without overflow (|x| for a wrong sign, 0 for a right one)")
def _(fn, ctx):
    # Not a table row: the function's budget grows with |x| (up to 1e308 here),
    # while this clause asks for the exact limits.
    x = np.array([1e4, -1e4, 1e308, -1e308, 1e308, 1e4])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.5])
    got, call = _call(ctx, fn, SFOCAL, (x, y), {"reduction": "none"})
    ctx.assert_close(got, [1e4, 1e4, 1e308, 1e308, 0.0, 0.25 * 5e3], call=call, ulps=4, floor=1.0)


@check("sfocal.special.confident", function=SFOCAL, clause="sfocal.special.confident", kind="special",
       description="x = 40, y = 1 keeps its loss ~ e^-120 (1 - p_t as sigmoid(-x), not 1 - sigmoid(x))")
def _(fn, ctx):
    s = 1.0 / (1.0 + math.exp(40.0))
    got, call = _call(ctx, fn, SFOCAL, (np.array([40.0, -40.0]), np.array([1.0, 0.0])), {"reduction": "none"})
    expected = s * s * math.log1p(math.exp(-40.0))
    ctx.assert_close(got, [expected, expected], call=call, ulps=16, floor=0.0)


# ---------------------------------------------------------------------------
# identities and properties
# ---------------------------------------------------------------------------

@check("focal.identity.gamma-zero", function=FOCAL, clause="focal.identity.cross-entropy", kind="property",
       needs=(SCE,), description="gamma = 0, alpha = None equals softmax_cross_entropy; with an alpha vector and "
       "'none'/'sum' it equals softmax CE with weight = alpha")
def _(fn, ctx):
    sce = ctx.impl(SCE)

    def body(case):
        z, target, kwargs = case
        red = kwargs.get("reduction", "mean")
        alpha = kwargs.get("alpha")
        got, call = _call(ctx, fn, FOCAL, (z, target), {**kwargs, "gamma": 0.0})
        skw = _kw(reduction=red, weight=alpha)
        other = ctx.call(sce, z, target, **skw)
        floor, cond = judge(FOCAL, (z, target), {**kwargs, "gamma": 0.0}, np.asarray(other, dtype=np.float64))
        ctx.assert_close(got, other, call=f"{call}  vs  {format_call(SCE, (z, target), skw)}",
                         floor=floor, cond=2.0 * cond + 2.0)

    @st.composite
    def cases(draw):
        z, target, kwargs = draw(focal_case(alpha_kinds=("none", "vector"), gammas=[0.0]))
        if "alpha" in kwargs and kwargs.get("reduction", "mean") == "mean":
            kwargs["reduction"] = "sum"
        return z, target, kwargs
    ctx.property(cases(), body)


@check("focal.identity.one-hot", function=FOCAL, clause="focal.identity.one-hot", kind="property",
       description="integer targets equal their one-hot encoding, with any gamma and alpha")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        c = z.shape[-1]
        onehot = np.eye(c)[target] if target.size else np.zeros((0, c))
        got, call = _call(ctx, fn, FOCAL, (z, target), kwargs)
        other, call2 = _call(ctx, fn, FOCAL, (z, onehot), kwargs)
        ctx.assert_close(got, other, call=f"{call}  vs  {call2}", floor=1.0, ulps=4)
    ctx.property(focal_case(soft=False), body)


@check("focal.property.bound", function=FOCAL, clause="focal.property.bound", kind="property",
       needs=(SCE,), description="with alpha = None the focal loss never exceeds cross entropy and decreases in gamma")
def _(fn, ctx):
    sce = ctx.impl(SCE)

    def body(case):
        z, target, kwargs = case
        ce = ctx.call(sce, z, target, reduction="none")
        prev = ce
        for gamma in (0.5, 2.0, 5.0):
            got, call = _call(ctx, fn, FOCAL, (z, target), {"gamma": gamma, "reduction": "none"})
            with np.errstate(invalid="ignore"):
                bad = np.asarray(got) > np.asarray(prev) * (1 + 1e-12) + 1e-300
            ctx.assert_true(not np.any(bad), f"gamma={gamma}: focal loss above the loss at smaller gamma / CE",
                            call=call)
            prev = got
    ctx.property(focal_case(alpha_kinds=("none",), reductions=["none"]), body)


@check("sfocal.identity.gamma-zero", function=SFOCAL, clause="sfocal.identity.bce", kind="property",
       needs=(SBCE,), description="gamma = 0, alpha = None equals sigmoid_binary_cross_entropy")
def _(fn, ctx):
    sbce = ctx.impl(SBCE)

    def body(case):
        x, y, kwargs = case
        red = kwargs.get("reduction", "mean")
        got, call = _call(ctx, fn, SFOCAL, (x, y), {"gamma": 0.0, **_kw(reduction=red)})
        other = ctx.call(sbce, x, y, **_kw(reduction=red))
        floor, cond = judge(SFOCAL, (x, y), {"gamma": 0.0, "reduction": red}, np.asarray(other, dtype=np.float64))
        ctx.assert_close(got, other, call=f"{call}  vs  {format_call(SBCE, (x, y), _kw(reduction=red))}",
                         floor=floor, cond=2.0 * cond + 2.0)
    ctx.property(sfocal_case(alpha=False, gammas=[0.0]), body)


@check("sfocal.identity.alpha", function=SFOCAL, clause="sfocal.alpha", kind="property",
       description="alpha multiplies the y = 1 elements by alpha and the y = 0 elements by 1 - alpha")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        yb = (y > 0.5).astype(np.float64)
        alpha = 0.25 if kwargs.get("alpha") is None else kwargs["alpha"]
        base, call0 = _call(ctx, fn, SFOCAL, (x, yb), {"gamma": kwargs.get("gamma", 2.0), "reduction": "none"})
        got, call = _call(ctx, fn, SFOCAL, (x, yb), {"gamma": kwargs.get("gamma", 2.0), "alpha": alpha,
                                                     "reduction": "none"})
        at = alpha * yb + (1 - alpha) * (1 - yb)
        with np.errstate(invalid="ignore"):
            expected = np.where(at == 0, 0.0, at * np.asarray(base, dtype=np.float64))
        ctx.assert_close(got, expected, call=f"{call}  vs  alpha_t * {call0}", floor=1.0, ulps=4)
    ctx.property(sfocal_case(), body)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

@check("focal.gradient.value", function=FOCAL + "_grad", clause="focal.gradient", kind="gradient",
       description="g - p sum(g), g_c = alpha_c t_c (1-p_c)^gamma (gamma p_c log p_c / (1-p_c) - 1)")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        _agree(ctx, fn, FOCAL + "_grad", (z, target), kwargs)
    ctx.property(focal_case(), body)


def _closed_form_cases(ctx, fn, function, cases):
    def body(case):
        args, kwargs, expected = case
        got, call = _call(ctx, fn, function, args, kwargs)
        ctx.expect(function, args, kwargs, got, expected, call=call)
    ctx.subcases(cases, body)


@check("focal.gradient.closed-form", function=FOCAL + "_grad", clause="focal.gradient", kind="gradient",
       description="gamma = 0: softmax - onehot; two equal logits with gamma = 2: -(1 + 2 ln 2)/8 and +(1 + 2 ln 2)/8")
def _(fn, ctx):
    # p = 1/2: g_0 = (1/2)^2 (2 * (1/2) ln(1/2) / (1/2) - 1) = -(1 + 2 ln 2)/4;  grad = g (1 - p) = -(1 + 2 ln 2)/8
    v = (1.0 + 2.0 * math.log(2.0)) / 8.0
    z, y = np.zeros((1, 2)), np.array([0])
    _closed_form_cases(ctx, fn, FOCAL + "_grad", [((z, y), {"gamma": 0.0}, np.array([[-0.5, 0.5]])),
                                                  ((z, y), {"gamma": 2.0}, np.array([[-v, v]]))])


@check("sfocal.gradient.value", function=SFOCAL + "_grad", clause="sfocal.gradient", kind="gradient",
       description="alpha_t m^gamma [sigmoid(x) - y + gamma (1 - 2y) ce sigmoid(x) sigmoid(-x) / m], m = 1 - p_t")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree(ctx, fn, SFOCAL + "_grad", (x, y), kwargs)
    ctx.property(sfocal_case(), body)


@check("sfocal.gradient.closed-form", function=SFOCAL + "_grad", clause="sfocal.gradient", kind="gradient",
       description="x = 0, gamma = 0: -1/2 for y = 1, +1/2 for y = 0; limits 0 at x = +inf, y = 1")
def _(fn, ctx):
    # gamma = 2, x = 0, y = 1: m = 1/2, ce = ln 2, r = 1/2: (1/4)(-1/2 - 2 (1/2) ln 2)
    v = 0.25 * (-0.5 - math.log(2.0))
    _closed_form_cases(ctx, fn, SFOCAL + "_grad", [
        ((np.zeros(2), np.array([1.0, 0.0])), {"gamma": 0.0, "reduction": "none"}, np.array([-0.5, 0.5])),
        ((np.zeros(1), np.ones(1)), {"reduction": "sum"}, np.array([v])),
        ((np.array([INF, -INF, INF]), np.array([1.0, 0.0, 0.0])), {"reduction": "none"}, np.array([0.0, 0.0, 1.0])),
    ])


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------

@check("focal.dtype.float32", function=FOCAL, clause="focal.accuracy", kind="dtype",
       description="float32 logits: within float32 ulps of the float64 loss of the same input")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        _agree32(ctx, fn, FOCAL, (z, target), kwargs)
    ctx.property(focal_case(), body)


@check("focal.dtype.float64", function=FOCAL, clause="focal.accuracy", kind="dtype",
       description="float64 logits give a float64 result accurate to float64 ulps")
def _(fn, ctx):
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    got, call = _call(ctx, fn, FOCAL, (z, np.array([0, 2])), {"reduction": "none"})
    ctx.assert_true(np.asarray(got).dtype == np.float64, f"float64 input gave dtype {np.asarray(got).dtype}", call=call)
    ctx.expect(FOCAL, (z, np.array([0, 2])), {"reduction": "none"}, got,
               ctx.reference.focal_loss(z, np.array([0, 2]), reduction="none"), call=call)


@check("sfocal.dtype.float32", function=SFOCAL, clause="sfocal.accuracy", kind="dtype",
       description="float32 logits: within float32 ulps of the float64 loss of the same input")
def _(fn, ctx):
    def body(case):
        x, y, kwargs = case
        _agree32(ctx, fn, SFOCAL, (x, y), kwargs)
    ctx.property(sfocal_case(), body)


@check("sfocal.dtype.float64", function=SFOCAL, clause="sfocal.accuracy", kind="dtype",
       description="float64 logits give a float64 result accurate to float64 ulps")
def _(fn, ctx):
    x = np.array([-2.0, 0.5, 3.0, -1.5])
    y = np.array([0.0, 1.0, 0.25, 1.0])
    got, call = _call(ctx, fn, SFOCAL, (x, y), {"alpha": 0.25, "reduction": "none"})
    ctx.assert_true(np.asarray(got).dtype == np.float64, f"float64 input gave dtype {np.asarray(got).dtype}", call=call)
    ctx.expect(SFOCAL, (x, y), {"alpha": 0.25, "reduction": "none"}, got,
               ctx.reference.sigmoid_focal_loss(x, y, alpha=0.25, reduction="none"), call=call)

"""Conformance checks for the regression losses (spec page ``docs/spec/regression.md``).

Functions: ``mean_absolute_error``, ``mean_squared_error``,
``root_mean_squared_error``, ``huber_loss``, ``smooth_l1_loss`` and their
``_grad`` functions.

The worked examples, special values and refused inputs are rows of
``conformance/cases/regression.toml``; this module keeps what is not a row
(values against the reference over generated inputs, float32 input,
gradients against the reference gradient, identities) and registers the
budget of every function once (:func:`conformance.budgets.condition`).

Budgets: values are judged in ulps of the input dtype at the result's own
magnitude (``floor`` only guards subnormal results), scaled by ``1 + cond``.
``cond`` allows for the rounding of ``d = pred - target`` (relative error
``(|pred| + |target|) / |d|`` times the power of ``d`` in the loss, at most 2)
plus 2 for the few roundings of the element formula, and for the summation of
the reductions (:func:`conformance.budgets.reduced_cond`).  Gradients are
judged at the scale of their closed forms.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import reference
from conformance.budgets import condition, judge, reduced_cond
from conformance.checks._common import call as _call
from conformance.registry import check

MAE = "mean_absolute_error"
MSE = "mean_squared_error"
RMSE = "root_mean_squared_error"
HUBER = "huber_loss"
SL1 = "smooth_l1_loss"
TINY = 1e-300
# float32 results below this are judged absolutely: a float32 kernel may flush
# subnormal squares to zero.
FLOAT32_FLOOR = 1e-30

# name -> (clause prefix, parameter name or None, power of d in the loss)
ELEMENTWISE = {
    MAE: ("reg.mae", None, 1.0),
    MSE: ("reg.mse", None, 2.0),
    HUBER: ("reg.huber", "delta", 2.0),
    SL1: ("reg.smooth-l1", "beta", 2.0),
}


# ---------------------------------------------------------------------------
# budgets: one registration per function
# ---------------------------------------------------------------------------

def _diff_cond(p, t, power):
    """Relative condition of ``|d|**power`` with respect to the rounding of ``d``."""
    with np.errstate(all="ignore"):
        d = np.abs(p - t)
        c = power * (np.abs(p) + np.abs(t)) / np.where(d > 0, d, 1.0)
    return np.where(np.isfinite(c), c, 0.0)


def _register_loss_budget(name):
    power = ELEMENTWISE[name][2]

    @condition(name)
    def _budget(args, kwargs, expected):
        p, t = np.asarray(args[0], dtype=np.float64), np.asarray(args[1], dtype=np.float64)
        options = {k: v for k, v in kwargs.items() if k != "reduction"}
        per = np.asarray(getattr(reference, name)(p, t, **options, reduction="none"))
        with np.errstate(all="ignore"):
            a_n = _diff_cond(p, t, power) * np.abs(per)
        cond = reduced_cond(a_n, per, expected, kwargs.get("reduction", "mean"), floor=TINY)
        return TINY, cond + 2.0


def _rmse_cond(p, t):
    """Condition of the RMSE: half that of the mean of ``d**2`` (the root halves
    relative errors), computed on ``d`` scaled to its largest entry so that
    squares neither overflow nor underflow."""
    with np.errstate(all="ignore"):
        d = 0.5 * np.asarray(p, dtype=np.float64) - 0.5 * np.asarray(t, dtype=np.float64)
        d = np.where(np.isfinite(d), d, 0.0)
        m = float(np.max(np.abs(d))) if d.size else 0.0
        s = d / m if m > 0 else d
        sq = s * s
    mean = float(np.mean(sq)) if sq.size else 0.0
    return 0.5 * float(reduced_cond(_diff_cond(p, t, 2.0) * sq, sq, mean, "mean", floor=0.0))


@condition(RMSE)
def _rmse_budget(args, kwargs, expected):
    return TINY, _rmse_cond(args[0], args[1])


def _register_grad_budget(name):
    param = ELEMENTWISE[name][1]

    @condition(name + "_grad")
    def _budget(args, kwargs, expected):
        # The closed forms are sign(d), 2d, clip(d, -k, k) and d/beta or sign(d):
        # judged at the size of the element's derivative (1 where it is a sign).
        p, t = np.asarray(args[0], dtype=np.float64), np.asarray(args[1], dtype=np.float64)
        k = float(kwargs.get(param, 1.0)) if param else 1.0
        with np.errstate(all="ignore"):
            mag = np.abs(p - t) * (2.0 if name == MSE else 1.0)
            if name == SL1 and k > 0:
                mag = np.maximum(mag / k, 1.0)
            elif name != MSE:
                mag = np.maximum(np.minimum(mag, k), 1.0 if name == MAE else 0.0)
            n = p.size
            scale = 1.0 / n if kwargs.get("reduction", "mean") == "mean" and n > 0 else 1.0
            cot = kwargs.get("cotangent")
            if cot is not None:
                scale = scale * np.abs(np.asarray(cot, dtype=np.float64))
            floor = np.maximum(mag * scale, TINY)
        return np.where(np.isfinite(floor), floor, TINY), 1.0


@condition(RMSE + "_grad")
def _rmse_grad_budget(args, kwargs, expected):
    # d / (N rmse): entries of size up to 1/sqrt(N) (judged at 1/N), the
    # rounding of the root and of the N-term mean (N).
    n = np.size(args[0])
    floor = max(1.0 / n, TINY) if n else 1.0
    cot = kwargs.get("cotangent")
    if cot is not None:
        floor = max(floor * abs(float(np.asarray(cot, dtype=np.float64))), TINY)
    return floor, float(n)


for _name in ELEMENTWISE:
    _register_loss_budget(_name)
    _register_grad_budget(_name)


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

@st.composite
def _arrays(draw, lo=-1e4, hi=1e4, min_size=1):
    n = draw(st.integers(min_size, 4))
    c = draw(st.integers(1, 3))
    shape = (n, c) if draw(st.booleans()) else (n * c,)
    size = n * c
    vals = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=32)
    p = np.array(draw(st.lists(vals, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    t = np.array(draw(st.lists(vals, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    # Some exact hits (d = 0): the kinks of MAE and smooth L1 with beta = 0.
    mask = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size))).reshape(shape)
    t = np.where(mask & draw(st.booleans()), p, t)
    return p, t


@st.composite
def _case(draw, name):
    p, t = draw(_arrays())
    kwargs = {}
    red = draw(st.sampled_from(["mean", "sum", "none"]))
    if red != "mean":
        kwargs["reduction"] = red
    param = ELEMENTWISE[name][1]
    if param is not None and draw(st.booleans()):
        lo = 0.0 if param == "beta" else 1e-3
        kwargs[param] = draw(st.one_of(st.sampled_from([lo, 1.0, 0.5, 100.0]),
                                       st.floats(max(lo, 1e-3), 1e3)))
    return p, t, kwargs


def _against_reference(ctx, fn, name, p, t, kwargs, *, dtype=np.float64):
    """Call the target on ``p, t`` (of ``dtype``) and judge it against the float64
    reference of the same numbers, under ``name``'s budget."""
    p_in, t_in = p.astype(dtype), t.astype(dtype)
    p64, t64 = p_in.astype(np.float64), t_in.astype(np.float64)
    got, call = _call(ctx, fn, name, (p_in, t_in), kwargs)
    expected = getattr(ctx.reference, name)(p64, t64, **kwargs)
    if np.dtype(dtype) == np.float64:
        ctx.expect(name, (p64, t64), kwargs, got, expected, call=call)
        return
    floor, cond = judge(name, (p64, t64), kwargs, expected)
    ctx.assert_close(got, expected, call=call, dtype=dtype, floor=np.maximum(floor, FLOAT32_FLOOR), cond=cond)


# ---------------------------------------------------------------------------
# values and gradients against the reference (hypothesis), float32 input
# ---------------------------------------------------------------------------

def _register_elementwise(name, prefix):
    @check(f"{prefix}.value", function=name, clause=f"{prefix}.def", kind="value",
           description="random pred/target, reductions and parameters against the float64 reference")
    def _(fn, ctx):
        ctx.property(_case(name), lambda case: _against_reference(ctx, fn, name, *case))

    @check(f"{prefix}.gradient.value", function=name + "_grad", clause="reg.grad.def", kind="gradient",
           description="the closed-form gradient wrt pred for random input, times 1/N for mean, "
                       "against the reference gradient")
    def _(fn, ctx):
        ctx.property(_case(name), lambda case: _against_reference(ctx, fn, name + "_grad", *case))

    @check(f"{prefix}.dtype.float32", function=name, clause="reg.accuracy", kind="dtype",
           description="float32 input: within float32 ulps of the float64 loss of the same input")
    def _(fn, ctx):
        ctx.property(_case(name), lambda case: _against_reference(ctx, fn, name, *case, dtype=np.float32))


for _name, (_prefix, _param, _power) in ELEMENTWISE.items():
    _register_elementwise(_name, _prefix)


@check("reg.rmse.value", function=RMSE, clause="reg.rmse.def", kind="value",
       description="random pred/target against the float64 reference (root of the mean over all elements)")
def _(fn, ctx):
    ctx.property(_arrays(), lambda case: _against_reference(ctx, fn, RMSE, *case, {}))


@check("reg.rmse.dtype.float32", function=RMSE, clause="reg.accuracy", kind="dtype",
       description="float32 input: within float32 ulps of the float64 RMSE of the same input")
def _(fn, ctx):
    # The squares of float32 errors near 1e-25 underflow in float32 although the
    # RMSE is a normal float32: row reg.rmse.dtype.float32.underflow.
    ctx.property(_arrays(), lambda case: _against_reference(ctx, fn, RMSE, *case, {}, dtype=np.float32))


@check("reg.rmse.gradient.value", function=RMSE + "_grad", clause="reg.grad.def", kind="gradient",
       description="d / (N rmse) for random input, against the reference gradient")
def _(fn, ctx):
    ctx.property(_arrays(), lambda case: _against_reference(ctx, fn, RMSE + "_grad", *case, {}))


# ---------------------------------------------------------------------------
# identities (properties)
# ---------------------------------------------------------------------------

@check("reg.rmse.identity.mse", function=RMSE, clause="reg.rmse.identity", kind="property",
       description="rmse(p, t)**2 equals mean_squared_error(p, t)", needs=(MSE,))
def _(fn, ctx):
    mse = ctx.impl(MSE)

    def body(case):
        p, t = case
        got, call = _call(ctx, fn, RMSE, (p, t), {})
        m = ctx.call(mse, p, t)
        ctx.assert_close(np.asarray(got, dtype=np.float64) ** 2, m, call=call, ulps=8,
                         floor=TINY, cond=2.0 * _rmse_cond(p, t), what="rmse**2 vs mse")
    ctx.property(_arrays(), body)


@check("reg.huber.identity.smooth-l1", function=HUBER, clause="reg.huber.identity", kind="property",
       description="huber_loss(delta=k) equals k * smooth_l1_loss(beta=k) element-wise", needs=(SL1,))
def _(fn, ctx):
    sl1 = ctx.impl(SL1)

    def body(case):
        (p, t), k = case
        got, call = _call(ctx, fn, HUBER, (p, t), {"delta": k, "reduction": "none"})
        other = k * np.asarray(ctx.call(sl1, p, t, beta=k, reduction="none"), dtype=np.float64)
        cond = _diff_cond(p, t, 2.0) + 4.0
        ctx.assert_close(got, other, call=call, floor=TINY, cond=cond, what="huber vs delta * smooth_l1")
    ctx.property(st.tuples(_arrays(), st.floats(1e-3, 1e3)), body)


@check("reg.smooth-l1.identity.mae", function=SL1, clause="reg.smooth-l1.identity", kind="property",
       description="smooth_l1_loss(beta=0) equals mean_absolute_error element-wise", needs=(MAE,))
def _(fn, ctx):
    mae = ctx.impl(MAE)

    def body(case):
        p, t = case
        got, call = _call(ctx, fn, SL1, (p, t), {"beta": 0.0, "reduction": "none"})
        ctx.assert_close(got, ctx.call(mae, p, t, reduction="none"), call=call, ulps=0,
                         floor=TINY, what="smooth_l1(beta=0) vs mae")
    ctx.property(_arrays(), body)

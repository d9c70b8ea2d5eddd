"""Conformance checks for the regression losses (spec page ``docs/spec/regression.md``).

Functions: ``mean_absolute_error``, ``mean_squared_error``,
``root_mean_squared_error``, ``huber_loss``, ``smooth_l1_loss`` and their
``_grad`` functions.

Budgets: values are judged in ulps of the input dtype at the result's own
magnitude (``floor`` only guards subnormal results), scaled by ``1 + cond``.
``cond`` allows for the rounding of ``d = pred - target`` (relative error
``(|pred| + |target|) / |d|`` times the power of ``d`` in the loss, at most 2)
and for the summation of the reductions (``n``).  Gradients are judged at the
scale of their closed forms.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.checks._common import call as _call
from conformance.context import format_call
from conformance.registry import check

MAE = "mean_absolute_error"
MSE = "mean_squared_error"
RMSE = "root_mean_squared_error"
HUBER = "huber_loss"
SL1 = "smooth_l1_loss"
INF = np.inf
NAN = np.nan
TINY = 1e-300

# name -> (clause prefix, parameter name or None, power of d in the loss)
ELEMENTWISE = {
    MAE: ("reg.mae", None, 1.0),
    MSE: ("reg.mse", None, 2.0),
    HUBER: ("reg.huber", "delta", 2.0),
    SL1: ("reg.smooth-l1", "beta", 2.0),
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------



def _invalid(ctx, fn, name, args, kwargs):
    ctx.assert_raises_or_nan(fn, args, kwargs, call=format_call(name, args, kwargs))


def _diff_cond(p, t, power):
    """Relative condition of ``|d|**power`` with respect to the rounding of ``d``."""
    with np.errstate(all="ignore"):
        d = np.abs(p - t)
        c = power * (np.abs(p) + np.abs(t)) / np.where(d > 0, d, 1.0)
    return np.where(np.isfinite(c), c, 0.0)


def _cond(per_value, per_cond, reduction, expected):
    """Condition of a (reduced) loss built from non-negative element values."""
    if reduction == "none":
        return per_cond
    lv = np.where(np.isfinite(per_value), np.abs(per_value), 0.0)
    n = max(lv.size, 1)
    total = float(np.sum(per_cond * lv) + n * np.sum(lv))
    e = float(np.sum(lv)) if reduction == "sum" else float(np.mean(lv)) if lv.size else 0.0
    if reduction == "mean":
        total /= n
    return np.float64(total / e) if e > 0 else np.float64(0.0)


def _expected_and_cond(ctx, name, p, t, kwargs):
    ref = getattr(ctx.reference, name)
    power = ELEMENTWISE[name][2]
    reduction = kwargs.get("reduction", "mean")
    per = np.asarray(ref(p, t, **{**kwargs, "reduction": "none"}))
    expected = ref(p, t, **kwargs)
    return expected, _cond(per, _diff_cond(p, t, power), reduction, expected)


def _rmse_cond(p, t):
    d2 = (p - t) ** 2
    pc = _diff_cond(p, t, 1.0)
    s = float(np.sum(d2))
    n = max(d2.size, 1)
    return np.float64((float(np.sum(pc * d2)) / s if s > 0 else 0.0) + n)


def _grad_scale(shape, reduction):
    n = int(np.prod(shape))
    return 1.0 / n if reduction == "mean" and n > 0 else 1.0


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


# ---------------------------------------------------------------------------
# definitions: closed-form examples
# ---------------------------------------------------------------------------

P3, T3 = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])  # d = (-1, 0, 3)


@check("reg.mae.example", function=MAE, clause="reg.mae.def", kind="example",
       description="d = (-1, 0, 3): none (1, 0, 3), sum 4, mean 4/3")
def _(fn, ctx):
    got, call = _call(ctx, fn, MAE, (P3, T3), {"reduction": "none"})
    ctx.assert_close(got, [1.0, 0.0, 3.0], call=call, ulps=0)
    got, call = _call(ctx, fn, MAE, (P3, T3), {"reduction": "sum"})
    ctx.assert_close(got, 4.0, call=call, ulps=0)
    got, call = _call(ctx, fn, MAE, (P3, T3), {})
    ctx.assert_close(got, 4.0 / 3.0, call=call, ulps=2)


@check("reg.mse.example", function=MSE, clause="reg.mse.def", kind="example",
       description="d = (-1, 0, 3): none (1, 0, 9), sum 10, mean 10/3 (no factor 1/2)")
def _(fn, ctx):
    got, call = _call(ctx, fn, MSE, (P3, T3), {"reduction": "none"})
    ctx.assert_close(got, [1.0, 0.0, 9.0], call=call, ulps=0)
    got, call = _call(ctx, fn, MSE, (P3, T3), {"reduction": "sum"})
    ctx.assert_close(got, 10.0, call=call, ulps=0)
    got, call = _call(ctx, fn, MSE, (P3, T3), {})
    ctx.assert_close(got, 10.0 / 3.0, call=call, ulps=2)


@check("reg.rmse.example", function=RMSE, clause="reg.rmse.def", kind="example",
       description="d = (3, 4): sqrt(12.5) over all elements of a 2-d input, not sqrt(1/N) * sum d^2")
def _(fn, ctx):
    got, call = _call(ctx, fn, RMSE, (np.array([3.0, 4.0]), np.zeros(2)), {})
    ctx.assert_close(got, np.sqrt(12.5), call=call, ulps=2)
    # 2-d input: one number over all four elements, sqrt((9 + 16 + 0 + 0) / 4) = 2.5.
    p = np.array([[3.0, 0.0], [0.0, 4.0]])
    got, call = _call(ctx, fn, RMSE, (p, np.zeros((2, 2))), {})
    ctx.assert_close(got, 2.5, call=call, ulps=2)
    # Errors (1, 2, 3): sqrt(14/3), not the source's 14 / sqrt(3).
    got, call = _call(ctx, fn, RMSE, (np.array([1.0, 2.0, 3.0]), np.zeros(3)), {})
    ctx.assert_close(got, np.sqrt(14.0 / 3.0), call=call, ulps=2)


@check("reg.huber.example", function=HUBER, clause="reg.huber.def", kind="example",
       description="delta 1, d = (0.5, 3, -2, 1): (0.125, 2.5, 1.5, 0.5); delta 2, d = 3: 4")
def _(fn, ctx):
    p = np.array([0.5, 3.0, -2.0, 1.0])
    got, call = _call(ctx, fn, HUBER, (p, np.zeros(4)), {"reduction": "none"})
    ctx.assert_close(got, [0.125, 2.5, 1.5, 0.5], call=call, ulps=0)
    got, call = _call(ctx, fn, HUBER, (np.array([3.0]), np.zeros(1)), {"delta": 2.0, "reduction": "sum"})
    ctx.assert_close(got, 4.0, call=call, ulps=0)


@check("reg.smooth-l1.example", function=SL1, clause="reg.smooth-l1.def", kind="example",
       description="beta 2, d = (0.5, 3, 2): (0.0625, 2, 1); beta 1 mean of d = (0.5, 3): 1.3125")
def _(fn, ctx):
    got, call = _call(ctx, fn, SL1, (np.array([0.5, 3.0, 2.0]), np.zeros(3)), {"beta": 2.0, "reduction": "none"})
    ctx.assert_close(got, [0.0625, 2.0, 1.0], call=call, ulps=0)
    got, call = _call(ctx, fn, SL1, (np.array([0.5, 3.0]), np.zeros(2)), {})
    ctx.assert_close(got, 1.3125, call=call, ulps=0)


# ---------------------------------------------------------------------------
# values against the reference (hypothesis), gradients, dtype, invalid
# ---------------------------------------------------------------------------

def _register_elementwise(name, prefix, param):
    @check(f"{prefix}.value", function=name, clause=f"{prefix}.def", kind="value",
           description="random pred/target, reductions and parameters against the float64 reference")
    def _(fn, ctx):
        def body(case):
            p, t, kwargs = case
            expected, cond = _expected_and_cond(ctx, name, p, t, kwargs)
            got, call = _call(ctx, fn, name, (p, t), kwargs)
            ctx.assert_close(got, expected, call=call, floor=TINY, cond=cond + 2.0)
        ctx.property(_case(name), body)

    @check(f"{prefix}.gradient.value", function=name + "_grad", clause="reg.grad.def", kind="gradient",
           description="the closed-form gradient wrt pred for random input, times 1/N for mean")
    def _(fn, ctx):
        def body(case):
            p, t, kwargs = case
            expected = getattr(ctx.reference, name + "_grad")(p, t, **kwargs)
            got, call = _call(ctx, fn, name + "_grad", (p, t), kwargs)
            k = kwargs.get(param, 1.0) if param else 1.0
            with np.errstate(all="ignore"):
                mag = np.abs(p - t) * (2.0 if name == MSE else 1.0)
                if name == SL1 and k > 0:
                    mag = np.maximum(mag / k, 1.0)
                elif name != MSE:
                    mag = np.maximum(np.minimum(mag, k), 1.0 if name == MAE else 0.0)
            floor = np.maximum(mag * _grad_scale(p.shape, kwargs.get("reduction", "mean")), TINY)
            ctx.assert_close(got, expected, call=call, ulps=16, floor=floor, cond=1.0)
        ctx.property(_case(name), body)

    @check(f"{prefix}.dtype.float32", function=name, clause="reg.accuracy", kind="dtype",
           description="float32 input: within float32 ulps of the float64 loss of the same input")
    def _(fn, ctx):
        def body(case):
            p, t, kwargs = case
            p32, t32 = p.astype(np.float32), t.astype(np.float32)
            got, call = _call(ctx, fn, name, (p32, t32), kwargs)
            expected, cond = _expected_and_cond(ctx, name, p32.astype(np.float64), t32.astype(np.float64), kwargs)
            ctx.assert_close(got, expected, call=call, dtype=np.float32, floor=1e-30, cond=cond + 2.0)
        ctx.property(_case(name), body)

    @check(f"{prefix}.invalid.shape", function=name, clause="reg.invalid", kind="invalid",
           description="target of another shape, unknown reduction raise (or NaN)")
    def _(fn, ctx):
        _invalid(ctx, fn, name, (np.zeros(3), np.zeros(2)), {})
        _invalid(ctx, fn, name, (np.zeros((2, 3)), np.zeros((3, 2))), {})
        _invalid(ctx, fn, name, (np.zeros(2), np.zeros(2)), {"reduction": "avg"})


for _name, (_prefix, _param, _power) in ELEMENTWISE.items():
    _register_elementwise(_name, _prefix, _param)


@check("reg.rmse.value", function=RMSE, clause="reg.rmse.def", kind="value",
       description="random pred/target against the float64 reference (root of the mean over all elements)")
def _(fn, ctx):
    def body(case):
        p, t = case
        got, call = _call(ctx, fn, RMSE, (p, t), {})
        ctx.assert_close(got, ctx.reference.root_mean_squared_error(p, t), call=call,
                         floor=TINY, cond=_rmse_cond(p, t))
    ctx.property(_arrays(), body)


@check("reg.rmse.dtype.float32", function=RMSE, clause="reg.accuracy", kind="dtype",
       description="float32 input: within float32 ulps of the float64 RMSE of the same input")
def _(fn, ctx):
    # The RMSE of float32 errors near 1e-25 is a normal float32, but squaring
    # them first in float32 underflows to 0: one fixed case, whatever the seed.
    p32, t32 = np.zeros(2, dtype=np.float32), np.array([3e-25, -4e-25], dtype=np.float32)
    got, call = _call(ctx, fn, RMSE, (p32, t32), {})
    ctx.assert_close(got, ctx.reference.root_mean_squared_error(p32.astype(np.float64), t32.astype(np.float64)),
                     call=call, dtype=np.float32, floor=1e-30, cond=2.0)

    def body(case):
        p, t = case
        p32, t32 = p.astype(np.float32), t.astype(np.float32)
        got, call = _call(ctx, fn, RMSE, (p32, t32), {})
        p64, t64 = p32.astype(np.float64), t32.astype(np.float64)
        ctx.assert_close(got, ctx.reference.root_mean_squared_error(p64, t64), call=call,
                         dtype=np.float32, floor=1e-30, cond=_rmse_cond(p64, t64))
    ctx.property(_arrays(), body)


@check("reg.rmse.gradient.value", function=RMSE + "_grad", clause="reg.grad.def", kind="gradient",
       description="d / (N rmse) for random input")
def _(fn, ctx):
    def body(case):
        p, t = case
        expected = ctx.reference.root_mean_squared_error_grad(p, t)
        got, call = _call(ctx, fn, RMSE + "_grad", (p, t), {})
        floor = max(1.0 / p.size, TINY)
        ctx.assert_close(got, expected, call=call, ulps=16, floor=floor, cond=float(p.size))
    ctx.property(_arrays(), body)


@check("reg.rmse.invalid.shape", function=RMSE, clause="reg.invalid", kind="invalid",
       description="target of another shape raises (or NaN)")
def _(fn, ctx):
    _invalid(ctx, fn, RMSE, (np.zeros(3), np.zeros(2)), {})


@check("reg.invalid.delta", function=HUBER, clause="reg.invalid", kind="invalid",
       description="delta = 0 or delta < 0 raises (or NaN)")
def _(fn, ctx):
    for delta in (0.0, -1.0):
        _invalid(ctx, fn, HUBER, (np.array([1.0, 2.0]), np.zeros(2)), {"delta": delta})


@check("reg.invalid.beta", function=SL1, clause="reg.invalid", kind="invalid",
       description="beta < 0 raises (or NaN)")
def _(fn, ctx):
    _invalid(ctx, fn, SL1, (np.array([1.0, 2.0]), np.zeros(2)), {"beta": -0.5})


# ---------------------------------------------------------------------------
# gradients: closed forms and subgradients
# ---------------------------------------------------------------------------

@check("reg.grad.closed-form", function=MSE + "_grad", clause="reg.grad.def", kind="gradient",
       description="MSE gradient 2d: d = (2, -1) gives (4, -2) for sum and (2, -1) for mean")
def _(fn, ctx):
    p, t = np.array([3.0, 1.0]), np.array([1.0, 2.0])
    got, call = _call(ctx, fn, MSE + "_grad", (p, t), {"reduction": "sum"})
    ctx.assert_close(got, [4.0, -2.0], call=call, ulps=0)
    got, call = _call(ctx, fn, MSE + "_grad", (p, t), {})
    ctx.assert_close(got, [2.0, -1.0], call=call, ulps=0)


@check("reg.grad.huber-clip", function=HUBER + "_grad", clause="reg.grad.def", kind="gradient",
       description="Huber gradient clip(d, -delta, delta): delta 1.5, d = (0.5, 3, -2) gives (0.5, 1.5, -1.5)")
def _(fn, ctx):
    got, call = _call(ctx, fn, HUBER + "_grad", (np.array([0.5, 3.0, -2.0]), np.zeros(3)),
                      {"delta": 1.5, "reduction": "sum"})
    ctx.assert_close(got, [0.5, 1.5, -1.5], call=call, ulps=0)


@check("reg.grad.subgradient.mae", function=MAE + "_grad", clause="reg.grad.subgradient", kind="gradient",
       description="sign(0) = 0: MAE gradient at d = (2, 0, -3) is (1, 0, -1)")
def _(fn, ctx):
    got, call = _call(ctx, fn, MAE + "_grad", (np.array([2.0, 5.0, -3.0]), np.array([0.0, 5.0, 0.0])),
                      {"reduction": "none"})
    ctx.assert_close(got, [1.0, 0.0, -1.0], call=call, ulps=0)


@check("reg.grad.subgradient.smooth-l1", function=SL1 + "_grad", clause="reg.grad.subgradient", kind="gradient",
       description="beta = 0 gives sign(d) with sign(0) = 0; beta 2 at d = 2 gives 1")
def _(fn, ctx):
    got, call = _call(ctx, fn, SL1 + "_grad", (np.array([2.0, 0.0, -0.25]), np.zeros(3)),
                      {"beta": 0.0, "reduction": "none"})
    ctx.assert_close(got, [1.0, 0.0, -1.0], call=call, ulps=0)
    got, call = _call(ctx, fn, SL1 + "_grad", (np.array([2.0, 1.0]), np.zeros(2)),
                      {"beta": 2.0, "reduction": "none"})
    ctx.assert_close(got, [1.0, 0.5], call=call, ulps=0)


@check("reg.grad.subgradient.rmse", function=RMSE + "_grad", clause="reg.grad.subgradient", kind="gradient",
       description="zero error everywhere: the RMSE gradient is 0 (not NaN)")
def _(fn, ctx):
    z = np.array([[1.0, -2.0], [0.5, 3.0]])
    got, call = _call(ctx, fn, RMSE + "_grad", (z, z.copy()), {})
    ctx.assert_close(got, np.zeros((2, 2)), call=call, ulps=0)


# ---------------------------------------------------------------------------
# special values
# ---------------------------------------------------------------------------

@check("reg.special.overflow.rmse", function=RMSE, clause="reg.special.overflow", kind="special",
       description="RMSE of d = (3e200, 4e200) is sqrt(12.5) * 1e200 (a naive d**2 overflows); 3e-200, 4e-200 does not underflow")
def _(fn, ctx):
    got, call = _call(ctx, fn, RMSE, (np.array([3e200, 4e200]), np.zeros(2)), {})
    ctx.assert_close(got, np.sqrt(12.5) * 1e200, call=call, ulps=4)
    got, call = _call(ctx, fn, RMSE, (np.array([3e-200, 4e-200]), np.zeros(2)), {})
    ctx.assert_close(got, np.sqrt(12.5) * 1e-200, call=call, ulps=4)


@check("reg.special.overflow.elementwise", function=MAE, clause="reg.special.overflow", kind="special",
       description="|1e300 - (-1e300)| = 2e300 with reduction none")
def _(fn, ctx):
    got, call = _call(ctx, fn, MAE, (np.array([1e300, -1e300]), np.array([-1e300, 1e300])), {"reduction": "none"})
    ctx.assert_close(got, [2e300, 2e300], call=call, ulps=0)


@check("reg.special.overflow.mse", function=MSE, clause="reg.special.overflow", kind="special",
       description="MSE of d = 1e300 is +inf (the rounded exact value), d = 1e150 is 1e300")
def _(fn, ctx):
    got, call = _call(ctx, fn, MSE, (np.array([1e300, 1e150]), np.zeros(2)), {"reduction": "none"})
    ctx.assert_close(got, [INF, 1e300], call=call, ulps=2)


@check("reg.special.overflow.huber", function=HUBER, clause="reg.special.overflow", kind="special",
       description="Huber (delta 1) of d = ±1e300 is 1e300 - 0.5 = 1e300 (linear branch, no overflow)")
def _(fn, ctx):
    got, call = _call(ctx, fn, HUBER, (np.array([1e300, -1e300]), np.zeros(2)), {"reduction": "none"})
    ctx.assert_close(got, [1e300, 1e300], call=call, ulps=2)


def _register_nan(name, prefix):
    @check(f"{prefix}.special.nan", function=name, clause="reg.special.nan", kind="special",
           description="NaN gives NaN; an infinite error gives +inf; inf - inf gives NaN")
    def _(fn, ctx):
        p = np.array([NAN, INF, -INF, INF, 1.0])
        t = np.array([0.0, 0.0, 0.0, INF, 1.0])
        got, call = _call(ctx, fn, name, (p, t), {"reduction": "none"})
        ctx.assert_close(got, [NAN, INF, INF, NAN, 0.0], call=call, ulps=0)


for _name, (_prefix, _param, _power) in ELEMENTWISE.items():
    _register_nan(_name, _prefix)


@check("reg.rmse.special.nan", function=RMSE, clause="reg.special.nan", kind="special",
       description="NaN anywhere gives NaN; an infinite error gives +inf; zero error gives 0")
def _(fn, ctx):
    got, call = _call(ctx, fn, RMSE, (np.array([NAN, 1.0]), np.zeros(2)), {})
    ctx.assert_close(got, NAN, call=call, ulps=0)
    got, call = _call(ctx, fn, RMSE, (np.array([INF, 1.0]), np.zeros(2)), {})
    ctx.assert_close(got, INF, call=call, ulps=0)
    got, call = _call(ctx, fn, RMSE, (np.array([1.0, 2.0]), np.array([1.0, 2.0])), {})
    ctx.assert_close(got, 0.0, call=call, ulps=0)


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

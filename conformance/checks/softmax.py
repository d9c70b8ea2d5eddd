"""Conformance checks for softmax and friends (spec page ``docs/spec/softmax.md``).

Functions: ``softmax``, ``log_softmax``, ``logsumexp``, ``logsumexp_grad``,
``sigmoid``, ``log_sigmoid``.  Fixed inputs (the source documents' examples,
special values, refused inputs) are rows of ``conformance/cases/softmax.toml``
and golden vectors of ``conformance/golden/softmax.jsonl``; what stays here is
generated inputs: values against the reference, float32, properties and the
gradient against the reference gradient.

Budgets (registered once with :func:`conformance.budgets.condition`, fair to a
stable float64 algorithm such as PyTorch's), with ``d = z - max z`` along the
class axis and ``C`` the number of classes:

* ``softmax``: relative, ``cond = |d| + log C`` (``exp`` turns the rounding of
  ``d`` into a relative error ``|d|`` times larger).
* ``log_softmax``: absolute below 1 (``floor = 1``),
  ``cond = (|d| + log C + 1) / max(|expected|, 1)``; an entry smaller than
  half an ulp of 1 (the maximal entry of a confident row,
  ``softmax.special.confident``) is judged relative to its own size instead,
  with ``cond = max|d| + log C + 1`` over its row, since absolute judging would
  accept 0 there.
* ``logsumexp``: ``floor = 1``, ``cond = (log C + 1) / max(|expected|, 1)``.
* ``logsumexp_grad``: as ``softmax`` plus ``max|z|`` (autograd evaluates
  ``exp(z - logsumexp(z))``, whose rounding grows with the logits' magnitude).
* ``sigmoid``, ``log_sigmoid``: relative, ``cond = |x|`` (``exp(x)`` again).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.budgets import condition, judge
from conformance.checks._common import call as _call, finite_floats as _floats
from conformance.context import format_call
from conformance.registry import check

ROW_FUNCTIONS = ("softmax", "log_softmax", "logsumexp")
#: Half an ulp of 1: below it an absolute budget at floor 1 accepts 0.
HALF_ULP_OF_ONE = 2.0 ** -53


# ---------------------------------------------------------------------------
# budgets
# ---------------------------------------------------------------------------

def _logits(args):
    return np.asarray(args[0], dtype=np.float64)


def _shifted(z, axis=-1):
    """``|z - max z|`` along ``axis`` (0 where the row maximum or the entry is not finite)."""
    with np.errstate(all="ignore"):
        m = np.max(z, axis=axis, keepdims=True) if z.size else np.zeros(z.shape)
        d = z - np.where(np.isfinite(m), m, 0.0)
    return np.where(np.isfinite(d), np.abs(d), 0.0)


def _log_classes(z, axis):
    c = z.shape[axis] if z.ndim else 1
    return math.log(max(c, 1))


def _magnitude(expected):
    e = np.asarray(expected, dtype=np.float64)
    return np.where(np.isfinite(e), np.abs(e), 1.0)


@condition("softmax")
def _softmax_budget(args, kwargs, expected):
    z = _logits(args)
    axis = kwargs.get("axis", -1)
    return 0.0, _shifted(z, axis) + _log_classes(z, axis)


@condition("logsumexp_grad")
def _logsumexp_grad_budget(args, kwargs, expected):
    z = _logits(args)
    axis = kwargs.get("axis", -1)
    # Autograd forms exp(z - logsumexp(z)); the rounding of logsumexp (half an
    # ulp of max|z|) then enters as a relative error of about max|z| ulps.
    with np.errstate(all="ignore"):
        big = (np.max(np.where(np.isfinite(z), np.abs(z), 0.0), axis=axis, keepdims=True)
               if z.size else 0.0)
    return 0.0, _shifted(z, axis) + _log_classes(z, axis) + big


@condition("log_softmax")
def _log_softmax_budget(args, kwargs, expected):
    z = _logits(args)
    axis = kwargs.get("axis", -1)
    d = _shifted(z, axis)
    logc = _log_classes(z, axis)
    e = _magnitude(expected)
    absolute = (d + logc + 1.0) / np.maximum(e, 1.0)
    # Relative for the tiny maximal entries: the budget, in ulps of 1 (floor 1),
    # is the relative budget scaled by spacing(|e|) / spacing(1).
    row_d = np.max(d, axis=axis, keepdims=True) if d.size else d
    relative = (1.0 + row_d + logc + 1.0) * np.spacing(e) / np.spacing(1.0) - 1.0
    tiny = (e > 0) & (e < HALF_ULP_OF_ONE)
    return 1.0, np.where(tiny, relative, absolute)


@condition("logsumexp")
def _logsumexp_budget(args, kwargs, expected):
    z = _logits(args)
    return 1.0, (_log_classes(z, kwargs.get("axis", -1)) + 1.0) / np.maximum(_magnitude(expected), 1.0)


@condition("sigmoid", "log_sigmoid")
def _sigmoid_budget(args, kwargs, expected):
    x = _logits(args)
    return 0.0, np.where(np.isfinite(x), np.abs(x), 0.0)


def _against_reference(ctx, fn, name, args, kwargs=None, *, dtype=None):
    """Call ``fn`` and compare with the float64 reference at the same numbers,
    within the budget of ``name``."""
    kwargs = dict(kwargs or {})
    got, call = _call(ctx, fn, name, args, kwargs)
    ref_args = [np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a for a in args]
    expected = getattr(ctx.reference, name)(*ref_args, **kwargs)
    ctx.expect(name, args, kwargs, got, expected, call=call, dtype=dtype)
    return got


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

OFFSETS = (0.0, 1e4, -1e4, 2.0**40, -(2.0**40), 1e300, -1e300)


def spread(name):
    """The range of generated logits for ``name``.

    A log_softmax row whose gap exceeds about 36.7 has a maximal entry below half
    an ulp of 1, which the budget judges relative to its size: that is
    softmax.special.confident, left to its rows and golden rows so that an
    implementation that differs only there fails only there (as +inf is left to
    softmax.special.posinf).  A gap of at most 36 keeps that entry above 2e-16.
    """
    return (-18.0, 18.0) if name == "log_softmax" else (-40.0, 40.0)


@st.composite
def logits(draw, *, min_rows=0, max_rows=3, max_classes=6, lo=-40.0, hi=40.0, offsets=OFFSETS,
           specials=False, dims=(1, 2)):
    """A float64 logit array: batch rows x classes (1..max_classes), plus an offset."""
    ndim = draw(st.sampled_from(dims))
    c = draw(st.integers(1, max_classes))
    if ndim == 1:
        shape = (c,)
    else:
        shape = (draw(st.integers(min_rows, max_rows)), c)
    n = int(np.prod(shape))
    elems = _floats(lo, hi)
    if specials:
        # +inf is left to the softmax.special.posinf rows, so that an implementation
        # that differs only there fails only there.
        elems = st.one_of(elems, st.sampled_from([-np.inf, np.nan, 1e308, -1e308, 5e-324, -0.0]))
    z = np.array(draw(st.lists(elems, min_size=n, max_size=n)), dtype=np.float64).reshape(shape)
    off = draw(st.sampled_from(offsets))
    with np.errstate(all="ignore"):
        return z + off


@st.composite
def logits_with_axis(draw, lo=-18.0, hi=18.0):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
    n = int(np.prod(shape))
    z = np.array(draw(st.lists(_floats(lo, hi), min_size=n, max_size=n))).reshape(shape)
    axis = draw(st.sampled_from([0, 1, -2, -1] + ([2] if len(shape) == 3 else [])))
    return z, axis


# ---------------------------------------------------------------------------
# values against the reference
# ---------------------------------------------------------------------------

_DEF_CLAUSE = {"softmax": "softmax.definition", "log_softmax": "softmax.log-softmax.definition",
               "logsumexp": "softmax.logsumexp.definition"}

for _name in ROW_FUNCTIONS:
    def _make(name):
        @check(f"{name}.value.rows", function=name, clause=_DEF_CLAUSE[name], kind="value",
               description="matches the reference on finite logits (1-d and batched, offsets up to ±1e300)")
        def _(fn, ctx):
            lo, hi = spread(name)
            ctx.property(logits(lo=lo, hi=hi), lambda z: _against_reference(ctx, fn, name, (z,)))

        @check(f"{name}.value.axis", function=name, clause="softmax.axis", kind="value",
               description="the class axis may be any axis (axis=0 and axis=-2 on 2-d and 3-d input)")
        def _(fn, ctx):
            ctx.property(logits_with_axis(),
                         lambda c: _against_reference(ctx, fn, name, (c[0],), {"axis": c[1]}))

        @check(f"{name}.value.specials", function=name, clause=_DEF_CLAUSE[name], kind="value",
               description="matches the reference when logits include -inf, NaN, ±1e308 and subnormals")
        def _(fn, ctx):
            lo, hi = spread(name)
            ctx.property(logits(lo=lo, hi=hi, specials=True, offsets=(0.0,)),
                         lambda z: _against_reference(ctx, fn, name, (z,)))

        @check(f"{name}.dtype.float32", function=name, clause="softmax.accuracy", kind="dtype",
               description="float32 input: within 16 float32 ulps (scaled by the conditioning) "
                           "of the float64 reference")
        def _(fn, ctx):
            lo, hi = spread(name)
            ctx.property(logits(lo=lo, hi=hi, offsets=(0.0, 100.0, -100.0)),
                         lambda z: _against_reference(ctx, fn, name, (z.astype(np.float32),), dtype=np.float32))

        @check(f"{name}.dtype.float64", function=name, clause="softmax.accuracy", kind="dtype",
               description="float64 input is computed in float64 (judged in float64 ulps)")
        def _(fn, ctx):
            z = np.random.default_rng(12345).normal(0.0, 3.0, size=(4, 6))
            _against_reference(ctx, fn, name, (z,))

        return _

    _make(_name)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

@check("softmax.property.sums-to-one", function="softmax", clause="softmax.prop.sums-to-one", kind="property",
       description="every row without NaN and not all -inf is non-negative and sums to 1 (within C ulps)")
def _(fn, ctx):
    def body(z):
        got, call = _call(ctx, fn, "softmax", (z,))
        g = np.asarray(got, dtype=np.float64)
        ctx.assert_true(np.all((g >= 0) | np.isnan(g)), "negative softmax entry", call=call)
        ctx.assert_true(np.all((g <= 1) | np.isnan(g)), "softmax entry above 1", call=call)
        ok = ~np.any(np.isnan(z), axis=-1) & ~np.all(np.isneginf(z), axis=-1)
        s = np.sum(g, axis=-1)
        # A row sum is no value of the contract: C + 1 roundings of the sum itself.
        ctx.assert_close(np.where(ok, s, 1.0), np.ones(s.shape), call=call, ulps=4 * (z.shape[-1] + 1),
                         what="row sum")
    ctx.property(logits(specials=True, offsets=(0.0, 1e4)), body)


for _name in ROW_FUNCTIONS:
    def _make_props(name):
        @check(f"{name}.property.shift", function=name, clause="softmax.prop.shift-invariance", kind="property",
               description="adding the same constant to a row (exactly) leaves softmax/log_softmax unchanged "
                           "and shifts logsumexp by it")
        def _(fn, ctx):
            lo, hi = spread(name)

            @st.composite
            def case(draw):
                c = draw(st.integers(1, 6))
                grid = st.integers(int(8 * lo), int(8 * hi))
                z = np.array(draw(st.lists(grid, min_size=c, max_size=c)), dtype=float) / 8
                return z, draw(st.sampled_from([8192.0, -8192.0, 2.0**40, -(2.0**40), 0.5]))

            def body(c):
                z, k = c
                base, call0 = _call(ctx, fn, name, (z,))
                got, call = _call(ctx, fn, name, (z + k,))
                want = np.asarray(base, dtype=np.float64) + (k if name == "logsumexp" else 0.0)
                ctx.expect(name, (z + k,), {}, got, getattr(ctx.reference, name)(z + k), call=call,
                           what="value after the shift")
                ctx.expect(name, (z,), {}, got, want, call=call, what=f"shift by {k!r} compared with {call0}")
            ctx.property(case(), body)

        @check(f"{name}.property.permutation", function=name, clause="softmax.prop.permutation",
               kind="property", description="permuting the classes permutes the result the same way")
        def _(fn, ctx):
            lo, hi = spread(name)

            @st.composite
            def case(draw):
                z = draw(logits(dims=(1,), lo=lo, hi=hi, offsets=(0.0, 1e4)))
                perm = np.array(draw(st.permutations(list(range(z.shape[-1])))), dtype=np.intp)
                return z, perm

            def body(c):
                z, perm = c
                a, _ = _call(ctx, fn, name, (z,))
                b, call = _call(ctx, fn, name, (z[perm],))
                a = np.asarray(a, dtype=np.float64)
                want = a if name == "logsumexp" else a[perm]
                ctx.expect(name, (z[perm],), {}, b, want, call=call, what="permuted result")
            ctx.property(case(), body)

        @check(f"{name}.property.batch", function=name, clause="softmax.prop.batch-independence",
               kind="property", description="each row of a batch gives what it gives on its own")
        def _(fn, ctx):
            def body(z):
                whole, call = _call(ctx, fn, name, (z,))
                whole = np.asarray(whole, dtype=np.float64)
                for i in range(z.shape[0]):
                    one, call1 = _call(ctx, fn, name, (z[i],))
                    ctx.expect(name, (z[i],), {}, whole[i], np.asarray(one, dtype=np.float64), call=call,
                               what=f"row {i} of the batch compared with {call1}")
            lo, hi = spread(name)
            ctx.property(logits(dims=(2,), min_rows=1, lo=lo, hi=hi, specials=True, offsets=(0.0,)), body)

    _make_props(_name)


@check("softmax.property.log-consistency", function="log_softmax", clause="softmax.log-softmax.definition",
       kind="property", needs=("softmax",),
       description="exp(log_softmax(z)) agrees with softmax(z) for moderate z")
def _(fn, ctx):
    sm = ctx.impl("softmax")

    def body(z):
        ls, call = _call(ctx, fn, "log_softmax", (z,))
        s = np.asarray(sm(z), dtype=np.float64)
        floor, cond = judge("softmax", (z,), {}, s)
        with np.errstate(all="ignore"):
            # exp adds one rounding and carries log_softmax's absolute error into a relative one.
            ctx.assert_close(np.exp(np.asarray(ls, dtype=np.float64)), s, call=call, floor=floor,
                             cond=cond + 2, what="exp(log_softmax)")
    ctx.property(logits(offsets=(0.0,)), body)


# ---------------------------------------------------------------------------
# gradient: against the reference gradient (central differences validate the
# reference in tests/test_softmax.py)
# ---------------------------------------------------------------------------

@check("logsumexp_grad.value", function="logsumexp_grad", clause="softmax.grad.logsumexp", kind="gradient",
       description="the gradient of logsumexp is the reference's softmax (-inf, NaN, ±1e308 and offsets)")
def _(fn, ctx):
    ctx.property(logits(specials=True, offsets=(0.0, 1e4, -1e300)),
                 lambda z: _against_reference(ctx, fn, "logsumexp_grad", (z,)))


@check("logsumexp_grad.value.axis", function="logsumexp_grad", clause="softmax.grad.logsumexp",
       kind="gradient", description="the gradient along any class axis (axis=0 and axis=-2 on 2-d and 3-d input)")
def _(fn, ctx):
    ctx.property(logits_with_axis(),
                 lambda c: _against_reference(ctx, fn, "logsumexp_grad", (c[0],), {"axis": c[1]}))


# ---------------------------------------------------------------------------
# sigmoid and log_sigmoid
# ---------------------------------------------------------------------------

@st.composite
def reals(draw, lo=-800.0, hi=800.0):
    shape = draw(st.sampled_from([(), (1,), (3,), (2, 3), (0,)]))
    n = int(np.prod(shape))
    return np.array(draw(st.lists(_floats(lo, hi), min_size=n, max_size=n)), dtype=np.float64).reshape(shape)


for _name, _clause in (("sigmoid", "sigmoid.definition"), ("log_sigmoid", "sigmoid.log-sigmoid.definition")):
    def _make_sig(name, clause):
        @check(f"{name}.value", function=name, clause=clause, kind="value",
               description="matches the reference element-wise over [-800, 800] (scalars, arrays, empty arrays)")
        def _(fn, ctx):
            ctx.property(reals(), lambda x: _against_reference(ctx, fn, name, (x,)))

        @check(f"{name}.dtype.float32", function=name, clause="sigmoid.accuracy", kind="dtype",
               description="float32 input: within 16 float32 ulps (times |x|) of the float64 reference")
        def _(fn, ctx):
            ctx.property(reals(-80.0, 80.0),
                         lambda x: _against_reference(ctx, fn, name, (x.astype(np.float32),), dtype=np.float32))

        @check(f"{name}.dtype.float64", function=name, clause="sigmoid.accuracy", kind="dtype",
               description="float64 input is computed in float64 (judged in float64 ulps)")
        def _(fn, ctx):
            x = np.random.default_rng(3).normal(0.0, 10.0, size=12)
            _against_reference(ctx, fn, name, (x,))
    _make_sig(_name, _clause)


@check("sigmoid.property.symmetry", function="sigmoid", clause="sigmoid.prop.symmetry", kind="property",
       needs=("log_sigmoid",),
       description="sigmoid(-x) = 1 - sigmoid(x) and log_sigmoid(x) - log_sigmoid(-x) = x")
def _(fn, ctx):
    ls = ctx.impl("log_sigmoid")

    def body(x):
        a, call = _call(ctx, fn, "sigmoid", (x,))
        b = np.asarray(fn(-x), dtype=np.float64)
        # Identities between two results: the tolerance is that of the sum or difference.
        ctx.assert_close(np.asarray(a, dtype=np.float64) + b, np.ones(np.shape(x)), call=call, ulps=4,
                         what="sigmoid(x) + sigmoid(-x)")
        diff = np.asarray(ls(x), dtype=np.float64) - np.asarray(ls(-x), dtype=np.float64)
        ctx.assert_close(diff, x, call=format_call("log_sigmoid", (x,)), ulps=8, floor=1.0,
                         what="log_sigmoid(x) - log_sigmoid(-x)")
    ctx.property(reals(-30.0, 30.0), body)


# ---------------------------------------------------------------------------
# invalid input that is no table row
# ---------------------------------------------------------------------------

for _name in ROW_FUNCTIONS:
    def _make_empty(name):
        @check(f"{name}.invalid.empty-class", function=name, clause="softmax.invalid", kind="invalid",
               description="an empty class axis raises or gives no finite number")
        def _(fn, ctx):
            # Not a row: the clause accepts -inf (log 0) as well as a refusal, which a
            # raises row (raise or NaN) cannot say.
            z = np.zeros((2, 0))
            call = format_call(name, (z,))
            try:
                out = fn(z)
            except NotImplementedError:
                raise
            except Exception:
                return
            arr = np.asarray(out, dtype=np.float64)
            ctx.assert_true(not np.any(np.isfinite(arr)), "empty class axis gave a finite number",
                            call=call, got=arr.tolist())
    _make_empty(_name)

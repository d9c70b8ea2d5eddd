"""Conformance checks for the information-theory functions (spec page
``docs/spec/information.md``).

Functions: ``entropy``, ``cross_entropy``, ``kl_divergence`` and their
``_grad`` functions (``cross_entropy_grad`` and ``kl_divergence_grad`` with
``wrt="p"``, the default, and ``wrt="q"``).  Fixed inputs (the source
documents' examples, special values, refused inputs) are rows of
``conformance/cases/information.toml`` and golden vectors of
``conformance/golden/information.jsonl``; what stays here is generated inputs:
values against the reference, float32, properties and gradients against the
reference gradient.

Budgets (registered once with :func:`conformance.budgets.condition`): the
results are judged like losses, in ulps at ``max(|expected|, 1)``
(``floor = 1``), scaled by ``1 + cond`` with
``cond = (sum_i |term_i| + #{p_i != 0}) / max(|result|, 1)``: summing terms of
both signs (the Kullback-Leibler divergence, unnormalised inputs) loses what a
stable sum loses, and each logarithm carries about an ulp of its own.
Gradients with respect to ``p`` are logarithms (``floor = 1``); with respect to
``q`` they are ratios ``-p/q``, judged relative to their own size.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.budgets import condition, judge
from conformance.checks._common import call as _call, finite_floats as _floats
from conformance.registry import Skip, check

H, CE, KL = "entropy", "cross_entropy", "kl_divergence"


# ---------------------------------------------------------------------------
# budgets
# ---------------------------------------------------------------------------

def _terms(name, args, kwargs):
    """The per-entry terms of the sum (for the conditioning), in float64."""
    p = np.asarray(args[0], dtype=np.float64)
    with np.errstate(all="ignore"):
        if name == H:
            t = -p * np.log(np.where(p > 0, p, 1.0))
        else:
            q = np.asarray(args[1], dtype=np.float64)
            if name == CE:
                t = -p * np.log(np.where(p > 0, q + kwargs.get("eps", 0.0), 1.0))
            else:
                t = p * (np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(p > 0, q, 1.0)))
        b = kwargs.get("base")
        if b is not None:
            t = t / math.log(b)
    return np.where(np.isfinite(t), t, 0.0)


def _sum_cond(name, args, kwargs, expected):
    """The condition of a sum of ``p log`` terms (see the module docstring)."""
    axis = kwargs.get("axis", -1)
    t = np.abs(_terms(name, args, kwargs))
    with np.errstate(all="ignore"):
        # Each log carries an absolute error of about one ulp of its argument's log.
        s = np.sum(t, axis=axis) + np.sum(np.asarray(args[0], dtype=np.float64) != 0, axis=axis)
        e = np.asarray(expected, dtype=np.float64)
        e = np.where(np.isfinite(e), np.abs(e), 1.0)
        return s / np.maximum(e, 1.0)


@condition(H)
def _entropy_budget(args, kwargs, expected):
    return 1.0, _sum_cond(H, args, kwargs, expected)


@condition(CE)
def _cross_entropy_budget(args, kwargs, expected):
    return 1.0, _sum_cond(CE, args, kwargs, expected)


@condition(KL)
def _kl_divergence_budget(args, kwargs, expected):
    return 1.0, _sum_cond(KL, args, kwargs, expected)


@condition("entropy_grad")
def _entropy_grad_budget(args, kwargs, expected):
    # -(log p + 1) / ln b: a logarithm and one more rounding.
    return 1.0, 2.0


@condition("cross_entropy_grad")
def _cross_entropy_grad_budget(args, kwargs, expected):
    # wrt p: -log(q + eps) / ln b, judged absolutely below 1; wrt q: the ratio
    # -p / (q + eps) / ln b, relative to its own size.
    return (0.0 if kwargs.get("wrt", "p") == "q" else 1.0), 2.0


@condition("kl_divergence_grad")
def _kl_grad_budget(args, kwargs, expected):
    if kwargs.get("wrt", "p") == "q":
        return 0.0, 2.0
    # (log p - log q + 1) / ln b: the two logarithms' roundings add up before the
    # cancellation between them.
    p, q = (np.asarray(a, dtype=np.float64) for a in args[:2])
    e = np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        logs = (np.abs(np.log(np.where(p > 0, p, 1.0))) + np.abs(np.log(np.where(q > 0, q, 1.0))) + 1.0)
        return 1.0, logs / np.maximum(np.where(np.isfinite(e), np.abs(e), 1.0), 1.0)


def _against_reference(ctx, fn, name, args, kwargs=None, *, dtype=None):
    """Call ``fn`` and compare with the float64 reference at the same numbers,
    within the budget of ``name``."""
    kwargs = dict(kwargs or {})
    got, call = _call(ctx, fn, name, args, kwargs)
    expected = getattr(ctx.reference, name)(*[np.asarray(a, dtype=np.float64) for a in args], **kwargs)
    ctx.expect(name, args, kwargs, got, expected, call=call, dtype=dtype)
    return got


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

@st.composite
def distribution(draw, shape, *, normalised=True, zeros=True, tiny=False):
    """Non-negative arrays of ``shape``; normalised along the last axis unless told."""
    n = int(np.prod(shape))
    el = _floats(0.0, 1.0)
    if zeros:
        el = st.one_of(el, st.just(0.0))
    if tiny:
        el = st.one_of(el, st.sampled_from([1e-300, 5e-324, 1e-30, 1.0 - 2**-53]))
    x = np.array(draw(st.lists(el, min_size=n, max_size=n)), dtype=np.float64).reshape(shape)
    if normalised and x.size:
        s = np.sum(x, axis=-1, keepdims=True)
        x = np.where(s > 0, x / np.where(s > 0, s, 1.0), 1.0 / shape[-1])
    return x


@st.composite
def shapes(draw, max_rows=3, max_classes=6):
    c = draw(st.integers(1, max_classes))
    if draw(st.booleans()):
        return (c,)
    return (draw(st.integers(0, max_rows)), c)


@st.composite
def pq(draw, *, normalised=True, zeros=True, q_positive=True, tiny=False):
    shape = draw(shapes())
    p = draw(distribution(shape, normalised=normalised, zeros=zeros, tiny=tiny))
    q = draw(distribution(shape, normalised=normalised, zeros=not q_positive, tiny=tiny))
    if q_positive:
        q = np.where(q > 0, q, 0.5)
        if normalised and q.size:
            q = q / np.sum(q, axis=-1, keepdims=True)
    return p, q


BASES = st.sampled_from([None, None, 2, 10, math.e, 0.5])


def _base(b):
    return {} if b is None else {"base": b}


# ---------------------------------------------------------------------------
# values against the reference
# ---------------------------------------------------------------------------

@check("entropy.value", function=H, clause="info.entropy.definition", kind="value",
       description="matches the reference on distributions with zeros, batches, bases")
def _(fn, ctx):
    @st.composite
    def case(draw):
        shape = draw(shapes())
        p = draw(distribution(shape, normalised=draw(st.booleans()), tiny=True))
        return p, _base(draw(BASES))
    ctx.property(case(), lambda c: _against_reference(ctx, fn, H, (c[0],), c[1]))


@check("cross_entropy.value", function=CE, clause="info.cross-entropy.definition", kind="value",
       description="matches the reference (zeros in p, eps in {0, 1e-9, 1e-7}, bases, batches)")
def _(fn, ctx):
    @st.composite
    def case(draw):
        p, q = draw(pq(normalised=draw(st.booleans()), tiny=True))
        kw = _base(draw(BASES))
        eps = draw(st.sampled_from([0.0, 0.0, 1e-9, 1e-7]))
        if eps:
            kw["eps"] = eps
        return p, q, kw
    ctx.property(case(), lambda c: _against_reference(ctx, fn, CE, (c[0], c[1]), c[2]))


@check("kl_divergence.value", function=KL, clause="info.kl.definition", kind="value",
       description="matches the reference (zeros in p, tiny probabilities, bases, batches)")
def _(fn, ctx):
    @st.composite
    def case(draw):
        p, q = draw(pq(normalised=draw(st.booleans()), tiny=True))
        return p, q, _base(draw(BASES))
    ctx.property(case(), lambda c: _against_reference(ctx, fn, KL, (c[0], c[1]), c[2]))


for _name, _nargs in ((H, 1), (CE, 2), (KL, 2)):
    def _make(name, nargs):
        @check(f"{name}.value.axis", function=name, clause="info.axis", kind="value",
               description="the outcome axis may be any axis (axis=0 on 2-d and 3-d input)")
        def _(fn, ctx):
            @st.composite
            def case(draw):
                shape = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=3)))
                args = tuple(draw(distribution(shape, normalised=False)) + (0.5 if i else 0.0)
                             for i in range(nargs))
                return args, draw(st.sampled_from([0, 1, -2]))
            ctx.property(case(), lambda c: _against_reference(ctx, fn, name, c[0], {"axis": c[1]}))

        @check(f"{name}.value.base", function=name, clause="info.base", kind="value", needs=(),
               description="base=2 gives bits: the base-e value divided by ln 2 (and base=10 by ln 10)")
        def _(fn, ctx):
            def body(args):
                nats, call = _call(ctx, fn, name, args)

                def one_base(b):
                    got, call_b = _call(ctx, fn, name, args, {"base": b})
                    want = np.asarray(nats, dtype=np.float64) / math.log(b)
                    floor, cond = judge(name, args, {"base": b}, want)
                    # One more rounding: the division of the nats by ln b.
                    ctx.assert_close(got, want, call=call_b, floor=floor, cond=cond + 1,
                                     what=f"base={b} vs {call}")
                ctx.subcases((2, 10), one_base)
            strat = pq() if nargs == 2 else shapes().flatmap(lambda s: distribution(s)).map(lambda p: (p, None))
            ctx.property(strat.map(lambda t: t[:nargs]), body)

        @check(f"{name}.dtype.float32", function=name, clause="info.accuracy", kind="dtype",
               description="float32 input: within 16 float32 ulps (scaled by the conditioning) of the "
                           "float64 reference")
        def _(fn, ctx):
            def body(args):
                p, q = args
                # Keep q clear of float32 underflow: a q that rounds to 0 is a special
                # value (info.special.zero-q), not a question of precision.
                q = np.where(q < 1e-30, 1e-3, q)
                a32 = tuple(a.astype(np.float32) for a in (p, q)[:nargs])
                _against_reference(ctx, fn, name, a32, dtype=np.float32)
            ctx.property(pq(), body)

        @check(f"{name}.dtype.float64", function=name, clause="info.accuracy", kind="dtype",
               description="float64 input is computed in float64 (judged in float64 ulps)")
        def _(fn, ctx):
            rng = np.random.default_rng(2024)
            p = rng.dirichlet(np.ones(6), size=4)
            q = rng.dirichlet(np.ones(6), size=4)
            _against_reference(ctx, fn, name, (p, q)[:nargs])
    _make(_name, _nargs)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

@check("kl_divergence.property.gibbs", function=KL, clause="info.prop.gibbs", kind="property",
       description="KL(p, q) >= 0 for normalised p, q, and KL(q, q) = 0")
def _(fn, ctx):
    def body(c):
        p, q = c
        got, call = _call(ctx, fn, KL, (p, q))
        g = np.asarray(got, dtype=np.float64)
        _, cond = judge(KL, (p, q), {}, g)
        ctx.assert_true(np.all(g >= -1e-15 * np.maximum(1.0, cond)),
                        f"negative divergence {g.min() if g.size else 0!r}", call=call)
        same, call2 = _call(ctx, fn, KL, (q, q))  # q has no zeros (those are info.special.*)
        ctx.expect(KL, (q, q), {}, same, np.zeros(np.shape(same)), call=call2, what="KL(q, q)")
    ctx.property(pq(), body)


@check("cross_entropy.property.h-plus-kl", function=CE, clause="info.prop.ce-equals-h-plus-kl",
       kind="property", needs=(H, KL),
       description="CE(p, q) = H(p) + KL(p, q) (without eps), for normalised and unnormalised p")
def _(fn, ctx):
    ent, kl = ctx.impl(H), ctx.impl(KL)

    def body(c):
        p, q = c
        ce, call = _call(ctx, fn, CE, (p, q))
        want = np.asarray(ent(p), dtype=np.float64) + np.asarray(kl(p, q), dtype=np.float64)
        # The identity's two sides carry the errors of all three functions.
        cond = sum(judge(f, a, {}, want)[1] for f, a in ((CE, (p, q)), (H, (p,)), (KL, (p, q)))) + 1
        ctx.assert_close(ce, want, call=call, floor=1.0, cond=cond, what="H(p) + KL(p, q)")
    ctx.property(pq(normalised=False), body)


@check("entropy.property.uniform", function=H, clause="info.prop.uniform-entropy", kind="property",
       description="the uniform distribution over C outcomes has entropy log C (the maximum)")
def _(fn, ctx):
    def body(c):
        p = np.full(c, 1.0 / c)
        got, call = _call(ctx, fn, H, (p,))
        # log C is the entropy of exactly 1/C; p holds 1/C rounded, which moves H
        # by far less than the budget of the sum.
        ctx.expect(H, (p,), {}, got, math.log(c), call=call)
    ctx.property(st.integers(1, 64), body)


@check("entropy.property.nonnegative", function=H, clause="info.prop.nonnegative", kind="property",
       description="entropy and cross entropy are >= 0 and entropy <= log C for probabilities in [0, 1]")
def _(fn, ctx):
    def body(p):
        got, call = _call(ctx, fn, H, (p,))
        g = np.asarray(got, dtype=np.float64)
        ctx.assert_true(np.all(g >= 0), f"negative entropy {g.min() if g.size else 0!r}", call=call)
        ctx.assert_true(np.all(g <= math.log(p.shape[-1]) * (1 + 1e-14) + 1e-15),
                        "entropy above log C", call=call)
    ctx.property(shapes().flatmap(lambda s: distribution(s)), body)


@check("cross_entropy.property.nonnegative", function=CE, clause="info.prop.nonnegative", kind="property",
       description="cross entropy is >= H(p) >= 0 for normalised p and q")
def _(fn, ctx):
    def body(c):
        p, q = c
        got, call = _call(ctx, fn, CE, (p, q))
        g = np.asarray(got, dtype=np.float64)
        ctx.assert_true(np.all(g >= 0), f"negative cross entropy {g.min() if g.size else 0!r}", call=call)
    ctx.property(pq(), body)


for _name, _nargs in ((H, 1), (CE, 2), (KL, 2)):
    def _make_perm(name, nargs):
        @check(f"{name}.property.permutation", function=name, clause="info.prop.permutation", kind="property",
               description="permuting the outcomes (the same way in p and q) does not change the result")
        def _(fn, ctx):
            @st.composite
            def case(draw):
                p, q = draw(pq())
                perm = np.array(draw(st.permutations(list(range(p.shape[-1])))), dtype=np.intp)
                return p, q, perm

            def body(c):
                p, q, perm = c
                args = (p, q)[:nargs]
                a, _ = _call(ctx, fn, name, args)
                pargs = tuple(x[..., perm] for x in args)
                b, call = _call(ctx, fn, name, pargs)
                a = np.asarray(a, dtype=np.float64)
                floor, cond = judge(name, args, {}, a)
                # Both results carry the budget: the comparison allows their sum.
                ctx.assert_close(b, a, call=call, floor=floor, cond=cond + 1, what="permuted result")
            ctx.property(case(), body)
    _make_perm(_name, _nargs)


# ---------------------------------------------------------------------------
# gradients: against the reference gradient at the same point (central
# differences validate the reference in tests/test_information.py)
# ---------------------------------------------------------------------------

def _with_wrt(ctx, fn, name, args, kwargs):
    """Compare ``wrt="q"`` with the reference; skip when the implementation has no ``wrt`` option."""
    kwargs = dict(kwargs, wrt="q")
    try:
        return _against_reference(ctx, fn, name, args, kwargs)
    except TypeError as exc:
        if "wrt" in str(exc):
            raise Skip(f"{name} has no wrt option: {exc}") from None
        raise


@check("entropy_grad.value", function="entropy_grad", clause="info.grad.entropy", kind="gradient",
       description="-(log p + 1) / ln b for p > 0, +inf at p = 0, as the reference")
def _(fn, ctx):
    ctx.property(st.tuples(shapes().flatmap(lambda s: distribution(s, tiny=True)), BASES),
                 lambda c: _against_reference(ctx, fn, "entropy_grad", (c[0],), _base(c[1])))


@check("cross_entropy_grad.value", function="cross_entropy_grad", clause="info.grad.cross-entropy",
       kind="gradient", description="with respect to p (the default): -log(q + eps) / ln b, as the reference")
def _(fn, ctx):
    def body(c):
        (p, q), eps, b = c
        kw = _base(b)
        if eps:
            kw["eps"] = eps
        _against_reference(ctx, fn, "cross_entropy_grad", (p, q), kw)
    ctx.property(st.tuples(pq(tiny=True), st.sampled_from([0.0, 1e-9]), BASES), body)


@check("cross_entropy_grad.value-q", function="cross_entropy_grad", clause="info.grad.cross-entropy",
       kind="gradient", description='wrt="q": -p / (q + eps) / ln b, 0 where p = 0, as the reference')
def _(fn, ctx):
    def body(c):
        (p, q), eps = c
        _with_wrt(ctx, fn, "cross_entropy_grad", (p, q), {"eps": eps} if eps else {})
    ctx.property(st.tuples(pq(tiny=True), st.sampled_from([0.0, 1e-9])), body)


@check("kl_divergence_grad.value", function="kl_divergence_grad", clause="info.grad.kl", kind="gradient",
       description="with respect to p (the default): (log(p / q) + 1) / ln b, as the reference")
def _(fn, ctx):
    def body(c):
        (p, q), b = c
        p = np.where(p > 0, p, 0.25)  # p = 0 is info.grad.zeros
        _against_reference(ctx, fn, "kl_divergence_grad", (p, q), _base(b))
    ctx.property(st.tuples(pq(tiny=True), BASES), body)


@check("kl_divergence_grad.value-q", function="kl_divergence_grad", clause="info.grad.kl", kind="gradient",
       description='wrt="q": -p / q / ln b, 0 where p = 0, as the reference')
def _(fn, ctx):
    ctx.property(pq(tiny=True), lambda c: _with_wrt(ctx, fn, "kl_divergence_grad", c, {}))

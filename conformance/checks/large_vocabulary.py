"""Conformance checks for the losses of language-model training (spec page
``docs/spec/large-vocabulary.md``): z-loss and softcap of
``softmax_cross_entropy``, and ``linear_cross_entropy`` (softmax cross entropy
of the logits ``input @ linear_weight.T + linear_bias``, which fused kernels
compute without holding the ``(N, C)`` logits).

Each check is aimed at one kind of bug that such kernels have shipped
(``../shared/research/kernels.md``, section 2): z-loss counted on ignored
tokens, weighted wrong or averaged over every token; the softcap applied after
``log_softmax`` or left out of the gradient; label smoothing dropped in the fused
path (Liger-Kernel 243); a wrong bias path (ml-cross-entropy 52); the last,
partial vocabulary chunk or batch block; the weight gradient accumulated in
bfloat16 chunks (Liger-Kernel 512).  The fixed inputs and special values of the
page are rows of ``conformance/cases/large_vocabulary.toml``.

Budgets (registered here for ``linear_cross_entropy`` and its gradient, with
:func:`conformance.budgets.condition`): the loss is the softmax cross entropy of
its logits, so its per-sample bound ``a_n`` is that of
``softmax_cross_entropy`` at the exact logits plus what the rounding of the
logits costs: each logit is a dot product of ``H`` terms, off by at most
``(H + 2)`` ulps of ``sum_h |x_h W_ch| + |b_c|``, and the loss moves by at most
``2 sum_c |weight_c t_c| + 2 s |lse| w_n`` per unit of logit.  A gradient is
judged entry by entry at ``floor`` = the bound on its magnitude from the bound
``M_nc`` on ``|dL/dz_nc|``; ``cond`` is the rounding of its sum (``N`` terms for
the weight and the bias, ``C`` for the input), of the logits' gradient and of
the logits.  A gradient accumulated in bfloat16 or float16 is outside the
float32 budget at these sizes.

Keyword arguments an implementation does not take at all (one written before
``z_loss`` and ``softcap`` were in the contract) are reported like an option it
refuses: the case is skipped.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.budgets import condition, judge, reduced_cond
from conformance.checks._common import call as _plain_call
from conformance.checks.classification import _coef, _lm_terms, _mean_scale, _sce_terms
from conformance.context import format_call
from conformance.registry import check

SCE = "softmax_cross_entropy"
LCE = "linear_cross_entropy"

#: The clause of each kind of bug (ids of docs/spec/large-vocabulary.md).
CLAUSES = {
    "zloss": "zloss.definition",
    "zloss-ignored": "zloss.ignored",
    "zloss-mean": "zloss.mean",
    "zloss-gradient": "zloss.gradient",
    "softcap": "softcap.definition",
    "softcap-gradient": "softcap.gradient",
    "softcap-inf": "softcap.special.inf",
    "lce": "lce.definition",
    "lce-smoothing": "lce.label-smoothing",
    "lce-bias": "lce.bias",
    "lce-sizes": "lce.sizes",
    "lce-gradient": "lce.gradient",
    "lce-accuracy": "lce.accuracy",
    "lce-empty": "lce.special.all-ignored",
}

WRT = ("input", "linear_weight", "linear_bias")

#: Keywords new with the large-vocabulary clauses.
NEW_KEYWORDS = ("z_loss", "softcap", "linear_bias", "wrt")


def _call(ctx, fn, name, args, kwargs=None, *, label=None):
    """:func:`conformance.checks._common.call`, with an unknown new keyword taken as an
    unsupported option; with ``label`` the call's text only describes large arrays."""
    try:
        if label is not None:
            return ctx.call(fn, *args, **dict(kwargs or {})), _big_call(name, args, dict(kwargs or {}), label)
        return _plain_call(ctx, fn, name, args, kwargs)
    except TypeError as exc:
        text = str(exc)
        used = [k for k in NEW_KEYWORDS if k in (kwargs or {}) and f"'{k}'" in text]
        if "keyword" in text and used:
            raise NotImplementedError(f"{name} does not take {used[0]} ({text})") from None
        raise


def _big_call(name, args, kwargs, label):
    """The call as text: pasteable when small, a description of the shapes otherwise."""
    if sum(np.size(a) for a in args) < 64:
        return format_call(name, args, kwargs)
    shapes = ", ".join(f"{np.shape(a)} {getattr(a, 'dtype', '')}" for a in args)
    small = {k: v for k, v in kwargs.items() if np.size(v) < 16}
    return f"{name}(<{label}: {shapes}>, {small})  # conformance.checks.large_vocabulary"


# ---------------------------------------------------------------------------
# budgets of linear_cross_entropy
# ---------------------------------------------------------------------------

def _sce_kwargs(kwargs):
    return {k: v for k, v in kwargs.items() if k not in ("linear_bias", "wrt", "cotangent")}


def _logits(x, w, b):
    with np.errstate(all="ignore"):
        z = np.asarray(x, dtype=np.float64) @ np.asarray(w, dtype=np.float64).T
        return z if b is None else z + np.asarray(b, dtype=np.float64)


def _logit_error(x, w, b):
    """Each sample's bound on the absolute error of its logits, in ulps at 1."""
    h = x.shape[-1]
    with np.errstate(all="ignore"):
        mag = np.abs(x) @ np.abs(w).T
        if b is not None:
            mag = mag + np.abs(b)
        return (h + 2.0) * (np.max(mag, axis=-1) if mag.shape[-1] else np.zeros(mag.shape[:-1]))


def _lce_parts(args, kwargs):
    """``(z, coef, w_n, a_n, sensitivity, logit error, lse)`` of a linear-cross-entropy call."""
    x, w, y = args[0], args[1], np.asarray(args[2])
    b = kwargs.get("linear_bias")
    z = _logits(x, w, b)
    kw = _sce_kwargs(kwargs)
    coef, w_n, a_n = _sce_terms((z, y), kw)
    extra, lse = _lm_terms((z, y), kw, coef, w_n)
    s = float(kwargs.get("z_loss", 0.0) or 0.0)
    sens = 2.0 * np.sum(np.abs(coef), axis=-1) + 2.0 * s * np.abs(lse) * np.abs(w_n)
    err = _logit_error(x, w, b)
    return z, coef, w_n, a_n + extra, sens, err, lse


@condition(LCE)
def _lce_budget(args, kwargs, expected):
    """Softmax cross entropy's ``a_n`` at the exact logits plus the logits' rounding (module docstring)."""
    import reference

    _, _, w_n, a_n, sens, err, _ = _lce_parts(args, kwargs)
    if kwargs.get("reduction", "mean") == "none":
        per = np.asarray(expected, dtype=np.float64)
    else:
        with np.errstate(all="ignore"):
            per = np.asarray(reference.linear_cross_entropy(
                *args, **{**_sce_kwargs(kwargs), "linear_bias": kwargs.get("linear_bias"), "reduction": "none"}))
    return 1.0, reduced_cond(a_n + sens * err, per, expected, kwargs.get("reduction", "mean"),
                             w_sum=float(np.sum(w_n)))


def _softmax(z):
    with np.errstate(all="ignore"):
        m = np.max(np.where(np.isnan(z), -np.inf, z), axis=-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        e = np.exp(z - m)
        return e / np.sum(e, axis=-1, keepdims=True)


@condition(LCE + "_grad")
def _lce_grad_budget(args, kwargs, expected):
    """Entry-wise floors from ``M_nc >= |dL/dz_nc|``; the sums' and the logits' rounding as ``cond``."""
    x, w = np.asarray(args[0], dtype=np.float64), np.asarray(args[1], dtype=np.float64)
    z, coef, w_n, _, _, err, lse = _lce_parts(args, kwargs)
    s = float(kwargs.get("z_loss", 0.0) or 0.0)
    cap = kwargs.get("softcap")
    with np.errstate(all="ignore"):
        zc = z if cap is None else float(cap) * np.tanh(z / float(cap))
        p = _softmax(zc)
        total = np.sum(np.abs(coef), axis=-1) + 2.0 * s * np.abs(lse) * np.abs(w_n)
        scale = _mean_scale(kwargs, w_n)
        m = scale * (np.abs(coef) + total[..., None] * p)          # |dL/dz_nc| <= M_nc
        c = kwargs.get("cotangent")
        if c is not None:
            c = np.abs(np.asarray(c, dtype=np.float64))
            m = m * (c[..., None] if c.ndim else c)
        m = np.where(np.isfinite(m), m, 0.0)
        # the logits' gradient: its own rounding (a few ulps, 4 more with a softcap) and
        # the rounding of the logits it is computed from (the softmax Jacobian, twice err)
        own = 2.0 + (4.0 if cap is not None else 0.0) + 2.0 * np.max(err, initial=0.0)
        wrt = kwargs.get("wrt", "input")
        xs = x.reshape(-1, x.shape[-1])
        ms = m.reshape(-1, m.shape[-1])
        if wrt == "linear_weight":
            floor = ms.T @ np.abs(xs)
            terms = xs.shape[0]
        elif wrt == "linear_bias":
            floor = np.sum(ms, axis=0)
            terms = xs.shape[0]
        else:
            floor = (ms @ np.abs(w)).reshape(x.shape)
            terms = w.shape[0]
    floor = np.where(np.isfinite(floor), floor, 0.0)
    return floor, np.float64(terms + 1.0 + own)


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

_SEEDS = st.integers(0, 2**32 - 1)


def _targets(rng, n, c):
    return rng.integers(0, c, size=n).astype(np.int64)


@st.composite
def lce_case(draw, *, ignore=True, smoothing=True, weights=True, bias=True, z_loss=True,
             softcap=True, reductions=None):
    """One linear-cross-entropy call ``(args, kwargs)``: a few tokens, classes and features."""
    rng = np.random.default_rng(draw(_SEEDS))
    n, c, h = draw(st.integers(1, 4)), draw(st.integers(2, 7)), draw(st.integers(1, 5))
    x = rng.uniform(-2.0, 2.0, size=(n, h))
    w = rng.uniform(-1.5, 1.5, size=(c, h))
    kwargs = {"reduction": draw(st.sampled_from(reductions or ["none", "sum", "mean"]))}
    y = _targets(rng, n, c)  # class indices: the contract's linear_cross_entropy takes no probabilities
    if ignore and draw(st.booleans()):
        ii = draw(st.sampled_from([-100, 0]))
        if ii < 0:
            y = np.where(rng.uniform(size=n) < 0.4, ii, y).astype(np.int64)
        if np.all(y == ii):
            y[0] = c - 1  # one token counts (every token ignored is lce.special.all-ignored's)
        kwargs["ignore_index"] = ii
    if bias and draw(st.booleans()):
        kwargs["linear_bias"] = rng.uniform(-1.0, 1.0, size=c)
    if weights and draw(st.booleans()):
        kwargs["weight"] = rng.uniform(0.25, 2.0, size=c)
    if smoothing and draw(st.booleans()):
        kwargs["label_smoothing"] = draw(st.sampled_from([0.1, 0.3]))
    if z_loss and draw(st.booleans()):
        kwargs["z_loss"] = draw(st.sampled_from([1e-4, 0.25]))
    if softcap and draw(st.booleans()):
        kwargs["softcap"] = draw(st.sampled_from([1.5, 30.0]))
    return (x, w, y), kwargs


def _lm_option_product(*, soft=True):
    """Fixed softmax-cross-entropy inputs over reduction x z-loss x softcap x class
    weights x ignored tokens x smoothing; logits large enough that a softcap of 5
    matters and ignored tokens that have the largest z-loss."""
    rng = np.random.default_rng(20261203)
    z = np.round(rng.normal(scale=6.0, size=(6, 5)), 3)
    z[1] += 9.0   # an ignored token with a large logsumexp
    probs = rng.dirichlet(np.ones(5), size=6)
    probs = probs / probs.sum(axis=-1, keepdims=True)
    weight = np.array([0.5, 2.0, 1.0, 0.25, 3.0])
    for reduction in ("none", "sum", "mean"):
        for zl, cap in ((0.5, None), (1e-4, None), (0.0, 5.0), (0.1, 5.0), (0.0, 30.0)):
            for w in (None, weight):
                for eps in (0.0, 0.2):
                    base = {"z_loss": zl, "softcap": cap, "weight": w, "label_smoothing": eps,
                            "reduction": reduction}
                    y = np.array([0, -100, 2, 3, -100, 4], dtype=np.int64)
                    yield z, y, {**base, "ignore_index": -100}
                    yield z, np.array([0, 1, 2, 3, 1, 4], dtype=np.int64), base
                    if soft and w is None:
                        # (probability targets with class weights are sce.value.options' business)
                        yield z, probs, base


def _kw(kwargs):
    """Keywords without those left at their defaults (so an implementation
    lacking an option is only asked for it where it matters)."""
    defaults = {"weight": None, "ignore_index": None, "label_smoothing": 0.0, "z_loss": 0.0,
                "softcap": None, "linear_bias": None, "reduction": "mean"}
    out = {}
    for k, v in kwargs.items():
        d = defaults.get(k, object())
        if isinstance(v, np.ndarray) or v is None and d is not None or (v is not None and v != d):
            out[k] = v
    return out


def _lce_option_product():
    """Fixed linear-cross-entropy inputs over bias x weights x ignore x smoothing x
    z-loss x softcap x reduction, tokens with leading dimensions (B, T, H) and one token (H,)."""
    rng = np.random.default_rng(1414)
    n, c, h = 6, 7, 4
    x = np.round(rng.uniform(-2.0, 2.0, size=(n, h)), 4)
    w = np.round(rng.uniform(-1.5, 1.5, size=(c, h)), 4)
    b = np.round(rng.uniform(-1.0, 1.0, size=c), 4)
    weight = np.linspace(0.25, 2.0, c)
    y = np.array([6, 0, -100, 3, 5, -100], dtype=np.int64)
    for reduction in ("none", "sum", "mean"):
        for bias in (None, b):
            for cw in (None, weight):
                for eps in (0.0, 0.15):
                    for zl, cap in ((0.0, None), (0.2, None), (0.0, 1.5), (1e-4, 20.0)):
                        kw = {"linear_bias": bias, "weight": cw, "label_smoothing": eps, "z_loss": zl,
                              "softcap": cap, "reduction": reduction}
                        yield (x, w, y), {**kw, "ignore_index": -100}
                        if cw is None and zl == 0.0:
                            yield (x, w, np.array([6, 0, 1, 3, 5, 2], dtype=np.int64)), kw
        kw = {"linear_bias": b, "reduction": reduction, "label_smoothing": 0.1}
        yield (x.reshape(2, 3, h), w, np.array([[6, 0, 1], [3, 5, 2]], dtype=np.int64)), kw
        yield (x[0], w, np.array(3, dtype=np.int64)), kw


# ---------------------------------------------------------------------------
# z-loss
# ---------------------------------------------------------------------------

def _half(ctx):
    """Half the run's hypothesis examples (for properties whose fixed cases already cover the options)."""
    return max(1, ctx.max_examples // 2)


def _against_reference(ctx, fn, name, args, kwargs, *, dtype=None, what="value"):
    kwargs = _kw(kwargs)
    with np.errstate(all="ignore"):
        expected = getattr(ctx.reference, name)(*args, **kwargs)
    got, call = _call(ctx, fn, name, args, kwargs)
    ctx.expect(name, args, kwargs, got, expected, call=call, dtype=dtype, what=what)


def _sce_grad_against_reference(ctx, fn, z, y, kw, seed):
    """The softmax-cross-entropy gradient against the reference, with a random cotangent
    for reduction='none' (the budget's floor grows with the largest |cotangent|)."""
    kw = _kw(kw)
    name = SCE + "_grad"
    c_max = 1.0
    if kw.get("reduction", "mean") == "none":
        kw["cotangent"] = np.random.default_rng(seed).uniform(-2.0, 2.0, size=z.shape[0])
        c_max = 2.0
    with np.errstate(all="ignore"):
        expected = ctx.reference.softmax_cross_entropy_grad(z, y, **kw)
    got, call = _call(ctx, fn, name, (z, y), kw)
    floor, cond = judge(name, (z, y), {k: v for k, v in kw.items() if k != "cotangent"}, expected)
    ctx.assert_close(got, expected, call=call, floor=floor * c_max, cond=cond)


@check("zloss.value.options", function=SCE, clause=CLAUSES["zloss"], kind="value",
       description="z-loss (and softcap) against the reference over reduction x weights x ignored tokens "
                   "x smoothing x target kind")
def _(fn, ctx):
    ctx.subcases(((z, y, kw) for z, y, kw in _lm_option_product() if kw["z_loss"]),
                 lambda case: _against_reference(ctx, fn, SCE, case[:2], case[2]))


@check("zloss.property.ignored", function=SCE, clause=CLAUSES["zloss-ignored"], kind="property",
       description="with reduction='none' z-loss adds s * w_n * logsumexp(z_n)^2 to each counted token "
                   "and nothing to an ignored one")
def _(fn, ctx):
    rng = np.random.default_rng(7)
    z = rng.normal(scale=4.0, size=(5, 6))
    z[2] += 12.0  # the ignored token has the largest logsumexp
    y = np.array([1, 5, -100, 0, 3], dtype=np.int64)
    weight = np.array([0.5, 1.0, 2.0, 0.25, 1.5, 3.0])

    def body(case):
        w, s = case
        kw = _kw({"weight": w, "ignore_index": -100, "reduction": "none"})
        plain, call0 = _call(ctx, fn, SCE, (z, y), kw)
        with_z, call = _call(ctx, fn, SCE, (z, y), {**kw, "z_loss": s})
        m = z.max(axis=-1)
        lse = m + np.log(np.sum(np.exp(z - m[:, None]), axis=-1))
        w_n = np.where(y == -100, 0.0, 1.0 if w is None else w[np.where(y == -100, 0, y)])
        expected = np.asarray(plain, dtype=np.float64) + s * w_n * lse ** 2
        floor, cond = judge(SCE, (z, y), {**kw, "z_loss": s}, expected)
        ctx.assert_close(with_z, expected, call=f"{call}  vs  {call0} + z_loss * w_n * lse**2",
                         floor=floor, cond=2 * np.asarray(cond) + 2)
    ctx.subcases([(None, 0.5), (weight, 0.5), (weight, 1e-4)], body)


@check("zloss.property.mean", function=SCE, clause=CLAUSES["zloss-mean"], kind="property",
       description="with z-loss, 'mean' is 'sum' / sum(w_n) over counted tokens (not the number of tokens) "
                   "and 'sum' the sum of 'none'")
def _(fn, ctx):
    def body(case):
        z, y, kw = case
        kw = _kw({**kw, "reduction": "sum"})
        total, call = _call(ctx, fn, SCE, (z, y), kw)
        none, call_n = _call(ctx, fn, SCE, (z, y), {**kw, "reduction": "none"})
        mean, call_m = _call(ctx, fn, SCE, (z, y), {**kw, "reduction": "mean"})
        _, w_n, _ = _coef(z, y, kw.get("weight"), kw.get("label_smoothing", 0.0), kw.get("ignore_index"))
        denom = float(np.sum(w_n))
        v = np.asarray(none, dtype=np.float64)
        with np.errstate(all="ignore"):
            s = float(np.sum(v))
            exp_mean = float(total) / denom if denom else np.nan
        ctx.assert_close(total, s, call=f"{call}  vs  sum of {call_n}", floor=1.0,
                         cond=reduced_cond(np.zeros(v.shape), v, s, "sum"))
        ctx.assert_close(mean, exp_mean, call=f"{call_m}  vs  ({call}) / {denom!r}", floor=1.0, cond=8.0)
    ctx.subcases(((z, y, kw) for z, y, kw in _lm_option_product(soft=False)
                  if kw["z_loss"] and kw["reduction"] == "sum"), body)


@check("zloss.gradient.value", function=SCE + "_grad", clause=CLAUSES["zloss-gradient"], kind="gradient",
       description="the gradient with z-loss (adds 2 s w_n lse softmax) against the reference over the "
                   "option product, random cotangents for reduction='none'")
def _(fn, ctx):
    def body(case):
        z, y, kw = case
        _sce_grad_against_reference(ctx, fn, z, y, kw, 3)
    ctx.subcases(((z, y, kw) for z, y, kw in _lm_option_product() if kw["z_loss"] and kw["softcap"] is None),
                 body)


# ---------------------------------------------------------------------------
# softcap
# ---------------------------------------------------------------------------

@check("softcap.value.options", function=SCE, clause=CLAUSES["softcap"], kind="value",
       description="softcap against the reference over the option product (logits up to 6 sigma of 6, "
                   "caps 5 and 30)")
def _(fn, ctx):
    ctx.subcases(((z, y, kw) for z, y, kw in _lm_option_product() if kw["softcap"] is not None),
                 lambda case: _against_reference(ctx, fn, SCE, case[:2], case[2]))


@check("softcap.property.before-everything", function=SCE, clause=CLAUSES["softcap"], kind="property",
       description="softcap=c equals no softcap on the logits c * tanh(z / c) (capped before log_softmax, "
                   "smoothing and z-loss)")
def _(fn, ctx):
    def body(case):
        (z, y, kw), c = case
        kw = _kw({**kw, "softcap": None})
        with np.errstate(all="ignore"):
            capped = c * np.tanh(z / c)
        a, call = _call(ctx, fn, SCE, (z, y), {**kw, "softcap": c})
        b, call_b = _call(ctx, fn, SCE, (capped, y), kw)
        floor, cond = judge(SCE, (z, y), {**kw, "softcap": c}, np.asarray(b, dtype=np.float64))
        ctx.assert_close(a, np.asarray(b, dtype=np.float64), call=f"{call}  vs  {call_b}", floor=floor,
                         cond=2 * np.asarray(cond) + 2)
    from conformance.checks.classification import sce_case

    ctx.property(st.tuples(sce_case(min_n=1, lo=-60.0, hi=60.0), st.sampled_from([1.0, 5.0, 30.0])), body)


@check("softcap.gradient.value", function=SCE + "_grad", clause=CLAUSES["softcap-gradient"], kind="gradient",
       description="the gradient with a softcap (times 1 - tanh(z / c)^2) against the reference, with "
                   "z-loss and smoothing, random cotangents for reduction='none'")
def _(fn, ctx):
    def body(case):
        z, y, kw = case
        _sce_grad_against_reference(ctx, fn, z, y, kw, 5)
    ctx.subcases(((z, y, kw) for z, y, kw in _lm_option_product() if kw["softcap"] is not None), body)


@check("softcap.special.inf", function=SCE, clause=CLAUSES["softcap-inf"], kind="special",
       description="with a softcap an infinite logit is capped (+inf -> c, -inf -> -c): finite losses")
def _(fn, ctx):
    inf = np.inf
    z = np.array([[inf, 0.0, 0.0], [0.0, inf, -inf], [-inf, 1.0, 2.0]])
    y = np.array([0, 0, 0], dtype=np.int64)
    c = 5.0
    # -log_softmax at the target of the capped rows [c, 0, 0], [0, c, -c], [-c, c tanh(1/c), c tanh(2/c)]
    expected = np.array([math.log1p(2.0 * math.exp(-c)),
                         math.log(1.0 + math.exp(c) + math.exp(-c)),
                         c + math.log(math.exp(-c) + math.exp(c * math.tanh(1.0 / c)) + math.exp(c * math.tanh(2.0 / c)))])
    def body(kw):
        with np.errstate(all="ignore"):
            exp = np.asarray(ctx.reference.softmax_cross_entropy(z, y, **kw), dtype=np.float64)
        if "z_loss" not in kw:
            ctx.assert_close(exp, expected, call="the reference (closed forms)", ulps=16, floor=1.0)
        got, call = _call(ctx, fn, SCE, (z, y), kw)
        ctx.expect(SCE, (z, y), kw, got, exp, call=call)
    ctx.subcases([{"softcap": c, "reduction": "none"}, {"softcap": c, "z_loss": 0.1, "reduction": "none"}], body)


@check("softcap.special.inf-gradient", function=SCE + "_grad", clause=CLAUSES["softcap-inf"], kind="special",
       description="with a softcap the gradient at an infinite logit is 0 there and finite elsewhere")
def _(fn, ctx):
    inf = np.inf
    z = np.array([[inf, 0.0, 0.0], [0.0, inf, -inf], [-inf, 1.0, 2.0]])
    y = np.array([0, 2, 1], dtype=np.int64)
    def body(kw):
        with np.errstate(all="ignore"):
            exp = np.asarray(ctx.reference.softmax_cross_entropy_grad(z, y, **kw), dtype=np.float64)
        got, call = _call(ctx, fn, SCE + "_grad", (z, y), kw)
        ctx.expect(SCE + "_grad", (z, y), kw, got, exp, call=call)
    ctx.subcases([{"softcap": 5.0, "reduction": "sum"}, {"softcap": 5.0, "z_loss": 0.1, "reduction": "mean"}], body)


# ---------------------------------------------------------------------------
# linear cross entropy: values, identities
# ---------------------------------------------------------------------------

@check("lce.value.options", function=LCE, clause=CLAUSES["lce"], kind="value",
       description="against the reference over bias x weights x ignored tokens x smoothing x z-loss x softcap "
                   "x reduction, tokens (N, H), (B, T, H) and (H,) (fixed, then random)")
def _(fn, ctx):
    def body(case):
        args, kw = case
        _against_reference(ctx, fn, LCE, args, kw)
    ctx.subcases(_lce_option_product(), body)
    ctx.property(lce_case(), body)


@check("lce.identity.logits", function=LCE, clause=CLAUSES["lce"], kind="property", needs=(SCE,),
       description="equals the implementation's own softmax_cross_entropy of input @ linear_weight.T + "
                   "linear_bias, every option drawn")
def _(fn, ctx):
    sce = ctx.impl(SCE)

    def body(case):
        args, kw = case
        kw = _kw(kw)
        x, w, y = args
        got, call = _call(ctx, fn, LCE, args, kw)
        z = _logits(x, w, kw.get("linear_bias"))
        skw = {k: v for k, v in kw.items() if k != "linear_bias"}
        other, call_b = _call(ctx, sce, SCE, (z, y), skw)
        floor, cond = judge(LCE, args, kw, np.asarray(other, dtype=np.float64))
        ctx.assert_close(got, np.asarray(other, dtype=np.float64), floor=floor, cond=2 * np.asarray(cond) + 2,
                         call=f"{call}  vs  {call_b} with logits = input @ linear_weight.T + linear_bias")
    ctx.property(lce_case(), body, max_examples=_half(ctx))


@check("lce.value.label-smoothing", function=LCE, clause=CLAUSES["lce-smoothing"], kind="value",
       description="label smoothing in the fused path: eps = 0.1, 0.5, 1 against the reference, every "
                   "reduction, with ignored tokens and class weights")
def _(fn, ctx):
    rng = np.random.default_rng(243)
    x = rng.uniform(-2.0, 2.0, size=(5, 6))
    w = rng.uniform(-1.0, 1.0, size=(9, 6))
    y = np.array([8, -100, 0, 4, 4], dtype=np.int64)
    cases = [((x, w, y), {"label_smoothing": eps, "ignore_index": -100, "reduction": red, "weight": cw})
             for eps in (0.1, 0.5, 1.0) for red in ("none", "sum", "mean") for cw in (None, np.linspace(0.5, 2, 9))]
    ctx.subcases(cases, lambda case: _against_reference(ctx, fn, LCE, *case))


@check("lce.identity.bias", function=LCE, clause=CLAUSES["lce-bias"], kind="property",
       description="a bias b equals a constant feature 1 with weight column b: lce(x, W, y, linear_bias=b) "
                   "== lce([x, 1], [W, b], y)")
def _(fn, ctx):
    def body(case):
        (x, w, y), kw = case
        kw = _kw(kw)
        b = kw.pop("linear_bias", None)
        if b is None:
            b = np.linspace(-1.0, 1.0, w.shape[0])
        got, call = _call(ctx, fn, LCE, (x, w, y), {**kw, "linear_bias": b})
        xa = np.concatenate([x, np.ones(x.shape[:-1] + (1,))], axis=-1)
        wa = np.concatenate([w, b[:, None]], axis=-1)
        other, call_b = _call(ctx, fn, LCE, (xa, wa, y), kw)
        floor, cond = judge(LCE, (xa, wa, y), kw, np.asarray(other, dtype=np.float64))
        ctx.assert_close(got, np.asarray(other, dtype=np.float64), call=f"{call}  vs  {call_b}", floor=floor,
                         cond=2 * np.asarray(cond) + 2)
    ctx.property(lce_case(), body)


@check("lce.special.all-ignored", function=LCE, clause=CLAUSES["lce-empty"], kind="special",
       description="every token ignored: 'mean' is NaN (0 / 0), 'sum' 0, 'none' zeros, with z-loss and smoothing")
def _(fn, ctx):
    rng = np.random.default_rng(70348)
    x = rng.uniform(-1.0, 1.0, size=(3, 4))
    w = rng.uniform(-1.0, 1.0, size=(5, 4))
    y = np.full(3, -100, dtype=np.int64)
    cases = []
    for kw in ({}, {"label_smoothing": 0.1}, {"z_loss": 1e-4}, {"label_smoothing": 0.1, "z_loss": 0.5}):
        for red, exp in (("mean", np.nan), ("sum", 0.0), ("none", np.zeros(3))):
            cases.append(({**kw, "ignore_index": -100, "reduction": red}, exp))

    def body(case):
        kw, exp = case
        got, call = _call(ctx, fn, LCE, (x, w, y), kw)
        ctx.assert_close(got, exp, call=call, floor=1.0)
    ctx.subcases(cases, body)


@check("lce.special.all-ignored-gradient", function=LCE + "_grad", clause=CLAUSES["lce-empty"], kind="special",
       description="every token ignored: the gradient of 'mean' (0 / 0) is NaN; of 'sum' and 'none' 0")
def _(fn, ctx):
    rng = np.random.default_rng(64572)
    x = rng.uniform(-1.0, 1.0, size=(3, 4))
    w = rng.uniform(-1.0, 1.0, size=(5, 4))
    b = rng.uniform(-1.0, 1.0, size=5)
    y = np.full(3, -100, dtype=np.int64)
    cases = [{"ignore_index": -100, "reduction": red, "wrt": wrt, "linear_bias": b, **extra}
             for red in ("mean", "sum", "none") for wrt in WRT for extra in ({}, {"z_loss": 0.1})]

    def body(kw):
        with np.errstate(all="ignore"):
            expected = ctx.reference.linear_cross_entropy_grad(x, w, y, **kw)
        got, call = _call(ctx, fn, LCE + "_grad", (x, w, y), kw)
        ctx.assert_close(got, expected, call=call, floor=1.0)
    ctx.subcases(cases, body)


# ---------------------------------------------------------------------------
# vocabulary chunks and batch blocks
# ---------------------------------------------------------------------------

#: Vocabulary sizes on both sides of the chunk sizes kernels use, and the LM vocabularies.
VOCABULARIES = (2, 3, 255, 257, 1023, 1025, 4097, 16385, 65537, 32000, 50257, 128256, 262144)
#: Token counts with a partial last block (small vocabulary).
BATCHES = (1, 3, 5, 17, 33, 129, 1025)


def _size_input(c, n, h, key):
    rng = np.random.default_rng([20261203, c, n, h, key])
    x = rng.normal(scale=1.0, size=(n, h))
    w = rng.normal(scale=1.5 / math.sqrt(h), size=(c, h))
    # targets at the top class, 0, the middle and one third
    y = np.array([(c - 1, 0, c // 2, (c - 1) // 3)[i % 4] for i in range(n)], dtype=np.int64)
    return x, w, y


def _size_cases(grad=False):
    out = []
    for i, c in enumerate(VOCABULARIES):
        n, h = (2 + i % 3, (8, 16)[i % 2]) if c < 100000 else (2, 8)
        x, w, y = _size_input(c, n, h, 0)
        kw = {"reduction": ("none", "sum", "mean")[i % 3]}
        if i % 2:
            kw["linear_bias"] = np.random.default_rng(c).normal(scale=0.5, size=c)
        if grad:
            # each gradient past a chunk boundary; the weight's (summed over tokens) at the largest
            for wrt in {3: WRT, 4097: WRT, 65537: ("input", "linear_bias"), 262144: ("linear_weight",)}.get(c, ()):
                out.append((f"C={c}, wrt={wrt}", (x, w, y), {**kw, "wrt": wrt}))
        else:
            out.append((f"C={c}, N={n}, H={h}", (x, w, y), kw))
    for n in BATCHES:
        x, w, y = _size_input(33, n, 8, 1)
        if grad:
            if n in (17, 129):
                out.append((f"N={n}, C=33, wrt=linear_weight", (x, w, y), {"reduction": "mean", "wrt": "linear_weight"}))
        else:
            out.append((f"N={n}, C=33", (x, w, y), {"reduction": "mean", "ignore_index": 0}))
    return out


def _judge_size(ctx, fn, name, case):
    label, args, kw = case
    kw = _kw(kw)
    with np.errstate(all="ignore"):
        expected = getattr(ctx.reference, name)(*args, **kw)
    got, call = _call(ctx, fn, name, args, kw, label=label)
    ctx.expect(name, args, kw, got, expected, call=call, what=f"size {label}")


@check("lce.size.vocabularies", function=LCE, clause=CLAUSES["lce-sizes"], kind="value",
       description="vocabularies 2^k +- 1 to 65537, 32000, 50257, 128256, 262144 (N = 2..4, H = 8 or 16, target "
                   "at the top class) and token counts with a partial last block")
def _(fn, ctx):
    ctx.subcases(_size_cases(), lambda case: _judge_size(ctx, fn, LCE, case))


@check("lce.size.gradients", function=LCE + "_grad", clause=CLAUSES["lce-sizes"], kind="gradient",
       description="the gradients wrt input, linear_weight and linear_bias at vocabularies past a chunk "
                   "boundary and at token counts with a partial last block")
def _(fn, ctx):
    ctx.subcases(_size_cases(grad=True), lambda case: _judge_size(ctx, fn, LCE + "_grad", case))


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

def _grad_cases():
    """The option product of the loss, each case with one of the three gradients in turn."""
    for i, (args, kw) in enumerate(_lce_option_product()):
        for wrt in (WRT[i % 3],):
            if wrt == "linear_bias" and kw.get("linear_bias") is None:
                wrt = "linear_weight"
            gkw = {**kw, "wrt": wrt}
            if kw["reduction"] == "none":
                shape = np.shape(args[2]) if np.asarray(args[2]).dtype.kind in "iu" else np.shape(args[2])[:-1]
                gkw["cotangent"] = np.random.default_rng(len(shape) + 17).uniform(-2.0, 2.0, size=shape)
            yield args, gkw


@check("lce.gradient.value", function=LCE + "_grad", clause=CLAUSES["lce-gradient"], kind="gradient",
       description="the gradients wrt input, linear_weight and linear_bias against the reference over the "
                   "option product, random cotangents for reduction='none' (fixed, then random)")
def _(fn, ctx):
    def body(case):
        args, kw = case
        _against_reference(ctx, fn, LCE + "_grad", args, kw)
    ctx.subcases(_grad_cases(), body)

    def drawn(case):
        ((args, kw), wrt) = case
        if wrt == "linear_bias" and "linear_bias" not in kw:
            kw = {**kw, "linear_bias": np.linspace(-0.5, 0.5, args[1].shape[0])}
        body((args, {**kw, "wrt": wrt}))
    ctx.property(st.tuples(lce_case(), st.sampled_from(WRT)), drawn, max_examples=_half(ctx))


@check("lce.gradient.bias-column", function=LCE + "_grad", clause=CLAUSES["lce-bias"], kind="gradient",
       description="the bias gradient equals the weight gradient of the constant feature: "
                   "grad(wrt=linear_bias) == grad([x, 1], [W, b], wrt=linear_weight)[:, -1]")
def _(fn, ctx):
    def body(case):
        (x, w, y), kw = case
        kw = _kw(kw)
        b = kw.pop("linear_bias", None)
        if b is None:
            b = np.linspace(-1.0, 1.0, w.shape[0])
        got, call = _call(ctx, fn, LCE + "_grad", (x, w, y), {**kw, "linear_bias": b, "wrt": "linear_bias"})
        xa = np.concatenate([x, np.ones(x.shape[:-1] + (1,))], axis=-1)
        wa = np.concatenate([w, b[:, None]], axis=-1)
        gw, call_b = _call(ctx, fn, LCE + "_grad", (xa, wa, y), {**kw, "wrt": "linear_weight"})
        gw = np.asarray(gw, dtype=np.float64)
        if gw.shape != wa.shape:
            ctx.assert_true(False, f"weight gradient of shape {gw.shape}, expected {wa.shape}", call=call_b)
        floor, cond = judge(LCE + "_grad", (x, w, y), {**kw, "linear_bias": b, "wrt": "linear_bias"},
                            gw[:, -1])
        ctx.assert_close(got, gw[:, -1], call=f"{call}  vs  last column of {call_b}", floor=floor,
                         cond=2 * np.asarray(cond))
    ctx.property(lce_case(), body, max_examples=_half(ctx))


# ---------------------------------------------------------------------------
# float32: the weight gradient's accumulation
# ---------------------------------------------------------------------------

def _float32_cases():
    rng = np.random.default_rng(512)
    n, c, h = 64, 40, 8
    x = rng.uniform(-1.0, 1.0, size=(n, h)).astype(np.float32)
    w = (rng.uniform(-1.0, 1.0, size=(c, h)) / 2).astype(np.float32)
    b = (rng.uniform(-1.0, 1.0, size=c) / 2).astype(np.float32)
    y = rng.integers(0, c, size=n).astype(np.int64)
    y[::7] = -100
    for wrt in ("linear_weight", "linear_bias", "input"):
        for red in ("sum", "mean"):
            yield (x, w, y), {"linear_bias": b, "ignore_index": -100, "reduction": red, "wrt": wrt}
    yield (x, w, y), {"linear_bias": b, "ignore_index": -100, "reduction": "none", "wrt": "linear_weight",
                      "cotangent": rng.uniform(-2.0, 2.0, size=n).astype(np.float32)}


def _exact(v):
    return v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v


@check("lce.gradient.float32", function=LCE + "_grad", clause=CLAUSES["lce-accuracy"], kind="dtype",
       description="float32 input, 64 tokens: the gradients (the weight's summed over every token) within "
                   "float32 ulps of the float64 gradient of the same numbers; a bfloat16 or float16 "
                   "accumulation fails")
def _(fn, ctx):
    def body(case):
        args, kw = case
        got, call = _call(ctx, fn, LCE + "_grad", args, kw, label="float32")
        a64 = tuple(_exact(a) for a in args)
        k64 = {k: _exact(v) for k, v in kw.items()}
        with np.errstate(all="ignore"):
            expected = ctx.reference.linear_cross_entropy_grad(*a64, **k64)
        ctx.expect(LCE + "_grad", a64, k64, got, expected, call=call, dtype=np.float32,
                   what=f"float32 gradient wrt {kw['wrt']}")
    ctx.subcases(_float32_cases(), body)


@check("lce.dtype.float32", function=LCE, clause=CLAUSES["lce-accuracy"], kind="dtype",
       description="float32 input: within float32 ulps of the float64 loss of the same numbers")
def _(fn, ctx):
    def body(case):
        args, kw = case
        kw = {k: v for k, v in kw.items() if k not in ("wrt", "cotangent")}
        got, call = _call(ctx, fn, LCE, args, kw, label="float32")
        a64 = tuple(_exact(a) for a in args)
        k64 = {k: _exact(v) for k, v in kw.items()}
        with np.errstate(all="ignore"):
            expected = ctx.reference.linear_cross_entropy(*a64, **k64)
        ctx.expect(LCE, a64, k64, got, expected, call=call, dtype=np.float32)
    ctx.subcases([c for c in _float32_cases() if c[1]["wrt"] == "input"], body)

"""Conformance checks for the classification losses (spec pages
``docs/spec/classification.md`` and ``docs/spec/reductions.md``).

Functions: ``softmax_cross_entropy``, ``nll_loss``, ``categorical_cross_entropy``
and their ``_grad`` functions.  The reduction checks of every loss (``red.*``)
live here too.

The worked examples, special values and invalid inputs are rows of
``conformance/cases/classification.toml`` and the hard cases golden rows
(``conformance/golden/classification.jsonl``); the checks here are the ones
that are not rows: values against the reference over generated inputs and
fixed option products, identities, properties and gradients.

Budgets: each function's ``(floor, cond)`` is registered once with
:func:`conformance.budgets.condition`; a loss is judged at ``max(|l|, 1)``
(``floor = 1``) with the per-sample error bound ``a_n`` summed by
:func:`conformance.budgets.reduced_cond`.  For softmax cross entropy the error
of ``log_softmax`` grows with the magnitude of the logits,
``a_n = sum_c |weight_c t_c| (max|z| + log C + 1)``.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.checks._common import agree as _agree, agree_in_float32 as _agree32, call as _call, finite_floats as _floats
from conformance.budgets import condition, judge, reduced_cond
from conformance.registry import check

SCE = "softmax_cross_entropy"
NLL = "nll_loss"
CCE = "categorical_cross_entropy"

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _kw(**kwargs):
    """Keyword arguments without the ones left at their defaults."""
    defaults = {"weight": None, "ignore_index": None, "label_smoothing": 0.0,
                "reduction": "mean", "axis": -1, "eps": 0.0}
    return {k: v for k, v in kwargs.items() if not (k in defaults and _same(v, defaults[k]))}


def _same(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    return a == b


def _coef(z, target, weight, label_smoothing, ignore_index):
    """``weight * t`` (class axis last) and ``w_n`` for softmax cross entropy."""
    n_classes = z.shape[-1]
    if np.issubdtype(target.dtype, np.integer):
        keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
        y = np.zeros(z.shape)
        idx = np.where(keep, target, 0)
        np.put_along_axis(y, idx[..., None], 1.0, axis=-1)
        y = y * keep[..., None]
    else:
        keep = np.ones(z.shape[:-1], bool)
        y = target.astype(np.float64)
    t = ((1 - label_smoothing) * y + label_smoothing / n_classes) * keep[..., None]
    w = np.ones(n_classes) if weight is None else weight
    coef = t * w
    w_n = keep.astype(float) if weight is None else np.sum(y * weight, axis=-1)
    return coef, w_n, keep


def _class_last(args, kwargs):
    """Logits and target of a call with the class axis moved last."""
    z, target = args[0], np.asarray(args[1])
    axis = kwargs.get("axis", -1)
    zl = np.moveaxis(z, axis, -1)
    tl = target if np.issubdtype(target.dtype, np.integer) else np.moveaxis(target, axis, -1)
    return zl, tl


def _sce_terms(args, kwargs):
    """``(coef, w_n, a_n)`` of a softmax-cross-entropy call.

    ``a_n`` bounds each sample's rounding error in ulps at 1: the error of
    ``log_softmax`` grows with the magnitude of the logits, so
    ``a_n = sum_c |weight_c t_c| * (max|z| + log C + 1)``.
    """
    zl, tl = _class_last(args, kwargs)
    coef, w_n, _ = _coef(zl, tl, kwargs.get("weight"), kwargs.get("label_smoothing", 0.0),
                         kwargs.get("ignore_index"))
    with np.errstate(all="ignore"):
        zmax = (np.max(np.abs(np.where(np.isfinite(zl), zl, 0.0)), axis=-1) if zl.size
                else np.zeros(zl.shape[:-1]))
        a_n = np.sum(np.abs(coef), axis=-1) * (zmax + math.log(max(zl.shape[-1], 1)) + 1.0)
    return coef, w_n, a_n


def _mean_scale(kwargs, w_n):
    """The factor ``"mean"`` applies (``1 / sum(w_n)``; 1 for another reduction or no weight)."""
    if kwargs.get("reduction", "mean") != "mean":
        return 1.0
    d = float(np.sum(w_n))
    return 1.0 / d if d > 0 else 1.0


def _lm_terms(args, kwargs, coef, w_n):
    """The shares of ``z_loss`` and ``softcap`` (docs/spec/large-vocabulary.md) in the
    per-sample error bound ``a_n``, in ulps at 1, and ``lse_n`` (0 without z-loss).

    ``z_loss = s`` adds ``s w_n lse_n**2``: its rounding (``lse**2``) plus twice
    ``s |lse_n|`` times the error of ``lse_n`` (that of ``log_softmax``).  A
    softcap ``c tanh(z / c)`` rounds each logit again (a few ulps of ``|z| <= c``),
    which ``log_softmax`` carries with weight ``sum_c |weight_c t_c|``.
    """
    s = float(kwargs.get("z_loss", 0.0) or 0.0)
    cap = kwargs.get("softcap")
    zl, _ = _class_last(args, kwargs)
    extra = np.zeros(w_n.shape)
    lse = np.zeros(w_n.shape)
    if not s and cap is None:
        return extra, lse
    with np.errstate(all="ignore"):
        if cap is not None:
            zl = float(cap) * np.tanh(zl / float(cap))
        finite = np.where(np.isfinite(zl), np.abs(zl), 0.0)
        zmax = np.max(finite, axis=-1) if zl.size else np.zeros(w_n.shape)
        err_lse = zmax + math.log(max(zl.shape[-1], 1)) + 1.0
        if cap is not None:
            extra = extra + 4.0 * np.sum(np.abs(coef), axis=-1) * np.minimum(zmax, float(cap))
        if s and zl.size:
            m = np.max(np.where(np.isnan(zl), -np.inf, zl), axis=-1, keepdims=True)
            m = np.where(np.isfinite(m), m, 0.0)
            lse = (m[..., 0] + np.log(np.sum(np.exp(zl - m), axis=-1)))
            lse = np.where(np.isfinite(lse), lse, 0.0)
            extra = extra + np.abs(w_n) * s * (lse ** 2 + 2.0 * np.abs(lse) * err_lse)
    return extra, lse


@condition(SCE)
def _sce_budget(args, kwargs, expected):
    """Softmax cross entropy: the per-sample ``a_n`` of :func:`_sce_terms` (with the
    shares of z-loss and softcap, :func:`_lm_terms`), summed by the one rule."""
    import reference

    coef, w_n, a_n = _sce_terms(args, kwargs)
    a_n = a_n + _lm_terms(args, kwargs, coef, w_n)[0]
    per = reference.softmax_cross_entropy(*args, **{**kwargs, "reduction": "none"})
    return 1.0, reduced_cond(a_n, np.asarray(per), expected, kwargs.get("reduction", "mean"),
                             w_sum=float(np.sum(w_n)))


@condition(SCE + "_grad")
def _sce_grad_budget(args, kwargs, expected):
    """The gradient ``(sum_c weight_c t_c) softmax - weight t`` (times the mean's
    factor) is judged at the scale of its terms, with the rounding of the
    softmax and of the difference (``cond = 2``)."""
    coef, w_n, _ = _sce_terms(args, kwargs)
    s = float(kwargs.get("z_loss", 0.0) or 0.0)
    _, lse = _lm_terms(args, kwargs, coef, w_n)
    # z-loss adds 2 s w_n lse softmax: its size, and the error of lse it carries
    zl, _ = _class_last(args, kwargs)
    err_lse = (float(np.max(np.where(np.isfinite(zl), np.abs(zl), 0.0))) if zl.size else 0.0) \
        + math.log(max(zl.shape[-1], 1)) + 1.0
    mag = (np.sum(np.abs(coef), axis=-1) + 1.0 + 2.0 * s * np.abs(w_n) * np.abs(lse)) * _mean_scale(kwargs, w_n)
    floor = float(np.max(mag)) if mag.size else 1.0
    cond = 2.0 + (4.0 if kwargs.get("softcap") is not None else 0.0)
    if s and mag.size:
        cond += float(np.max(2.0 * s * np.abs(w_n) * err_lse * _mean_scale(kwargs, w_n))) / max(floor, 1e-300)
    return floor, cond


def _nll_w_n(args, kwargs):
    target = np.asarray(args[1])
    w, ii = kwargs.get("weight"), kwargs.get("ignore_index")
    keep = np.ones(target.shape, bool) if ii is None else target != ii
    if w is None:
        return keep.astype(float)
    return np.where(keep, np.asarray(w, dtype=np.float64)[np.where(keep, target, 0)], 0.0)


@condition(NLL)
def _nll_budget(args, kwargs, expected):
    """``nll_loss`` reads one log-probability a sample and multiplies it by its
    weight (one rounding, ``a_n = |l_n|``); the rest is the summation."""
    import reference

    per = np.asarray(reference.nll_loss(*args, **{**kwargs, "reduction": "none"}))
    return 1.0, reduced_cond(np.abs(per), per, expected, kwargs.get("reduction", "mean"),
                             w_sum=float(np.sum(_nll_w_n(args, kwargs))))


@condition(NLL + "_grad")
def _nll_grad_budget(args, kwargs, expected):
    """``-weight[y_n]`` (divided by ``sum(w_n)`` under ``"mean"``) relative to
    itself (``floor = 0``: an entry that must be 0 must be exactly 0); the
    mean's denominator is a sum of ``N`` weights, rounded ``N`` times."""
    n = max(np.asarray(args[1]).size, 1)
    return 0.0, (float(n) if kwargs.get("reduction", "mean") == "mean" else 0.0)


def _cce_terms(args, kwargs):
    q, t = np.moveaxis(args[0], kwargs.get("axis", -1), -1), np.moveaxis(args[1], kwargs.get("axis", -1), -1)
    with np.errstate(all="ignore"):
        qe = q + kwargs.get("eps", 0.0)
        logs = np.where(t > 0, np.abs(np.log(np.where(qe > 0, qe, 1.0))), 0.0)
        # each term t_c log(q_c + eps): the rounding of the sum, of the log and of the product
        return np.sum(np.abs(t) * (logs + 1.0), axis=-1)


@condition(CCE)
def _cce_budget(args, kwargs, expected):
    """Categorical cross entropy: ``a_n = sum_c t_c (|log(q_c + eps)| + 1)``, ``w_n = 1``."""
    import reference

    per = np.asarray(reference.categorical_cross_entropy(*args, **{**kwargs, "reduction": "none"}))
    return 1.0, reduced_cond(_cce_terms(args, kwargs), per, expected, kwargs.get("reduction", "mean"))


@condition(CCE + "_grad")
def _cce_grad_budget(args, kwargs, expected):
    """``-t / (q + eps)`` (times the mean's ``1/N``) relative to itself: three roundings."""
    return 0.0, 0.0


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------


@st.composite
def sce_case(draw, *, soft=None, ignore=True, smoothing=True, weights=True, reductions=None,
             min_n=0, lo=None, hi=None):
    """One softmax-cross-entropy call: ``(logits, target, kwargs)``.

    Logits lie in ``[lo, hi]``, by default ``±30`` or ``±1000`` (large enough
    that ``exp`` overflows for the naive formula)."""
    if lo is None:
        bound = draw(st.sampled_from([30.0, 1000.0]))
        lo, hi = -bound, bound
    n = draw(st.integers(min_n, 3))
    c = draw(st.integers(1, 5))
    z = np.array(draw(st.lists(_floats(lo, hi), min_size=n * c, max_size=n * c)), dtype=np.float64).reshape(n, c)
    use_soft = draw(st.booleans()) if soft is None else soft
    kwargs = {}
    if use_soft:
        raw = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=n * c, max_size=n * c))).reshape(n, c)
        s = raw.sum(axis=-1, keepdims=True)
        target = np.where(s > 0, raw / np.where(s > 0, s, 1.0), 1.0 / c)
        target = np.clip(target, 0.0, 1.0)
    else:
        target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
        if ignore:
            choice = draw(st.sampled_from(["absent", "-1", "-100", "class"]))
            if choice in ("-1", "-100"):
                ii = int(choice)
                mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
                target = np.where(mask, ii, target).astype(np.int64)
                kwargs["ignore_index"] = ii
            elif choice == "class":
                kwargs["ignore_index"] = draw(st.integers(0, c - 1))
    if weights and draw(st.booleans()):
        kwargs["weight"] = np.array(draw(st.lists(st.one_of(st.just(0.0), _floats(0.01, 3.0)),
                                                  min_size=c, max_size=c)))
    if smoothing and draw(st.booleans()):
        kwargs["label_smoothing"] = draw(st.sampled_from([1.0, 0.1, draw(_floats(0.0, 1.0))]))
    kwargs["reduction"] = draw(st.sampled_from(reductions or ["none", "sum", "mean"]))
    return z, target, kwargs


@st.composite
def nll_case(draw, reductions=None):
    z, target, kwargs = draw(sce_case(soft=False, smoothing=False, reductions=reductions))
    with np.errstate(all="ignore"):
        m = z.max(axis=-1, keepdims=True) if z.size else z
        lp = z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)) if z.size else z
    return lp, target, kwargs


@st.composite
def cce_case(draw, reductions=None):
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, 5))
    raw = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=n * c, max_size=n * c))).reshape(n, c)
    s = raw.sum(axis=-1, keepdims=True)
    q = np.clip(np.where(s > 0, raw / np.where(s > 0, s, 1.0), 1.0 / c), 0.0, 1.0)
    if draw(st.booleans()):
        idx = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
        t = np.zeros((n, c))
        t[np.arange(n), idx] = 1.0
    else:
        traw = np.array(draw(st.lists(_floats(0.0, 1.0), min_size=n * c, max_size=n * c))).reshape(n, c)
        ts = traw.sum(axis=-1, keepdims=True)
        t = np.where(ts > 0, traw / np.where(ts > 0, ts, 1.0), 1.0 / c)
    kwargs = {"eps": draw(st.sampled_from([0.0, 1e-9, 1e-7])),
              "reduction": draw(st.sampled_from(reductions or ["none", "sum", "mean"]))}
    return q, t, _kw(**kwargs)



# ---------------------------------------------------------------------------
# values against the reference
# ---------------------------------------------------------------------------

@check("sce.value.options", function=SCE, clause="sce.definition", kind="value",
       description="matches the reference over reduction x weights x ignore_index x smoothing x target kind")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree(ctx, fn, SCE, (z, target), kwargs)
    # Every combination of the options once, on fixed data (an option the
    # target lacks skips only the cases that use it) ...
    ctx.subcases(_option_product(), body)
    # ... then random data and options.
    ctx.property(sce_case(), body)


def _option_product(soft=True, smoothing=(0.0, 0.2)):
    """Fixed cases covering reduction x class weights x ignore_index (absent, -1,
    -100, a real class) x label smoothing x integer or probability targets."""
    rng = np.random.default_rng(20240611)
    z = np.round(rng.normal(scale=3.0, size=(5, 4)), 3)
    probs = np.round(rng.dirichlet(np.ones(4), size=5), 6)
    probs = probs / probs.sum(axis=-1, keepdims=True)
    weight = np.array([0.5, 2.0, 1.0, 0.25])
    for reduction in ("none", "sum", "mean"):
        for w in (None, weight):
            for eps in smoothing:
                for ignore in (None, -1, -100, 2):
                    y = np.array([0, 1, 2, 3, 1], dtype=np.int64)
                    if ignore is not None and ignore < 0:
                        y = np.array([0, ignore, 2, 3, ignore], dtype=np.int64)
                    yield z, y, {"weight": w, "ignore_index": ignore, "label_smoothing": eps,
                                 "reduction": reduction}
                if soft:
                    yield z, probs, {"weight": w, "label_smoothing": eps, "reduction": reduction}


def _nll_option_product():
    """The option product of softmax cross entropy for ``nll_loss`` (issue 12):
    reduction x class weights x ignore_index absent, negative or a real class,
    on the log-probabilities of the same logits."""
    for z, y, kwargs in _option_product(soft=False, smoothing=(0.0,)):
        kwargs = {k: v for k, v in kwargs.items() if k != "label_smoothing"}
        m = z.max(axis=-1, keepdims=True)
        lp = (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
        yield lp, y, kwargs
        if kwargs.get("ignore_index") == -100:
            # every sample ignored: a mean of no samples (NaN, and so is its gradient)
            yield lp, np.full_like(y, -100), kwargs


@check("sce.value.axis", function=SCE, clause="sce.axis", kind="value",
       description="axis=0 on transposed logits (and transposed soft targets) gives the same losses")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        expected = ctx.reference.softmax_cross_entropy(z, target, **kwargs)
        tt = target if np.issubdtype(target.dtype, np.integer) else np.ascontiguousarray(target.T)
        args = (np.ascontiguousarray(z.T), tt)
        got, call = _call(ctx, fn, SCE, args, {**kwargs, "axis": 0})
        ctx.expect(SCE, args, {**kwargs, "axis": 0}, got, expected, call=call)
    ctx.property(sce_case(min_n=1), body)


@check("nll.value.options", function=NLL, clause="nll.definition", kind="value",
       description="matches the reference over reduction x weights x ignore_index (a fixed product, then random)")
def _(fn, ctx):
    def body(case):
        lp, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree(ctx, fn, NLL, (lp, target), kwargs)
    ctx.subcases(_nll_option_product(), body)
    ctx.property(nll_case(), body)


@check("cce.value.options", function=CCE, clause="cce.definition", kind="value",
       description="matches the reference over one-hot and soft targets, eps and reduction")
def _(fn, ctx):
    def body(case):
        q, t, kwargs = case
        _agree(ctx, fn, CCE, (q, t), kwargs)
    ctx.property(cce_case(), body)


# ---------------------------------------------------------------------------
# special values
# ---------------------------------------------------------------------------

INF = np.inf


@check("sce.special.huge-logits", function=SCE, clause="sce.special.huge-logits", kind="special",
       description="logits ±1e4 and ±1e308 give their exact limits without overflow")
def _(fn, ctx):
    # Not a table row: the function's budget allows eps * max|z| (a log-sum-exp
    # that subtracts at 1e308 is within it), while this clause asks for the exact
    # limits, so it is judged at 16 ulps of max(|l|, 1) without that term.
    z = np.array([[1e308, -1e308], [1e308, 1e308], [1e4, 0.0], [-1e4, 0.0], [-1e308, 1e308]])
    got, call = _call(ctx, fn, SCE, (z, np.array([0, 0, 1, 1, 1])), {"reduction": "none"})
    ctx.assert_close(got, [0.0, math.log(2.0), 1e4, 0.0, 0.0], call=call, floor=1.0)
    got, call = _call(ctx, fn, SCE, (z[:1], np.array([1])), {"reduction": "none"})
    ctx.assert_close(got, [INF], call=call, floor=1.0)  # 2e308 overflows to +inf


@check("sce.special.confident", function=SCE, clause="sce.special.confident", kind="special",
       description="a confident prediction keeps its tiny loss (log1p(exp(-50)), not 0)")
def _(fn, ctx):
    # Not a table row: the clause asks for relative accuracy of a loss far below
    # ulp(1), which the function's budget (absolute below 1, floor = 1) cannot
    # state; a log-sum-exp that rounds the loss to 0 fails here and only here.
    rows = [(np.array([[50.0, 0.0]]), math.log1p(math.exp(-50.0))),
            (np.array([[40.0, 0.0, 0.0]]), math.log1p(2 * math.exp(-40.0)))]
    for logits, expected in rows:
        got, call = _call(ctx, fn, SCE, (logits, np.array([0])), {"reduction": "none"})
        ctx.assert_close(got, [expected], call=call, ulps=16, floor=0.0)


# ---------------------------------------------------------------------------
# properties and identities
# ---------------------------------------------------------------------------

@check("sce.identity.one-hot", function=SCE, clause="sce.identity.one-hot", kind="property",
       description="integer targets equal their one-hot encoding, with weights and label smoothing")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        onehot = np.zeros(z.shape)
        onehot[np.arange(z.shape[0]), target] = 1.0
        a, call = _call(ctx, fn, SCE, (z, target), kwargs)
        b, call_b = _call(ctx, fn, SCE, (z, onehot), kwargs)
        # two results, each within the budget of the spec's value
        floor, cond = judge(SCE, (z, target), kwargs, np.asarray(a, dtype=float))
        ctx.assert_close(b, a, call=call_b + "  vs  " + call, floor=floor, cond=2 * cond)
    ctx.property(sce_case(soft=False, ignore=False), body)


@check("sce.identity.nll-log-softmax", function=SCE, clause="sce.identity.nll-log-softmax", kind="property",
       description="nll_loss(log_softmax(z), y) equals softmax_cross_entropy(z, y) (weights, ignore_index)",
       needs=("nll_loss", "log_softmax"))
def _(fn, ctx):
    nll = ctx.impl("nll_loss")
    lsm = ctx.impl("log_softmax")

    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        a, call = _call(ctx, fn, SCE, (z, target), kwargs)
        lp = np.asarray(lsm(z), dtype=np.float64) if z.size else z
        b, call_b = _call(ctx, nll, NLL, (lp, target), kwargs)
        floor, cond = judge(SCE, (z, target), kwargs, np.asarray(a, dtype=float))
        ctx.assert_close(b, a, call=f"{call_b} with log_probs = log_softmax(logits)  vs  {call}",
                         floor=floor, cond=2 * cond)
    ctx.property(sce_case(soft=False, smoothing=False, min_n=1), body)


@check("sce.identity.cce-of-softmax", function=SCE, clause="sce.identity.cce-of-softmax", kind="property",
       description="for finite logits, equals categorical_cross_entropy(softmax(z), target)",
       needs=("categorical_cross_entropy", "softmax"))
def _(fn, ctx):
    cce = ctx.impl("categorical_cross_entropy")
    smx = ctx.impl("softmax")

    def body(case):
        z, target, kwargs = case
        kwargs = _kw(reduction=kwargs["reduction"])
        a, call = _call(ctx, fn, SCE, (z, target), kwargs)
        q = np.asarray(smx(z), dtype=np.float64)
        b, call_b = _call(ctx, cce, CCE, (q, target), kwargs)
        # log of a rounded probability: relative error of q_c becomes absolute error of log q_c,
        # so the budget grows like 1/q on classes with small probability.
        with np.errstate(all="ignore"):
            extra = np.sum(target / np.maximum(q, 1e-300), axis=-1) * 4
        floor, cond = judge(SCE, (z, target), kwargs, np.asarray(a, dtype=float))
        ctx.assert_close(b, a, call=f"{call_b} with probs = softmax(logits)  vs  {call}", floor=floor,
                         cond=2 * cond + float(np.sum(extra)))
    ctx.property(sce_case(soft=True, weights=False, smoothing=False, min_n=1, lo=-10.0, hi=10.0), body)


@check("sce.identity.two-class-sigmoid", function=SCE, clause="sce.identity.two-class-sigmoid", kind="property",
       description="two classes: softmax CE of [a, b] with target p on class 1 equals sigmoid BCE of b - a",
       needs=("sigmoid_binary_cross_entropy",))
def _(fn, ctx):
    sbce = ctx.impl("sigmoid_binary_cross_entropy")

    def body(case):
        a, b, p = case
        z = np.array([[a, b]])
        y = np.array([[1.0 - p, p]])
        got, call = _call(ctx, fn, SCE, (z, y), {"reduction": "none"})
        x = np.array([b - a])
        other, call_b = _call(ctx, sbce, "sigmoid_binary_cross_entropy", (x, np.array([p])), {"reduction": "none"})
        cond = 4 * (abs(a) + abs(b) + 1.0) / max(abs(float(np.asarray(got).ravel()[0])), 1.0)
        ctx.assert_close(np.asarray(other).reshape(1), np.asarray(got).reshape(1),
                         call=f"{call_b}  vs  {call}", floor=1.0, cond=cond)
    ctx.property(st.tuples(_floats(-40, 40), _floats(-40, 40), st.sampled_from([0.0, 1.0, 0.25, 0.5])), body)


@check("sce.property.shift-invariance", function=SCE, clause="sce.property.shift-invariance", kind="property",
       description="adding the same constant to every logit of a row leaves the loss unchanged")
def _(fn, ctx):
    def body(case):
        (z, target, kwargs), shift = case
        kwargs = _kw(**kwargs)
        a, call = _call(ctx, fn, SCE, (z, target), kwargs)
        zs = z + shift
        b, call_b = _call(ctx, fn, SCE, (zs, target), kwargs)
        # both results within their budgets, the shifted one's the larger
        floor, cond = judge(SCE, (zs, target), kwargs, np.asarray(a, dtype=float))
        ctx.assert_close(b, a, call=f"{call_b}  vs  {call}", floor=floor, cond=4 * cond)
    ctx.property(st.tuples(sce_case(min_n=1), _floats(-100.0, 100.0)), body)


@check("sce.property.permutation", function=SCE, clause="sce.property.permutation", kind="property",
       description="permuting the classes (logits, targets and weights together) leaves the loss unchanged")
def _(fn, ctx):
    def body(case):
        (z, target, kwargs), seed = case
        kwargs = _kw(**kwargs)
        c = z.shape[1]
        perm = np.random.default_rng(seed).permutation(c)
        inv = np.argsort(perm)
        a, call = _call(ctx, fn, SCE, (z, target), kwargs)
        kw2 = dict(kwargs)
        if "weight" in kw2:
            kw2["weight"] = kw2["weight"][perm]
        if np.issubdtype(target.dtype, np.integer):
            t2 = np.where((target >= 0) & (target < c), inv[np.clip(target, 0, c - 1)], target)
            ii = kw2.get("ignore_index")
            if ii is not None and 0 <= ii < c:
                kw2["ignore_index"] = int(inv[ii])
            t2 = t2.astype(np.int64)
        else:
            t2 = target[:, perm]
        b, call_b = _call(ctx, fn, SCE, (z[:, perm], t2), kw2)
        floor, cond = judge(SCE, (z, target), kwargs, np.asarray(a, dtype=float))
        ctx.assert_close(b, a, call=f"{call_b}  vs  {call}", floor=floor, cond=4 * cond)
    ctx.property(st.tuples(sce_case(min_n=1), st.integers(0, 2**31)), body)


@check("sce.property.batch-independence", function=SCE, clause="sce.property.batch-independence",
       kind="property", description="with reduction='none' each sample's loss depends only on that sample")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**{**kwargs, "reduction": "none"})
        whole, call = _call(ctx, fn, SCE, (z, target), kwargs)
        whole = np.asarray(whole, dtype=np.float64).reshape(-1)
        for i in range(z.shape[0]):
            one, call_i = _call(ctx, fn, SCE, (z[i:i + 1], target[i:i + 1]), kwargs)
            ctx.assert_close(np.asarray(one, dtype=np.float64).reshape(-1), whole[i:i + 1],
                             call=f"{call_i}  vs  row {i} of {call}", ulps=2, floor=1.0)
    ctx.property(sce_case(reductions=["none"]), body)


@check("sce.property.non-negative", function=SCE, clause="sce.property.non-negative", kind="property",
       description="the loss is >= 0 (or NaN for an empty mean) for every option")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        got, call = _call(ctx, fn, SCE, (z, target), kwargs)
        g = np.asarray(got, dtype=np.float64)
        ctx.assert_true(np.all((g >= 0) | np.isnan(g)), f"negative loss {g.tolist()!r}", call=call)
        if kwargs.get("reduction", "mean") != "mean":
            ctx.assert_true(not np.any(np.isnan(g)), f"NaN loss {g.tolist()!r} for finite input", call=call)
    ctx.property(sce_case(), body)


# ---------------------------------------------------------------------------
# reductions (docs/spec/reductions.md)
# ---------------------------------------------------------------------------

@check("red.sum-of-none.sce", function=SCE, clause="red.sum", kind="property",
       description="reduction='sum' equals the sum of reduction='none'")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**{**kwargs, "reduction": "none"})
        none, call = _call(ctx, fn, SCE, (z, target), kwargs)
        total, call_s = _call(ctx, fn, SCE, (z, target), {**kwargs, "reduction": "sum"})
        with np.errstate(all="ignore"):
            exp = float(np.sum(np.asarray(none, dtype=np.float64)))
        ctx.assert_close(total, exp, call=f"{call_s}  vs  sum of {call}", floor=1.0,
                         cond=_summation_cond(none, exp, "sum"))
    ctx.property(sce_case(), body)


@check("red.none.sce", function=SCE, clause="red.none", kind="property",
       description="reduction='none' returns l_n already multiplied by weight[y_n]")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        w = kwargs.get("weight")
        if w is None:
            w = np.linspace(0.5, 2.0, z.shape[1])
        plain, call = _call(ctx, fn, SCE, (z, target), {"reduction": "none"})
        weighted, call_w = _call(ctx, fn, SCE, (z, target), {"weight": w, "reduction": "none"})
        with np.errstate(all="ignore"):
            exp = np.asarray(plain, dtype=np.float64) * w[target]
        ctx.assert_close(weighted, exp, call=f"{call_w}  vs  weight[target] * {call}", ulps=4, floor=1.0)
    ctx.property(sce_case(soft=False, ignore=False, smoothing=False, min_n=1), body)


@check("red.weights.sce", function=SCE, clause="red.weights.sce", kind="property",
       description="'mean' equals 'sum' / sum(w_n) with w_n = sum_c weight_c y_nc (unsmoothed, 0 if ignored)")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**{**kwargs, "reduction": "sum"})
        total, call = _call(ctx, fn, SCE, (z, target), kwargs)
        mean, call_m = _call(ctx, fn, SCE, (z, target), {**kwargs, "reduction": "mean"})
        _, w_n, _ = _coef(z, target, kwargs.get("weight"), kwargs.get("label_smoothing", 0.0),
                          kwargs.get("ignore_index"))
        denom = float(np.sum(w_n))
        with np.errstate(all="ignore"):
            exp = float(total) / denom if denom != 0 else np.nan
        ctx.assert_close(mean, exp, call=f"{call_m}  vs  ({call}) / {denom!r}", ulps=16, floor=1.0,
                         cond=4.0 * max(w_n.size, 1))
    ctx.property(sce_case(), body)


@check("red.mean-empty.sce", function=SCE, clause="red.mean-empty", kind="special",
       description="an empty batch: mean NaN, sum 0, none an empty array")
def _(fn, ctx):
    z = np.zeros((0, 3))
    y = np.zeros((0,), dtype=np.int64)
    for red, exp in (("mean", np.nan), ("sum", 0.0), ("none", np.zeros((0,)))):
        got, call = _call(ctx, fn, SCE, (z, y), {"reduction": red})
        ctx.assert_close(got, exp, call=call, floor=1.0)


@check("red.weights.nll", function=NLL, clause="red.weights.nll", kind="property",
       description="nll 'mean' equals 'sum' / sum(weight[y_n]) over counted samples")
def _(fn, ctx):
    def body(case):
        lp, target, kwargs = case
        kwargs = _kw(**{**kwargs, "reduction": "sum"})
        total, call = _call(ctx, fn, NLL, (lp, target), kwargs)
        mean, call_m = _call(ctx, fn, NLL, (lp, target), {**kwargs, "reduction": "mean"})
        w = kwargs.get("weight")
        ii = kwargs.get("ignore_index")
        keep = np.ones(target.shape, bool) if ii is None else target != ii
        w_n = np.where(keep, 1.0 if w is None else w[np.where(keep, target, 0)], 0.0)
        denom = float(np.sum(w_n))
        with np.errstate(all="ignore"):
            exp = float(total) / denom if denom != 0 else np.nan
        ctx.assert_close(mean, exp, call=f"{call_m}  vs  ({call}) / {denom!r}", floor=1.0,
                         cond=4.0 * max(w_n.size, 1))
    ctx.property(nll_case(), body)


@check("red.mean-empty.nll", function=NLL, clause="red.mean-empty", kind="special",
       description="nll_loss of an empty batch: mean NaN, sum 0")
def _(fn, ctx):
    lp = np.zeros((0, 3))
    y = np.zeros((0,), dtype=np.int64)
    for red, exp in (("mean", np.nan), ("sum", 0.0)):
        got, call = _call(ctx, fn, NLL, (lp, y), {"reduction": red})
        ctx.assert_close(got, exp, call=call, floor=1.0)


@check("red.weights.cce", function=CCE, clause="red.weights.cce", kind="property",
       description="categorical CE 'mean' is the plain mean of 'none' (w_n = 1)")
def _(fn, ctx):
    def body(case):
        q, t, kwargs = case
        kwargs = {**kwargs, "reduction": "none"}
        none, call = _call(ctx, fn, CCE, (q, t), kwargs)
        mean, call_m = _call(ctx, fn, CCE, (q, t), {**kwargs, "reduction": "mean"})
        v = np.asarray(none, dtype=np.float64)
        with np.errstate(all="ignore"):
            exp = float(np.mean(v)) if v.size else np.nan
        ctx.assert_close(mean, exp, call=f"{call_m}  vs  mean of {call}", floor=1.0,
                         cond=_summation_cond(v, exp, "mean"))
    ctx.property(cce_case(), body)


def _summation_cond(values, expected, reduction):
    """The summation's share of the budget when a reduction of the target's own
    per-sample values ``values`` is the expected value (the terms are exact)."""
    v = np.asarray(values, dtype=np.float64)
    return reduced_cond(np.zeros(v.shape), v, expected, reduction)


def _mean_is_sum_over(ctx, fn, name, args, kwargs, denom):
    total, call = _call(ctx, fn, name, args, {**kwargs, "reduction": "sum"})
    mean, call_m = _call(ctx, fn, name, args, {**kwargs, "reduction": "mean"})
    none, call_n = _call(ctx, fn, name, args, {**kwargs, "reduction": "none"})
    with np.errstate(all="ignore"):
        s = float(np.sum(np.asarray(none, dtype=np.float64)))
        m = np.float64(total) / denom
    ctx.assert_close(total, s, call=f"{call}  vs  sum of {call_n}", floor=1.0, cond=_summation_cond(none, s, "sum"))
    ctx.assert_close(mean, m, call=f"{call_m}  vs  ({call}) / {denom!r}", floor=1.0,
                     cond=8.0)


@check("red.weights.bce", function="binary_cross_entropy", clause="red.weights.bce", kind="property",
       description="binary CE: 'mean' = 'sum' / sum(weight broadcast to the target), 'sum' = sum of 'none'")
def _(fn, ctx):
    p = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    w = np.array([0.5, 2.0, 1.0])
    _mean_is_sum_over(ctx, fn, "binary_cross_entropy", (p, y), {"weight": w}, float(np.sum(np.broadcast_to(w, y.shape))))
    _mean_is_sum_over(ctx, fn, "binary_cross_entropy", (p, y), {}, float(y.size))


@check("red.weights.sbce", function="sigmoid_binary_cross_entropy", clause="red.weights.sbce", kind="property",
       description="sigmoid BCE: 'mean' = 'sum' / sum(weight); pos_weight does not enter w_n")
def _(fn, ctx):
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    w = np.array([[0.5], [2.0]])
    _mean_is_sum_over(ctx, fn, "sigmoid_binary_cross_entropy", (x, y), {"weight": w},
                      float(np.sum(np.broadcast_to(w, y.shape))))
    _mean_is_sum_over(ctx, fn, "sigmoid_binary_cross_entropy", (x, y), {"pos_weight": np.array([3.0, 1.0, 0.5])},
                      float(y.size))


@check("red.weights.focal", function="focal_loss", clause="red.weights.focal", kind="property",
       description="softmax focal loss: alpha is not a sample weight; 'mean' = 'sum' / N")
def _(fn, ctx):
    z = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    y = np.array([0, 1])
    _mean_is_sum_over(ctx, fn, "focal_loss", (z, y), {"alpha": np.array([0.25, 0.5, 2.0])}, 2.0)


@check("red.weights.sfocal", function="sigmoid_focal_loss", clause="red.weights.sfocal", kind="property",
       description="sigmoid focal loss: 'mean' = 'sum' / number of elements, alpha or not")
def _(fn, ctx):
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    _mean_is_sum_over(ctx, fn, "sigmoid_focal_loss", (x, y), {"alpha": 0.25}, float(y.size))


@check("red.weights.regression", function="mean_squared_error", clause="red.weights.regression", kind="property",
       description="regression losses are element-wise with w_n = 1: 'mean' = 'sum' / number of elements",
       needs=("mean_absolute_error", "huber_loss", "smooth_l1_loss"))
def _(fn, ctx):
    a = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    b = np.array([[0.0, 1.0, 2.5], [1.0, 0.0, 0.25]])
    _mean_is_sum_over(ctx, fn, "mean_squared_error", (a, b), {}, float(a.size))
    for name in ("mean_absolute_error", "huber_loss", "smooth_l1_loss"):
        _mean_is_sum_over(ctx, ctx.impl(name), name, (a, b), {}, float(a.size))


@check("red.weights.ctc", function="ctc_loss", clause="red.weights.ctc", kind="property",
       description="CTC: 'mean' is the plain mean over the batch (w_n = 1, no division by target length)")
def _(fn, ctx):
    rng = np.random.default_rng(7)
    z = rng.normal(size=(2, 4, 3))
    lp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    targets = np.array([[1, 2], [2, 0]], dtype=np.int64)
    _mean_is_sum_over(ctx, fn, "ctc_loss", (lp, targets, np.array([4, 4]), np.array([2, 1])), {}, 2.0)


@check("red.gradient.sce", function=SCE + "_grad", clause="red.gradient", kind="gradient",
       description="grad under 'none' (stacked per-sample gradients) = grad under 'sum'; 'mean' = 'sum' / sum(w_n)")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**{**kwargs, "reduction": "sum"})
        g_sum, call = _call(ctx, fn, SCE + "_grad", (z, target), kwargs)
        g_none, call_n = _call(ctx, fn, SCE + "_grad", (z, target), {**kwargs, "reduction": "none"})
        g_mean, call_m = _call(ctx, fn, SCE + "_grad", (z, target), {**kwargs, "reduction": "mean"})
        ctx.assert_close(g_none, np.asarray(g_sum, dtype=np.float64), call=f"{call_n}  vs  {call}", ulps=2, floor=1.0)
        _, w_n, _ = _coef(z, target, kwargs.get("weight"), kwargs.get("label_smoothing", 0.0),
                          kwargs.get("ignore_index"))
        denom = float(np.sum(w_n))
        if denom > 0:
            with np.errstate(all="ignore"):
                expected = np.asarray(g_sum, dtype=np.float64) / denom
            ctx.assert_close(g_mean, expected,
                             call=f"{call_m}  vs  ({call}) / {denom!r}", ulps=4, floor=1.0 / denom)
    ctx.property(sce_case(min_n=1), body)


@check("red.gradient.nll", function=NLL + "_grad", clause="red.gradient", kind="gradient",
       description="nll grad under 'mean' = grad under 'sum' / sum(weight[y_n])")
def _(fn, ctx):
    lp = np.log(np.array([[0.25, 0.75], [0.5, 0.5], [0.9, 0.1]]))
    y = np.array([1, -100, 0])
    kw = {"weight": np.array([2.0, 0.5]), "ignore_index": -100}
    # -weight[y_n] at the target entry; the ignored sample and the mean's sum(w_n) = 2.5
    exp = np.array([[0.0, -0.5], [0.0, 0.0], [-2.0, 0.0]])

    def body(reduction):
        kwargs = {**kw, "reduction": reduction}
        got, call = _call(ctx, fn, NLL + "_grad", (lp, y), kwargs)
        ctx.expect(NLL + "_grad", (lp, y), kwargs, got, exp / 2.5 if reduction == "mean" else exp, call=call)
    ctx.subcases(("sum", "none", "mean"), body)


# ---------------------------------------------------------------------------
# gradients: each against the spec's gradient (closed forms, the reference)
# ---------------------------------------------------------------------------

@check("sce.gradient.closed-form", function=SCE + "_grad", clause="sce.gradient", kind="gradient",
       description="softmax(z) - onehot for one sample; (sum weight*t) softmax - weight*t in general")
def _(fn, ctx):
    z = np.array([[1.0, 2.0, 3.0]])
    e = np.exp(z - 3.0)
    p = e / e.sum()
    coef = np.array([2.0, 1.0, 0.5]) * np.array([0.5, 0.0, 0.5])
    cases = [((z, np.array([0])), {}, p - np.array([[1.0, 0.0, 0.0]])),
             ((z, np.array([[0.5, 0.0, 0.5]])), {"weight": np.array([2.0, 1.0, 0.5]), "reduction": "sum"},
              coef.sum() * p - coef),
             ((np.array([[INF, 0.0]]), np.array([0])), {}, np.array([[0.0, 0.0]]))]

    def body(case):
        args, kwargs, expected = case
        got, call = _call(ctx, fn, SCE + "_grad", args, kwargs)
        ctx.expect(SCE + "_grad", args, kwargs, got, expected, call=call)
    ctx.subcases(cases, body)


@check("sce.gradient.value", function=SCE + "_grad", clause="sce.gradient", kind="gradient",
       description="matches the reference gradient over the option product (fixed, then random)")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree(ctx, fn, SCE + "_grad", (z, target), kwargs)
    ctx.subcases(_option_product(), body)
    ctx.property(sce_case(), body)


@check("nll.gradient.value", function=NLL + "_grad", clause="nll.gradient", kind="gradient",
       description="-weight[y_n] at the target entry (times the reduction scale), 0 elsewhere and when ignored")
def _(fn, ctx):
    def body(case):
        lp, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree(ctx, fn, NLL + "_grad", (lp, target), kwargs)
    ctx.subcases(_nll_option_product(), body)
    ctx.property(nll_case(), body)


@check("cce.gradient.value", function=CCE + "_grad", clause="cce.gradient", kind="gradient",
       description="-t / (q + eps), 0 where t == 0, times the reduction scale")
def _(fn, ctx):
    def body(case):
        q, t, kwargs = case
        _agree(ctx, fn, CCE + "_grad", (q, t), kwargs)
    ctx.property(cce_case(), body)


# ---------------------------------------------------------------------------
# dtype: float32 input against the float64 value of the same numbers
# ---------------------------------------------------------------------------

@check("sce.dtype.float32", function=SCE, clause="sce.accuracy", kind="dtype",
       description="float32 logits: within float32 ulps of the float64 loss of the same (float32) input")
def _(fn, ctx):
    def body(case):
        z, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree32(ctx, fn, SCE, (z, target), kwargs)
    ctx.property(sce_case(), body)


@check("nll.dtype.float32", function=NLL, clause="nll.accuracy", kind="dtype",
       description="float32 log-probabilities: within float32 ulps of the float64 result")
def _(fn, ctx):
    def body(case):
        lp, target, kwargs = case
        kwargs = _kw(**kwargs)
        _agree32(ctx, fn, NLL, (lp, target), kwargs)
    ctx.property(nll_case(), body)


@check("cce.dtype.float32", function=CCE, clause="cce.accuracy", kind="dtype",
       description="float32 probabilities: within float32 ulps of the float64 result")
def _(fn, ctx):
    def body(case):
        q, t, kwargs = case
        _agree32(ctx, fn, CCE, (q, t), kwargs)
    ctx.property(cce_case(), body)

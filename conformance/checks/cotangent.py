"""Cotangents: ``NAME_grad(..., cotangent=c)`` is the vector-Jacobian product
(clause ``red.gradient.cotangent`` of ``docs/spec/reductions.md``).

One check per gradient of the contract, ``<NAME>_grad.cotangent``: hypothesis
draws small inputs over the function's options and every reduction, and a
signed cotangent of the result's shape with some exact zeros; the target's
gradient with that cotangent is compared with the reference's gradient with
the same cotangent.  A gradient that ignores its cotangent, averages it over
the samples or applies it twice is far outside any rounding budget.

Budgets: the gradient's own budget where its family registered one
(:func:`conformance.budgets.judge`, evaluated without the cotangent), else the
floors of the family's gradient checks; either way the floor (the magnitude
below which error is absolute) grows with the largest ``|c|``.  Inputs stay
where every gradient is finite (probabilities away from 0 and 1, feasible CTC
alignments), so no check here depends on what ``0 * inf`` gives.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance import budgets
from conformance.checks._common import call as _call
from conformance.registry import Failure, check
from conformance.spec import FUNCTIONS

CLAUSE = "red.gradient.cotangent"
REDUCTIONS = st.sampled_from(("none", "sum", "mean"))


# ---------------------------------------------------------------------------
# input strategies: ``(args, kwargs)`` of the loss (without the cotangent)
# ---------------------------------------------------------------------------

#: Hypothesis draws the sizes and options; the numbers come from numpy seeded by
#: one drawn integer, which keeps an example to a few draws (about 0.2 s per check).
_SEEDS = st.integers(0, 2**32 - 1)


def _uniform(rng, shape, lo, hi):
    return rng.uniform(lo, hi, size=shape)


def _normalised(a):
    return a / np.sum(a, axis=-1, keepdims=True)


def _indices(rng, n, c):
    return rng.integers(0, c, size=n).astype(np.int64)


_SIZES = st.tuples(st.integers(1, 4), st.integers(2, 4))


@st.composite
def _class_case(draw, *, log_probs=False, soft=True, smoothing=True, ignore=True, weight=True):
    rng = np.random.default_rng(draw(_SEEDS))
    n, c = draw(_SIZES)
    z = _uniform(rng, (n, c), -4.0, 4.0)
    if log_probs:  # log-probabilities of a softmax, as a user passes them
        m = z.max(axis=-1, keepdims=True)
        z = (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    kwargs = {"reduction": draw(REDUCTIONS)}
    if weight and draw(st.booleans()):
        kwargs["weight"] = _uniform(rng, (c,), 0.25, 2.0)
    if soft and draw(st.booleans()):
        target = _normalised(_uniform(rng, (n, c), 0.05, 1.0))
    else:
        target = _indices(rng, n, c)
        if ignore and draw(st.booleans()):
            kwargs["ignore_index"] = draw(st.sampled_from([0, c - 1, -100]))
    if smoothing and draw(st.booleans()):
        kwargs["label_smoothing"] = draw(st.sampled_from([0.1, 0.25]))
    return (z, target), kwargs


@st.composite
def _cce_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    n, c = draw(_SIZES)
    q = _normalised(_uniform(rng, (n, c), 0.05, 1.0))
    if draw(st.booleans()):
        t = _normalised(_uniform(rng, (n, c), 0.0, 1.0) + 1e-3)
    else:
        t = np.eye(c)[_indices(rng, n, c)]
    return (q, t), {"reduction": draw(REDUCTIONS), "eps": draw(st.sampled_from([0.0, 1e-3]))}


@st.composite
def _focal_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    n, c = draw(_SIZES)
    z = _uniform(rng, (n, c), -4.0, 4.0)
    target = _normalised(_uniform(rng, (n, c), 0.05, 1.0)) if draw(st.booleans()) else _indices(rng, n, c)
    kwargs = {"reduction": draw(REDUCTIONS), "gamma": draw(st.sampled_from([0.0, 0.5, 2.0]))}
    alpha = draw(st.sampled_from(["none", "scalar", "per-class"]))
    if alpha == "scalar":
        kwargs["alpha"] = 0.25
    elif alpha == "per-class":
        kwargs["alpha"] = _uniform(rng, (c,), 0.1, 1.0)
    return (z, target), kwargs


def _elementwise_shape():
    return st.sampled_from([(3,), (2, 3), (1, 4), (4, 2)])


@st.composite
def _bce_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(_elementwise_shape())
    p = _uniform(rng, shape, 0.02, 0.98)
    y = _uniform(rng, shape, 0.0, 1.0) if draw(st.booleans()) else (_uniform(rng, shape, 0.0, 1.0) > 0.5) * 1.0
    kwargs = {"reduction": draw(REDUCTIONS), "eps": draw(st.sampled_from([0.0, 1e-3]))}
    if draw(st.booleans()):
        kwargs["weight"] = _uniform(rng, shape, 0.25, 2.0)
    return (p, y), kwargs


@st.composite
def _sbce_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(_elementwise_shape())
    x = _uniform(rng, shape, -6.0, 6.0)
    y = _uniform(rng, shape, 0.0, 1.0)
    kwargs = {"reduction": draw(REDUCTIONS)}
    if draw(st.booleans()):
        kwargs["weight"] = _uniform(rng, shape, 0.25, 2.0)
    if draw(st.booleans()):
        kwargs["pos_weight"] = _uniform(rng, shape[-1:], 0.5, 3.0)
    return (x, y), kwargs


@st.composite
def _sfocal_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(_elementwise_shape())
    x = _uniform(rng, shape, -6.0, 6.0)
    y = (_uniform(rng, shape, 0.0, 1.0) > 0.5) * 1.0 if draw(st.booleans()) else _uniform(rng, shape, 0.0, 1.0)
    kwargs = {"reduction": draw(REDUCTIONS), "gamma": draw(st.sampled_from([0.0, 0.5, 2.0]))}
    if draw(st.booleans()):
        kwargs["alpha"] = 0.25
    return (x, y), kwargs


@st.composite
def _regression_case(draw, option=None, values=()):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(_elementwise_shape())
    pred, target = _uniform(rng, shape, -3.0, 3.0), _uniform(rng, shape, -3.0, 3.0)
    kwargs = {} if option == "rmse" else {"reduction": draw(REDUCTIONS)}
    if option not in (None, "rmse"):
        kwargs[option] = draw(st.sampled_from(values))
    return (pred, target), kwargs


@st.composite
def _distribution_case(draw, n_args, *, wrt=False, eps=False):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(st.sampled_from([(3,), (2, 3), (3, 2), (1, 4)]))
    args = tuple(_normalised(_uniform(rng, shape, 0.05, 1.0)) for _ in range(n_args))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["base"] = 2.0
    if eps and draw(st.booleans()):
        kwargs["eps"] = 1e-3
    if wrt and draw(st.booleans()):
        kwargs["wrt"] = "q"
    return args, kwargs


@st.composite
def _logsumexp_case(draw):
    rng = np.random.default_rng(draw(_SEEDS))
    shape = draw(st.sampled_from([(3,), (2, 3), (4, 2)]))
    return (_uniform(rng, shape, -5.0, 5.0),), {}


@st.composite
def _ctc_case(draw):
    """Feasible alignments only: each label sequence fits its input length
    (a repeated label needs a blank between its copies)."""
    rng = np.random.default_rng(draw(_SEEDS))
    n, t, c = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(2, 4))
    blank = draw(st.sampled_from([0, c - 1]))
    labels = [k for k in range(c) if k != blank]
    z = _uniform(rng, (n, t, c), -3.0, 3.0)
    m = z.max(axis=-1, keepdims=True)
    lp = (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    s = max(1, (t + 1) // 2)
    targets = rng.choice(np.array(labels, dtype=np.int64), size=(n, s))
    il = rng.integers(1, t + 1, size=n).astype(np.int64)
    tl = np.zeros(n, dtype=np.int64)
    for i in range(n):
        want = int(rng.integers(0, s + 1))
        while want > 0:
            row = targets[i, :want]
            if want + int(np.sum(row[1:] == row[:-1])) <= il[i]:
                break
            want -= 1
        tl[i] = want
    kwargs = {"reduction": draw(REDUCTIONS), "blank": blank}
    if draw(st.booleans()):
        kwargs["zero_infinity"] = True
    return (lp, targets, il, tl), kwargs


@st.composite
def _lce_case(draw):
    """Tokens ``(N, H)`` or one token ``(H,)``, a bias or none, and the gradient's ``wrt``."""
    rng = np.random.default_rng(draw(_SEEDS))
    n, c, h = draw(st.integers(1, 4)), draw(st.integers(2, 5)), draw(st.integers(1, 4))
    x = _uniform(rng, (n, h) if draw(st.booleans()) else (h,), -2.0, 2.0)
    w = _uniform(rng, (c, h), -1.0, 1.0)
    target = _indices(rng, int(np.prod(x.shape[:-1])), c).reshape(x.shape[:-1])
    kwargs = {"reduction": draw(REDUCTIONS), "wrt": draw(st.sampled_from(["input", "linear_weight", "linear_bias"]))}
    if kwargs["wrt"] == "linear_bias" or draw(st.booleans()):
        kwargs["linear_bias"] = _uniform(rng, (c,), -1.0, 1.0)
    if draw(st.booleans()):
        kwargs["label_smoothing"] = 0.1
    return (x, w, target), kwargs


# ---------------------------------------------------------------------------
# floors of the gradients that have no registered budget (as their family checks)
# ---------------------------------------------------------------------------

def _mean_factor(kwargs, count):
    return 1.0 / count if kwargs.get("reduction", "mean") == "mean" and count else 1.0


def _weights(kwargs, shape):
    w = kwargs.get("weight")
    return np.ones(shape) if w is None else np.broadcast_to(np.asarray(w, dtype=np.float64), shape)


def _bce_floor(args, kwargs):
    p, y = args
    w = _weights(kwargs, y.shape)
    eps = kwargs.get("eps", 0.0)
    scale = 1.0 / np.sum(w) if kwargs.get("reduction", "mean") == "mean" else 1.0
    return w * scale * (y / (p + eps) + (1 - y) / (1 - p + eps)), 1.0


def _sbce_floor(args, kwargs):
    x, y = args
    w = _weights(kwargs, y.shape)
    pw = kwargs.get("pos_weight")
    pwb = 1.0 if pw is None else np.broadcast_to(pw, y.shape)
    scale = 1.0 / np.sum(w) if kwargs.get("reduction", "mean") == "mean" else 1.0
    return w * scale * (1.0 + (pwb + 1.0) * y), 1.0


def _focal_floor(args, kwargs):
    z = args[0]
    alpha = kwargs.get("alpha")
    a = 1.0 if alpha is None else float(np.max(alpha))
    return (a + 1.0) * (1.0 + kwargs.get("gamma", 2.0)) * _mean_factor(kwargs, z.shape[0]), 2.0


def _sfocal_floor(args, kwargs):
    x, y = args
    ce = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))  # bounds either term of the loss
    return (1.0 + kwargs.get("gamma", 2.0) * (1.0 + ce)) * _mean_factor(kwargs, x.size), 2.0


def _distribution_floor(args, kwargs):
    # log p, log q and p / q of probabilities at least 0.05 / 4: a few units
    return 1.0, 8.0


def _ctc_floor(args, kwargs):
    lp = args[0]
    n, t, c = lp.shape
    # the posteriors sum rounded state probabilities over t frames and 2S + 1 states
    return _mean_factor(kwargs, n), float(t * (2 * args[1].shape[1] + 1))


# ---------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------

#: gradient -> (strategy, fallback floor rule, examples as a share of --max-examples)
SPECS = {
    "logsumexp_grad": (_logsumexp_case(), None, 1.0),
    "entropy_grad": (_distribution_case(1), _distribution_floor, 1.0),
    "cross_entropy_grad": (_distribution_case(2, wrt=True, eps=True), _distribution_floor, 1.0),
    "kl_divergence_grad": (_distribution_case(2, wrt=True), _distribution_floor, 1.0),
    "softmax_cross_entropy_grad": (_class_case(), None, 1.0),
    "nll_loss_grad": (_class_case(log_probs=True, soft=False, smoothing=False), None, 1.0),
    "categorical_cross_entropy_grad": (_cce_case(), None, 1.0),
    "binary_cross_entropy_grad": (_bce_case(), _bce_floor, 1.0),
    "sigmoid_binary_cross_entropy_grad": (_sbce_case(), _sbce_floor, 1.0),
    "focal_loss_grad": (_focal_case(), _focal_floor, 1.0),
    "sigmoid_focal_loss_grad": (_sfocal_case(), _sfocal_floor, 1.0),
    "mean_absolute_error_grad": (_regression_case(), None, 1.0),
    "mean_squared_error_grad": (_regression_case(), None, 1.0),
    "root_mean_squared_error_grad": (_regression_case("rmse"), None, 1.0),
    "huber_loss_grad": (_regression_case("delta", (0.5, 1.0, 2.0)), None, 1.0),
    "smooth_l1_loss_grad": (_regression_case("beta", (0.5, 1.0)), None, 1.0),
    "ctc_loss_grad": (_ctc_case(), _ctc_floor, 0.4),  # each reference call runs a forward-backward
    "linear_cross_entropy_grad": (_lce_case(), None, 1.0),
}

def _cotangent(rng, shape):
    """Signed entries of size 1/4 to 2, about a quarter of them exactly 0 (a
    float for a scalar result, as a user passes it)."""
    c = rng.uniform(0.25, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    c = np.where(rng.uniform(size=shape) < 0.25, 0.0, c)
    return float(c) if np.ndim(c) == 0 else c


def _value_kwargs(kwargs):
    """The loss's own keywords (``wrt`` belongs to the gradient only)."""
    return {k: v for k, v in kwargs.items() if k != "wrt"}


def _budget(reference, name, args, kwargs):
    """``(floor, cond)`` of the gradient without a cotangent (see the module docstring)."""
    if name in budgets.CONDITIONS:
        with np.errstate(all="ignore"):
            plain = getattr(reference, name)(*args, **kwargs)
        return budgets.judge(name, args, kwargs, plain)
    floor, cond = SPECS[name][1](args, kwargs)
    with np.errstate(all="ignore"):
        floor = np.asarray(floor, dtype=np.float64)
        floor = np.where(np.isfinite(floor), floor, 0.0)
    return (float(np.max(floor)) if floor.size else 1.0), cond


def _register(name):
    strategy, _, share = SPECS[name]
    loss = name[:-len("_grad")]

    @check(f"{name}.cotangent", function=name, clause=CLAUSE, kind="gradient",
           description="with a signed cotangent of the result's shape (some entries 0) the gradient is the "
                       "reference's vector-Jacobian product, every reduction and option drawn")
    def _(fn, ctx):
        def body(case):
            (args, kwargs), seed = case
            shape = np.shape(getattr(ctx.reference, loss)(*args, **_value_kwargs(kwargs)))
            cotangent = _cotangent(np.random.default_rng(seed), shape)
            with np.errstate(all="ignore"):
                expected = getattr(ctx.reference, name)(*args, **kwargs, cotangent=cotangent)
            try:
                got, call = _call(ctx, fn, name, args, {**kwargs, "cotangent": cotangent})
            except TypeError as exc:
                if "cotangent" not in str(exc):
                    raise
                raise Failure(f"{name} does not accept the keyword argument cotangent (the output gradient "
                              f"of the vector-Jacobian product, {CLAUSE}): {exc}") from None
            floor, cond = _budget(ctx.reference, name, args, kwargs)
            c_max = float(np.max(np.abs(cotangent))) if np.size(cotangent) else 0.0
            # a floor (absolute judging) scales with the cotangent; 0 (relative judging) stays 0
            floor = np.asarray(floor, dtype=np.float64) * max(c_max, budgets.TINY)
            ctx.assert_close(got, expected, call=call, floor=floor, cond=cond,
                             what=f"gradient with cotangent ({CLAUSE})")

        examples = max(1, int(round(ctx.max_examples * share)))
        ctx.property(st.tuples(strategy, _SEEDS), body, max_examples=examples)


for _name in SPECS:
    _register(_name)

assert set(SPECS) == {f for f in FUNCTIONS if f.endswith("_grad")}, "a contract gradient has no cotangent check"

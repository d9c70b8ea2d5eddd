"""``NAME_grad(..., cotangent=c)`` is the vector-Jacobian product
(``docs/spec/reductions.md``, clause ``red.gradient.cotangent``).

For every gradient and a few small inputs per option set:

* the result equals central differences of ``sum(c * NAME(...))`` with respect
  to the differentiated argument (an independent derivation of the product);
* it equals the cotangent-weighted combination of the per-sample gradients
  (``reduction="none"`` without a cotangent), entry by entry;
* ``cotangent=None`` and a cotangent of ones give the same bits;
* a zero entry gives 0 where its sample's gradient is infinite, NaN propagates.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import reference as R
from tests._numeric import central_diff

REDUCTIONS = ("none", "sum", "mean")


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _signed_cotangent(rng, shape):
    """Signed values of size about 1, with some zeros (the first entry is 0
    when there are several)."""
    c = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    c = np.where(rng.uniform(size=shape) < 0.25, 0.0, c)
    if c.ndim and c.size > 1:
        c.flat[0] = 0.0
    return np.asarray(c, dtype=np.float64)


# ---------------------------------------------------------------------------
# the cases: (name, args, kwargs, index of the differentiated argument)
# ---------------------------------------------------------------------------

def _classification_cases():
    out = []
    rng = np.random.default_rng(11)
    z = rng.normal(size=(4, 3)) * 1.5
    idx = np.array([0, 2, 1, 2])
    soft = rng.dirichlet(np.ones(3), size=4)
    w = np.array([0.5, 2.0, 1.25])
    for red in REDUCTIONS:
        for kw in ({}, {"weight": w}, {"ignore_index": 2}, {"ignore_index": 1, "weight": w},
                   {"label_smoothing": 0.2}, {"label_smoothing": 0.1, "weight": w, "ignore_index": 0}):
            out.append(("softmax_cross_entropy", (z, idx), {**kw, "reduction": red}, 0))
        out.append(("softmax_cross_entropy", (z, soft), {"weight": w, "label_smoothing": 0.3, "reduction": red}, 0))
        out.append(("softmax_cross_entropy", (z.T, soft.T), {"axis": 0, "reduction": red}, 0))
        lp = R.log_softmax(z)
        for kw in ({}, {"weight": w}, {"ignore_index": 1, "weight": w}, {"ignore_index": -100}):
            out.append(("nll_loss", (lp, idx), {**kw, "reduction": red}, 0))
        q = rng.dirichlet(np.ones(3) * 3, size=4)
        out.append(("categorical_cross_entropy", (q, soft), {"reduction": red}, 0))
        out.append(("categorical_cross_entropy", (q, soft), {"eps": 0.01, "reduction": red}, 0))
        for kw in ({}, {"gamma": 0.5, "alpha": w / 2}, {"gamma": 0.0, "alpha": 0.25}):
            out.append(("focal_loss", (z, idx), {**kw, "reduction": red}, 0))
        out.append(("focal_loss", (z, soft), {"gamma": 1.5, "reduction": red}, 0))
    return out


def _elementwise_cases():
    out = []
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3, 4)) * 2
    y = rng.uniform(size=(3, 4))
    y01 = (rng.uniform(size=(3, 4)) < 0.5).astype(np.float64)
    p = rng.uniform(0.1, 0.9, size=(3, 4))
    w = rng.uniform(0.2, 2.0, size=(3, 4))
    pw = np.array([0.5, 1.0, 2.0, 3.0])
    pred = rng.normal(size=(3, 4)) * 2
    for red in REDUCTIONS:
        out.append(("binary_cross_entropy", (p, y), {"reduction": red}, 0))
        out.append(("binary_cross_entropy", (p, y01), {"weight": w, "eps": 1e-3, "reduction": red}, 0))
        out.append(("sigmoid_binary_cross_entropy", (x, y), {"reduction": red}, 0))
        out.append(("sigmoid_binary_cross_entropy", (x, y01), {"weight": w, "pos_weight": pw, "reduction": red}, 0))
        out.append(("sigmoid_focal_loss", (x, y01), {"reduction": red}, 0))
        out.append(("sigmoid_focal_loss", (x, y), {"gamma": 0.5, "alpha": 0.25, "reduction": red}, 0))
        out.append(("mean_absolute_error", (pred, y), {"reduction": red}, 0))
        out.append(("mean_squared_error", (pred, y), {"reduction": red}, 0))
        out.append(("huber_loss", (pred, y), {"delta": 0.7, "reduction": red}, 0))
        out.append(("smooth_l1_loss", (pred, y), {"beta": 0.9, "reduction": red}, 0))
    out.append(("root_mean_squared_error", (pred, y), {}, 0))
    return out


def _distribution_cases():
    out = []
    rng = np.random.default_rng(13)
    p = rng.dirichlet(np.ones(4) * 2, size=3)
    q = rng.dirichlet(np.ones(4) * 2, size=3)
    z = rng.normal(size=(3, 4))
    for pp, qq, kw in ((p, q, {}), (p[0], q[0], {}), (p.T, q.T, {"axis": 0})):
        out.append(("entropy", (pp,), {**kw, "base": 2}, 0))
        out.append(("cross_entropy", (pp, qq), kw, 0))
        out.append(("cross_entropy", (pp, qq), {**kw, "eps": 0.01, "wrt": "q"}, 1))
        out.append(("kl_divergence", (pp, qq), kw, 0))
        out.append(("kl_divergence", (pp, qq), {**kw, "wrt": "q"}, 1))
    out.append(("logsumexp", (z,), {}, 0))
    out.append(("logsumexp", (z[0],), {}, 0))
    out.append(("logsumexp", (z.T,), {"axis": 0}, 0))
    return out


def _ctc_cases():
    out = []
    rng = np.random.default_rng(14)
    lp = R.log_softmax(rng.normal(size=(3, 5, 4)) * 2)
    targets = np.array([[1, 2, 3], [2, 2, 0], [3, 1, 1]])
    for red in REDUCTIONS:
        out.append(("ctc_loss", (lp, targets, np.array([5, 4, 5]), np.array([3, 2, 1])), {"reduction": red}, 0))
        out.append(("ctc_loss", (lp, targets, np.array([5, 4, 3]), np.array([2, 1, 2])),
                    {"blank": 0, "reduction": red}, 0))
        # row 1 cannot be aligned (3 labels need 4 frames with the repeat): 0 with zero_infinity
        out.append(("ctc_loss", (lp, np.array([[1, 2, 3], [2, 2, 1], [3, 1, 1]]), np.array([5, 3, 5]),
                                 np.array([3, 3, 1])), {"zero_infinity": True, "reduction": red}, 0))
        out.append(("ctc_loss", (lp, np.array([[0, 1, 2], [1, 1, 0], [2, 0, 0]]), np.array([5, 5, 4]),
                                 np.array([2, 2, 3])), {"blank": 3, "reduction": red}, 0))
    return out


CASES = _classification_cases() + _elementwise_cases() + _distribution_cases() + _ctc_cases()


def _case_id(case):
    name, args, kwargs, wrt = case
    shown = ",".join(f"{k}={v if np.ndim(v) == 0 else 'arr'}" for k, v in kwargs.items())
    return f"{name}[{shown}|{np.shape(args[0])}]"


def _call_with(args, wrt, x):
    args = list(args)
    args[wrt] = x
    return args


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_cotangent_is_the_vjp_of_the_value(case):
    """The gradient with a cotangent is the gradient of ``sum(c * NAME(...))``:
    central differences of the value, not of the gradient."""
    name, args, kwargs, wrt = case
    loss, grad = getattr(R, name), getattr(R, name + "_grad")
    value_kwargs = {k: v for k, v in kwargs.items() if k != "wrt"}
    with np.errstate(all="ignore"):
        result = np.asarray(loss(*args, **value_kwargs))
    c = _signed_cotangent(_rng(_case_id(case)), result.shape)
    got = grad(*args, **kwargs, cotangent=c)
    x = np.array(args[wrt], dtype=np.float64)

    def objective(xv):
        with np.errstate(all="ignore"):
            return float(np.sum(c * np.asarray(loss(*_call_with(args, wrt, xv), **value_kwargs))))

    fd = central_diff(objective, x, h=1e-6)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, fd, rtol=2e-6, atol=2e-7 * max(1.0, float(np.max(np.abs(fd)))))


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_cotangent_weighs_each_samples_gradient(case):
    """``c_n`` multiplies sample ``n``'s gradient only: with ``"none"`` the result is
    ``c_n * grad_n`` stacked; with a reduced result ``c * grad``."""
    name, args, kwargs, wrt = case
    loss, grad = getattr(R, name), getattr(R, name + "_grad")
    value_kwargs = {k: v for k, v in kwargs.items() if k != "wrt"}
    result_shape = np.shape(loss(*args, **value_kwargs))
    c = _signed_cotangent(_rng("combination", _case_id(case)), result_shape)
    plain = grad(*args, **kwargs)
    ax = kwargs.get("axis", -1) % np.ndim(args[0]) if np.ndim(args[0]) else 0
    if c.ndim and name in ("softmax_cross_entropy", "nll_loss", "categorical_cross_entropy", "focal_loss",
                           "entropy", "cross_entropy", "kl_divergence", "logsumexp", "ctc_loss"):
        axes = (1, 2) if name == "ctc_loss" else ax
        expected = np.expand_dims(c, axes) * plain
    else:  # element-wise with "none", or a scalar result
        expected = c * plain
    got = grad(*args, **kwargs, cotangent=c)
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_cotangent_none_is_ones_bit_for_bit(case):
    name, args, kwargs, wrt = case
    loss, grad = getattr(R, name), getattr(R, name + "_grad")
    value_kwargs = {k: v for k, v in kwargs.items() if k != "wrt"}
    ones = np.ones(np.shape(loss(*args, **value_kwargs)))
    a, b = np.asarray(grad(*args, **kwargs)), np.asarray(grad(*args, **kwargs, cotangent=ones))
    assert a.dtype == b.dtype == np.float64 and a.shape == b.shape
    assert a.tobytes() == b.tobytes()
    # a Python number is a scalar cotangent where the result is a scalar
    if ones.ndim == 0:
        assert np.asarray(grad(*args, **kwargs, cotangent=1)).tobytes() == a.tobytes()


def test_cotangent_keeps_the_result_type():
    """A scalar result's gradient of 0-d input stays a numpy scalar."""
    g = R.mean_squared_error_grad(np.float64(3.0), np.float64(1.0), reduction="none", cotangent=-0.5)
    assert isinstance(g, np.float64) and g == -2.0  # 2 d c = 2 * 2 * (-0.5)


# ---------------------------------------------------------------------------
# special values: zero cotangent where the gradient is infinite, NaN, inf
# ---------------------------------------------------------------------------

def test_zero_cotangent_takes_an_infinite_gradient_out():
    """``d/dp -p log p`` is ``+inf`` at ``p = 0``; a zero cotangent gives 0 there."""
    p = np.array([[0.0, 1.0], [0.5, 0.5]])
    g = R.entropy_grad(p, cotangent=np.array([0.0, 2.0]))
    assert np.array_equal(g, [[0.0, 0.0], [2.0 * (np.log(2.0) - 1.0)] * 2])
    # -t / q with q = 0 < t is -inf: per sample, 0 with a zero cotangent, -inf otherwise
    q = np.array([[0.0, 1.0], [0.0, 1.0]])
    t = np.array([[0.5, 0.5], [0.5, 0.5]])
    g = R.categorical_cross_entropy_grad(q, t, reduction="none", cotangent=np.array([0.0, 1.0]))
    assert np.array_equal(g, [[0.0, 0.0], [-np.inf, -0.5]])


def test_nan_and_inf_in_a_cotangent_stay_in_their_sample():
    z = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    y = np.array([2, 0, 1])
    plain = R.softmax_cross_entropy_grad(z, y, reduction="none")
    g = R.softmax_cross_entropy_grad(z, y, reduction="none", cotangent=np.array([np.nan, np.inf, 1.0]))
    assert np.all(np.isnan(g[0]))
    # every entry of this gradient row is non-zero: inf times it is +-inf with its sign
    assert np.array_equal(g[1], np.sign(plain[1]) * np.inf)
    assert np.array_equal(g[2], plain[2])
    # an infinite cotangent times an exact zero (an ignored sample) is NaN, as in IEEE arithmetic
    g = R.softmax_cross_entropy_grad(z, y, ignore_index=0, reduction="none", cotangent=np.array([1.0, np.inf, 1.0]))
    assert np.all(np.isnan(g[1])) and np.array_equal(g[0], plain[0])


def test_zero_cotangent_keeps_a_nan_gradient():
    """A row without a finite loss has a NaN gradient; a zero cotangent does not hide it."""
    lp = np.log(np.full((2, 2, 3), 1.0 / 3.0))
    targets = np.array([[1, 2], [1, 1]])           # row 1: "1 1" needs 3 frames, it has 2
    g = R.ctc_loss_grad(lp, targets, np.array([2, 2]), np.array([2, 2]), reduction="none",
                        cotangent=np.array([1.0, 0.0]))
    assert np.all(np.isnan(g[1])) and np.all(np.isfinite(g[0]))
    g = R.ctc_loss_grad(lp, targets, np.array([2, 2]), np.array([2, 2]), reduction="none",
                        zero_infinity=True, cotangent=np.array([1.0, 5.0]))
    assert np.array_equal(g[1], np.zeros((2, 3)))


def test_cotangent_is_not_modified():
    z = np.array([[0.0, 1.0], [2.0, 0.0]])
    c = np.array([1.5, -2.0])
    c.setflags(write=False)
    R.softmax_cross_entropy_grad(z, np.array([0, 1]), reduction="none", cotangent=c)
    assert np.array_equal(c, [1.5, -2.0])

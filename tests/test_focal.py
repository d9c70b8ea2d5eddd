"""Tests of reference/focal.py: softmax and sigmoid focal losses against mpmath
(50 digits), their identities with cross entropy, and finite-difference gradients."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from _numeric import central_diff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import (
    focal_loss,
    focal_loss_grad,
    sigmoid_binary_cross_entropy,
    sigmoid_focal_loss,
    sigmoid_focal_loss_grad,
    softmax_cross_entropy,
)

mp.mp.dps = 50
INF = np.inf


# ---------------------------------------------------------------------------
# mpmath models
# ---------------------------------------------------------------------------

def mp_focal_row(z, t, gamma, alpha):
    """-sum_c t_c alpha_c (1 - p_c)^gamma log p_c for one row of finite logits."""
    z = [mp.mpf(float(v)) for v in z]
    m = max(z)
    e = [mp.exp(v - m) for v in z]
    star = z.index(m)
    rest = mp.fsum(e[j] for j in range(len(z)) if j != star)  # sum without the maximal term
    s = 1 + rest
    out = mp.mpf(0)
    g = mp.mpf(float(gamma))
    for c in range(len(z)):
        tc, ac = mp.mpf(float(t[c])), mp.mpf(float(alpha[c]))
        if tc * ac == 0:
            continue
        logp = (z[c] - m) - mp.log1p(rest)
        q = mp.fsum(e[j] for j in range(len(z)) if j != c) / s  # 1 - p_c without cancellation
        mod = mp.mpf(1) if g == 0 else q ** g
        out -= tc * ac * mod * logp
    return out


def mp_softplus(x):
    x = float(x)
    if x == INF:
        return mp.inf
    if x == -INF:
        return mp.mpf(0)
    x = mp.mpf(x)
    return x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x))


def mp_sigmoid(x):
    x = float(x)
    if x == INF:
        return mp.mpf(1)
    if x == -INF:
        return mp.mpf(0)
    return 1 / (1 + mp.exp(-mp.mpf(x)))


def mp_sfocal(x, y, gamma, alpha=None):
    y, g = mp.mpf(float(y)), mp.mpf(float(gamma))
    ce = (y * mp_softplus(-x) if y != 0 else 0) + ((1 - y) * mp_softplus(x) if y != 1 else 0)
    m = y * mp_sigmoid(-x) + (1 - y) * mp_sigmoid(x)
    mod = mp.mpf(1) if g == 0 else m ** g
    at = 1 if alpha is None else mp.mpf(alpha) * y + (1 - mp.mpf(alpha)) * (1 - y)
    coef = at * mod
    return mp.mpf(0) if coef == 0 else coef * ce


def close(got, expected, ulps=8.0, floor=0.0):
    if mp.isinf(expected):
        return float(got) == (INF if expected > 0 else -INF)
    e = float(expected)
    return abs(float(got) - e) <= ulps * np.spacing(max(abs(e), floor))


def one_hot(idx, c):
    return np.eye(c)[idx]


# ---------------------------------------------------------------------------
# softmax focal loss: values
# ---------------------------------------------------------------------------

FOCAL_ROWS = [
    ([2.0, 0.5, -1.0], 0), ([2.0, 0.5, -1.0], 2), ([0.0, 0.0], 1), ([40.0, 0.0, 0.0], 0),
    ([300.0, 0.0], 0), ([700.0, -5.0, 3.0], 0), ([1e4, 0.0], 1), ([-3.0, 1.0, 2.0, 0.25], 3),
]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("z,k", FOCAL_ROWS)
def test_focal_index_targets_match_mpmath(z, k, gamma):
    c = len(z)
    alpha = np.linspace(0.25, 1.5, c)
    for a in (None, 0.25, alpha):
        aa = np.ones(c) if a is None else (np.full(c, a) if np.ndim(a) == 0 else a)
        expected = mp_focal_row(z, one_hot(k, c), gamma, aa)
        got = focal_loss(np.array([z]), np.array([k]), gamma=gamma, alpha=a, reduction="none")[0]
        assert close(got, expected, ulps=16, floor=0.0), (got, expected)


def test_focal_soft_targets_match_mpmath():
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    t = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    alpha = np.array([0.5, 2.0, 1.0])
    got = focal_loss(z, t, gamma=1.5, alpha=alpha, reduction="none")
    for i in range(2):
        assert close(got[i], mp_focal_row(z[i], t[i], 1.5, alpha), ulps=16)
    mean = (mp_focal_row(z[0], t[0], 1.5, alpha) + mp_focal_row(z[1], t[1], 1.5, alpha)) / 2
    assert close(focal_loss(z, t, gamma=1.5, alpha=alpha), mean, ulps=16)


def test_focal_two_equal_logits_closed_form():
    # p_t = 1/2: (1/2)^gamma log 2.
    for gamma in (0.0, 1.0, 2.0, 3.0):
        got = focal_loss(np.zeros((1, 2)), np.array([1]), gamma=gamma)
        assert close(got, mp.mpf(0.5) ** gamma * mp.log(2), ulps=2)


def test_focal_gamma_zero_is_softmax_cross_entropy():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=4.0, size=(6, 4))
    y = rng.integers(0, 4, size=6)
    for red in ("none", "sum", "mean"):
        np.testing.assert_allclose(focal_loss(z, y, gamma=0.0, reduction=red),
                                   softmax_cross_entropy(z, y, reduction=red), rtol=1e-14)
        alpha = np.array([0.25, 1.0, 2.0, 0.5])
        if red != "mean":
            np.testing.assert_allclose(focal_loss(z, y, gamma=0.0, alpha=alpha, reduction=red),
                                       softmax_cross_entropy(z, y, weight=alpha, reduction=red), rtol=1e-14)


def test_focal_index_equals_one_hot_and_axis():
    rng = np.random.default_rng(4)
    z = rng.normal(scale=3.0, size=(5, 3))
    y = rng.integers(0, 3, size=5)
    alpha = np.array([0.25, 0.5, 2.0])
    a = focal_loss(z, y, alpha=alpha, reduction="none")
    np.testing.assert_array_equal(a, focal_loss(z, one_hot(y, 3), alpha=alpha, reduction="none"))
    np.testing.assert_array_equal(a, focal_loss(z.T, y, axis=0, alpha=alpha, reduction="none"))
    np.testing.assert_array_equal(focal_loss_grad(z.T, y, axis=0, alpha=alpha).T,
                                  focal_loss_grad(z, y, alpha=alpha))


def test_focal_special_values():
    z = np.array([[INF, 0.0, 1.0], [INF, 0.0, 1.0], [-INF, 0.0, 1.0], [-INF, 0.0, 1.0], [INF, INF, 0.0]])
    y = np.array([0, 1, 1, 0, 0])
    got = focal_loss(z, y, reduction="none")
    e = mp_focal_row([0.0, 1.0], [1.0, 0.0], 2.0, [1.0, 1.0])
    assert got[0] == 0.0 and got[1] == INF and got[3] == INF
    assert close(got[2], e, ulps=8)
    assert close(got[4], mp.mpf(0.25) * mp.log(2), ulps=2)  # +inf shared by two: p_t = 1/2
    # gamma = 0 at p_t = 1: 0^0 = 1, the loss is 0 (log 1); grad 0.
    assert focal_loss(z[:1], y[:1], gamma=0.0) == 0.0
    np.testing.assert_array_equal(focal_loss_grad(z[:1], y[:1], gamma=0.0), [[0.0, 0.0, 0.0]])
    # NaN in a row gives NaN for that row only.
    out = focal_loss(np.array([[np.nan, 0.0], [1.0, 0.0]]), np.array([1, 0]), reduction="none")
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_focal_confident_prediction_keeps_tiny_loss():
    got = focal_loss(np.array([[40.0, 0.0]]), np.array([0]))
    expected = mp_focal_row([40.0, 0.0], [1.0, 0.0], 2.0, [1.0, 1.0])
    assert got > 0 and close(got, expected, ulps=8)


def test_focal_is_at_most_cross_entropy_for_alpha_one():
    rng = np.random.default_rng(5)
    z = rng.normal(scale=3.0, size=(20, 4))
    y = rng.integers(0, 4, size=20)
    ce = softmax_cross_entropy(z, y, reduction="none")
    for gamma in (0.5, 2.0, 5.0):
        assert np.all(focal_loss(z, y, gamma=gamma, reduction="none") <= ce)


# ---------------------------------------------------------------------------
# sigmoid focal loss: values
# ---------------------------------------------------------------------------

SFOCAL_CASES = [
    (0.0, 1.0), (2.0, 0.0), (-3.5, 0.3), (1.5, 1.0), (40.0, 1.0), (300.0, 1.0), (700.0, 1.0),
    (-800.0, 1.0), (1e4, 0.0), (-1e4, 0.0), (1e308, 1.0), (-1e308, 1.0), (1e308, 0.5), (37.0, 0.999),
]


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 1.0])
@pytest.mark.parametrize("x,y", SFOCAL_CASES)
def test_sfocal_matches_mpmath(x, y, gamma, alpha):
    got = sigmoid_focal_loss(np.array([x]), np.array([y]), gamma=gamma, alpha=alpha, reduction="none")[0]
    expected = mp_sfocal(x, y, gamma, alpha)
    assert close(got, expected, ulps=16), (got, expected)


def test_sfocal_special_values():
    x = np.array([INF, INF, INF, -INF, -INF, -INF])
    y = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.5])
    for gamma in (0.0, 2.0):
        np.testing.assert_array_equal(sigmoid_focal_loss(x, y, gamma=gamma, reduction="none"),
                                      [0.0, INF, INF, 0.0, INF, INF])
    # alpha_t = 0 silences an infinite loss: alpha = 1 with y = 0.
    assert sigmoid_focal_loss(np.array([INF]), np.array([0.0]), alpha=1.0) == 0.0


def test_sfocal_gamma_zero_is_sigmoid_bce_and_alpha_form():
    rng = np.random.default_rng(6)
    x = rng.normal(scale=5.0, size=(4, 3))
    y = rng.uniform(size=(4, 3))
    for red in ("none", "sum", "mean"):
        np.testing.assert_array_equal(sigmoid_focal_loss(x, y, gamma=0.0, reduction=red),
                                      sigmoid_binary_cross_entropy(x, y, reduction=red))
    yb = (y > 0.5).astype(float)
    at = 0.25 * yb + 0.75 * (1 - yb)
    np.testing.assert_allclose(sigmoid_focal_loss(x, yb, gamma=0.0, alpha=0.25, reduction="none"),
                               at * sigmoid_binary_cross_entropy(x, yb, reduction="none"), rtol=1e-15)


def test_sfocal_mean_is_plain_mean_over_elements():
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    total = mp.fsum(mp_sfocal(x[i, j], y[i, j], 2.0, 0.25) for i in range(2) for j in range(3))
    assert close(sigmoid_focal_loss(x, y, alpha=0.25), total / 6, ulps=8)
    assert close(sigmoid_focal_loss(x, y, alpha=0.25, reduction="sum"), total, ulps=8)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("soft", [False, True])
def test_focal_grad_matches_finite_differences(gamma, reduction, soft):
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0], [0.3, -0.2, 0.1]])
    y = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]) if soft else np.array([0, 1, 2])
    alpha = np.array([0.5, 2.0, 1.0])
    f = lambda v: float(focal_loss(v, y, gamma=gamma, alpha=alpha, reduction=reduction))
    np.testing.assert_allclose(focal_loss_grad(z, y, gamma=gamma, alpha=alpha, reduction=reduction),
                               central_diff(f, z), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_sfocal_grad_matches_finite_differences(gamma, alpha):
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.3, 0.5]])
    for red in ("sum", "mean"):
        f = lambda v: float(sigmoid_focal_loss(v, y, gamma=gamma, alpha=alpha, reduction=red))
        np.testing.assert_allclose(sigmoid_focal_loss_grad(x, y, gamma=gamma, alpha=alpha, reduction=red),
                                   central_diff(f, x), rtol=1e-6, atol=1e-9)


def test_sfocal_grad_large_logits_against_mpmath():
    for x, y in ((40.0, 1.0), (-40.0, 0.0), (30.0, 0.0), (-700.0, 1.0)):
        got = sigmoid_focal_loss_grad(np.array([x]), np.array([y]), gamma=2.0, reduction="none")[0]
        expected = mp.diff(lambda v: mp_sfocal_mp(v, y, 2), mp.mpf(x))
        assert close(got, expected, ulps=64), (x, y, got, expected)


def mp_sfocal_mp(x, y, gamma):
    """The sigmoid focal loss as an mpmath function of an mpmath x (for mp.diff)."""
    y = mp.mpf(y)
    sp = lambda v: mp.log1p(mp.exp(v)) if v < 0 else v + mp.log1p(mp.exp(-v))
    sig = lambda v: 1 / (1 + mp.exp(-v))
    ce = y * sp(-x) + (1 - y) * sp(x)
    m = y * sig(-x) + (1 - y) * sig(x)
    return m ** gamma * ce


def test_grad_limits_at_infinite_logits():
    got = sigmoid_focal_loss_grad(np.array([INF, -INF, INF, -INF]), np.array([1.0, 0.0, 0.0, 1.0]),
                                  reduction="none")
    np.testing.assert_array_equal(got, [0.0, 0.0, 1.0, -1.0])
    g = focal_loss_grad(np.array([[INF, 0.0, 1.0]]), np.array([0]))
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0]])


def test_grad_none_equals_sum():
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    y = np.array([0, 2])
    np.testing.assert_array_equal(focal_loss_grad(z, y, reduction="none"), focal_loss_grad(z, y, reduction="sum"))
    np.testing.assert_allclose(focal_loss_grad(z, y, reduction="mean"), focal_loss_grad(z, y, reduction="sum") / 2,
                               rtol=1e-15)


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [focal_loss, focal_loss_grad])
def test_focal_invalid(fn):
    z, y = np.array([[1.0, 2.0, 3.0]]), np.array([2])
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        fn(z, y, gamma=-0.5)
    with pytest.raises(ValueError, match=r"alpha must be in \[0.0, 1.0\]"):
        fn(z, y, alpha=1.5)
    with pytest.raises(ValueError, match="alpha must be a number in"):
        fn(z, y, alpha=np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="alpha .one weight per class. must hold finite"):
        fn(z, y, alpha=np.array([0.5, -0.5, 1.0]))
    with pytest.raises(ValueError, match="target holds class index 3"):
        fn(z, np.array([3]))
    with pytest.raises(ValueError, match="target must have shape"):
        fn(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="target must lie in"):
        fn(z, np.array([[1.5, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(z, y, reduction="batchmean")
    with pytest.raises(TypeError, match="gamma must be a real number"):
        fn(z, y, gamma="2")
    with pytest.raises(TypeError, match="logits must be a real numeric array"):
        fn(np.array([["a"]]), y)


@pytest.mark.parametrize("fn", [sigmoid_focal_loss, sigmoid_focal_loss_grad])
def test_sfocal_invalid(fn):
    x, y = np.array([0.5, -1.0]), np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="gamma must be a finite number >= 0"):
        fn(x, y, gamma=-1.0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0.0, 1.0\]"):
        fn(x, y, alpha=-0.25)
    with pytest.raises(TypeError, match="alpha must be None or a number"):
        fn(x, y, alpha=np.array([0.25, 0.5]))
    with pytest.raises(ValueError, match="target must lie in"):
        fn(x, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="target must have shape"):
        fn(x, np.array([1.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(x, y, reduction="MEAN")


# ---------------------------------------------------------------------------
# warnings and fuzz
# ---------------------------------------------------------------------------

EXTREMES = [1e308, -1e308, INF, -INF, 0.0, 5e-324, 1e4, -1e4, 745.2, -745.2, np.nan]


def test_no_runtime_warning_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = np.repeat(EXTREMES, 3)
        y = np.tile([0.0, 1.0, 0.5], len(EXTREMES))
        for gamma in (0.0, 0.5, 2.0):
            for fn in (sigmoid_focal_loss, sigmoid_focal_loss_grad):
                for red in ("none", "sum", "mean"):
                    fn(x, y, gamma=gamma, alpha=0.25, reduction=red)
            z = np.array(np.meshgrid(EXTREMES, EXTREMES)).reshape(2, -1).T
            for fn in (focal_loss, focal_loss_grad):
                fn(z, np.zeros(len(z), dtype=np.int64), gamma=gamma)
                fn(z, np.tile([0.5, 0.5], (len(z), 1)), gamma=gamma, alpha=np.array([0.0, 2.0]))


FLOATS = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data(), fn=st.sampled_from([focal_loss, focal_loss_grad, sigmoid_focal_loss, sigmoid_focal_loss_grad]))
def test_fuzz_only_documented_exceptions(data, fn):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=3))
    z = data.draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    if fn in (focal_loss, focal_loss_grad) and data.draw(st.booleans()):
        y = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(-2, 4)))
    else:
        y = data.draw(hnp.arrays(np.float64, data.draw(st.sampled_from([shape, (2,)])), elements=FLOATS))
    kw = {"gamma": data.draw(st.one_of(FLOATS, st.sampled_from([0.0, 2.0]))),
          "reduction": data.draw(st.sampled_from(["none", "sum", "mean", "x"]))}
    if data.draw(st.booleans()):
        kw["alpha"] = data.draw(st.one_of(FLOATS, hnp.arrays(np.float64, (shape[-1],), elements=FLOATS)))
    try:
        out = fn(z, y, **kw)
    except (ValueError, TypeError) as exc:
        assert any(n in str(exc) for n in ("logits", "target", "gamma", "alpha", "reduction", "axis"))
        return
    assert np.asarray(out).dtype == np.float64
    if fn in (focal_loss_grad, sigmoid_focal_loss_grad):
        assert np.shape(out) == shape

"""Tests of reference/focal.py: softmax and sigmoid focal losses against mpmath
(50 digits), their identities with cross entropy, and finite-difference gradients."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from _numeric import central_diff
from accuracy import exact
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
# the oracle (accuracy.exact) at one row or element
# ---------------------------------------------------------------------------

def exact_focal_row(z, t, gamma, alpha):
    """The exact softmax focal loss of one row with soft target ``t``, from the one oracle."""
    return exact.focal_loss(np.array([z], dtype=np.float64), np.array([t], dtype=np.float64), gamma=float(gamma),
                            alpha=np.array(alpha, dtype=np.float64), reduction="none")[0]


def exact_sfocal(x, y, gamma, alpha=None):
    """The exact sigmoid focal loss of one element, from the one oracle."""
    return exact.sigmoid_focal_loss(np.array([float(x)]), np.array([float(y)]), gamma=float(gamma), alpha=alpha,
                                    reduction="none")[0]


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
        expected = exact_focal_row(z, one_hot(k, c), gamma, aa)
        got = focal_loss(np.array([z]), np.array([k]), gamma=gamma, alpha=a, reduction="none")[0]
        assert close(got, expected, ulps=16, floor=0.0), (got, expected)


def test_focal_soft_targets_match_mpmath():
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    t = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    alpha = np.array([0.5, 2.0, 1.0])
    got = focal_loss(z, t, gamma=1.5, alpha=alpha, reduction="none")
    for i in range(2):
        assert close(got[i], exact_focal_row(z[i], t[i], 1.5, alpha), ulps=16)
    mean = (exact_focal_row(z[0], t[0], 1.5, alpha) + exact_focal_row(z[1], t[1], 1.5, alpha)) / 2
    assert close(focal_loss(z, t, gamma=1.5, alpha=alpha), mean, ulps=16)


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


def test_focal_gamma_zero_at_certainty_has_zero_gradient():
    # gamma = 0 at p_t = 1: 0^0 = 1, the loss is log 1 = 0 (a row of the table) and so is the gradient.
    z = np.array([[INF, 0.0, 1.0]])
    np.testing.assert_array_equal(focal_loss_grad(z, np.array([0]), gamma=0.0), [[0.0, 0.0, 0.0]])


def test_focal_confident_prediction_keeps_tiny_loss():
    got = focal_loss(np.array([[40.0, 0.0]]), np.array([0]))
    expected = exact_focal_row([40.0, 0.0], [1.0, 0.0], 2.0, [1.0, 1.0])
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
    expected = exact_sfocal(x, y, gamma, alpha)
    assert close(got, expected, ulps=16), (got, expected)


def test_sfocal_zero_alpha_t_silences_an_infinite_loss():
    # alpha = 1 with y = 0 gives alpha_t = 0, and 0 * inf counts 0.
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
    total = mp.fsum(exact_sfocal(x[i, j], y[i, j], 2.0, 0.25) for i in range(2) for j in range(3))
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


def test_sfocal_grad_large_logits_against_the_oracle():
    for x, y in ((40.0, 1.0), (-40.0, 0.0), (30.0, 0.0), (-700.0, 1.0)):
        got = sigmoid_focal_loss_grad(np.array([x]), np.array([y]), gamma=2.0, reduction="none")[0]
        expected = exact.sigmoid_focal_loss_grad(np.array([x]), np.array([y]), gamma=2.0, reduction="none")[0]
        assert close(got, expected, ulps=64), (x, y, got, expected)


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

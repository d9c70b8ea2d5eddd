"""Tests of reference/regression.py: MAE, MSE, RMSE, Huber and smooth L1 against
the mpmath oracle (accuracy.exact) and closed forms, gradients against central
differences.  The worked examples and special values of the spec page are rows
of conformance/cases/regression.toml, which tests/test_cases.py runs."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from _numeric import central_diff

from accuracy import exact

from reference import (
    huber_loss,
    huber_loss_grad,
    mean_absolute_error,
    mean_absolute_error_grad,
    mean_squared_error,
    mean_squared_error_grad,
    root_mean_squared_error,
    root_mean_squared_error_grad,
    smooth_l1_loss,
    smooth_l1_loss_grad,
)

mp.mp.dps = 50
INF = np.inf

LOSSES = [mean_absolute_error, mean_squared_error, huber_loss, smooth_l1_loss]
GRADS = {
    mean_absolute_error: mean_absolute_error_grad,
    mean_squared_error: mean_squared_error_grad,
    huber_loss: huber_loss_grad,
    smooth_l1_loss: smooth_l1_loss_grad,
}


def close(got, want, rel=4e-16):
    got = float(got)
    want = mp.mpf(want)
    if want == 0:
        return got == 0
    return abs(mp.mpf(got) - want) <= rel * abs(want)


# ---------------------------------------------------------------------------
# definitions
# ---------------------------------------------------------------------------

PRED = np.array([[0.3, -1.7, 2.5], [4.0, 0.1, -0.05]])
TARGET = np.array([[0.0, 1.2, 2.5], [-0.5, 0.35, 0.9]])


@pytest.mark.parametrize("fn,kw", [
    (mean_absolute_error, {}),
    (mean_squared_error, {}),
    (huber_loss, {"delta": 0.8}),
    (huber_loss, {}),
    (smooth_l1_loss, {"beta": 0.5}),
    (smooth_l1_loss, {}),
])
def test_elementwise_against_the_oracle(fn, kw):
    oracle = getattr(exact, fn.__name__)
    per = fn(PRED, TARGET, reduction="none", **kw)
    assert per.shape == PRED.shape and per.dtype == np.float64
    for got, want in zip(per.ravel(), oracle(PRED, TARGET, reduction="none", **kw).ravel()):
        assert close(got, want, rel=1e-15)
    for reduction in ("sum", "mean"):
        assert close(fn(PRED, TARGET, reduction=reduction, **kw), oracle(PRED, TARGET, reduction=reduction, **kw)[()],
                     rel=1e-15)
    assert isinstance(fn(PRED, TARGET, **kw), np.float64)


def test_huber_at_the_kink_takes_the_quadratic_branch():
    # |d| = delta: both branches give delta**2 / 2.
    assert huber_loss(np.array([2.0]), np.zeros(1), delta=2.0) == 2.0


def test_rmse_against_the_oracle_and_correct_root():
    p = np.array([0.3, -1.7, 2.5, 4.0, 0.1])
    t = np.array([0.0, 1.2, 2.5, -0.5, 0.35])
    assert close(root_mean_squared_error(p, t), exact.root_mean_squared_error(p, t)[()], rel=1e-15)
    # The source's misplaced root, sqrt(1/N) * sum d^2, is a different number.
    wrong = mp.sqrt(mp.mpf(1) / 5) * mp.fsum((mp.mpf(float(a)) - mp.mpf(float(b))) ** 2 for a, b in zip(p, t))
    assert not close(root_mean_squared_error(p, t), wrong, rel=1e-3)
    assert isinstance(root_mean_squared_error(p.reshape(5, 1), t.reshape(5, 1)), np.float64)


# ---------------------------------------------------------------------------
# identities
# ---------------------------------------------------------------------------

RNG = np.random.default_rng(3)
P = RNG.normal(size=(4, 5)) * 3
T = RNG.normal(size=(4, 5))


def test_rmse_squared_is_mse():
    assert close(root_mean_squared_error(P, T) ** 2, mean_squared_error(P, T), rel=4e-15)


@pytest.mark.parametrize("delta", [0.1, 1.0, 2.5, 30.0])
def test_huber_is_delta_times_smooth_l1(delta):
    h = huber_loss(P, T, delta=delta, reduction="none")
    s = smooth_l1_loss(P, T, beta=delta, reduction="none")
    np.testing.assert_allclose(h, delta * s, rtol=4e-16 * 4, atol=0)


def test_smooth_l1_beta0_is_mae():
    np.testing.assert_array_equal(smooth_l1_loss(P, T, beta=0.0, reduction="none"),
                                  mean_absolute_error(P, T, reduction="none"))
    np.testing.assert_array_equal(smooth_l1_loss_grad(P, T, beta=0.0), mean_absolute_error_grad(P, T))


def test_huber_large_delta_is_half_mse():
    assert huber_loss(P, T, delta=1e6) == pytest.approx(0.5 * mean_squared_error(P, T), rel=1e-15)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

# Points away from the kinks of every loss (|d| not within 1e-3 of 0, delta or beta).
GP = np.array([[0.7, -2.1, 1.3], [3.2, 0.45, -0.8]])
GT = np.array([[0.2, -0.1, 1.75], [0.0, 0.0, -0.3]])


@pytest.mark.parametrize("fn,kw", [
    (mean_absolute_error, {}), (mean_squared_error, {}),
    (huber_loss, {"delta": 1.0}), (huber_loss, {"delta": 0.3}),
    (smooth_l1_loss, {"beta": 1.0}), (smooth_l1_loss, {"beta": 0.6}),
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_grad_vs_central_differences(fn, kw, reduction):
    grad = GRADS[fn](GP, GT, reduction=reduction, **kw)
    fd = central_diff(lambda x: fn(x, GT, reduction=reduction, **kw), GP)
    np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-9)
    per = GRADS[fn](GP, GT, reduction="none", **kw)
    np.testing.assert_allclose(GRADS[fn](GP, GT, reduction="mean", **kw), per / GP.size, rtol=1e-15)


def test_rmse_grad_vs_central_differences():
    grad = root_mean_squared_error_grad(GP, GT)
    fd = central_diff(lambda x: root_mean_squared_error(x, GT), GP)
    np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-9)


def test_huber_subgradient_at_the_kink():
    # |d| = delta: both one-sided derivatives are +-delta (the other kinks are rows
    # reg.grad.subgradient.* of the case table).
    np.testing.assert_array_equal(huber_loss_grad(np.array([2.0, -2.0]), np.zeros(2), delta=2.0, reduction="none"),
                                  [2.0, -2.0])


def test_rmse_grad_closed_form():
    g = root_mean_squared_error_grad(np.array([3.0, 4.0]), np.zeros(2))
    for gi, di in zip(g, [3, 4]):
        assert close(gi, mp.mpf(di) / (2 * mp.sqrt(mp.mpf(12.5))), rel=1e-15)


# ---------------------------------------------------------------------------
# magnitudes, special values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e300, -1e300, 1e-300, 1e308])
def test_no_warnings_at_extreme_magnitudes(scale):
    p = np.array([1.0, -1.0, 0.5]) * scale
    t = np.array([-1.0, 0.25, 0.5]) * scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in LOSSES:
            for red in ("none", "sum", "mean"):
                fn(p, t, reduction=red)
                GRADS[fn](p, t, reduction=red)
        root_mean_squared_error(p, t)
        root_mean_squared_error_grad(p, t)
        smooth_l1_loss(p, t, beta=1e-300)


def test_rmse_does_not_overflow():
    # The difference itself overflows, but the RMSE 2e308 / sqrt(2) is representable
    # (3e200 and 3e-200 are rows reg.special.overflow.rmse*).
    p, t = np.array([1e308, 0.0]), np.array([-1e308, 0.0])
    assert close(root_mean_squared_error(p, t), exact.root_mean_squared_error(p, t)[()], rel=4e-16)
    g = root_mean_squared_error_grad(np.array([3e200, 4e200]), np.zeros(2))
    assert np.all(np.isfinite(g)) and close(g[0], 3 / (2 * mp.sqrt(mp.mpf(12.5))), rel=1e-15)


def test_rmse_special_values():
    # inf - inf and the mean of no elements (zero, +inf and NaN errors are rows reg.rmse.special.nan*).
    assert np.isnan(root_mean_squared_error(np.array([INF]), np.array([INF])))
    assert np.isnan(root_mean_squared_error(np.zeros(0), np.zeros(0)))


@pytest.mark.parametrize("fn", LOSSES)
def test_nan_and_inf_propagate(fn):
    # Element-wise values are rows reg.*.special.nan; here the reductions and the gradients.
    assert np.isnan(fn(np.array([np.nan, 1.0]), np.zeros(2)))
    assert np.isnan(GRADS[fn](np.array([np.nan]), np.zeros(1))[0])


def test_mse_overflow_is_inf():
    assert mean_squared_error(np.array([1e300]), np.array([-1e300])) == INF


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", LOSSES + [root_mean_squared_error] + list(GRADS.values()) + [root_mean_squared_error_grad])
def test_shape_mismatch_names_target(fn):
    with pytest.raises(ValueError, match="target"):
        fn(np.zeros(3), np.zeros(2))


@pytest.mark.parametrize("fn", [huber_loss, huber_loss_grad])
@pytest.mark.parametrize("delta", [0.0, -1.0, INF])
def test_bad_delta(fn, delta):
    with pytest.raises(ValueError, match="delta"):
        fn(np.zeros(2), np.zeros(2), delta=delta)


@pytest.mark.parametrize("fn", [smooth_l1_loss, smooth_l1_loss_grad])
@pytest.mark.parametrize("beta", [-1e-9, -1.0, INF])
def test_bad_beta(fn, beta):
    with pytest.raises(ValueError, match="beta"):
        fn(np.zeros(2), np.zeros(2), beta=beta)


def test_nan_parameter_and_type_errors():
    with pytest.raises(ValueError, match="delta"):
        huber_loss(np.zeros(2), np.zeros(2), delta=np.nan)
    with pytest.raises(TypeError, match="beta"):
        smooth_l1_loss(np.zeros(2), np.zeros(2), beta="1")
    with pytest.raises(TypeError, match="pred"):
        mean_squared_error(np.array(["a"]), np.zeros(1))


@pytest.mark.parametrize("fn", LOSSES)
def test_bad_reduction(fn):
    with pytest.raises(ValueError, match="reduction"):
        fn(np.zeros(2), np.zeros(2), reduction="avg")

"""Tests of reference/binary.py: binary cross entropy from probabilities and from
logits, against mpmath (50 digits), closed forms and finite differences."""

from __future__ import annotations

import math
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
    binary_cross_entropy,
    binary_cross_entropy_grad,
    sigmoid,
    sigmoid_binary_cross_entropy,
    sigmoid_binary_cross_entropy_grad,
)

mp.mp.dps = 50
INF = np.inf


# ---------------------------------------------------------------------------
# the oracle (accuracy.exact) at one element
# ---------------------------------------------------------------------------

def exact_bce(p, y, eps=0.0):
    """The exact loss of one element, from the one oracle."""
    return exact.binary_cross_entropy(np.array([float(p)]), np.array([float(y)]), eps=float(eps),
                                      reduction="none")[0]


def exact_sbce(x, y, pw=1.0):
    """The exact loss of one logit, from the one oracle."""
    return exact.sigmoid_binary_cross_entropy(np.array([float(x)]), np.array([float(y)]),
                                              pos_weight=np.array([float(pw)]), reduction="none")[0]


def close(got, expected, ulps=4.0, floor=0.0):
    """``got`` within ``ulps`` float64 ulps of the mpmath value (absolute below ``floor``)."""
    e = float(expected) if not mp.isinf(expected) else (INF if expected > 0 else -INF)
    g = float(got)
    if math.isinf(e):
        return g == e
    return abs(g - e) <= ulps * np.spacing(max(abs(e), floor))


# ---------------------------------------------------------------------------
# binary_cross_entropy: values
# ---------------------------------------------------------------------------

BCE_CASES = [
    (0.8, 1.0, 0.0), (0.8, 0.0, 0.0), (0.3, 0.25, 0.0), (0.5, 0.5, 0.0),
    (1e-300, 0.0, 0.0), (1e-300, 1.0, 0.0), (1 - 1e-15, 1.0, 0.0), (1 - 1e-15, 0.0, 0.0),
    (0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (1e-300, 0.5, 0.0), (0.1, 0.9, 1e-7),
    (0.0, 1.0, 1e-7), (1.0, 0.0, 1e-7), (0.5, 1.0, 1e-9), (5e-324, 0.0, 0.0), (1e-20, 0.0, 1e-12),
]


@pytest.mark.parametrize("p,y,eps", BCE_CASES)
def test_bce_matches_mpmath(p, y, eps):
    got = binary_cross_entropy(np.array([p]), np.array([y]), eps=eps, reduction="none")[0]
    assert close(got, exact_bce(p, y, eps), ulps=4, floor=0.0), (got, exact_bce(p, y, eps))


def test_bce_hard_targets_are_neg_log_of_chosen_probability():
    p = np.array([0.03, 0.05, 0.8, 0.1, 0.02, 0.999])
    for y in (np.zeros(6), np.ones(6)):
        chosen = np.where(y == 1, p, 1 - p)
        expected = [-mp.log(mp.mpf(float(c))) if yy == 1 else -mp.log1p(-mp.mpf(float(pp)))
                    for c, yy, pp in zip(chosen, y, p)]
        got = binary_cross_entropy(p, y, reduction="none")
        assert all(close(g, e, ulps=4) for g, e in zip(got, expected))


def test_bce_of_sigmoid_equals_sigmoid_bce_for_moderate_logits():
    x = np.linspace(-8.0, 8.0, 33)
    y = np.tile([0.0, 1.0, 0.3], 11)
    a = binary_cross_entropy(sigmoid(x), y, reduction="none")
    b = sigmoid_binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_bce_source_normalisation_is_one_over_n_of_n_terms():
    # The source's BCE sums i = 0..N with a 1/N factor (N + 1 terms); the spec's
    # "mean" sums N terms and divides by N.
    p = np.array([0.9, 0.2, 0.6, 0.4])
    y = np.array([1.0, 0.0, 1.0, 1.0])
    expected = mp.fsum(exact_bce(pp, yy) for pp, yy in zip(p, y)) / 4
    assert close(binary_cross_entropy(p, y), expected, ulps=8)


# ---------------------------------------------------------------------------
# weights and reductions
# ---------------------------------------------------------------------------

P2 = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
Y2 = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])


@pytest.mark.parametrize("w", [np.array([0.5, 2.0, 1.0]), np.array([[3.0], [0.25]]), np.float64(2.0),
                               np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 4.0]])])
def test_bce_weight_is_the_sample_weight(w):
    wb = np.broadcast_to(w, Y2.shape)
    ls = [[exact_bce(p, y) for p, y in zip(pr, yr)] for pr, yr in zip(P2, Y2)]
    none = binary_cross_entropy(P2, Y2, weight=w, reduction="none")
    for i in range(2):
        for j in range(3):
            assert close(none[i, j], mp.mpf(float(wb[i, j])) * ls[i][j], ulps=4)
    total = mp.fsum(mp.mpf(float(wb[i, j])) * ls[i][j] for i in range(2) for j in range(3))
    assert close(binary_cross_entropy(P2, Y2, weight=w, reduction="sum"), total, ulps=8)
    mean = total / mp.fsum(mp.mpf(float(v)) for v in wb.ravel())
    assert close(binary_cross_entropy(P2, Y2, weight=w), mean, ulps=8)


def test_empty_input():
    e = np.zeros((0, 3))
    for fn in (binary_cross_entropy, sigmoid_binary_cross_entropy):
        assert np.isnan(fn(e, e))
        assert fn(e, e, reduction="sum") == 0.0
        assert fn(e, e, reduction="none").shape == (0, 3)


def test_scalar_input():
    out = binary_cross_entropy(0.25, 1.0, reduction="none")
    assert isinstance(out, np.float64) and close(out, -mp.log(mp.mpf(0.25)))


# ---------------------------------------------------------------------------
# sigmoid_binary_cross_entropy: values and special values
# ---------------------------------------------------------------------------

SBCE_CASES = [
    (0.0, 1.0, 1.0), (2.0, 0.0, 1.0), (-3.5, 0.3, 1.0), (1.5, 1.0, 3.0), (-1.5, 0.5, 0.25),
    (40.0, 1.0, 1.0), (300.0, 1.0, 1.0), (700.0, 1.0, 1.0), (-800.0, 1.0, 1.0), (800.0, 0.0, 1.0),
    (1e4, 0.0, 1.0), (-1e4, 0.0, 1.0), (1e4, 0.5, 1.0), (1e308, 1.0, 1.0), (-1e308, 1.0, 1.0),
    (1e308, 0.0, 1.0), (-1e308, 0.0, 2.0), (1e-300, 1.0, 1.0), (37.0, 0.999, 1.0), (5.0, 1.0, 0.0),
]


@pytest.mark.parametrize("x,y,pw", SBCE_CASES)
def test_sbce_matches_mpmath(x, y, pw):
    got = sigmoid_binary_cross_entropy(np.array([x]), np.array([y]), pos_weight=np.array([pw]),
                                       reduction="none")[0]
    assert close(got, exact_sbce(x, y, pw), ulps=4), (got, exact_sbce(x, y, pw))


def test_sbce_naive_log_sigmoid_fails_where_logits_form_does_not():
    with np.errstate(over="ignore", divide="ignore"):
        naive = -np.log(1.0 / (1.0 + np.exp(800.0)))
    assert naive == INF
    assert sigmoid_binary_cross_entropy(np.array([-800.0]), np.array([1.0])) == 800.0


def test_sbce_confident_predictions_keep_tiny_losses():
    for x in (40.0, 300.0, 700.0):
        got = sigmoid_binary_cross_entropy(np.array([x]), np.array([1.0]))
        assert got > 0 and close(got, mp.log1p(mp.exp(-mp.mpf(x))), ulps=2)


def test_pos_weight_broadcasts_along_last_axis_and_stays_out_of_the_mean():
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    pw = np.array([3.0, 1.0, 0.5])
    none = sigmoid_binary_cross_entropy(x, y, pos_weight=pw, reduction="none")
    for i in range(2):
        for j in range(3):
            assert close(none[i, j], exact_sbce(x[i, j], y[i, j], pw[j]), ulps=4)
    total = mp.fsum(exact_sbce(x[i, j], y[i, j], pw[j]) for i in range(2) for j in range(3))
    assert close(sigmoid_binary_cross_entropy(x, y, pos_weight=pw), total / 6, ulps=8)
    # With weights too: the mean divides by sum(w) only.
    w = np.array([[2.0], [0.5]])
    tw = mp.fsum(mp.mpf(float(w[i, 0])) * exact_sbce(x[i, j], y[i, j], pw[j]) for i in range(2) for j in range(3))
    assert close(sigmoid_binary_cross_entropy(x, y, weight=w, pos_weight=pw), tw / 7.5, ulps=8)


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_grad_matches_finite_differences(reduction, weighted):
    p = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
    kw = {"weight": np.array([0.5, 2.0, 1.0])} if weighted else {}
    kw["eps"] = 1e-3
    f = lambda q: float(binary_cross_entropy(q, Y2, reduction=reduction, **kw))
    fd = central_diff(f, p, 1e-6)
    got = binary_cross_entropy_grad(p, Y2, reduction=reduction, **kw)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sbce_grad_matches_finite_differences(reduction):
    x = np.array([[-2.0, 0.5, 3.0], [1.0, -0.5, 0.0]])
    kw = {"weight": np.array([[2.0], [0.5]]), "pos_weight": np.array([3.0, 1.0, 0.5])}
    f = lambda z: float(sigmoid_binary_cross_entropy(z, Y2, reduction=reduction, **kw))
    fd = central_diff(f, x, 1e-6)
    got = sigmoid_binary_cross_entropy_grad(x, Y2, reduction=reduction, **kw)
    np.testing.assert_allclose(got, fd, rtol=1e-7, atol=1e-9)


def test_grad_none_equals_sum_and_mean_divides_by_sum_of_weights():
    w = np.array([0.5, 2.0, 1.0])
    for fn, a in ((binary_cross_entropy_grad, P2), (sigmoid_binary_cross_entropy_grad, P2 * 4 - 2)):
        none = fn(a, Y2, weight=w, reduction="none")
        np.testing.assert_array_equal(none, fn(a, Y2, weight=w, reduction="sum"))
        np.testing.assert_allclose(fn(a, Y2, weight=w, reduction="mean"), none / 7.0, rtol=1e-15)


def test_sbce_grad_closed_form_and_limits():
    x = np.array([0.0, INF, -INF, INF, -INF, 1e308, -1e308])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.5, 0.5])
    got = sigmoid_binary_cross_entropy_grad(x, y, reduction="none")
    np.testing.assert_array_equal(got, [-0.5, 0.0, -1.0, 1.0, 0.0, 0.5, -0.5])
    # sigmoid(x) - y without cancellation: y = 1, x = 40 gives -sigmoid(-40).
    g = sigmoid_binary_cross_entropy_grad(np.array([40.0]), np.array([1.0]), reduction="none")[0]
    assert close(g, -1 / (1 + mp.exp(mp.mpf(40))), ulps=2)
    # pos_weight: -pw y sigmoid(-x) + (1 - y) sigmoid(x)
    g = sigmoid_binary_cross_entropy_grad(np.array([0.0]), np.array([0.5]), pos_weight=3.0, reduction="sum")
    assert g == -0.5


def test_bce_grad_closed_form_and_zero_coefficients():
    p = np.array([0.25, 0.5, 0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    got = binary_cross_entropy_grad(p, y, reduction="none")
    np.testing.assert_array_equal(got, [-4.0, 2.0, 1.0, -1.0, -INF, INF])


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [binary_cross_entropy, binary_cross_entropy_grad])
def test_bce_invalid(fn):
    p, y = np.array([0.5, 0.2]), np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="probs must lie in"):
        fn(np.array([1.5, 0.2]), y)
    with pytest.raises(ValueError, match="probs must lie in"):
        fn(np.array([-1e-300, 0.2]), y)
    with pytest.raises(ValueError, match="target must lie in"):
        fn(p, np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match="eps must be"):
        fn(p, y, eps=-1e-7)
    with pytest.raises(ValueError, match="target must have shape"):
        fn(p, np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(p, y, reduction="avg")
    with pytest.raises(ValueError, match="weight with shape"):
        fn(p, y, weight=np.ones(3))
    with pytest.raises(ValueError, match="weight must hold finite, non-negative"):
        fn(p, y, weight=np.array([-1.0, 1.0]))
    with pytest.raises(TypeError, match="probs must be a real numeric array"):
        fn(np.array(["a", "b"]), y)
    with pytest.raises(TypeError, match="target must be a real numeric array"):
        fn(p, None)


@pytest.mark.parametrize("fn", [sigmoid_binary_cross_entropy, sigmoid_binary_cross_entropy_grad])
def test_sbce_invalid(fn):
    x, y = np.array([[0.5, 0.2]]), np.array([[1.0, 0.0]])
    with pytest.raises(ValueError, match="target must lie in"):
        fn(x, np.array([[1.0, -0.5]]))
    with pytest.raises(ValueError, match="target must have shape"):
        fn(x, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="pos_weight with shape"):
        fn(x, y, pos_weight=np.ones(3))
    with pytest.raises(ValueError, match="pos_weight must hold finite, non-negative"):
        fn(x, y, pos_weight=np.array([INF, 1.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(x, y, reduction=None)
    with pytest.raises(TypeError, match="logits must be a real numeric array"):
        fn([[object(), 1.0]], y)


# ---------------------------------------------------------------------------
# no warnings at any magnitude; fuzz
# ---------------------------------------------------------------------------

EXTREMES = np.array([1e308, -1e308, INF, -INF, 0.0, -0.0, 5e-324, 1e4, -1e4, 745.2, -745.2, np.nan])


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_no_runtime_warning_at_extremes(reduction):
    x = np.repeat(EXTREMES, 3)
    y = np.tile([0.0, 1.0, 0.5], EXTREMES.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (sigmoid_binary_cross_entropy, sigmoid_binary_cross_entropy_grad):
            fn(x, y, reduction=reduction, pos_weight=2.0, weight=np.full(x.shape, 0.5))
        p = np.tile([0.0, 1.0, 5e-324, 1e-300, 1 - 1e-15, 0.5, np.nan], 3)
        t = np.repeat([0.0, 1.0, 0.5], 7)
        for fn in (binary_cross_entropy, binary_cross_entropy_grad):
            fn(p, t, reduction=reduction)
            fn(p, t, reduction=reduction, eps=1e-7, weight=np.zeros(p.shape))
            fn(p, t, reduction=reduction, weight=np.zeros(p.shape))


FLOATS = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data(), fn=st.sampled_from([binary_cross_entropy, binary_cross_entropy_grad,
                                           sigmoid_binary_cross_entropy, sigmoid_binary_cross_entropy_grad]),
       reduction=st.sampled_from(["none", "sum", "mean", "bad"]))
def test_fuzz_only_documented_exceptions(data, fn, reduction):
    shape = data.draw(SHAPES)
    a = data.draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    y = data.draw(hnp.arrays(np.float64, data.draw(st.sampled_from([shape, (2,)])), elements=FLOATS))
    kw = {"reduction": reduction}
    if data.draw(st.booleans()):
        kw["weight"] = data.draw(hnp.arrays(np.float64, data.draw(st.sampled_from([(), (1,), (3,)])),
                                            elements=FLOATS))
    if fn in (binary_cross_entropy, binary_cross_entropy_grad) and data.draw(st.booleans()):
        kw["eps"] = data.draw(FLOATS)
    try:
        out = fn(a, y, **kw)
    except ValueError as exc:
        assert any(name in str(exc) for name in ("probs", "target", "weight", "eps", "reduction"))
        return
    assert np.asarray(out).dtype == np.float64
    if reduction == "none" or fn in (binary_cross_entropy_grad, sigmoid_binary_cross_entropy_grad):
        assert np.shape(out) == shape
    if fn is sigmoid_binary_cross_entropy and reduction == "none":
        assert np.all(np.isnan(out) | (out >= 0))


# ---------------------------------------------------------------------------
# the shared-logarithm fast path (benchmarks: one log1p for both softplus terms)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
def test_softplus_both_is_softplus_bit_for_bit(shape):
    """``_softplus_both(x)`` must give exactly ``(softplus(-x), softplus(x))``:
    the sigmoid losses rely on it being the same function as ``reference.softplus``."""
    from reference import softplus
    from reference._eft import _softplus_both

    rng = np.random.default_rng(7)
    specials = np.array([0.0, -0.0, INF, -INF, np.nan, 1e-300, -1e-300, 37.0, -37.0, 745.0, -745.0,
                         1e308, -1e308, 5e-324])
    for _ in range(20):
        x = rng.standard_normal(shape) * rng.choice([1.0, 40.0, 1e4, 1e300])
        x = np.where(rng.random(shape) < 0.3, rng.choice(specials, shape), x)
        neg, pos = _softplus_both(np.asarray(x, dtype=np.float64))
        for got, want in ((neg, softplus(-x)), (pos, softplus(x))):
            assert np.shape(got) == np.shape(want)
            assert np.array_equal(got, want, equal_nan=True)

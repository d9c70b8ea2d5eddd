"""Tests for reference/softmax.py (spec: docs/spec/softmax.md).

Exact values come from the one oracle, accuracy/exact.py (mpmath at 60 digits).
The special values and worked examples are rows of conformance/cases/softmax.toml
and golden vectors, which tests/test_cases.py runs against the reference; what
stays here is the reference's algorithm: accuracy on random and offset rows,
stability, properties, and central differences of the gradient.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from accuracy import exact
from reference import log_sigmoid, log_softmax, logsumexp, logsumexp_grad, sigmoid, softmax

INF, NAN = math.inf, math.nan
EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------
# exact values from the oracle
# ---------------------------------------------------------------------------

def _rounded(values):
    arr = np.asarray(values, dtype=object)
    return np.array([float(v) for v in arr.reshape(-1)], dtype=np.float64).reshape(arr.shape)


def exact_rows(z, axis=-1):
    """``(softmax, log_softmax, logsumexp)`` of ``z`` along ``axis``, exactly rounded (accuracy.exact)."""
    zl = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    sm, ls = _rounded(exact.softmax(zl)), _rounded(exact.log_softmax(zl))
    return np.moveaxis(sm, -1, axis), np.moveaxis(ls, -1, axis), _rounded(exact.logsumexp(zl))


def ulp_err(got, exp, floor=0.0):
    """Error in float64 ulps of max(|exp|, floor); equal infinities and NaNs count 0."""
    got = np.asarray(got, dtype=np.float64)
    exp = np.asarray(exp, dtype=np.float64)
    same = (got == exp) | (np.isnan(got) & np.isnan(exp))
    with np.errstate(all="ignore"):
        err = np.abs(got - exp) / np.spacing(np.maximum(np.abs(exp), floor))
    return np.where(same, 0.0, np.where(np.isfinite(err), err, np.inf))


def shifted(z, axis=-1):
    with np.errstate(all="ignore"):
        m = np.max(z, axis=axis, keepdims=True)
        d = np.where(np.isfinite(m), z - m, 0.0)
    return np.minimum(np.where(np.isfinite(d), np.abs(d), 0.0), 1e300)  # keep budgets finite


def assert_matches_exact(z, axis=-1):
    """softmax within 8 (1 + |d| + log C) ulps relative; log_softmax / logsumexp within
    8 (1 + |d| + log C) ulps of max(|value|, 1)."""
    z = np.asarray(z, dtype=np.float64)
    sm, ls, lse = exact_rows(z, axis)
    c = z.shape[axis]
    budget = 8 * (1 + shifted(z, axis) + math.log(c))
    assert np.all(ulp_err(softmax(z, axis=axis), sm) <= budget), (z, softmax(z, axis=axis), sm)
    assert np.all(ulp_err(log_softmax(z, axis=axis), ls, floor=1.0) <= budget), (z, log_softmax(z, axis=axis), ls)
    assert np.all(ulp_err(logsumexp(z, axis=axis), lse, floor=1.0) <= 8 * (1 + math.log(c)))


@pytest.fixture(autouse=True)
def _no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ---------------------------------------------------------------------------
# values against the oracle
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_random_rows_match_the_oracle(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 5.0, size=(4, 1 + seed))
    assert_matches_exact(z)


@pytest.mark.parametrize("offset", [1e4, -1e4, 1e308, -1e308, 1e300, 2.0**40])
def test_offsets_match_the_oracle(offset):
    rng = np.random.default_rng(1)
    z = offset + rng.normal(0.0, 3.0, size=(3, 5))
    assert_matches_exact(z)


def test_offset_1e308_rows():
    big = 1e308
    z = np.array([[big, big, big], [big, -big, 0.0], [-big, -big, -big], [np.finfo(float).max, 0.0, -1.0]])
    assert_matches_exact(z)


def test_shift_by_1e4_is_exact_for_grid_logits():
    z = np.array([[0.0, 1.0, 2.5, -3.0]])
    np.testing.assert_array_equal(softmax(z + 1e4), softmax(z))
    np.testing.assert_array_equal(log_softmax(z + 1e4), log_softmax(z))
    assert logsumexp(z + 1e4)[0] == pytest.approx(1e4 + logsumexp(z)[0], rel=2 * EPS)


@pytest.mark.parametrize("gap", [40.0, 50.0, 300.0, 700.0, 745.0])
def test_confident_rows_keep_the_tail(gap):
    """The maximal entry of log_softmax is -log1p(rest), judged relative to its tiny size."""
    z = np.array([gap, 0.0, -1.0, 0.0])
    sm, ls, _ = exact_rows(z)
    got = log_softmax(z)[0]
    assert got != 0.0
    assert ulp_err(got, ls[0]) <= 4
    assert ulp_err(softmax(z)[1], sm[1]) <= 8 * (1 + gap)
    assert_matches_exact(z)


# ---------------------------------------------------------------------------
# infinite logits and NaN
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row, k", [([INF, 0.0, 1.0], 1), ([INF, -2.0, INF, -INF], 2), ([INF] * 3, 3)])
def test_logsumexp_grad_takes_the_softmax_limits(row, k):
    z = np.array(row)
    np.testing.assert_array_equal(logsumexp_grad(z), np.where(z == INF, 1.0 / k, 0.0))


def test_neginf_entries_drop_out_exactly():
    z = np.array([-INF, 0.0, 1.0, -INF])
    np.testing.assert_array_equal(softmax(z)[1:3], softmax(z[1:3]))
    np.testing.assert_array_equal(log_softmax(z)[1:3], log_softmax(z[1:3]))
    assert logsumexp(z) == logsumexp(z[1:3])


# ---------------------------------------------------------------------------
# properties, batches and axes
# ---------------------------------------------------------------------------

def test_batch_axes_and_axis_argument():
    rng = np.random.default_rng(5)
    z = rng.normal(0, 4, size=(2, 3, 4))
    for axis in (0, 1, 2, -1, -2, -3):
        assert_matches_exact(z, axis=axis)
        assert softmax(z, axis=axis).shape == z.shape
        assert logsumexp(z, axis=axis).shape == tuple(np.delete(z.shape, axis % 3))
        np.testing.assert_allclose(np.sum(softmax(z, axis=axis), axis=axis), 1.0, rtol=8 * EPS)
        np.testing.assert_array_equal(softmax(z, axis=axis), np.moveaxis(softmax(np.moveaxis(z, axis, -1)), -1, axis))


def test_rows_are_independent():
    z = np.array([[1.0, 2.0, 3.0], [NAN, 0.0, 0.0], [-INF, -INF, -INF], [INF, 0.0, 0.0], [1e308, -1e308, 0.0]])
    whole = softmax(z)
    for i in range(z.shape[0]):
        np.testing.assert_array_equal(whole[i], softmax(z[i]))
        np.testing.assert_array_equal(log_softmax(z)[i], log_softmax(z[i]))


def test_one_class_and_empty_batch():
    np.testing.assert_array_equal(softmax(np.array([[3.0], [-1e308]])), [[1.0], [1.0]])
    np.testing.assert_array_equal(log_softmax(np.array([[3.0]])), [[0.0]])
    assert logsumexp(np.array([-123.25])) == -123.25
    assert softmax(np.zeros((0, 4))).shape == (0, 4)
    assert logsumexp(np.zeros((0, 4))).shape == (0,)


def test_return_types():
    assert isinstance(logsumexp(np.array([1.0, 2.0])), np.float64)
    assert softmax(np.array([1, 2], dtype=np.float32)).dtype == np.float64
    assert softmax([1, 2]).dtype == np.float64  # integer logits are accepted
    assert isinstance(sigmoid(0.5), np.float64)


def test_logsumexp_grad_is_softmax_and_matches_finite_differences():
    # Central differences validate the reference here; the conformance suite
    # judges a target's gradient against the reference gradient.
    rng = np.random.default_rng(2)
    z = rng.normal(0, 2, size=(3, 4))
    g = logsumexp_grad(z)
    np.testing.assert_array_equal(g, softmax(z))
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        fd = (logsumexp(zp)[idx[0]] - logsumexp(zm)[idx[0]]) / (2 * h)
        assert abs(fd - g[idx]) < 1e-8
    np.testing.assert_array_equal(logsumexp_grad(z.T, axis=0), softmax(z.T, axis=0))


def test_softmax_jacobian():
    """diag(s) - s s^T, against central differences of the reference softmax."""
    z = np.array([0.3, -1.2, 2.0])
    s = softmax(z)
    jac = np.diag(s) - np.outer(s, s)
    h = 1e-6
    for j in range(3):
        zp, zm = z.copy(), z.copy()
        zp[j] += h
        zm[j] -= h
        np.testing.assert_allclose((softmax(zp) - softmax(zm)) / (2 * h), jac[:, j], rtol=0, atol=1e-9)
    np.testing.assert_allclose(jac @ np.ones(3), 0.0, atol=4 * EPS)  # shift invariance


# ---------------------------------------------------------------------------
# sigmoid and log_sigmoid
# ---------------------------------------------------------------------------

def test_sigmoid_of_an_empty_array_keeps_its_shape():
    assert sigmoid(np.zeros((2, 0))).shape == (2, 0)
    assert log_sigmoid(np.zeros((2, 0))).shape == (2, 0)


def test_sigmoid_is_two_class_softmax():
    for x in (-30.0, -2.0, 0.0, 0.5, 25.0):
        assert ulp_err(sigmoid(x), softmax(np.array([x, 0.0]))[0]) <= 4
        assert ulp_err(log_sigmoid(x), log_softmax(np.array([x, 0.0]))[0], floor=1.0) <= 4


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("f", [softmax, log_softmax, logsumexp, logsumexp_grad])
def test_invalid_input_messages(f):
    with pytest.raises(ValueError, match=r"z must have at least one class along axis -1"):
        f(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\) for a 2-d input, got 2"):
        f(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match=r"axis must be an integer, got 1.0"):
        f(np.zeros((2, 3)), axis=1.0)
    with pytest.raises(TypeError, match=r"z must be a real numeric array, got dtype <U1"):
        f(np.array(["a", "b"]))
    with pytest.raises(TypeError, match=r"z must be a real numeric array, got None"):
        f(None)
    with pytest.raises(TypeError, match=r"z must be a real numeric array, got dtype complex128"):
        f(np.array([1 + 2j]))
    with pytest.raises(ValueError, match=r"at least one dimension, got a scalar"):
        f(3.0)


@pytest.mark.parametrize("f", [sigmoid, log_sigmoid])
def test_sigmoid_invalid_input(f):
    with pytest.raises(TypeError, match=r"x must be a real numeric array, got None"):
        f(None)
    with pytest.raises(TypeError, match=r"x must be a real numeric array, got dtype <U1"):
        f(np.array(["a"]))


# ---------------------------------------------------------------------------
# fuzz
# ---------------------------------------------------------------------------

SPECIAL = st.sampled_from([INF, -INF, NAN, 1e308, -1e308, 5e-324, -5e-324, 0.0, -0.0, 1e4, -1e4])
ELEMENTS = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), SPECIAL)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), elements=ELEMENTS),
       st.integers(-3, 2))
def test_fuzz(z, axis):
    ndim = z.ndim
    if not -ndim <= axis < ndim:
        with pytest.raises(ValueError, match="axis must be in"):
            softmax(z, axis=axis)
        return
    if z.shape[axis] == 0:
        for f in (softmax, log_softmax, logsumexp):
            with pytest.raises(ValueError, match="at least one class"):
                f(z, axis=axis)
        return
    s, ls, lse = softmax(z, axis=axis), log_softmax(z, axis=axis), logsumexp(z, axis=axis)
    assert s.shape == z.shape and ls.shape == z.shape
    zz = np.moveaxis(z, axis, -1)
    row_nan = np.any(np.isnan(zz), axis=-1)
    all_neg = np.all(zz == -INF, axis=-1)
    ss = np.moveaxis(s, axis, -1)
    ok = ~row_nan & ~all_neg
    # NaN exactly where the spec says, nowhere else.
    assert np.array_equal(np.any(np.isnan(ss), axis=-1), ~ok)
    assert np.array_equal(np.isnan(np.asarray(lse)), row_nan)
    good = ss[ok]
    assert np.all((good >= 0) & (good <= 1))
    np.testing.assert_allclose(np.sum(good, axis=-1), 1.0, rtol=0, atol=8 * zz.shape[-1] * EPS)
    lss = np.moveaxis(ls, axis, -1)[ok]
    assert np.all(lss <= 0)
    if zz.size and zz.shape[-1] <= 4 and ok.any():
        # Compare with the oracle on the rows that are defined.
        rows = zz[ok]
        for r, s_row, l_row in zip(rows, good, lss):
            sm, lsm, _ = exact_rows(r)
            budget = 8 * (1 + shifted(r) + math.log(len(r)))
            assert np.all(ulp_err(s_row, sm) <= budget)
            assert np.all(ulp_err(l_row, lsm, floor=1.0) <= budget)

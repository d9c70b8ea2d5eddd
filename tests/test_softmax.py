"""Tests for reference/softmax.py against mpmath at 50 digits (spec: docs/spec/softmax.md)."""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from reference import log_sigmoid, log_softmax, logsumexp, logsumexp_grad, sigmoid, softmax

mp.mp.dps = 50
INF, NAN = math.inf, math.nan
EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------
# mpmath expectations
# ---------------------------------------------------------------------------

def mp_row(z):
    """``(softmax, log_softmax, logsumexp)`` of one row as floats, from the definitions.

    Infinite logits take their limits (spec clauses softmax.special.*).
    """
    z = [float(v) for v in z]
    c = len(z)
    if any(math.isnan(v) for v in z):
        return [NAN] * c, [NAN] * c, NAN
    pos = [i for i, v in enumerate(z) if v == INF]
    if pos:
        k = len(pos)
        return ([1.0 / k if i in pos else 0.0 for i in range(c)],
                [float(-mp.log(k)) if i in pos else -INF for i in range(c)], INF)
    live = [i for i, v in enumerate(z) if v != -INF]
    if not live:
        return [NAN] * c, [NAN] * c, -INF
    star = max(live, key=lambda i: z[i])
    m = mp.mpf(z[star])
    log_s = mp.log1p(mp.fsum(mp.exp(mp.mpf(z[i]) - m) for i in live if i != star))
    ls = [(mp.mpf(z[i]) - m) - log_s if i in live else None for i in range(c)]
    return ([float(mp.exp(v)) if v is not None else 0.0 for v in ls],
            [float(v) if v is not None else -INF for v in ls], float(m + log_s))


def mp_rows(z, axis=-1):
    z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    flat = z.reshape(-1, z.shape[-1])
    res = [mp_row(r) for r in flat]
    sm = np.array([r[0] for r in res]).reshape(z.shape)
    ls = np.array([r[1] for r in res]).reshape(z.shape)
    lse = np.array([r[2] for r in res]).reshape(z.shape[:-1])
    return np.moveaxis(sm, -1, axis), np.moveaxis(ls, -1, axis), lse


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


def assert_matches_mpmath(z, axis=-1):
    """softmax within 8 (1 + |d| + log C) ulps relative; log_softmax / logsumexp within
    8 (1 + |d| + log C) ulps of max(|value|, 1)."""
    z = np.asarray(z, dtype=np.float64)
    sm, ls, lse = mp_rows(z, axis)
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
# values against mpmath
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_random_rows_match_mpmath(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 5.0, size=(4, 1 + seed))
    assert_matches_mpmath(z)


@pytest.mark.parametrize("offset", [1e4, -1e4, 1e308, -1e308, 1e300, 2.0**40])
def test_offsets_match_mpmath(offset):
    rng = np.random.default_rng(1)
    z = offset + rng.normal(0.0, 3.0, size=(3, 5))
    assert_matches_mpmath(z)


def test_offset_1e308_rows():
    big = 1e308
    z = np.array([[big, big, big], [big, -big, 0.0], [-big, -big, -big], [np.finfo(float).max, 0.0, -1.0]])
    assert_matches_mpmath(z)
    np.testing.assert_array_equal(softmax(z[:1]), [[1 / 3] * 3])
    np.testing.assert_array_equal(softmax(np.array([big, -big])), [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax(np.array([big, -big])), [0.0, -INF])
    assert logsumexp(np.array([big, big])) == big


def test_shift_by_1e4_is_exact_for_grid_logits():
    z = np.array([[0.0, 1.0, 2.5, -3.0]])
    np.testing.assert_array_equal(softmax(z + 1e4), softmax(z))
    np.testing.assert_array_equal(log_softmax(z + 1e4), log_softmax(z))
    assert logsumexp(z + 1e4)[0] == pytest.approx(1e4 + logsumexp(z)[0], rel=2 * EPS)


@pytest.mark.parametrize("gap", [40.0, 50.0, 300.0, 700.0, 745.0])
def test_confident_rows_keep_the_tail(gap):
    """The maximal entry of log_softmax is -log1p(rest), judged relative to its tiny size."""
    z = np.array([gap, 0.0, -1.0, 0.0])
    rest = mp.exp(-mp.mpf(gap)) * (2 + mp.exp(-1))
    want = float(-mp.log1p(rest))
    got = log_softmax(z)[0]
    assert got != 0.0
    assert ulp_err(got, want) <= 4
    assert ulp_err(softmax(z)[1], float(mp.exp(-mp.mpf(gap)) / (1 + rest))) <= 8 * (1 + gap)
    assert_matches_mpmath(z)


def test_confident_source_number():
    assert -log_softmax(np.array([50.0, 0.0]))[0] == 1.9287498479639178e-22
    assert float(mp.log1p(mp.exp(-50))) == 1.9287498479639178e-22


def test_source_perturbed_softmax():
    logits = np.log([0.03, 0.05, 0.8, 0.1, 0.02]) + [0.4, 0.4, 0.0, 0.3, 0.3]
    got = softmax(logits)
    np.testing.assert_array_equal(got.round(8), [0.04138864, 0.06898107, 0.73983032, 0.12483331, 0.02496666])
    assert_matches_mpmath(logits)


def test_naive_formula_overflows_but_reference_does_not():
    z = np.array([1000.0, 1000.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.sum(np.exp(z))
    assert np.all(np.isnan(naive))
    np.testing.assert_array_equal(softmax(z), [0.5, 0.5])
    assert logsumexp(z) == float(1000 + mp.log(2))


# ---------------------------------------------------------------------------
# infinite logits and NaN
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row, k", [([INF, 0.0, 1.0], 1), ([INF, -2.0, INF, -INF], 2), ([INF] * 3, 3)])
def test_posinf_entries_share_the_mass(row, k):
    z = np.array(row)
    pos = z == INF
    np.testing.assert_array_equal(softmax(z), np.where(pos, 1.0 / k, 0.0))
    np.testing.assert_array_equal(log_softmax(z), np.where(pos, -math.log(k), -INF))
    assert logsumexp(z) == INF
    np.testing.assert_array_equal(logsumexp_grad(z), np.where(pos, 1.0 / k, 0.0))


def test_neginf_masks_a_class():
    z = np.array([-INF, 0.0, 1.0, -INF])
    sm, ls, lse = mp_rows(z)
    np.testing.assert_allclose(softmax(z), sm, rtol=4 * EPS, atol=0)
    assert softmax(z)[0] == 0.0 and log_softmax(z)[0] == -INF
    np.testing.assert_array_equal(softmax(z)[1:3], softmax(z[1:3]))
    assert logsumexp(z) == logsumexp(z[1:3])


def test_all_neginf_row():
    z = np.array([[-INF, -INF], [0.0, 0.0]])
    assert np.all(np.isnan(softmax(z)[0])) and np.all(np.isnan(log_softmax(z)[0]))
    np.testing.assert_array_equal(softmax(z)[1], [0.5, 0.5])
    np.testing.assert_array_equal(logsumexp(z), [-INF, math.log(2)])


@pytest.mark.parametrize("row", [[NAN, 0.0, 1.0], [INF, NAN, 0.0], [-INF, NAN, -INF], [NAN, NAN, NAN]])
def test_nan_makes_the_row_nan(row):
    z = np.array([row, [0.0, 0.0, 0.0]])
    for f in (softmax, log_softmax):
        out = f(z)
        assert np.all(np.isnan(out[0]))
        assert not np.any(np.isnan(out[1]))
    assert np.isnan(logsumexp(z)[0]) and logsumexp(z)[1] == float(mp.log(3))


# ---------------------------------------------------------------------------
# properties, batches and axes
# ---------------------------------------------------------------------------

def test_batch_axes_and_axis_argument():
    rng = np.random.default_rng(5)
    z = rng.normal(0, 4, size=(2, 3, 4))
    for axis in (0, 1, 2, -1, -2, -3):
        assert_matches_mpmath(z, axis=axis)
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
    """diag(s) - s s^T, checked with mpmath derivatives of the definition."""
    z = [0.3, -1.2, 2.0]
    s = softmax(np.array(z))
    jac = np.diag(s) - np.outer(s, s)
    for i in range(3):
        for j in range(3):
            def f(t, i=i, j=j):
                zz = [mp.mpf(v) for v in z]
                zz[j] = t
                return mp.exp(zz[i]) / mp.fsum(mp.exp(v) for v in zz)
            want = float(mp.diff(f, mp.mpf(z[j])))
            assert abs(jac[i, j] - want) < 4 * EPS


# ---------------------------------------------------------------------------
# sigmoid and log_sigmoid
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [-1000.0, -745.0, -700.0, -40.0, -1.0, 0.0, 1.0, 17.0, 37.0, 40.0, 700.0, 1000.0])
def test_sigmoid_tails_match_mpmath(x):
    X = mp.mpf(x)
    want_s = float(1 / (1 + mp.exp(-X)))
    want_ls = float(-mp.log1p(mp.exp(-X)))
    assert ulp_err(sigmoid(x), want_s) <= 4 * (1 + (abs(x) if x < 0 else 0))
    assert ulp_err(log_sigmoid(x), want_ls) <= 4 * (1 + (abs(x) if x > 0 else 0))


def test_sigmoid_special_values():
    x = np.array([-INF, INF, NAN])
    np.testing.assert_array_equal(sigmoid(x), [0.0, 1.0, NAN])
    np.testing.assert_array_equal(log_sigmoid(x), [-INF, 0.0, NAN])
    assert log_sigmoid(-1000.0) == -1000.0
    assert log_sigmoid(40.0) != 0.0
    assert sigmoid(np.zeros((2, 0))).shape == (2, 0)


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
        # Compare with mpmath on the rows that are defined.
        rows = zz[ok]
        for r, s_row, l_row in zip(rows, good, lss):
            sm, lsm, _ = mp_row(r)
            budget = 8 * (1 + shifted(r) + math.log(len(r)))
            assert np.all(ulp_err(s_row, sm) <= budget)
            assert np.all(ulp_err(l_row, lsm, floor=1.0) <= budget)

"""Tests for reference/information.py (spec: docs/spec/information.md).

Exact values come from the one oracle, accuracy/exact.py (mpmath at 60 digits), or
from closed forms.  The source documents' numbers and the special values are rows
of conformance/cases/information.toml and golden vectors, which tests/test_cases.py
runs against the reference; what stays here is the reference's algorithm:
accuracy on random and hard inputs, properties, SciPy cross-checks and central
differences of the gradients.
"""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sps
import scipy.stats as sst
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from accuracy import exact
from reference import (
    cross_entropy,
    cross_entropy_grad,
    entropy,
    entropy_grad,
    kl_divergence,
    kl_divergence_grad,
)

mp.mp.dps = 50
INF, NAN = math.inf, math.nan
EPS = np.finfo(np.float64).eps


@pytest.fixture(autouse=True)
def _no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ---------------------------------------------------------------------------
# exact values from the oracle
# ---------------------------------------------------------------------------

def ex_entropy(p, base=None):
    return float(exact.entropy(np.asarray(p, dtype=np.float64), base=base)[()])


def ex_cross_entropy(p, q, eps=0.0, base=None):
    return float(exact.cross_entropy(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64),
                                     eps=eps, base=base)[()])


def ex_kl(p, q, base=None):
    return float(exact.kl_divergence(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64),
                                     base=base)[()])


def close(got, want, ulps=8, floor=1.0):
    """Within ``ulps`` float64 ulps of max(|want|, floor); equal infinities/NaNs pass."""
    got, want = float(got), float(want)
    if math.isnan(want) or math.isinf(want):
        return (math.isnan(got) and math.isnan(want)) or got == want
    return abs(got - want) <= ulps * np.spacing(max(abs(want), floor))


# ---------------------------------------------------------------------------
# the source documents
# ---------------------------------------------------------------------------

def test_source_derivation_error():
    """D_KL = CE - H, not H - sum p log q (the source's sign error), for a soft p."""
    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    ce, h, d = cross_entropy(p, q), entropy(p), kl_divergence(p, q)
    assert close(d, ce - h, ulps=4)
    assert not math.isclose(d, h + ce, rel_tol=1e-3)  # what the wrong line would give for -sum p log q = CE


# ---------------------------------------------------------------------------
# values against the oracle
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_random_distributions_match_the_oracle(seed):
    rng = np.random.default_rng(seed)
    c = 1 + seed
    p = rng.dirichlet(np.ones(c), size=3)
    q = rng.dirichlet(np.ones(c), size=3)
    p[0, 0] = 0.0
    base = [None, 2, 10][seed % 3]
    h, ce, d = entropy(p, base=base), cross_entropy(p, q, base=base), kl_divergence(p, q, base=base)
    for i in range(3):
        assert close(h[i], ex_entropy(p[i], base), ulps=8)
        assert close(ce[i], ex_cross_entropy(p[i], q[i], base=base), ulps=8)
        assert close(d[i], ex_kl(p[i], q[i], base), ulps=16)


@pytest.mark.parametrize(
    "p, q",
    [
        ([1.0, 0.0], [1e-300, 1.0]),
        ([1.0, 0.0], [1e-310, 1.0]),  # p/q overflows: must not give inf
        ([1e-300, 1.0], [1.0, 1e-300]),
        ([5e-324, 1.0], [1.0, 5e-324]),
        ([0.5, 0.5], [0.5 + 2**-30, 0.5 - 2**-30]),  # nearly equal: keep the digits
        ([1e-300, 1 - 1e-300], [0.5, 0.5]),
    ],
)
def test_hard_kl_cases(p, q):
    assert close(kl_divergence(p, q), ex_kl(p, q), ulps=8)
    assert close(cross_entropy(p, q), ex_cross_entropy(p, q), ulps=8)


def test_nearly_equal_kl_is_relatively_accurate():
    p, q = [0.5, 0.5], [0.5 + 2**-30, 0.5 - 2**-30]
    want = ex_kl(p, q)
    assert abs(kl_divergence(p, q) - want) <= 64 * np.spacing(want)


@pytest.mark.parametrize("ratio", [2**-3.6, 2**-3.5, 0.125, 0.25, 2**-1.5, 0.5, 2**-0.5, 0.9, 1 - 2**-20, 1.0,
                                   1 + 2**-20, 1.1, 2**0.5, 1.5, 2.0, 2**1.5, 3.0, 2**2.5, 8.0, 2**3.5, 12.0])
@pytest.mark.parametrize("scale", [1.0, 1e-302, 1e-305, 1e-308, 1e299])
def test_kl_terms_across_the_reduction_zones(ratio, scale):
    # Two outcomes, q = (1, 1) * scale: each term is relatively accurate around
    # the boundaries of the argument reduction (p/q = 2**(k + 1/2)) and far from 1.
    p = np.array([ratio, 1.0]) * scale
    q = np.array([1.0, 1.0]) * scale
    want = ex_kl(p, q)
    assert abs(kl_divergence(p, q) - want) <= 3 * np.spacing(abs(want)) + 2 * 5e-324


def test_kl_subnormal_and_huge_q_with_finite_p():
    # 0 log(0 / q) = 0 even where 2**k q would underflow.
    assert kl_divergence([0.0, 0.0], [0.5, 5e-324]) == 0.0
    # q of 1e299 next to a moderate p: p log(p / q), not swallowed by q's size.
    p, q = [0.5, 0.5], [1e299, 0.5]
    assert close(kl_divergence(p, q), ex_kl(p, q), ulps=4, floor=0.0)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_ce_equals_h_plus_kl_and_gibbs(seed):
    rng = np.random.default_rng(100 + seed)
    p = rng.dirichlet(np.ones(5), size=4)
    q = rng.dirichlet(np.ones(5), size=4)
    p[1, 2] = 0.0  # an unnormalised p: the identity still holds
    ce, h, d = cross_entropy(p, q), entropy(p), kl_divergence(p, q)
    np.testing.assert_allclose(ce, h + d, rtol=8 * EPS, atol=8 * EPS)
    p = p / p.sum(axis=-1, keepdims=True)
    assert np.all(kl_divergence(p, q) > 0)
    np.testing.assert_array_equal(kl_divergence(p, p), 0.0)
    np.testing.assert_allclose(cross_entropy(p, p), entropy(p), rtol=4 * EPS)


@pytest.mark.parametrize("c", [1, 2, 3, 6, 64, 1000])
def test_uniform_entropy_is_log_c(c):
    assert close(entropy(np.full(c, 1.0 / c)), float(mp.log(c)), ulps=8 + c * 0.01)
    assert close(entropy(np.full(c, 1.0 / c), base=2), float(mp.log(c, 2)), ulps=8 + c * 0.01)


def test_axis_and_shapes():
    rng = np.random.default_rng(9)
    p = rng.dirichlet(np.ones(4), size=(2, 3))  # (2, 3, 4)
    q = rng.dirichlet(np.ones(4), size=(2, 3))
    for axis in (0, 1, 2, -1):
        pa, qa = np.moveaxis(p, -1, axis), np.moveaxis(q, -1, axis)
        np.testing.assert_array_equal(kl_divergence(pa, qa, axis=axis), kl_divergence(p, q))
        np.testing.assert_array_equal(cross_entropy(pa, qa, axis=axis), cross_entropy(p, q))
        np.testing.assert_array_equal(entropy(pa, axis=axis), entropy(p))
        assert entropy_grad(pa, axis=axis).shape == pa.shape
    assert isinstance(entropy([0.5, 0.5]), np.float64)
    assert isinstance(kl_divergence([0.5, 0.5], [0.5, 0.5]), np.float64)
    assert entropy(np.zeros((0, 3))).shape == (0,)


# ---------------------------------------------------------------------------
# cross-checks against SciPy
# ---------------------------------------------------------------------------

def test_scipy_cross_checks():
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(5), size=3)
    q = rng.dirichlet(np.ones(5), size=3)
    p[0, 1] = 0.0
    np.testing.assert_allclose(entropy(p), np.sum(sps.entr(p), axis=-1), rtol=4 * EPS)
    np.testing.assert_allclose(kl_divergence(p, q), np.sum(sps.rel_entr(p, q), axis=-1), rtol=16 * EPS, atol=4 * EPS)
    np.testing.assert_allclose(cross_entropy(p, q), -np.sum(sps.xlogy(p, q), axis=-1), rtol=4 * EPS)
    # scipy.stats.entropy normalises and reduces along axis 0 by default.
    np.testing.assert_allclose(sst.entropy(p.T), entropy(p / p.sum(axis=-1, keepdims=True)), rtol=8 * EPS)
    np.testing.assert_allclose(sst.entropy(p, axis=-1), entropy(p / p.sum(axis=-1, keepdims=True)), rtol=8 * EPS)
    unnormalised = np.array([2.0, 3.0, 0.25])
    assert not math.isclose(sst.entropy(unnormalised), entropy(unnormalised))
    # scipy.special.kl_div adds q - p; for normalised p and q the sums agree.
    np.testing.assert_allclose(kl_divergence(p[1:], q[1:]), np.sum(sps.kl_div(p[1:], q[1:]), axis=-1), rtol=1e-12)
    assert not math.isclose(kl_divergence([1.0, 0.0], [0.25, 0.25]), float(np.sum(sps.kl_div([1.0, 0.0], [0.25, 0.25]))))


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

def _fd(f, x, idx, h=1e-7):
    xp, xm = x.copy(), x.copy()
    xp[idx] += h
    xm[idx] -= h
    return (f(xp) - f(xm)) / (2 * h)


@pytest.mark.parametrize("base", [None, 2])
def test_gradients_match_finite_differences(base):
    rng = np.random.default_rng(21)
    p = rng.dirichlet(np.ones(4)) * 0.8 + 0.05
    q = rng.dirichlet(np.ones(4)) * 0.8 + 0.05
    kw = {} if base is None else {"base": base}
    checks = [
        (entropy_grad(p, **kw), lambda x: entropy(x, **kw), p),
        (cross_entropy_grad(p, q, eps=1e-3, **kw), lambda x: cross_entropy(x, q, eps=1e-3, **kw), p),
        (cross_entropy_grad(p, q, wrt="q", **kw), lambda x: cross_entropy(p, x, **kw), q),
        (kl_divergence_grad(p, q, **kw), lambda x: kl_divergence(x, q, **kw), p),
        (kl_divergence_grad(p, q, wrt="q", **kw), lambda x: kl_divergence(p, x, **kw), q),
    ]
    for grad, f, x in checks:
        for i in range(4):
            assert abs(grad[i] - _fd(f, x, i)) < 1e-6


def test_gradient_closed_forms_against_the_oracle():
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])
    pairs = [
        (entropy_grad(p), exact.entropy_grad(p), 4, 1.0),
        (cross_entropy_grad(p, q), exact.cross_entropy_grad(p, q), 4, 1.0),
        (cross_entropy_grad(p, q, wrt="q"), exact.cross_entropy_grad(p, q, wrt="q"), 4, 0.0),
        (kl_divergence_grad(p, q), exact.kl_divergence_grad(p, q), 8, 1.0),
        (kl_divergence_grad(p, q, wrt="q"), exact.kl_divergence_grad(p, q, wrt="q"), 4, 0.0),
        (kl_divergence_grad(p, q, base=2), exact.kl_divergence_grad(p, q, base=2), 8, 1.0),
    ]
    for got, want, ulps, floor in pairs:
        for i in range(3):
            assert close(got[i], float(want[i]), ulps=ulps, floor=floor)


def test_kl_gradient_has_no_derivative_where_p_and_q_are_zero():
    # The term jumps from 0 to +inf at p = q = 0 (info.grad.zeros); the other
    # boundary values are rows of the case table.
    p, q = np.array([0.0, 0.5]), np.array([0.0, 0.5])
    np.testing.assert_array_equal(kl_divergence_grad(p, q), [NAN, 1.0])
    np.testing.assert_array_equal(kl_divergence_grad(p, q, wrt="q"), [0.0, -1.0])


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

def test_invalid_input_messages():
    good = np.array([0.25, 0.75])
    with pytest.raises(ValueError, match=r"p must be non-negative \(probabilities\), found "):
        entropy([-0.25, 1.25])
    with pytest.raises(ValueError, match=r"p must be non-negative"):
        cross_entropy([-0.25, 1.25], good)
    with pytest.raises(ValueError, match=r"q must be non-negative \(probabilities\), found "):
        kl_divergence(good, [-0.5, 1.5])
    with pytest.raises(ValueError, match=r"q must be non-negative"):
        cross_entropy_grad(good, [-0.5, 1.5])
    with pytest.raises(ValueError, match=r"eps must be a finite number >= 0, got -0.1"):
        cross_entropy(good, good, eps=-0.1)
    for bad in (1, 0, -2, 1.0, np.inf):
        with pytest.raises(ValueError, match=r"base must be a finite number > 0 and != 1"):
            entropy(good, base=bad)
        with pytest.raises(ValueError, match=r"base must be"):
            kl_divergence(good, good, base=bad)
    with pytest.raises(ValueError, match=r"q must have shape \(2,\) \(the shape of p\), got \(3,\)"):
        cross_entropy(good, [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"q must have shape"):
        kl_divergence_grad(good, [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"p must have at least one entry along axis -1"):
        entropy(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"axis must be in"):
        entropy(good, axis=1)
    with pytest.raises(TypeError, match=r"p must be a real numeric array, got None"):
        entropy(None)
    with pytest.raises(TypeError, match=r"q must be a real numeric array, got dtype <U1"):
        kl_divergence(good, np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"wrt must be 'p' or 'q', got 'x'"):
        kl_divergence_grad(good, good, wrt="x")
    with pytest.raises(TypeError, match=r"base must be a real number"):
        entropy(good, base="2")


# ---------------------------------------------------------------------------
# fuzz
# ---------------------------------------------------------------------------

PROB = st.one_of(st.floats(0.0, 1.0, width=64), st.sampled_from([0.0, 1e-300, 5e-324, 1.0, NAN, INF, -0.0]))
ANY = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), PROB)


@st.composite
def pair(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4))
    el = draw(st.sampled_from([PROB, ANY]))
    p = draw(hnp.arrays(np.float64, shape, elements=el))
    q = draw(hnp.arrays(np.float64, shape, elements=el))
    return p, q


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(pair(), st.sampled_from([None, 2]), st.sampled_from([0.0, 1e-9]))
def test_fuzz(case, base, eps):
    p, q = case
    negative = bool(np.any(p < 0) or np.any(q < 0))
    empty = p.shape[-1] == 0
    calls = [
        lambda: entropy(p, base=base),
        lambda: cross_entropy(p, q, eps=eps, base=base),
        lambda: kl_divergence(p, q, base=base),
        lambda: entropy_grad(p, base=base),
        lambda: cross_entropy_grad(p, q, eps=eps, base=base),
        lambda: cross_entropy_grad(p, q, eps=eps, base=base, wrt="q"),
        lambda: kl_divergence_grad(p, q, base=base),
        lambda: kl_divergence_grad(p, q, base=base, wrt="q"),
    ]
    if negative or empty:
        p_bad = bool(np.any(p < 0)) or empty
        for k, f in enumerate(calls):
            if k in (0, 3) and not p_bad:  # entropy and its gradient do not look at q
                f()
                continue
            with pytest.raises(ValueError, match=r"non-negative|at least one entry"):
                f()
        return
    outs = [np.asarray(f()) for f in calls]
    assert outs[0].shape == p.shape[:-1]
    for g in outs[3:]:
        assert g.shape == p.shape
    probs = np.all((p <= 1) & (q <= 1) & ~np.isnan(p) & ~np.isnan(q), axis=-1)
    h, ce, kl = outs[0], outs[1], outs[2]
    assert np.all(h[probs] >= 0)
    if eps == 0.0:  # with eps, q + eps may exceed 1 and a term turn negative
        assert np.all(ce[probs] >= 0)
    # NaN in gives NaN out.
    row_nan = np.any(np.isnan(p) | np.isnan(q), axis=-1)
    assert np.all(np.isnan(ce[row_nan])) and np.all(np.isnan(kl[row_nan]))
    assert np.array_equal(np.isnan(h), np.any(np.isnan(p), axis=-1))
    # The identity CE = H + KL where all three are finite and there is no eps.
    if eps == 0.0:
        fin = np.isfinite(ce) & np.isfinite(h) & np.isfinite(kl) & probs
        if np.any(fin):
            ce, h, kl = ce[fin], h[fin], kl[fin]
            scale = np.maximum(1.0, np.abs(h) + np.abs(kl) + p.shape[-1])
            assert np.all(np.abs(ce - (h + kl)) <= 64 * EPS * scale)

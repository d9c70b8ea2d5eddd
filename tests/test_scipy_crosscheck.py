"""The reference agrees with scipy.special and scipy.stats.entropy, minding their conventions.

SciPy is an independent float64 implementation: on well-conditioned inputs both must
agree to a few ulps. Where SciPy's convention differs (stats.entropy normalises and
defaults to axis 0; special.softmax without axis works on the whole array;
special.kl_div is the generalised KL), the test says so and adapts the call.
"""

import numpy as np
import pytest
from scipy import special, stats

import reference as ref

RNG = np.random.default_rng(20261123)
Z = RNG.normal(scale=3.0, size=(7, 5))
P = RNG.dirichlet(np.ones(5), size=7)
Q = RNG.dirichlet(np.ones(5), size=7)


def assert_ulps(got, expected, ulps, floor=np.finfo(float).tiny):
    got, expected = np.asarray(got), np.asarray(expected)
    err = np.abs(got - expected) / np.spacing(np.maximum(np.abs(expected), floor))
    assert np.all(err <= ulps), float(np.max(err))


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family(axis):
    # SciPy takes exp of the rounded z - max(z), which costs up to |z - max(z)|/2
    # ulps (about 7 here); the reference keeps that rounding error (within 2 ulps
    # of mpmath, see docs/accuracy.md), so the two differ by SciPy's error.
    assert_ulps(ref.softmax(Z, axis=axis), special.softmax(Z, axis=axis), 10)
    # Near 0, scipy's log(sum) loses the digits the reference keeps with log1p, so
    # the comparison is absolute below 1 (the suite's floor for log-probabilities).
    assert_ulps(ref.log_softmax(Z, axis=axis), special.log_softmax(Z, axis=axis), 8, floor=1.0)
    assert_ulps(ref.logsumexp(Z, axis=axis), special.logsumexp(Z, axis=axis), 4)


def test_special_softmax_default_is_the_whole_array():
    # special.softmax(Z) normalises over every element; the spec's default is the last axis.
    assert np.isclose(special.softmax(Z).sum(), 1.0)
    assert np.allclose(ref.softmax(Z).sum(axis=-1), 1.0)


def test_sigmoids():
    x = np.linspace(-700, 700, 1401)
    assert_ulps(ref.sigmoid(x), special.expit(x), 2)
    assert_ulps(ref.log_sigmoid(x), special.log_expit(x), 2)


def test_entropy_against_entr_and_stats_entropy():
    assert_ulps(ref.entropy(P), special.entr(P).sum(axis=-1), 4)
    # stats.entropy defaults to axis 0 and normalises its input.
    assert_ulps(ref.entropy(P), stats.entropy(P, axis=-1), 8)
    assert_ulps(ref.entropy(P.T, axis=0), stats.entropy(P.T), 8)
    assert_ulps(ref.entropy(P, base=2), stats.entropy(P, base=2, axis=-1), 8)
    unnormalised = 3.0 * P[0]
    assert not np.isclose(ref.entropy(unnormalised), stats.entropy(unnormalised))


def test_cross_entropy_and_kl():
    assert_ulps(ref.cross_entropy(P, Q), -special.xlogy(P, Q).sum(axis=-1), 8)
    assert_ulps(ref.kl_divergence(P, Q), special.rel_entr(P, Q).sum(axis=-1), 64)
    assert_ulps(ref.kl_divergence(P, Q), stats.entropy(P, Q, axis=-1), 64)
    # special.kl_div adds q - p per element: equal in sum only for normalised p and q.
    assert np.allclose(special.kl_div(P, Q).sum(axis=-1), ref.kl_divergence(P, Q), rtol=1e-12, atol=1e-15)
    assert not np.isclose(special.kl_div(2 * P[0], Q[0]).sum(), ref.kl_divergence(2 * P[0], Q[0]))

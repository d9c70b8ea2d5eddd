"""Tests of reference/classification.py against the one oracle (accuracy.exact,
mpmath at 60 digits), closed forms and central differences of the oracle.

The source documents' numbers and the special values are rows of
conformance/cases/classification.toml, run against the reference by
tests/test_cases.py."""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference
from accuracy import exact
from conformance.golden.gen_classification import rounded
from reference import (
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    log_sigmoid,
    log_softmax,
    nll_loss,
    nll_loss_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

mp.mp.dps = 50
INF = np.inf


# ---------------------------------------------------------------------------
# the one oracle (accuracy.exact), rounded to float64
# ---------------------------------------------------------------------------

def exact_sce(z, target, **kwargs):
    """The exact softmax cross entropy of this call (class axis last)."""
    return rounded(exact.softmax_cross_entropy(np.asarray(z, dtype=np.float64), target, **kwargs))


def close(got, expected, rtol=4e-15, atol=4e-15):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------------------
# values against the oracle over the option product
# ---------------------------------------------------------------------------

OPTIONS = list(itertools.product(
    ["none", "sum", "mean"],
    [None, np.array([0.5, 2.0, 1.0, 0.0])],
    ["absent", -1, -100, 2],
    [0.0, 0.1, 1.0],
))


@pytest.mark.parametrize("reduction,weight,ignore,smoothing", OPTIONS)
def test_sce_integer_targets_vs_mpmath(reduction, weight, ignore, smoothing):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=5.0, size=(5, 4))
    y = np.array([0, 1, 2, 3, 1])
    kw = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
    if ignore != "absent":
        kw["ignore_index"] = ignore
        if ignore < 0:
            y = np.array([0, ignore, 2, 3, ignore])
    close(softmax_cross_entropy(z, y, **kw), exact_sce(z, y, **kw), rtol=1e-14, atol=1e-14)
    # the one-hot encoding gives the same (when nothing is ignored)
    if ignore == "absent":
        kw.pop("ignore_index", None)
        close(softmax_cross_entropy(z, np.eye(4)[y], **kw), softmax_cross_entropy(z, y, **kw),
              rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weight", [None, np.array([0.5, 2.0, 1.0])])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_sce_soft_targets_vs_mpmath(reduction, weight, smoothing):
    rng = np.random.default_rng(2)
    z = rng.normal(scale=3.0, size=(4, 3))
    t = rng.dirichlet(np.ones(3), size=4)
    kw = {"weight": weight, "label_smoothing": smoothing, "reduction": reduction}
    close(softmax_cross_entropy(z, t, **kw), exact_sce(z, t, **kw), rtol=1e-14, atol=1e-14)


def test_axis_argument():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(2, 4, 3))  # classes on axis 1
    y = np.array([[0, 1, 2], [3, 3, 0]])
    moved = np.moveaxis(z, 1, -1).reshape(-1, 4)
    expected = exact_sce(moved, y.reshape(-1), reduction="none").reshape(2, 3)
    close(softmax_cross_entropy(z, y, axis=1, reduction="none"), expected)
    t = np.moveaxis(np.eye(4)[y], -1, 1)
    close(softmax_cross_entropy(z, t, axis=1, reduction="none"), expected)
    g = softmax_cross_entropy_grad(z, y, axis=1)
    assert g.shape == z.shape
    close(np.moveaxis(g, 1, -1), softmax_cross_entropy_grad(np.moveaxis(z, 1, -1), y))


def test_single_sample_returns_scalar():
    out = softmax_cross_entropy(np.array([1.0, 2.0]), np.array(1), reduction="none")
    assert isinstance(out, np.float64)
    close(out, exact_sce(np.array([[1.0, 2.0]]), np.array([1]), reduction="none")[0])


def test_nll_vs_mpmath_with_options():
    lp = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5]]))
    w = np.array([2.0, 0.5, 1.5])
    y = np.array([2, -100, 0])
    terms = [-(mp.mpf(1.5) * mp.log(mp.mpf(0.5))), mp.mpf(0), -(mp.mpf(2.0) * mp.log(mp.mpf(0.25)))]
    close(nll_loss(lp, y, weight=w, ignore_index=-100, reduction="none"), [float(v) for v in terms])
    close(nll_loss(lp, y, weight=w, ignore_index=-100, reduction="sum"), float(mp.fsum(terms)))
    close(nll_loss(lp, y, weight=w, ignore_index=-100), float(mp.fsum(terms) / 3.5))


def test_cce_vs_mpmath():
    q = np.array([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    t = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    for eps in (0.0, 1e-7):
        exp = [float(-mp.fsum(mp.mpf(tc) * mp.log(mp.mpf(qc) + mp.mpf(eps)) for qc, tc in zip(qr, tr) if tc))
               for qr, tr in zip(q, t)]
        close(categorical_cross_entropy(q, t, eps=eps, reduction="none"), exp)
        close(categorical_cross_entropy(q, t, eps=eps), float(mp.fsum(exp) / 3))


# ---------------------------------------------------------------------------
# infinite and huge logits
# ---------------------------------------------------------------------------

def test_neginf_masked_class_with_label_smoothing():
    # (the plain masking values are rows of conformance/cases/classification.toml)
    z = np.array([[-INF, 0.0, 1.0]])
    assert softmax_cross_entropy(z, np.array([1]), label_smoothing=0.1) == INF
    # zero class weight on the masked class: 0 * inf = 0
    close(softmax_cross_entropy(z, np.array([1]), weight=np.array([0.0, 1.0, 1.0]), label_smoothing=0.1),
          exact_sce(z, np.array([1]), weight=[0.0, 1.0, 1.0], label_smoothing=0.1))


@pytest.mark.parametrize("z,y", [
    ([[1e308, -1e308]], 0), ([[1e308, -1e308]], 1), ([[1e308, 1e308]], 0), ([[-1e308, -1e308, -1e308]], 2),
    ([[1e4, 0.0]], 1), ([[-1e4, 0.0, 1e4]], 1), ([[1e4, -1e4, 0.0]], 0),
])
def test_huge_logits(z, y):
    z = np.array(z)
    close(softmax_cross_entropy(z, np.array([y])), exact_sce(z, np.array([y])), rtol=2e-16, atol=0)


@pytest.mark.parametrize("margin", [40.0, 50.0, 300.0, 700.0])
def test_confident_row_keeps_tiny_loss(margin):
    z = np.array([[margin, 0.0, 0.0]])
    expected = float(mp.log1p(2 * mp.exp(-margin)))
    assert expected > 0
    close(softmax_cross_entropy(z, np.array([0])), expected, rtol=4e-16, atol=0)
    close(softmax_cross_entropy(z, np.array([1])), exact_sce(z, np.array([1])), rtol=4e-16, atol=0)


def test_naive_formula_loses_tiny_loss_and_overflows():
    z = np.array([50.0, 0.0])
    naive = -np.log(np.exp(z[0]) / np.exp(z).sum())
    assert naive == 0.0 and float(softmax_cross_entropy(z[None], np.array([0]))) > 0
    with np.errstate(all="ignore"):
        naive_big = -np.log(np.exp(1000.0) / np.exp([1000.0, 0.0]).sum())
    assert np.isnan(naive_big)
    assert float(softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([0]))) == 0.0


def test_nan_propagates_but_not_from_ignored_samples():
    z = np.array([[np.nan, 0.0], [1.0, 0.0]])
    out = softmax_cross_entropy(z, np.array([1, 0]), reduction="none")
    assert np.isnan(out[0]) and np.isfinite(out[1])
    out = softmax_cross_entropy(z, np.array([-100, 0]), ignore_index=-100, reduction="none")
    assert out[0] == 0.0
    assert np.isnan(softmax_cross_entropy(np.array([[-INF, -INF]]), np.array([0])))
    assert np.isnan(categorical_cross_entropy(np.array([np.nan, 0.5]), np.array([0.0, 1.0])))


def test_grad_at_infinite_logits():
    close(softmax_cross_entropy_grad(np.array([[INF, 0.0]]), np.array([0])), [[0.0, 0.0]], atol=0)
    close(softmax_cross_entropy_grad(np.array([[-INF, 0.0, 0.0]]), np.array([1])), [[0.0, -0.5, 0.5]], atol=0)


# ---------------------------------------------------------------------------
# ignore_index, weights, smoothing
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("ignore", [None, -1, -100, 0])
def test_ignore_index_variants(ignore):
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]])
    y = np.array([0, 2, 1]) if ignore is None or ignore >= 0 else np.array([0, ignore, 1])
    kw = {} if ignore is None else {"ignore_index": ignore}
    none = softmax_cross_entropy(z, y, reduction="none", **kw)
    close(none, exact_sce(z, y, reduction="none", **kw))
    counted = np.ones(3, bool) if ignore is None else (y != ignore)
    assert np.all(none[~counted] == 0)
    close(softmax_cross_entropy(z, y, **kw), exact_sce(z, y, **kw))
    close(softmax_cross_entropy(z, y, **kw), float(np.sum(none)) / counted.sum())


def test_all_ignored():
    # (softmax cross entropy's all-ignored values are rows of the table)
    z = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([-100, -100])
    assert np.isnan(nll_loss(z, y, ignore_index=-100))
    close(nll_loss_grad(z, y, ignore_index=-100, reduction="sum"), np.zeros((2, 2)), atol=0)


def test_smoothing_is_eps_over_c():
    z = np.array([[1.0, 2.0, 3.0]])
    lp = np.array([float(v) for v in (mp.mpf(zi) - mp.log(mp.fsum(mp.exp(mp.mpf(zj)) for zj in z[0])) for zi in z[0])])
    eps = 0.3
    t = (1 - eps) * np.array([1.0, 0.0, 0.0]) + eps / 3
    close(softmax_cross_entropy(z, np.array([0]), label_smoothing=eps), -np.sum(t * lp))
    # full smoothing: the uniform target, whatever the label
    close(softmax_cross_entropy(z, np.array([0]), label_smoothing=1.0),
          softmax_cross_entropy(z, np.array([2]), label_smoothing=1.0), rtol=1e-15)


# ---------------------------------------------------------------------------
# identities and properties
# ---------------------------------------------------------------------------

def test_nll_of_log_softmax_equals_sce():
    rng = np.random.default_rng(5)
    z = rng.normal(scale=4, size=(6, 5))
    y = np.array([0, 4, -1, 2, 2, 1])
    w = rng.uniform(0.1, 2, size=5)
    for red in ("none", "sum", "mean"):
        close(nll_loss(log_softmax(z), y, weight=w, ignore_index=-1, reduction=red),
              softmax_cross_entropy(z, y, weight=w, ignore_index=-1, reduction=red), rtol=1e-15)


def test_cce_of_softmax_equals_sce_for_finite_logits():
    rng = np.random.default_rng(6)
    z = rng.normal(scale=2, size=(4, 3))
    t = rng.dirichlet(np.ones(3), size=4)
    close(categorical_cross_entropy(softmax(z), t), softmax_cross_entropy(z, t), rtol=1e-14)


@pytest.mark.parametrize("a,b,p", [(0.0, 0.0, 1.0), (3.0, -2.0, 0.0), (-30.0, 5.0, 0.25), (700.0, -700.0, 0.5)])
def test_two_class_equals_sigmoid_bce(a, b, p):
    got = softmax_cross_entropy(np.array([[a, b]]), np.array([[1 - p, p]]))
    x = b - a
    expected = -p * float(log_sigmoid(x)) - (1 - p) * float(log_sigmoid(-x))
    close(got, expected, rtol=1e-15)
    x = mp.mpf(x)
    mp_expected = -mp.mpf(p) * -mp.log1p(mp.exp(-x)) - (1 - mp.mpf(p)) * -mp.log1p(mp.exp(x))
    close(got, float(mp_expected), rtol=1e-15)


def test_shift_permutation_batch_independence():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4, 5))
    y = np.array([1, 0, 4, 2])
    w = rng.uniform(0.5, 2, size=5)
    base = softmax_cross_entropy(z, y, weight=w, label_smoothing=0.1, reduction="none")
    close(softmax_cross_entropy(z + 1000.0, y, weight=w, label_smoothing=0.1, reduction="none"), base, rtol=1e-12)
    perm = rng.permutation(5)
    inv = np.argsort(perm)
    close(softmax_cross_entropy(z[:, perm], inv[y], weight=w[perm], label_smoothing=0.1, reduction="none"),
          base, rtol=1e-14)
    for i in range(4):
        close(softmax_cross_entropy(z[i:i + 1], y[i:i + 1], weight=w, label_smoothing=0.1, reduction="none"),
              base[i:i + 1], rtol=0, atol=0)
    assert np.all(base >= 0)


# ---------------------------------------------------------------------------
# gradients against central differences of the oracle
# ---------------------------------------------------------------------------

H = 2.0 ** -40  # a step that keeps x +- H exact for the dyadic inputs below


def _dyadic(x):
    """``x`` rounded to a multiple of 2**-20, so that ``x +- H`` is exactly representable."""
    return np.round(np.asarray(x, dtype=np.float64) * 2.0 ** 20) / 2.0 ** 20


def _fd(function, x, *args, **kwargs):
    """Central differences of the oracle's ``function`` (its total under ``reduction``)
    in its first argument, at 60 digits."""
    x = np.asarray(x, dtype=np.float64)
    assert np.all(_dyadic(x) == x)
    oracle = getattr(exact, function)

    def total(v):
        return mp.fsum(np.asarray(oracle(v, *args, **kwargs), dtype=object).reshape(-1))

    g = np.zeros_like(x)
    with mp.workdps(exact.DPS):
        for idx in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[idx] += H
            down[idx] -= H
            g[idx] = float((total(up) - total(down)) / (2 * mp.mpf(H)))
    return g


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("kind", ["index", "soft"])
def test_sce_grad_vs_finite_differences(reduction, kind):
    rng = np.random.default_rng(8)
    z = _dyadic(rng.normal(scale=2, size=(3, 4)))
    w = np.array([0.5, 1.0, 2.0, 1.5])
    if kind == "index":
        y = np.array([0, -1, 3])
        kw = {"ignore_index": -1}
    else:
        y = rng.dirichlet(np.ones(4), size=3)
        kw = {}
    fd = _fd("softmax_cross_entropy", z, y, weight=w, label_smoothing=0.2,
             reduction="mean" if reduction == "mean" else "sum", **kw)
    got = softmax_cross_entropy_grad(z, y, weight=w, label_smoothing=0.2, reduction=reduction, **kw)
    close(got, fd, rtol=1e-14, atol=1e-15)


def test_nll_and_cce_grad_vs_finite_differences():
    lp = np.array([[-1.0, -2.0, -0.5], [-0.125, -3.0, -2.0]])
    y = np.array([2, 0])
    w = np.array([1.0, 2.0, 3.0])
    close(nll_loss_grad(lp, y, weight=w), _fd("nll_loss", lp, y, weight=w), rtol=1e-14, atol=1e-15)
    q = np.array([[0.25, 0.25, 0.5], [0.625, 0.25, 0.125]])
    t = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    close(categorical_cross_entropy_grad(q, t, eps=1e-3), _fd("categorical_cross_entropy", q, t, eps=1e-3),
          rtol=1e-14, atol=1e-15)


def test_grad_is_softmax_minus_target():
    z = np.array([[1.0, 2.0, 3.0]])
    e = [mp.exp(mp.mpf(v)) for v in z[0]]
    s = mp.fsum(e)
    expected = [float(e[0] / s - 1), float(e[1] / s), float(e[2] / s)]
    close(softmax_cross_entropy_grad(z, np.array([0])), [expected], rtol=1e-15, atol=1e-16)


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("call,exc,match", [
    (lambda: softmax_cross_entropy(Z, np.array([0, 3])), ValueError, r"target holds class index 3, expected indices in \[0, 3\)"),
    (lambda: softmax_cross_entropy(Z, np.array([0, -100])), ValueError, "target holds class index -100"),
    (lambda: softmax_cross_entropy(Z, np.array([0, -100]), ignore_index=-1), ValueError, "ignore_index=-1"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1, 2])), ValueError, "target must have shape"),
    (lambda: softmax_cross_entropy(Z, np.ones((2, 2)) / 2), ValueError, "target must have shape"),
    (lambda: softmax_cross_entropy(Z, np.array([[0.5, 0.5, 1.5], [1.0, 0.0, 0.0]])), ValueError, r"target must lie in \[0, 1\]"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), weight=np.ones(2)), ValueError, r"weight must have shape \(3,\)"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), weight=-np.ones(3)), ValueError, "weight must hold"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), label_smoothing=1.5), ValueError, "label_smoothing"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), label_smoothing=-0.1), ValueError, "label_smoothing"),
    (lambda: softmax_cross_entropy(Z, np.eye(3)[:2], ignore_index=0), ValueError, "ignore_index applies to integer"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: softmax_cross_entropy(np.array([["a", "b"]]), np.array([0])), TypeError, "logits must be a real numeric"),
    (lambda: softmax_cross_entropy(Z, np.array(["a", "b"])), TypeError, "target must be a real numeric"),
    (lambda: softmax_cross_entropy(Z, np.array([0, 1]), ignore_index=0.5), TypeError, "ignore_index must be an integer"),
    (lambda: softmax_cross_entropy(np.zeros((2, 0)), np.array([0, 0])), ValueError, "at least one class"),
    (lambda: nll_loss(Z, np.array([0.0, 1.0])), TypeError, "target must be an integer array"),
    (lambda: nll_loss(Z, np.array([0, 5])), ValueError, "target holds class index 5"),
    (lambda: nll_loss(Z, np.array([[0, 1]])), ValueError, "target must have shape"),
    (lambda: categorical_cross_entropy(np.array([1.5, -0.5]), np.array([1.0, 0.0])), ValueError, r"probs must lie in \[0, 1\]"),
    (lambda: categorical_cross_entropy(np.array([0.5, 0.5]), np.array([-1.0, 2.0])), ValueError, "target must be non-negative"),
    (lambda: categorical_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0, 0.0])), ValueError, "target must have shape"),
    (lambda: categorical_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0]), eps=-1e-9), ValueError, "eps must be"),
    (lambda: categorical_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0]), reduction=None), ValueError, "reduction"),
])
def test_invalid_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_grad_functions_validate_too():
    with pytest.raises(ValueError, match="target holds class index 3"):
        softmax_cross_entropy_grad(Z, np.array([0, 3]))
    with pytest.raises(ValueError, match="reduction"):
        nll_loss_grad(Z, np.array([0, 1]), reduction="batchmean")
    with pytest.raises(ValueError, match="probs"):
        categorical_cross_entropy_grad(np.array([2.0, 0.0]), np.array([1.0, 0.0]))


# ---------------------------------------------------------------------------
# no RuntimeWarning at any magnitude; bounded fuzz
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-310, 1.0, 1e4, 1e300, 1e308])
def test_no_runtime_warning_at_any_magnitude(scale):
    # pytest turns RuntimeWarning into an error (pyproject.toml)
    z = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]]) * scale
    for y in (np.array([0, 1]), np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])):
        for red in ("none", "sum", "mean"):
            out = softmax_cross_entropy(z, y, weight=np.array([1.0, 2.0, 0.0]), label_smoothing=0.1, reduction=red)
            assert not np.any(np.isnan(out))
            softmax_cross_entropy_grad(z, y, reduction=red)
    nll_loss(np.array([[-INF, -1e308, -0.0]]), np.array([0]), weight=np.array([0.0, 1.0, 1.0]))
    categorical_cross_entropy(np.array([[0.0, 1.0, 5e-324]]), np.array([[0.0, 1.0, 1.0]]))
    categorical_cross_entropy_grad(np.array([[0.0, 1.0, 5e-324]]), np.array([[1.0, 1.0, 1.0]]))


ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)


@st.composite
def fuzz_case(draw):
    n = draw(st.integers(0, 3))
    c = draw(st.integers(1, 4))
    z = draw(hnp.arrays(np.float64, (n, c), elements=ANY_FLOAT))
    if draw(st.booleans()):
        target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(-101, c)))
        ignore = draw(st.sampled_from([None, -1, -100, 0, c - 1]))
    else:
        target = draw(hnp.arrays(np.float64, (n, c), elements=ANY_FLOAT))
        ignore = None
    weight = draw(st.one_of(st.none(), hnp.arrays(np.float64, (c,), elements=st.floats(0, 1e300))))
    smoothing = draw(st.one_of(st.just(0.0), st.floats(0, 1)))
    reduction = draw(st.sampled_from(["none", "sum", "mean"]))
    return z, target, dict(weight=weight, ignore_index=ignore, label_smoothing=smoothing, reduction=reduction)


def _documented(exc: Exception, z, target, kw) -> bool:
    """The only documented failures for well-shaped input."""
    msg = str(exc)
    if not isinstance(exc, ValueError):
        return False
    if np.issubdtype(target.dtype, np.integer):
        return "target holds class index" in msg
    return "target must lie in [0, 1]" in msg


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(fuzz_case())
def test_fuzz_only_documented_exceptions(case):
    z, target, kw = case
    for fn in (softmax_cross_entropy, softmax_cross_entropy_grad):
        try:
            out = fn(z, target, **kw)
        except Exception as exc:  # noqa: BLE001
            assert _documented(exc, z, target, kw), repr(exc)
            continue
        out = np.asarray(out)
        if fn is softmax_cross_entropy_grad:
            assert out.shape == z.shape
        elif kw["reduction"] == "none":
            assert out.shape == z.shape[:-1]
        else:
            assert out.shape == ()
        if fn is softmax_cross_entropy:
            assert not np.any(out < 0)
    if np.issubdtype(target.dtype, np.integer):
        try:
            nll_loss(z, target, weight=kw["weight"], ignore_index=kw["ignore_index"], reduction=kw["reduction"])
            nll_loss_grad(z, target, weight=kw["weight"], ignore_index=kw["ignore_index"], reduction=kw["reduction"])
        except ValueError as exc:
            assert "target holds class index" in str(exc)
    else:
        q = np.clip(np.nan_to_num(np.abs(z), nan=0.5), 0, 1)
        t = np.abs(np.nan_to_num(target, nan=0.0, posinf=1.0, neginf=1.0))
        out = categorical_cross_entropy(q, t, reduction=kw["reduction"])  # eps=0: non-negative
        assert not np.any(np.asarray(out) < 0)
        categorical_cross_entropy_grad(q, t, reduction=kw["reduction"])


def test_public_names():
    from reference import classification
    assert set(classification.__all__) == {
        "softmax_cross_entropy", "softmax_cross_entropy_grad", "nll_loss", "nll_loss_grad",
        "categorical_cross_entropy", "categorical_cross_entropy_grad"}
    for name in classification.__all__:
        assert getattr(reference, name) is getattr(classification, name)

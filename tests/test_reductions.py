"""Tests of the reduction rules (docs/spec/reductions.md): none/sum/mean, the
sample weight w_n of each loss, empty and all-ignored batches, and gradients
under each reduction.  Expected values come from closed forms or mpmath."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

import reference
from reference import (
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    nll_loss,
    nll_loss_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from reference.reductions import reduce_loss, reduction_scale

mp.mp.dps = 50


def mp_nll_terms(lp, y, w):
    return [-(mp.mpf(float(w[c])) * mp.mpf(float(lp[i][c]))) for i, c in enumerate(y)]


LP = np.log(np.array([[0.25, 0.75], [0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
Y = np.array([0, 1, 0, 1])
W = np.array([3.0, 0.5])


def test_reduce_loss_basic():
    v = np.array([1.0, 2.0, 4.0])
    assert reduce_loss(v, None, "sum") == 7.0
    assert reduce_loss(v, None, "mean") == 7.0 / 3
    assert reduce_loss(v, np.array([1.0, 0.0, 1.0]), "mean") == 3.5
    np.testing.assert_array_equal(reduce_loss(v, None, "none"), v)
    assert np.isnan(reduce_loss(np.zeros(0), None, "mean"))
    assert reduction_scale((3,), None, "mean") == 1 / 3
    assert reduction_scale((3,), None, "sum") == 1.0
    assert np.isnan(reduction_scale((2,), np.zeros(2), "mean"))


def test_none_carries_weights():
    plain = nll_loss(LP, Y, reduction="none")
    weighted = nll_loss(LP, Y, weight=W, reduction="none")
    np.testing.assert_array_equal(weighted, plain * W[Y])
    np.testing.assert_allclose(weighted, [float(t) for t in mp_nll_terms(LP, Y, W)], rtol=1e-15)


@pytest.mark.parametrize("weight", [None, W])
def test_sum_is_sum_of_none_and_mean_is_sum_over_weights(weight):
    w = np.ones(2) if weight is None else weight
    terms = mp_nll_terms(LP, Y, w)
    total = mp.fsum(terms)
    denom = mp.fsum(mp.mpf(float(w[c])) for c in Y)
    assert nll_loss(LP, Y, weight=weight, reduction="sum") == pytest.approx(float(total), rel=1e-15)
    assert nll_loss(LP, Y, weight=weight) == pytest.approx(float(total / denom), rel=1e-15)
    none = softmax_cross_entropy(LP, Y, weight=weight, reduction="none")
    s = softmax_cross_entropy(LP, Y, weight=weight, reduction="sum")
    assert s == pytest.approx(math.fsum(none), rel=1e-15)
    assert softmax_cross_entropy(LP, Y, weight=weight) == pytest.approx(s / float(np.sum(w[Y])), rel=1e-15)


def test_sce_sample_weight_uses_unsmoothed_target():
    z = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -2.0]])
    w = np.array([2.0, 0.5, 1.0])
    t = np.array([[0.25, 0.75, 0.0], [0.0, 0.0, 1.0]])
    w_n = t @ w  # 0.875 and 1.0
    for eps in (0.0, 0.2):
        s = softmax_cross_entropy(z, t, weight=w, label_smoothing=eps, reduction="sum")
        assert softmax_cross_entropy(z, t, weight=w, label_smoothing=eps) == pytest.approx(s / w_n.sum(), rel=1e-15)
    # index targets: weight[y]
    y = np.array([1, 2])
    s = softmax_cross_entropy(z, y, weight=w, label_smoothing=0.2, reduction="sum")
    assert softmax_cross_entropy(z, y, weight=w, label_smoothing=0.2) == pytest.approx(s / 1.5, rel=1e-15)


def test_cce_mean_is_plain_mean():
    q = np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    t = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    exact = [-mp.log(mp.mpf(0.8)), -mp.log(mp.mpf(0.5)), mp.mpf(0)]
    assert categorical_cross_entropy(q, t) == pytest.approx(float(mp.fsum(exact) / 3), rel=1e-15)
    assert categorical_cross_entropy(q, t, reduction="sum") == pytest.approx(float(mp.fsum(exact)), rel=1e-15)


@pytest.mark.parametrize("ignore", [-1, -100, 1])
def test_ignored_samples_count_for_nothing(ignore):
    y = np.array([0, ignore, 0, 1]) if ignore < 0 else np.array([0, 1, 0, 1])
    keep = y != ignore
    none = nll_loss(LP, y, weight=W, ignore_index=ignore, reduction="none")
    assert np.all(none[~keep] == 0)
    yy = np.where(keep, y, 0)
    terms = [t for t, k in zip(mp_nll_terms(LP, yy, W), keep) if k]
    denom = mp.fsum(mp.mpf(W[c]) for c, k in zip(yy, keep) if k)
    assert nll_loss(LP, y, weight=W, ignore_index=ignore) == pytest.approx(float(mp.fsum(terms) / denom), rel=1e-15)
    g = nll_loss_grad(LP, y, weight=W, ignore_index=ignore, reduction="none")
    assert np.all(g[~keep] == 0)


def test_empty_batch_and_all_ignored():
    for fn, args in ((softmax_cross_entropy, (np.zeros((0, 3)), np.zeros(0, np.int64))),
                     (nll_loss, (np.zeros((0, 3)), np.zeros(0, np.int64))),
                     (categorical_cross_entropy, (np.zeros((0, 3)), np.zeros((0, 3))))):
        assert np.isnan(fn(*args))
        assert fn(*args, reduction="sum") == 0.0
        assert fn(*args, reduction="none").shape == (0,)
    y = np.array([-1, -1, -1, -1])
    assert np.isnan(softmax_cross_entropy(LP, y, ignore_index=-1))
    assert softmax_cross_entropy(LP, y, ignore_index=-1, reduction="sum") == 0.0
    np.testing.assert_array_equal(softmax_cross_entropy(LP, y, ignore_index=-1, reduction="none"), np.zeros(4))
    # every sample with class weight 0: no sample counts either
    assert np.isnan(nll_loss(LP, Y, weight=np.zeros(2)))


@pytest.mark.parametrize("reduction", ["avg", "MEAN", "", None, 1])
def test_unknown_reduction(reduction):
    for fn, args in ((softmax_cross_entropy, (LP, Y)), (nll_loss, (LP, Y)),
                     (categorical_cross_entropy, (np.exp(LP), np.eye(2)[Y])),
                     (softmax_cross_entropy_grad, (LP, Y))):
        with pytest.raises(ValueError, match="reduction must be one of 'none', 'sum', 'mean'"):
            fn(*args, reduction=reduction)


def test_gradients_under_each_reduction():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4, 3))
    y = np.array([2, -100, 0, 1])
    w = np.array([0.5, 2.0, 1.0])
    kw = {"weight": w, "ignore_index": -100, "label_smoothing": 0.1}
    g_none = softmax_cross_entropy_grad(z, y, reduction="none", **kw)
    g_sum = softmax_cross_entropy_grad(z, y, reduction="sum", **kw)
    g_mean = softmax_cross_entropy_grad(z, y, reduction="mean", **kw)
    np.testing.assert_array_equal(g_none, g_sum)
    np.testing.assert_allclose(g_mean, g_sum / 3.5, rtol=1e-15)  # w[2] + w[0] + w[1], the unsmoothed targets
    assert np.all(g_none[1] == 0)
    # each row of "none" is the gradient of that sample's own loss
    for i in (0, 2, 3):
        one = softmax_cross_entropy_grad(z[i:i + 1], y[i:i + 1], reduction="sum", **kw)
        np.testing.assert_array_equal(one[0], g_none[i])
    # closed form of row 0: (sum w t) softmax - w t
    t = 0.9 * np.eye(3)[2] + 0.1 / 3
    p = np.exp(z[0]) / np.exp(z[0]).sum()
    np.testing.assert_allclose(g_sum[0], (w @ t) * p - w * t, rtol=1e-14, atol=1e-16)
    # all ignored: mean gradient is NaN like the value
    assert np.all(np.isnan(softmax_cross_entropy_grad(z, np.full(4, -100), ignore_index=-100)))


def test_cce_and_nll_gradient_scale():
    q = np.array([[0.2, 0.8], [0.5, 0.5]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(categorical_cross_entropy_grad(q, t, reduction="sum"), [[0.0, -1.25], [-2.0, 0.0]])
    np.testing.assert_array_equal(categorical_cross_entropy_grad(q, t), [[0.0, -0.625], [-1.0, 0.0]])
    g = nll_loss_grad(LP, Y, weight=W)
    np.testing.assert_allclose(g, -np.eye(2)[Y] * W[Y][:, None] / W[Y].sum(), rtol=1e-15)


# The sample weights of the other families (skipped until those modules exist).
def _needs(name):
    fn = getattr(reference, name, None)
    if fn is None:
        pytest.skip(f"reference.{name} is not written yet")
    return fn


def _check_mean(fn, args, kwargs, denom):
    none = np.asarray(fn(*args, reduction="none", **kwargs))
    s = fn(*args, reduction="sum", **kwargs)
    assert s == pytest.approx(math.fsum(none.ravel()), rel=1e-14)
    assert fn(*args, reduction="mean", **kwargs) == pytest.approx(s / denom, rel=1e-14)


def test_binary_losses_weight_every_element():
    bce = _needs("binary_cross_entropy")
    p = np.array([[0.2, 0.7, 0.9], [0.5, 0.1, 0.6]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.5]])
    w = np.array([0.5, 2.0, 1.0])
    _check_mean(bce, (p, y), {"weight": w}, 2 * w.sum())
    sbce = _needs("sigmoid_binary_cross_entropy")
    _check_mean(sbce, (np.log(p / (1 - p)), y), {"weight": w, "pos_weight": np.array([3.0, 1.0, 0.5])}, 2 * w.sum())


def test_focal_losses_plain_mean():
    focal = _needs("focal_loss")
    z = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    _check_mean(focal, (z, np.array([0, 1])), {"alpha": np.array([0.25, 0.5, 2.0])}, 2.0)
    sfocal = _needs("sigmoid_focal_loss")
    _check_mean(sfocal, (z, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])), {"alpha": 0.25}, 6.0)


@pytest.mark.parametrize("name", ["mean_absolute_error", "mean_squared_error", "huber_loss", "smooth_l1_loss"])
def test_regression_losses_plain_mean_over_elements(name):
    fn = _needs(name)
    a = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    b = np.array([[0.0, 1.0, 2.5], [1.0, 0.0, 0.25]])
    _check_mean(fn, (a, b), {}, 6.0)


def test_ctc_plain_mean_over_batch():
    ctc = _needs("ctc_loss")
    rng = np.random.default_rng(7)
    z = rng.normal(size=(2, 4, 3))
    lp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    _check_mean(ctc, (lp, np.array([[1, 2], [2, 0]]), np.array([4, 4]), np.array([2, 1])), {}, 2.0)

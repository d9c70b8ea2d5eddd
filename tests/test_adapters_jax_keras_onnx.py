"""The built-in adapters for JAX/optax, Keras and onnxruntime.

Each adapter must import, translate the calling conventions (argument order,
class axis, reductions, log/linear space) so that plain inputs give the values
of closed forms, keep float32 as float32, raise NotImplementedError for options
its framework lacks, and list known deviations that name real checks and
clauses.  Every expected number here is a closed form (ln 2, ln C, 1/2, ...).
"""

from __future__ import annotations

import fnmatch
import importlib
import math
import os
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVIATIONS = ROOT / "conformance" / "known_deviations"
LN2 = math.log(2.0)

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _adapter(name, *frameworks):
    for fw in frameworks:
        pytest.importorskip(fw)
    return importlib.import_module(f"conformance.adapters.{name}")


@pytest.fixture(scope="module")
def jx():
    return _adapter("jax", "jax", "optax")


@pytest.fixture(scope="module")
def ks():
    pytest.importorskip("jax")
    return _adapter("keras", "keras")


@pytest.fixture(scope="module")
def ox():
    return _adapter("onnxruntime", "onnx", "onnxruntime")


@pytest.fixture(params=["jax", "keras", "onnxruntime"])
def any_adapter(request):
    needs = {"jax": ("jax", "optax"), "keras": ("jax", "keras"), "onnxruntime": ("onnx", "onnxruntime")}
    return _adapter(request.param, *needs[request.param])


def close(got, expected, rtol=1e-15, atol=0.0):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# softmax and friends: every adapter
# ---------------------------------------------------------------------------

def test_softmax_of_equal_logits_is_uniform(any_adapter):
    close(any_adapter.softmax(np.array([0.0, 0.0])), [0.5, 0.5])
    close(any_adapter.softmax(np.zeros((2, 4))), np.full((2, 4), 0.25))


def test_softmax_axis_is_translated(any_adapter):
    # Columns are the distributions: softmax along axis 0 of [[0, 0], [ln 3, 0]].
    z = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    close(any_adapter.softmax(z, axis=0), [[0.25, 0.5], [0.75, 0.5]], rtol=1e-15, atol=1e-16)


def test_logsumexp_and_log_softmax(any_adapter):
    close(any_adapter.logsumexp(np.array([0.0, 0.0])), LN2)
    close(any_adapter.logsumexp(np.zeros((3, 4))), np.full(3, math.log(4.0)))
    close(any_adapter.log_softmax(np.array([0.0, 0.0])), [-LN2, -LN2])


def test_sigmoid_of_zero(any_adapter):
    close(any_adapter.sigmoid(np.array([0.0, 0.0])), [0.5, 0.5])


def test_scalar_in_scalar_out(any_adapter):
    out = any_adapter.sigmoid(np.array(0.0))
    assert np.shape(out) == ()
    close(out, 0.5)


def test_float32_stays_float32(any_adapter):
    out = any_adapter.softmax(np.zeros((2, 3), dtype=np.float32))
    assert np.asarray(out).dtype == np.float32
    out = any_adapter.softmax(np.zeros((2, 3)))
    assert np.asarray(out).dtype == np.float64


# ---------------------------------------------------------------------------
# softmax cross entropy: every adapter
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("c", [2, 3, 5])
def test_sce_of_uniform_logits_is_ln_c(any_adapter, c):
    z = np.zeros((4, c))
    t = np.array([0, 1, c - 1, 0])
    close(any_adapter.softmax_cross_entropy(z, t), math.log(c))
    close(any_adapter.softmax_cross_entropy(z, t, reduction="sum"), 4 * math.log(c))
    close(any_adapter.softmax_cross_entropy(z, t, reduction="none"), np.full(4, math.log(c)))


def test_sce_class_axis_is_translated(any_adapter):
    # Logits [[ln 3, 0]] with the class axis first: per column, p(target) = 3/4 or 1/4.
    z = np.array([[math.log(3.0), 0.0], [0.0, 0.0]])  # shape (C=2, N=2), axis=0
    got = any_adapter.softmax_cross_entropy(z, np.array([0, 1]), axis=0, reduction="none")
    close(got, [-math.log(0.75), LN2], rtol=1e-15)
    # Batch axes keep their order when the class axis is last of three.
    z3 = np.zeros((2, 3, 4))
    z3[1, 2, 3] = math.log(3.0)  # p = 3/6 for class 3 of sample (1, 2)
    t3 = np.full((2, 3), 3)
    want = np.full((2, 3), math.log(4.0))
    want[1, 2] = LN2
    close(any_adapter.softmax_cross_entropy(z3, t3, reduction="none"), want, rtol=1e-15)


def test_sce_single_distribution(any_adapter):
    got = any_adapter.softmax_cross_entropy(np.zeros(4), np.array(2), reduction="none")
    assert np.shape(got) == ()
    close(got, math.log(4.0))


def test_sce_float32(any_adapter):
    got = any_adapter.softmax_cross_entropy(np.zeros((2, 4), dtype=np.float32), np.array([0, 3]))
    assert np.asarray(got).dtype == np.float32
    close(got, math.log(4.0), rtol=1e-6)


# ---------------------------------------------------------------------------
# JAX / optax
# ---------------------------------------------------------------------------

def test_jax_information(jx):
    u = np.full(4, 0.25)
    close(jx.entropy(u), math.log(4.0))
    close(jx.entropy(u, base=2), 2.0)
    close(jx.cross_entropy(np.array([0.0, 1.0]), np.array([0.5, 0.5])), LN2)
    close(jx.kl_divergence(np.array([0.5, 0.5]), np.array([0.5, 0.5])), 0.0, atol=0.0)
    # KL((1/3, 2/3) || (2/3, 1/3)) = (1/3) ln 2: the argument order is (p, q).
    close(jx.kl_divergence(np.array([1 / 3, 2 / 3]), np.array([2 / 3, 1 / 3])), LN2 / 3, rtol=1e-14)


def test_jax_information_gradients(jx):
    p, q = np.array([0.25, 0.75]), np.array([0.5, 0.5])
    # d/dp of -sum p log q is -log q; d/dq is -p/q.
    close(jx.cross_entropy_grad(p, q), [LN2, LN2])
    close(jx.cross_entropy_grad(p, q, wrt="q"), [-0.5, -1.5])
    # d/dq KL = -p/q; d/dp KL = log(p/q) + 1.
    close(jx.kl_divergence_grad(p, q, wrt="q"), [-0.5, -1.5])
    close(jx.kl_divergence_grad(p, q), [math.log(0.5) + 1, math.log(1.5) + 1], rtol=1e-15)


def test_jax_sce_soft_targets_and_smoothing(jx):
    z = np.zeros((2, 4))
    soft = np.array([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    close(jx.softmax_cross_entropy(z, soft, reduction="none"), [math.log(4.0)] * 2)
    # Smoothing does not change a uniform prediction's loss (every target sums to 1).
    close(jx.softmax_cross_entropy(z, np.array([0, 1]), label_smoothing=0.2), math.log(4.0))
    # [ln 3, 0] with target 0 smoothed by 0.5: t = (0.75, 0.25), p = (0.75, 0.25).
    got = jx.softmax_cross_entropy(np.array([[math.log(3.0), 0.0]]), np.array([0]), label_smoothing=0.5)
    close(got, -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), rtol=1e-15)


def test_jax_sce_gradient_is_softmax_minus_target(jx):
    g = jx.softmax_cross_entropy_grad(np.zeros((1, 4)), np.array([0]))
    close(g, [[-0.75, 0.25, 0.25, 0.25]])
    g = jx.softmax_cross_entropy_grad(np.zeros((2, 2)), np.array([0, 1]), reduction="mean")
    close(g, [[-0.25, 0.25], [0.25, -0.25]])


def test_jax_binary_focal_regression(jx):
    close(jx.sigmoid_binary_cross_entropy(np.zeros(3), np.array([0.0, 1.0, 0.5])), LN2)
    # gamma = 0 and no alpha: the focal loss is the BCE.
    close(jx.sigmoid_focal_loss(np.zeros(2), np.array([0.0, 1.0]), gamma=0.0), LN2)
    # At logit 0, p_t = 1/2: (1/2)^2 ln 2, times alpha = 1/4 for a positive.
    close(jx.sigmoid_focal_loss(np.zeros(1), np.array([1.0]), alpha=0.25, reduction="sum"), LN2 / 16)
    close(jx.mean_squared_error(np.array([1.0, 2.0]), np.zeros(2)), 2.5)
    close(jx.huber_loss(np.array([0.5, 3.0]), np.zeros(2), delta=1.0, reduction="none"), [0.125, 2.5])
    close(jx.mean_squared_error_grad(np.array([1.0, 2.0]), np.zeros(2)), [1.0, 2.0])


def test_jax_ctc_single_frame(jx):
    # One frame, target [1]: the only alignment emits class 1, the loss is -log p1.
    lp = np.log(np.array([[[0.25, 0.75]], [[0.5, 0.5]]]))
    got = jx.ctc_loss(lp, np.array([[1], [1]]), np.array([1, 1]), np.array([1, 1]), reduction="none")
    close(got, [-math.log(0.75), LN2], rtol=1e-14)


def test_jax_unsupported_options(jx):
    z, t = np.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(NotImplementedError):
        jx.softmax_cross_entropy(z, t, weight=np.ones(3))
    with pytest.raises(NotImplementedError):
        jx.softmax_cross_entropy(z, t, ignore_index=0)
    with pytest.raises(NotImplementedError):
        jx.sigmoid_binary_cross_entropy(np.zeros(2), np.ones(2), pos_weight=np.ones(2))
    assert not hasattr(jx, "nll_loss")


# ---------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------

def test_keras_argument_order_and_reductions(ks):
    # KL((1/3, 2/3) || (2/3, 1/3)) = (1/3) ln 2: (p, q) reaches Keras as (y_true, y_pred).
    close(ks.kl_divergence(np.array([1 / 3, 2 / 3]), np.array([2 / 3, 1 / 3])), LN2 / 3, rtol=1e-13)
    close(ks.cross_entropy(np.array([0.0, 1.0]), np.array([0.5, 0.5])), LN2, rtol=1e-15)
    close(ks.categorical_cross_entropy(np.full((3, 4), 0.25), np.eye(4)[:3]), math.log(4.0), rtol=1e-15)


def test_keras_ignore_class(ks):
    z = np.zeros((3, 4))
    got = ks.softmax_cross_entropy(z, np.array([0, -100, 2]), ignore_index=-100, reduction="sum")
    close(got, 2 * math.log(4.0), rtol=1e-15)


def test_keras_elementwise_losses_are_per_element(ks):
    # Keras means over the last axis; the adapter's trailing axis keeps every element.
    got = ks.mean_absolute_error(np.array([[1.0, -3.0]]), np.zeros((1, 2)), reduction="none")
    close(got, [[1.0, 3.0]])
    close(ks.mean_squared_error(np.array([1.0, 2.0]), np.zeros(2), reduction="sum"), 5.0, rtol=1e-7)
    close(ks.huber_loss(np.array([0.5, 3.0]), np.zeros(2), delta=1.0, reduction="none"), [0.125, 2.5], rtol=1e-7)
    close(ks.sigmoid_binary_cross_entropy(np.zeros((2, 2)), np.ones((2, 2)), reduction="none"),
          np.full((2, 2), LN2), rtol=1e-7)


def test_keras_focal_without_alpha(ks):
    # Uniform logits over 2 classes, gamma = 1: (1 - 1/2) ln 2 with alpha = 1 (spec's "no alpha").
    close(ks.focal_loss(np.zeros((1, 2)), np.array([0]), gamma=1.0), LN2 / 2, rtol=1e-7)


def test_keras_sce_gradient(ks):
    g = ks.softmax_cross_entropy_grad(np.zeros((1, 4)), np.array([0]), reduction="sum")
    close(g, [[-0.75, 0.25, 0.25, 0.25]], rtol=1e-15)


def test_keras_unsupported_options(ks):
    with pytest.raises(NotImplementedError):
        ks.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=np.ones(3))
    with pytest.raises(NotImplementedError):
        ks.categorical_cross_entropy(np.full((1, 2), 0.5), np.array([[1.0, 0.0]]), eps=1e-9)


# ---------------------------------------------------------------------------
# cotangents (the vector-Jacobian product): jax and keras
# ---------------------------------------------------------------------------

@pytest.fixture(params=["jax", "keras"])
def jk(request):
    pytest.importorskip("jax")
    return _adapter(request.param, "jax", "optax" if request.param == "jax" else "keras")


def test_cotangent_weighs_each_sample(jk):
    # Uniform logits over 4 classes: each row's gradient is softmax - onehot.
    g = jk.softmax_cross_entropy_grad(np.zeros((2, 4)), np.array([0, 1]), reduction="none",
                                      cotangent=np.array([2.0, 0.0]))
    close(g, [[-1.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]], rtol=1e-15)
    # logsumexp of [0, 0] has gradient [1/2, 1/2]; a negative cotangent flips it.
    close(jk.logsumexp_grad(np.zeros((2, 2)), cotangent=np.array([2.0, -1.0])),
          [[1.0, 1.0], [-0.5, -0.5]])


def test_cotangent_of_a_reduced_loss_is_a_scalar(jk):
    # "mean" over 2 samples with cotangent 3: (3/2) (softmax - onehot).
    g = jk.softmax_cross_entropy_grad(np.zeros((2, 2)), np.array([0, 1]), cotangent=3.0)
    close(g, [[-0.75, 0.75], [0.75, -0.75]], rtol=1e-15)
    # d/dx of sum (x - y)^2 is 2 (x - y): times the cotangent -0.5.
    g = jk.mean_squared_error_grad(np.array([1.0, 2.0]), np.zeros(2), reduction="sum", cotangent=-0.5)
    close(g, [-1.0, -2.0])


def test_cotangent_is_taken_in_the_input_dtype(jk):
    g = jk.mean_squared_error_grad(np.ones(3, dtype=np.float32), np.zeros(3), reduction="none",
                                   cotangent=np.array([1.0, 2.0, 3.0]))
    assert g.dtype == np.float32
    close(g, [2.0, 4.0, 6.0])


def test_cotangent_of_the_wrong_shape_is_refused(jk):
    with pytest.raises(ValueError, match="cotangent"):
        jk.softmax_cross_entropy_grad(np.zeros((2, 3)), np.array([0, 1]), reduction="none", cotangent=1.0)
    with pytest.raises(ValueError, match="cotangent"):
        jk.logsumexp_grad(np.zeros((2, 3)), cotangent=np.ones(3))


def test_ctc_cotangent(jk):
    # One frame, target [1]: both frameworks normalise the frame with a
    # log_softmax, so the gradient of -log p1 is p - onehot(1) = [p0, p1 - 1].
    # Keras computes CTC in float32 whatever the input (a listed deviation).
    tol = dict(rtol=1e-14, atol=1e-16) if jk.NAME == "jax" else dict(rtol=1e-6, atol=1e-7)
    lp = np.log(np.array([[[0.25, 0.75]], [[0.5, 0.5]]]))
    args = (lp, np.array([[1], [1]]), np.array([1, 1]), np.array([1, 1]))
    g = jk.ctc_loss_grad(*args, reduction="none", cotangent=np.array([2.0, 0.0]))
    close(g, [[[0.5, -0.5]], [[0.0, 0.0]]], **tol)
    g = jk.ctc_loss_grad(*args, reduction="mean", cotangent=3.0)
    close(g, [[[0.375, -0.375]], [[0.75, -0.75]]], **tol)


# ---------------------------------------------------------------------------
# onnxruntime
# ---------------------------------------------------------------------------

def test_onnx_nll_and_weights(ox):
    lp = np.log(np.array([[0.25, 0.75], [0.5, 0.5]]))
    close(ox.nll_loss(lp, np.array([0, 1]), reduction="none"), [math.log(4.0), LN2], rtol=1e-15)
    # Weighted mean divides by the weights of the targets: (2 ln 4 + 1 ln 2) / 3.
    got = ox.nll_loss(lp, np.array([0, 1]), weight=np.array([2.0, 1.0]))
    close(got, (2 * math.log(4.0) + LN2) / 3, rtol=1e-15)
    got = ox.softmax_cross_entropy(np.zeros((3, 2)), np.array([0, 1, 1]), ignore_index=1, reduction="mean")
    close(got, LN2)


def test_onnx_unsupported_options(ox):
    with pytest.raises(NotImplementedError):
        ox.softmax_cross_entropy(np.zeros((1, 2)), np.array([[0.5, 0.5]]))
    with pytest.raises(NotImplementedError):
        ox.softmax_cross_entropy(np.zeros((1, 2)), np.array([0]), label_smoothing=0.1)
    assert not hasattr(ox, "softmax_cross_entropy_grad")


# ---------------------------------------------------------------------------
# known deviations
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["jax", "keras", "onnxruntime"])
def test_known_deviations_name_real_checks_and_clauses(name):
    from conformance.registry import load_all_checks

    checks = load_all_checks()
    clauses = {c.clause for c in checks.values()}
    data = tomllib.loads((DEVIATIONS / f"{name}.toml").read_text())
    entries = data.get("deviation", [])
    assert entries, f"{name}.toml lists no deviation"
    for entry in entries:
        assert set(entry) >= {"reason", "checks", "clause", "why"}, entry
        assert entry["why"].strip() and entry["reason"].strip()
        assert entry["clause"] in clauses, f"{name}: unknown clause {entry['clause']!r}"
        for pattern in entry["checks"]:
            matched = fnmatch.filter(checks, pattern)
            assert matched, f"{name}: pattern {pattern!r} matches no check id"

"""The built-in adapter for TensorFlow (``--impl tensorflow``).

The adapter must import, keep the contract's signatures, translate the calling
conventions (keyword labels, class axis, batch-major CTC with sparse labels,
reductions, cotangents) so that plain inputs give the values of closed forms,
keep float32 as float32, raise NotImplementedError for options TensorFlow's ops
lack, and list known deviations that name real checks and clauses.  Expected
numbers are closed forms (ln 2, ln C, 1/2, ...) or mpmath; the deviations
tested here are reproduced with TensorFlow itself, not through the adapter.

The whole module is skipped when TensorFlow is not installed.
"""

from __future__ import annotations

import fnmatch
import inspect
import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import mpmath
import numpy as np
import pytest

import reference

# Importing TensorFlow imports Keras, which fixes its backend on first import:
# keep this session's Keras on JAX, as the keras adapter's tests expect.
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from conformance.adapters import tensorflow as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEVIATIONS = ROOT / "conformance" / "known_deviations" / "tensorflow.toml"
LN2 = math.log(2.0)

PROVIDED = {
    "softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid",
    "entropy", "cross_entropy", "kl_divergence",
    "softmax_cross_entropy", "sigmoid_binary_cross_entropy", "ctc_loss",
    "logsumexp_grad", "entropy_grad", "cross_entropy_grad", "kl_divergence_grad",
    "softmax_cross_entropy_grad", "sigmoid_binary_cross_entropy_grad", "ctc_loss_grad",
}


def close(got, expected, rtol=1e-15, atol=0.0):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=rtol, atol=atol)


def _public_functions(module):
    return {n: f for n, f in vars(module).items()
            if callable(f) and not n.startswith("_") and inspect.isfunction(f)
            and f.__module__ == module.__name__}


def _sparse(rows):
    """A SparseTensor of int32 labels, one row per sequence."""
    idx = [[n, s] for n, row in enumerate(rows) for s in range(len(row))]
    values = [v for row in rows for v in row]
    width = max([len(row) for row in rows] + [1])
    return tf.SparseTensor(np.array(idx, np.int64).reshape(-1, 2), np.array(values, np.int32),
                           [len(rows), width])


def _tf_ctc(log_probs, rows, lengths):
    """TensorFlow's own ctc_loss, called directly (no adapter)."""
    return tf.nn.ctc_loss(labels=_sparse(rows), logits=tf.constant(log_probs), label_length=None,
                          logit_length=tf.constant(lengths, tf.int32), logits_time_major=False,
                          blank_index=0).numpy()


# ---------------------------------------------------------------------------
# contract names and signatures
# ---------------------------------------------------------------------------

def test_defines_exactly_the_expected_functions_with_contract_signatures():
    functions = _public_functions(T)
    assert set(functions) == PROVIDED
    for name, fn in functions.items():
        assert str(inspect.signature(fn)) == str(inspect.signature(getattr(reference, name))), name


def test_adapter_is_builtin():
    from conformance.adapters import BUILTIN

    assert "tensorflow" in BUILTIN and T.NAME == "tensorflow"


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def test_softmax_family_closed_forms():
    close(T.softmax(np.array([0.0, 0.0])), [0.5, 0.5])
    close(T.log_softmax(np.array([0.0, 0.0])), [-LN2, -LN2])
    close(T.logsumexp(np.zeros((3, 4))), np.full(3, math.log(4.0)))
    # Columns are the distributions: softmax along axis 0 of [[0, 0], [ln 3, 0]].
    z = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    close(T.softmax(z, axis=0), [[0.25, 0.5], [0.75, 0.5]], atol=1e-16)
    close(T.sigmoid(np.array([0.0])), [0.5])
    close(T.log_sigmoid(np.array([0.0])), [-LN2])
    assert np.ndim(T.logsumexp(np.array([0.0, 0.0]))) == 0


def test_dtypes_are_tensorflows():
    assert T.softmax(np.zeros(3, np.float32)).dtype == np.float32
    assert T.softmax(np.zeros(3)).dtype == np.float64
    assert T.softmax(np.zeros(3, np.int64)).dtype == np.float64  # integers become float64
    out = T.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 2]))
    assert out.dtype == np.float32
    close(out, math.log(3.0), rtol=1e-6)
    with pytest.raises(TypeError):
        T.softmax(None)
    with pytest.raises(TypeError):
        T.sigmoid(np.array(["a"]))


def test_logsumexp_gradient_and_cotangent():
    close(T.logsumexp_grad(np.zeros((2, 4))), np.full((2, 4), 0.25))
    # The vector-Jacobian product: row n is scaled by cotangent[n].
    close(T.logsumexp_grad(np.zeros((2, 2)), cotangent=np.array([2.0, 3.0])), [[1.0, 1.0], [1.5, 1.5]])


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def test_information_closed_forms():
    u4 = np.full(4, 0.25)
    close(T.entropy(u4), math.log(4.0))
    close(T.entropy(u4, base=2), 2.0)
    close(T.entropy(np.full((3, 5), 0.2), axis=1), np.full(3, math.log(5.0)))
    close(T.cross_entropy(u4, u4, base=2), 2.0)
    # -log(0 + eps) with eps = 1 for the mass on the zero entry: log 1 = 0.
    close(T.cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 1.0]), eps=1.0), 0.0)
    # KL([1, 0] || [1/2, 1/2]) = ln 2: p first, q second, as in the maths.
    close(T.kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])), LN2)
    close(T.kl_divergence(np.array([[1.0, 1.0], [0.0, 0.0]]), np.full((2, 2), 0.5), axis=0), [LN2, LN2])
    # A zero of q under mass of p: +inf.
    assert np.isposinf(T.kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])))
    with pytest.raises(ValueError, match="base"):
        T.entropy(u4, base=1)
    with pytest.raises(ValueError, match="eps"):
        T.cross_entropy(u4, u4, eps=-0.1)


def test_information_gradients():
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    # d/dp (-sum p log q) = -log q; d/dq = -p/q.
    close(T.cross_entropy_grad(p, q), -np.log(q))
    close(T.cross_entropy_grad(p, q, wrt="q"), -p / q)
    # d/dp KL = log(p/q) + 1; d/dq KL = -p/q.
    close(T.kl_divergence_grad(p, q), np.log(p / q) + 1.0, rtol=1e-14)
    close(T.kl_divergence_grad(p, q, wrt="q"), -p / q)
    close(T.entropy_grad(p, base=2), (-np.log(p) - 1.0) / LN2, rtol=1e-15)
    with pytest.raises(ValueError, match="wrt"):
        T.kl_divergence_grad(p, q, wrt="r")


# ---------------------------------------------------------------------------
# softmax cross entropy
# ---------------------------------------------------------------------------

def test_sce_index_and_probability_targets():
    c = 5
    z = np.zeros((3, c))
    y = np.array([0, 4, 2])
    close(T.softmax_cross_entropy(z, y), math.log(c))
    close(T.softmax_cross_entropy(z, y, reduction="sum"), 3 * math.log(c))
    close(T.softmax_cross_entropy(z, y, reduction="none"), np.full(3, math.log(c)))
    close(T.softmax_cross_entropy(z, np.eye(c)[y]), math.log(c))
    with pytest.raises(ValueError, match="reduction"):
        T.softmax_cross_entropy(z, y, reduction="avg")


def test_sce_class_axis_is_moved():
    # Logits (N=2, d=3, C=2) with softmax [1/4, 3/4]: classes last, or on axis 0.
    z = np.zeros((2, 3, 2))
    z[..., 1] = math.log(3.0)
    y = np.array([[0, 1, 1], [1, 0, 1]])
    expected = np.where(y == 1, -math.log(0.75), math.log(4.0))
    close(T.softmax_cross_entropy(z, y, reduction="none"), expected, rtol=1e-15)
    close(T.softmax_cross_entropy(np.moveaxis(z, -1, 0), y, axis=0, reduction="none"), expected, rtol=1e-15)
    soft = np.moveaxis(np.eye(2)[y], -1, 0)
    close(T.softmax_cross_entropy(np.moveaxis(z, -1, 0), soft, axis=0, reduction="none"), expected,
          rtol=1e-15)


def test_sce_gradient_is_softmax_minus_target():
    c = 4
    y = np.array([1, 3])
    close(T.softmax_cross_entropy_grad(np.zeros((2, c)), y), (0.25 - np.eye(c)[y]) / 2)
    close(T.softmax_cross_entropy_grad(np.zeros((2, c)), y, reduction="none", cotangent=np.array([2.0, 0.0])),
          [2 * (0.25 - np.eye(c)[1]), np.zeros(c)])


def test_options_tensorflow_lacks_raise_not_implemented():
    z, y = np.zeros((2, 3)), np.array([0, 1])
    for kwargs in ({"weight": np.ones(3)}, {"ignore_index": 0}, {"label_smoothing": 0.1}):
        with pytest.raises(NotImplementedError):
            T.softmax_cross_entropy(z, y, **kwargs)
        with pytest.raises(NotImplementedError):
            T.softmax_cross_entropy_grad(z, y, **kwargs)
    with pytest.raises(NotImplementedError):
        T.sigmoid_binary_cross_entropy(np.zeros(2), np.ones(2), weight=np.ones(2))
    lp = np.log(np.full((1, 2, 2), 0.5))
    with pytest.raises(NotImplementedError):
        T.ctc_loss(lp, np.array([[1]]), np.array([2]), np.array([1]), zero_infinity=True)


# ---------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------

def test_sigmoid_binary_cross_entropy():
    close(T.sigmoid_binary_cross_entropy(np.zeros(3), np.array([1.0, 0.0, 0.5])), LN2)
    # pos_weight multiplies the positive term only: 3 ln 2 and ln 2.
    close(T.sigmoid_binary_cross_entropy(np.zeros(2), np.array([1.0, 0.0]), pos_weight=np.array(3.0),
                                         reduction="none"), [3 * LN2, LN2])
    # d/dx at x = 1: sigmoid(1) - y, away from the kink at 0.
    s1 = 1.0 / (1.0 + math.exp(-1.0))
    close(T.sigmoid_binary_cross_entropy_grad(np.ones(2), np.array([1.0, 0.0]), reduction="sum"),
          [s1 - 1.0, s1], rtol=1e-15)


def test_weighted_cross_entropy_gradient_at_zero_deviates():
    """The listed deviation, with TensorFlow alone: at logit 0 the gradient of
    weighted_cross_entropy_with_logits is 1 - y instead of (1 - y) - (1 + (q - 1) y) / 2."""
    x = tf.constant(np.zeros(2))
    y = tf.constant(np.array([0.0, 1.0]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=tf.constant(3.0, tf.float64))
    got = tape.gradient(loss, x).numpy()
    spec = reference.sigmoid_binary_cross_entropy_grad(np.zeros(2), np.array([0.0, 1.0]),
                                                       pos_weight=np.array(3.0), reduction="none")
    close(spec, [0.5, -1.5])
    close(got, [1.0, 0.0])
    # The plain sigmoid form picks one branch of its where() and is right at 0.
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)
    close(tape.gradient(loss, x).numpy(), [0.5, -0.5])


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def test_ctc_batch_major_sparse_translation():
    # One sequence, T = 2, C = 2 (blank 0); frame probabilities [0.2, 0.8], [0.6, 0.4].
    # Target [1]: paths 11, 1-, -1 have probability 0.32 + 0.48 + 0.08 = 0.88.
    lp = np.log(np.array([[[0.2, 0.8], [0.6, 0.4]]]))
    close(T.ctc_loss(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="none"),
          [-math.log(0.88)], rtol=1e-6)
    # A batch of two: the second uses only its first frame and its padded target
    # entry (a 5, not even a class) is cut off before TensorFlow sees it.
    lp2 = np.concatenate([lp, lp])
    got = T.ctc_loss(lp2, np.array([[1, 5], [1, 5]]), np.array([2, 1]), np.array([1, 1]), reduction="none")
    close(got, [-math.log(0.88), -math.log(0.8)], rtol=1e-6)
    close(T.ctc_loss(lp2, np.array([[1, 5], [1, 5]]), np.array([2, 1]), np.array([1, 1])),
          (-math.log(0.88) - math.log(0.8)) / 2, rtol=1e-6)
    # Blank moved to class 1: the target [0] is 0.2*0.6 + 0.2*0.4 + 0.8*0.6 = 0.68.
    close(T.ctc_loss(lp, np.array([[0]]), np.array([2]), np.array([1]), blank=1, reduction="none"),
          [-math.log(0.68)], rtol=1e-6)
    with pytest.raises(ValueError, match="target_lengths"):
        T.ctc_loss(lp, np.array([[1]]), np.array([2]), np.array([2]))
    g = T.ctc_loss_grad(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="sum")
    assert g.shape == lp.shape and g.dtype == np.float64


def test_ctc_gradient_is_taken_through_tensorflows_log_softmax():
    # Listed deviation (ctc.gradient): TensorFlow returns softmax(lp) - posterior.
    # With one frame and target [1] the posterior is [0, 1], so the spec's
    # gradient -posterior is [0, -1] and TensorFlow's is [0.2, -0.2].
    lp = np.log(np.array([[[0.2, 0.8]]]))
    args = (lp, np.array([[1]]), np.array([1]), np.array([1]))
    close(reference.ctc_loss_grad(*args, reduction="sum"), [[[0.0, -1.0]]], atol=1e-15)
    close(T.ctc_loss_grad(*args, reduction="sum"), [[[0.2, -0.2]]], rtol=1e-6)


def test_ctc_float64_adds_in_float_precision():
    """The listed deviation (ctc.accuracy), with TensorFlow alone: the double
    kernel's log-add uses log1pf/expf, so the loss has float32-size error."""
    probs = np.array([[[0.3, 0.7], [0.6, 0.4]]])
    # Target [1] over two frames: paths 11, -1, 1- sum to 0.28 + 0.12 + 0.42 = 0.82.
    exact = float(-mpmath.log(mpmath.mpf(7) / 10 * mpmath.mpf(4) / 10 + mpmath.mpf(3) / 10 * mpmath.mpf(4) / 10
                              + mpmath.mpf(7) / 10 * mpmath.mpf(6) / 10))
    got = _tf_ctc(np.log(probs), [[1]], [2])
    assert got.dtype == np.float64
    rel = abs(float(got[0]) - exact) / exact
    assert 1e-9 < rel < 1e-6, rel
    close(reference.ctc_loss(np.log(probs), np.array([[1]]), np.array([2]), np.array([1]), reduction="none"),
          [exact], rtol=1e-15)


def test_ctc_empty_label_and_impossible_alignment_raise_in_tensorflow():
    """Listed deviations (ctc.special.empty-target, ctc.special.impossible)."""
    lp = np.log(np.array([[[0.2, 0.8], [0.6, 0.4]]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Labels length is zero"):
        _tf_ctc(lp, [[]], [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Not enough time"):
        _tf_ctc(lp[:, :1], [[1, 1]], [1])
    # The spec: an empty label is the all-blank path, -log(0.2 * 0.6); too short is +inf.
    close(reference.ctc_loss(lp, np.zeros((1, 1), np.int64), np.array([2]), np.array([0]), reduction="none"),
          [-math.log(0.12)], rtol=1e-15)
    assert np.isposinf(reference.ctc_loss(lp[:, :1], np.array([[1, 1]]), np.array([1]), np.array([2]),
                                          reduction="none")[0])


def test_subnormals_are_flushed_to_zero():
    """The listed deviation (info.accuracy): TensorFlow's CPU kernels flush
    float64 subnormals, so log(1e-310) is -inf instead of -713.8."""
    got = tf.math.log(tf.constant(np.array([1e-310, 1e-300]))).numpy()
    assert got[0] == -np.inf
    close(got[1], math.log(1e-300), rtol=1e-15)
    assert (tf.constant(1e-310, tf.float64) + tf.constant(0.0, tf.float64)).numpy() == 0.0


# ---------------------------------------------------------------------------
# known deviations and the command
# ---------------------------------------------------------------------------

def test_known_deviations_name_real_checks_and_clauses():
    from conformance.registry import load_all_checks

    checks = load_all_checks()
    clauses = {c.clause for c in checks.values()}
    entries = tomllib.loads(DEVIATIONS.read_text()).get("deviation", [])
    assert entries, "tensorflow.toml lists no deviation"
    for entry in entries:
        assert set(entry) == {"reason", "checks", "clause", "why"}, entry
        assert entry["reason"].strip() and entry["why"].strip(), entry
        assert entry["clause"] in clauses, f"unknown clause {entry['clause']!r}"
        matched = []
        for pattern in entry["checks"]:
            hits = [c for cid, c in checks.items() if fnmatch.fnmatchcase(cid, pattern)]
            assert hits, f"pattern {pattern!r} matches no check"
            assert any(c.function in PROVIDED for c in hits), pattern
            matched += hits
        assert entry["clause"] in {c.clause for c in matched}, entry


@pytest.mark.timeout(600)
def test_command_exits_0_with_the_deviations_listed(tmp_path):
    report = tmp_path / "tf.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    only = "softmax,log_softmax,sigmoid_binary_cross_entropy_grad,ctc_loss"
    out = subprocess.run([sys.executable, "-m", "conformance", "--impl", "tensorflow", "--only", only,
                          "--max-examples", "5", "--report", str(report)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    rows = json.loads(report.read_text())["results"]
    assert {r["function"] for r in rows} == set(only.split(","))
    devs = [r for r in rows if r["status"] == "known_deviation"]
    assert {r["function"] for r in devs} == set(only.split(","))
    assert all(r["deviation"]["source"].endswith("known_deviations/tensorflow.toml") for r in devs)

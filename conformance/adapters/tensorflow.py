"""Adapter: TensorFlow 2 (``tf.nn``, ``tf.math``), eager, on CPU.

Translation only (see CONTRIBUTING.md and the contract, "Adapters"): names,
argument order, layout, log or linear space and which option of TensorFlow
claims the spec's meaning.  Results come back as TensorFlow computed them,
converted to numpy in the dtype TensorFlow chose (float64 in, float64 out;
float32 in, float32 out).  Nothing comes from ``tf.compat.v1`` (its losses
cast to float32) nor from ``tf.keras`` (Keras has an adapter of its own).

* Start-up: ``TF_CPP_MIN_LOG_LEVEL`` defaults to ``2`` so that TensorFlow's
  C++ banner (CPU features, oneDNN) stays out of the output; oneDNN itself is
  left on, as a TensorFlow user gets it.  Every op runs eagerly: no
  ``tf.function``, because the checks call each function on many shapes and
  each new shape would cost a retrace.
* Dtypes: floating input keeps its dtype (float64, float32, float16,
  bfloat16); integer and bool input becomes float64.  Targets and weights are
  cast to the logits' dtype, because TensorFlow's ops refuse mixed dtypes.
* ``logsumexp`` is ``tf.reduce_logsumexp``; ``log_sigmoid`` is
  ``tf.math.log_sigmoid``.
* ``entropy(p)`` is ``-sum xlogy(p, p)``, ``cross_entropy(p, q)`` is
  ``-sum xlogy(p, q + eps)`` and ``kl_divergence(p, q)`` is
  ``sum (xlogy(p, p) - xlogy(p, q))``, with ``tf.math.xlogy`` (TensorFlow has
  no entropy or KL op outside Keras and TensorFlow Probability; this is how a
  TensorFlow user writes them).  ``base`` divides by ``log(base)``, so the
  adapter rejects a base that has no logarithm.
* ``softmax_cross_entropy``: integer targets go to
  ``tf.nn.sparse_softmax_cross_entropy_with_logits`` (which wants the classes
  on the last axis: the adapter moves ``axis`` there), probability targets to
  ``tf.nn.softmax_cross_entropy_with_logits(..., axis=axis)``.  Both take
  ``(labels, logits)`` by keyword.  TensorFlow has no class ``weight``, no
  ``ignore_index`` and no ``label_smoothing`` in these ops: they raise
  ``NotImplementedError``.
* ``sigmoid_binary_cross_entropy`` is
  ``tf.nn.sigmoid_cross_entropy_with_logits``, or
  ``tf.nn.weighted_cross_entropy_with_logits`` when ``pos_weight`` is given
  (numpy broadcasting puts ``pos_weight`` along the last axis, as the spec
  does).  Element ``weight`` has no argument there: ``NotImplementedError``.
* Reductions: the ``tf.nn`` losses return one value per sample; ``"sum"`` and
  ``"mean"`` are ``tf.reduce_sum`` / ``tf.reduce_mean`` of that output
  (``w_n = 1`` for every loss defined here, so the plain mean is the spec's).
* ``ctc_loss`` is ``tf.nn.ctc_loss`` with the labels as a ``SparseTensor``
  (each row of ``targets`` cut at its target length, so padding never reaches
  TensorFlow), ``logit_length=input_lengths``, ``logits_time_major=False``
  (the spec's batch-major layout) and ``blank_index=blank``.  TensorFlow's
  CTC takes *logits* and applies ``log_softmax`` itself: a no-op on normalised
  log-probabilities, so the spec's ``log_probs`` are passed as the logits; on
  un-normalised input the two differ, and its gradient is the gradient
  through that ``log_softmax`` (``softmax - posterior``).  There is no
  ``zero_infinity``: ``NotImplementedError``.  A target length outside
  ``[0, S]`` (or a class beyond int32, the kernel's label type) has no
  ``SparseTensor`` to become, so the adapter raises ``ValueError`` for it;
  ``input_lengths``, classes and ``blank`` go to TensorFlow as given.
* Gradients ``NAME_grad`` are ``tf.GradientTape`` gradients of the (reduced)
  result with respect to the first argument (``wrt="q"``: the second, for
  ``cross_entropy_grad`` and ``kl_divergence_grad``); ``cotangent`` is passed
  as ``output_gradients`` (the vector-Jacobian product; ``None`` means ones,
  which for a non-scalar result is the gradient of its sum).
* Not defined (reported as not provided), because ``tf.nn``/``tf.math`` have
  no such loss and composing one would test the adapter, not TensorFlow:
  ``nll_loss``, ``categorical_cross_entropy``, ``binary_cross_entropy`` (from
  probabilities), ``focal_loss``, ``sigmoid_focal_loss``, the regression
  losses (``tf.keras.losses`` and ``tf.compat.v1.losses`` hold them),
  ``ctc_collapse`` and ``ctc_path_probability``.
"""

from __future__ import annotations

import functools

import math
import os

# Before the import: TensorFlow reads it when its C++ runtime loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from conformance.adapters._options import refuse_lm_options
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

NAME = "tensorflow"
_REDUCTIONS = ("none", "sum", "mean")


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------

def _numeric(x):
    """``np.asarray(x)``, refusing what is not a real number array (None,
    objects, strings) instead of letting numpy turn it into NaN."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiub" and a.dtype != tf.bfloat16.as_numpy_dtype:
        raise TypeError(f"expected a real numeric array, got {type(x).__name__} of dtype {a.dtype}")
    return a


def _float(x, like=None):
    """numpy -> a TensorFlow tensor with a floating dtype.

    Integer/bool input becomes float64; ``like`` (a tensor) forces its dtype.
    """
    a = _numeric(x)
    if like is not None:
        return tf.constant(a.astype(like.dtype.as_numpy_dtype, copy=False))
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    return tf.constant(a)


def _indices(x, what):
    """Integer class indices or lengths as an int64 numpy array."""
    a = _numeric(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integers, got dtype {a.dtype}")
    return a.astype(np.int64)


def _out(t):
    """TensorFlow -> numpy in TensorFlow's dtype; 0-d results become numpy scalars."""
    a = t.numpy()
    return a[()] if a.ndim == 0 else a


def _reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _reduce(values, reduction):
    if reduction == "sum":
        return tf.reduce_sum(values)
    if reduction == "mean":
        return tf.reduce_mean(values)
    return values


def _log_base(base):
    """``log(base)``: TensorFlow has no ``base`` option, the adapter divides by
    it, so it also rejects a base that has no logarithm."""
    if base is None:
        return None
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
    return math.log(b)


def _per_base(value, base):
    lb = _log_base(base)
    return value if lb is None else value / tf.constant(lb, dtype=value.dtype)


def _eps(eps, dtype):
    """``eps`` as a tensor: the adapter composes ``q + eps``, so it rejects a
    negative or non-finite one."""
    e = float(eps)
    if not (e >= 0 and math.isfinite(e)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    return tf.constant(e, dtype=dtype)


def _gradient(compute, wrt, cotangent):
    """The vector-Jacobian product of ``compute(wrt)`` at the tensor ``wrt``.

    ``cotangent=None`` means ones (for a non-scalar result: the gradient of
    its sum); an input the result does not depend on has gradient 0.
    """
    with tf.GradientTape() as tape:
        tape.watch(wrt)
        result = compute(wrt)
    seed = None if cotangent is None else _float(cotangent, like=result)
    g = tape.gradient(result, wrt, output_gradients=seed,
                      unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return _out(g)


def _class_axis_last(t, axis):
    """Move ``axis`` of ``t`` to the end, keeping the other axes in order."""
    ndim = t.shape.rank
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an integer in [{-ndim}, {ndim}), got {axis!r}")
    ax = int(axis) % ndim
    if ax == ndim - 1:
        return t
    return tf.transpose(t, [d for d in range(ndim) if d != ax] + [ax])


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def softmax(z, axis=-1):
    return _out(tf.nn.softmax(_float(z), axis=axis))


def log_softmax(z, axis=-1):
    return _out(tf.nn.log_softmax(_float(z), axis=axis))


def logsumexp(z, axis=-1):
    return _out(tf.reduce_logsumexp(_float(z), axis=axis))


def logsumexp_grad(z, axis=-1, *, cotangent=None):
    return _gradient(lambda t: tf.reduce_logsumexp(t, axis=axis), _float(z), cotangent)


def sigmoid(x):
    return _out(tf.math.sigmoid(_float(x)))


def log_sigmoid(x):
    return _out(tf.math.log_sigmoid(_float(x)))


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def _entropy(p, axis, base):
    return _per_base(-tf.reduce_sum(tf.math.xlogy(p, p), axis=axis), base)


def entropy(p, axis=-1, base=None):
    return _out(_entropy(_float(p), axis, base))


def entropy_grad(p, axis=-1, base=None, *, cotangent=None):
    return _gradient(lambda t: _entropy(t, axis, base), _float(p), cotangent)


def _cross_entropy(p, q, axis, eps, base):
    return _per_base(-tf.reduce_sum(tf.math.xlogy(p, q + _eps(eps, q.dtype)), axis=axis), base)


def _kl(p, q, axis, base):
    return _per_base(tf.reduce_sum(tf.math.xlogy(p, p) - tf.math.xlogy(p, q), axis=axis), base)


def _pair_gradient(fn, p, q, wrt, cotangent):
    """The gradient of ``fn(P, Q)`` with respect to ``P`` (``wrt="p"``) or ``Q``."""
    if not isinstance(wrt, str) or wrt not in ("p", "q"):
        raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
    P = _float(p)
    Q = _float(q, like=P)
    if wrt == "p":
        return _gradient(lambda t: fn(t, Q), P, cotangent)
    return _gradient(lambda t: fn(P, t), Q, cotangent)


def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    P = _float(p)
    return _out(_cross_entropy(P, _float(q, like=P), axis, eps, base))


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p", *, cotangent=None):
    return _pair_gradient(lambda P, Q: _cross_entropy(P, Q, axis, eps, base), p, q, wrt, cotangent)


def kl_divergence(p, q, axis=-1, base=None):
    P = _float(p)
    return _out(_kl(P, _float(q, like=P), axis, base))


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p", *, cotangent=None):
    return _pair_gradient(lambda P, Q: _kl(P, Q, axis, base), p, q, wrt, cotangent)


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def _sce_options(weight, ignore_index, label_smoothing, reduction):
    if weight is not None:
        raise NotImplementedError("tf.nn.*softmax_cross_entropy_with_logits have no class weights")
    if ignore_index is not None:
        raise NotImplementedError("tf.nn.*softmax_cross_entropy_with_logits have no ignore_index")
    if float(label_smoothing) != 0.0:
        raise NotImplementedError("tf.nn.*softmax_cross_entropy_with_logits have no label smoothing")
    return _reduction(reduction)


def _sce_loss(target, axis, reduction):
    """The loss as a function of the logits tensor, for ``target`` as given."""
    y = _numeric(target)
    if y.dtype.kind in "iu":
        labels = tf.constant(y.astype(np.int64))

        def loss(z):
            values = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=_class_axis_last(z, axis))
            return _reduce(values, reduction)
    else:
        def loss(z):
            values = tf.nn.softmax_cross_entropy_with_logits(
                labels=_float(y, like=z), logits=z, axis=axis)
            return _reduce(values, reduction)
    return loss


_no_lm_options = functools.partial(refuse_lm_options, library="tensorflow")


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    _no_lm_options(z_loss, softcap)
    reduction = _sce_options(weight, ignore_index, label_smoothing, reduction)
    return _out(_sce_loss(target, axis, reduction)(_float(logits)))


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", cotangent=None):
    _no_lm_options(z_loss, softcap)
    reduction = _sce_options(weight, ignore_index, label_smoothing, reduction)
    return _gradient(_sce_loss(target, axis, reduction), _float(logits), cotangent)


# ---------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------

def _sbce_loss(target, weight, pos_weight, reduction):
    if weight is not None:
        raise NotImplementedError("tf.nn.sigmoid_cross_entropy_with_logits has no element weights")
    reduction = _reduction(reduction)

    def loss(z):
        labels = _float(target, like=z)
        if pos_weight is None:
            values = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=z)
        else:
            values = tf.nn.weighted_cross_entropy_with_logits(
                labels=labels, logits=z, pos_weight=_float(pos_weight, like=z))
        return _reduce(values, reduction)
    return loss


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    return _out(_sbce_loss(target, weight, pos_weight, reduction)(_float(logits)))


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None,
                                      reduction="mean", cotangent=None):
    return _gradient(_sbce_loss(target, weight, pos_weight, reduction), _float(logits), cotangent)


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def _sparse_labels(targets, target_lengths):
    """Row ``n`` of ``targets`` cut at ``target_lengths[n]``, as a SparseTensor."""
    tg = _indices(targets, "targets")
    lengths = _indices(target_lengths, "target_lengths")
    if tg.ndim != 2:
        raise ValueError(f"targets must be (N, S), got shape {tg.shape}")
    if lengths.shape != (tg.shape[0],):
        raise ValueError(f"target_lengths must have shape ({tg.shape[0]},), got {lengths.shape}")
    bad = (lengths < 0) | (lengths > tg.shape[1])
    if bad.any():
        n = int(np.flatnonzero(bad)[0])
        raise ValueError(f"target_lengths[{n}] is {lengths[n]}, expected a length in [0, {tg.shape[1]}]")
    rows, cols = np.nonzero(np.arange(tg.shape[1]) < lengths[:, None])
    values = tg[rows, cols]
    # TensorFlow's CTC kernel takes int32 labels; a value beyond int32 must not wrap into a class.
    if values.size and (values.min() < np.iinfo(np.int32).min or values.max() > np.iinfo(np.int32).max):
        raise ValueError("targets must fit in int32 (TensorFlow's CTC labels), got values "
                         f"in [{values.min()}, {values.max()}]")
    return tf.SparseTensor(indices=np.stack([rows, cols], axis=1).astype(np.int64),
                           values=values.astype(np.int32), dense_shape=np.array(tg.shape, dtype=np.int64))


def _ctc_loss(targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    """The CTC loss as a function of the (N, T, C) log-probabilities tensor."""
    if zero_infinity:
        raise NotImplementedError("tf.nn.ctc_loss has no zero_infinity")
    reduction = _reduction(reduction)
    labels = _sparse_labels(targets, target_lengths)
    logit_length = tf.constant(_indices(input_lengths, "input_lengths").astype(np.int32))

    def loss(lp):
        if lp.shape.rank != 3:
            raise ValueError(f"log_probs must be (N, T, C), got shape {tuple(lp.shape)}")
        values = tf.nn.ctc_loss(labels=labels, logits=lp, label_length=None,
                                logit_length=logit_length, logits_time_major=False,
                                blank_index=int(blank))
        return _reduce(values, reduction)
    return loss


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    loss = _ctc_loss(targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    return _out(loss(_float(log_probs)))


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
                  zero_infinity=False, cotangent=None):
    loss = _ctc_loss(targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    return _gradient(loss, _float(log_probs), cotangent)

"""Adapter: Keras 3 (``keras.ops``, ``keras.losses``) on the JAX backend.

Translation only (see CONTRIBUTING.md, "Adapters").

* The backend is JAX (``KERAS_BACKEND=jax``; TensorFlow is not needed).  JAX's
  64-bit mode is enabled so that float64 input can exist at all; Keras' floatx
  is left at its default.  Each loss object is built with ``dtype`` equal to
  the input's floating dtype, the option that makes Keras compute in the
  input's precision (a loss object otherwise casts everything to floatx).
* Losses use Keras' own loss classes and their reductions: ``"none"`` ->
  ``"none"``, ``"sum"`` -> ``"sum"``, ``"mean"`` -> ``"sum_over_batch_size"``
  (``"mean_with_sample_weight"`` when the spec's element weights are given).
  ``categorical_crossentropy`` & co. take ``(y_true, y_pred)``: the target first.
* Keras reduces element-wise losses (binary, focal, regression) with a mean
  over the last axis; a trailing axis of length 1 is appended so that Keras'
  per-sample value is the spec's per-element value.  The class axis is moved
  last where Keras only supports the last axis.
* ``ignore_index`` is Keras' ``ignore_class``; index targets with label
  smoothing or for the focal loss are one-hot encoded with ``keras.ops.one_hot``
  (Keras' categorical losses take one-hot targets).
* Gradients are vector-Jacobian products through the Keras computation, the
  JAX backend's ``jax.vjp``; ``cotangent`` is the output gradient, in the
  input's dtype (``None``: ones, the gradient of the summed result).
* Not provided (no Keras function): ``entropy``, ``nll_loss``,
  ``smooth_l1_loss``, the CTC helpers.
"""

from __future__ import annotations

import functools

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

from conformance.adapters._options import refuse_lm_options
from conformance.adapters import _jax_setup  # noqa: E402,F401  (x64, CPU, compile cache)
from conformance.adapters._stored_jit import StoredJit  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

if keras.backend.backend() != "jax":  # pragma: no cover - depends on the environment
    raise ImportError(f"the keras adapter needs KERAS_BACKEND=jax, not {keras.backend.backend()!r}")

NAME = "keras"
K = keras.ops
_MEAN = "sum_over_batch_size"
_REDUCTIONS = {"none": "none", "sum": "sum", "mean": _MEAN}


# ---------------------------------------------------------------------------
# conversions and caching
# ---------------------------------------------------------------------------

def _device(a):
    """numpy -> jax array by a plain transfer: ``jnp.asarray`` would compile a
    program (``jit_stage``) for every new shape and dtype."""
    return jax.device_put(np.asarray(a))


def _float_np(x, dtype=None):
    """``x`` as a floating numpy array (integers become float64), then ``dtype``."""
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    return a if dtype is None else a.astype(dtype)


def _float(x, dtype=None):
    return _device(_float_np(x, dtype))


def _out(y):
    a = np.asarray(y)
    return a[()] if a.ndim == 0 else a


def _keras_reduction(reduction):
    try:
        return _REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"reduction must be one of {tuple(_REDUCTIONS)}, got {reduction!r}") from None


def _log_base(base):
    """ln(base) as a float for the framework to divide by (1 for nats).  Computed
    with numpy so that an invalid base (1, 0, negative) reaches the framework's
    arithmetic (inf / NaN) instead of failing in the adapter."""
    if base is None:
        return 1.0
    with np.errstate(all="ignore"):
        return float(np.log(np.float64(base)))


_COMPILED: dict = {}


def _vjp_of(fn, argnum):
    """``vjp(cotangent, *args)``: the vector-Jacobian product of ``fn`` with
    respect to ``args[argnum]`` (``cotangent=None``: ones, the gradient of the
    summed result)."""

    def vjp(cotangent, *args):
        def of_one(x):
            return fn(*args[:argnum], x, *args[argnum + 1:])

        result, pullback = jax.vjp(of_one, args[argnum])
        if cotangent is None:
            cotangent = jnp.ones_like(result)
        elif cotangent.shape != result.shape:
            raise ValueError(f"cotangent must have the shape of the result, {tuple(result.shape)}, "
                             f"got shape {tuple(cotangent.shape)}")
        return pullback(cotangent.astype(result.dtype))[0]

    return vjp


def _compiled(key, make):
    """(value, vjp w.r.t. argument 0, vjp w.r.t. argument 1), jitted, built once per key.

    ``make()`` returns a function of jax arrays only; static options are in
    ``key``, which therefore names the programs (their executables are stored
    on disk by name and input signature, :mod:`conformance.adapters._stored_jit`).
    The vjps are called as ``vjp(cotangent, *args)``.
    """
    if key not in _COMPILED:
        fn = make()
        name = f"keras.{key!r}"
        _COMPILED[key] = (StoredJit(fn, name), StoredJit(_vjp_of(fn, 0), f"{name}.vjp0"),
                          StoredJit(_vjp_of(fn, 1), f"{name}.vjp1"))
    return _COMPILED[key]


def _cotangent(cotangent, like):
    """The output gradient as an array of the input's floating dtype (``None`` stays)."""
    if cotangent is None:
        return None
    c = np.asarray(cotangent)
    if c.dtype.kind not in "fiub" and c.dtype.name != "bfloat16":  # ml_dtypes bfloat16: kind V
        raise TypeError(f"cotangent must be a real number or array, got dtype {c.dtype}")
    return _device(c.astype(np.dtype(like.dtype)))


def _dtype(x):
    return np.dtype(x.dtype).name


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def softmax(z, axis=-1):
    z = _float(z)
    return _out(_compiled(("softmax", axis), lambda: lambda x: K.softmax(x, axis=axis))[0](z))


def log_softmax(z, axis=-1):
    z = _float(z)
    return _out(_compiled(("log_softmax", axis), lambda: lambda x: K.log_softmax(x, axis=axis))[0](z))


def logsumexp(z, axis=-1):
    z = _float(z)
    return _out(_compiled(("logsumexp", axis), lambda: lambda x: K.logsumexp(x, axis=axis))[0](z))


def logsumexp_grad(z, axis=-1, *, cotangent=None):
    z = _float(z)
    vjp = _compiled(("logsumexp", axis), lambda: lambda x: K.logsumexp(x, axis=axis))[1]
    return _out(vjp(_cotangent(cotangent, z), z))


def sigmoid(x):
    return _out(_compiled(("sigmoid",), lambda: K.sigmoid)[0](_float(x)))


def log_sigmoid(x):
    return _out(_compiled(("log_sigmoid",), lambda: K.log_sigmoid)[0](_float(x)))


# ---------------------------------------------------------------------------
# information theory (per distribution: Keras' functional losses)
# ---------------------------------------------------------------------------

def _wrt(wrt):
    if wrt not in ("p", "q"):
        raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
    return 1 if wrt == "p" else 2


def _ce_fns(axis, eps, base):
    if eps:
        raise NotImplementedError("keras.losses.categorical_crossentropy has no eps (it clips q instead)")
    log_base = _log_base(base)

    def make():
        def fn(p, q):
            # (y_true, y_pred): the reference distribution first.
            return keras.losses.categorical_crossentropy(p, q, axis=axis) / log_base
        return fn

    return _compiled(("cross_entropy", axis, log_base), make)


def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    return _out(_ce_fns(axis, eps, base)[0](_float(p), _float(q)))


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p", *, cotangent=None):
    k = _wrt(wrt)
    p, q = _float(p), _float(q)
    return _out(_ce_fns(axis, eps, base)[k](_cotangent(cotangent, (p, q)[k - 1]), p, q))


def _kl_fns(axis, base):
    log_base = _log_base(base)

    def make():
        def fn(p, q):
            # keras.losses.kl_divergence reduces over the last axis only.
            return keras.losses.kl_divergence(jnp.moveaxis(p, axis, -1), jnp.moveaxis(q, axis, -1)) / log_base
        return fn

    return _compiled(("kl_divergence", axis, log_base), make)


def kl_divergence(p, q, axis=-1, base=None):
    return _out(_kl_fns(axis, base)[0](_float(p), _float(q)))


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p", *, cotangent=None):
    k = _wrt(wrt)
    p, q = _float(p), _float(q)
    return _out(_kl_fns(axis, base)[k](_cotangent(cotangent, (p, q)[k - 1]), p, q))


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def _is_index(target):
    return np.asarray(target).dtype.kind in "iub"


def _sce_fns(logits, target, axis, weight, ignore_index, label_smoothing, reduction):
    if weight is not None:
        raise NotImplementedError("keras' cross-entropy losses have no class weights")
    red = _keras_reduction(reduction)
    index = _is_index(target)
    if not index and ignore_index is not None:
        raise NotImplementedError("keras.losses.CategoricalCrossentropy has no ignore_class")
    if index and label_smoothing and ignore_index is not None:
        raise NotImplementedError("keras.losses.SparseCategoricalCrossentropy has no label_smoothing")
    dtype = _dtype(logits)
    ax = axis % max(logits.ndim, 1)
    ls = float(label_smoothing)

    def make():
        if index and not ls:
            loss = keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, ignore_class=ignore_index, reduction=red, dtype=dtype)

            def fn(z, t):
                return loss(t, jnp.moveaxis(z, ax, -1))
        else:
            loss = keras.losses.CategoricalCrossentropy(
                from_logits=True, label_smoothing=ls, reduction=red, dtype=dtype)

            def fn(z, t):
                z = jnp.moveaxis(z, ax, -1)
                # The number of classes is static under jit: read it from the traced shape.
                t = K.one_hot(t, z.shape[-1], dtype=dtype) if index else jnp.moveaxis(t, ax, -1)
                return loss(t, z)
        return fn

    return _compiled(("sce", ax, index, ignore_index, ls, red, dtype), make)


def _target(target):
    t = np.asarray(target)
    return _device(t) if t.dtype.kind in "iub" else _float(t)


_no_lm_options = functools.partial(refuse_lm_options, library="keras")


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    _no_lm_options(z_loss, softcap)
    z, t = _float(logits), _target(target)
    return _out(_sce_fns(z, target, axis, weight, ignore_index, label_smoothing, reduction)[0](z, t))


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", cotangent=None):
    _no_lm_options(z_loss, softcap)
    z, t = _float(logits), _target(target)
    vjp = _sce_fns(z, target, axis, weight, ignore_index, label_smoothing, reduction)[1]
    return _out(vjp(_cotangent(cotangent, z), z, t))


def _cce_fns(probs, axis, eps, reduction):
    if eps:
        raise NotImplementedError("keras.losses.CategoricalCrossentropy has no eps (it clips instead)")
    red = _keras_reduction(reduction)
    dtype = _dtype(probs)
    ax = axis % max(probs.ndim, 1)

    def make():
        loss = keras.losses.CategoricalCrossentropy(from_logits=False, reduction=red, dtype=dtype)

        def fn(q, t):
            return loss(jnp.moveaxis(t, ax, -1), jnp.moveaxis(q, ax, -1))
        return fn

    return _compiled(("cce", ax, red, dtype), make)


def categorical_cross_entropy(probs, target, *, axis=-1, eps=0.0, reduction="mean"):
    q, t = _float(probs), _float(target)
    return _out(_cce_fns(q, axis, eps, reduction)[0](q, t))


def categorical_cross_entropy_grad(probs, target, *, axis=-1, eps=0.0, reduction="mean",
                                   cotangent=None):
    q, t = _float(probs), _float(target)
    return _out(_cce_fns(q, axis, eps, reduction)[1](_cotangent(cotangent, q), q, t))


def _focal_fns(logits, target, axis, gamma, alpha, reduction):
    red = _keras_reduction(reduction)
    dtype = _dtype(logits)
    ax = axis % max(logits.ndim, 1)
    index = _is_index(target)
    # Keras multiplies by alpha unconditionally: the spec's "no alpha" is alpha = 1.
    a = 1.0 if alpha is None else alpha
    a_key = tuple(np.ravel(a).tolist()) if np.ndim(a) else float(a)
    a_val = np.asarray(a, dtype=dtype) if np.ndim(a) else float(a)

    def make():
        loss = keras.losses.CategoricalFocalCrossentropy(
            alpha=a_val, gamma=float(gamma), from_logits=True, reduction=red, dtype=dtype)

        def fn(z, t):
            z = jnp.moveaxis(z, ax, -1)
            t = K.one_hot(t, z.shape[-1], dtype=dtype) if index else jnp.moveaxis(t, ax, -1)
            return loss(t, z)
        return fn

    return _compiled(("focal", ax, index, float(gamma), a_key, red, dtype), make)


def focal_loss(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean"):
    z, t = _float(logits), _target(target)
    return _out(_focal_fns(z, target, axis, gamma, alpha, reduction)[0](z, t))


def focal_loss_grad(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean",
                    cotangent=None):
    z, t = _float(logits), _target(target)
    return _out(_focal_fns(z, target, axis, gamma, alpha, reduction)[1](_cotangent(cotangent, z), z, t))


# ---------------------------------------------------------------------------
# element-wise losses: binary, sigmoid focal, regression
# ---------------------------------------------------------------------------

def _elementwise_fns(kind, make_loss, x, reduction, weighted=False):
    """Keras loss object applied with a trailing length-1 axis (its per-sample
    mean over the last axis is then the element itself)."""
    red = _keras_reduction(reduction)
    if weighted and red == _MEAN:
        red = "mean_with_sample_weight"
    dtype = _dtype(x)

    def make():
        loss = make_loss(red, dtype)

        if weighted:
            def fn(pred, target, w):
                return loss(target[..., None], pred[..., None], sample_weight=w)
        else:
            def fn(pred, target):
                return loss(target[..., None], pred[..., None])
        return fn

    return _compiled((kind, red, dtype, weighted), make)


def _weights(weight, shape, dtype):
    """The spec's element weights, broadcast to the target's ``shape``, in ``dtype``."""
    if weight is None:
        return None
    w = np.asarray(weight)
    return _device(np.broadcast_to(w, shape).astype(dtype))


def _binary_call(which, kind, make_loss, x, target, weight, reduction, cotangent=None):
    """The value (``which=0``) or the vjp with ``cotangent`` (``which=1``)."""
    x = _float(x)
    # the target in the prediction's dtype (cast in numpy: a jax cast compiles per shape)
    t = _float(target, x.dtype)
    args = (x, t)
    if weight is not None:
        args += (_weights(weight, t.shape, x.dtype),)
    fn = _elementwise_fns(kind, make_loss, x, reduction, weighted=weight is not None)[which]
    return _out(fn(_cotangent(cotangent, x), *args) if which else fn(*args))


def _bce_loss(red, dtype):
    return keras.losses.BinaryCrossentropy(from_logits=False, reduction=red, dtype=dtype)


def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    if eps:
        raise NotImplementedError("keras.losses.BinaryCrossentropy has no eps (it clips instead)")
    return _binary_call(0, "bce", _bce_loss, probs, target, weight, reduction)


def binary_cross_entropy_grad(probs, target, *, weight=None, eps=0.0, reduction="mean", cotangent=None):
    if eps:
        raise NotImplementedError("keras.losses.BinaryCrossentropy has no eps (it clips instead)")
    return _binary_call(1, "bce", _bce_loss, probs, target, weight, reduction, cotangent)


def _sbce_loss(red, dtype):
    return keras.losses.BinaryCrossentropy(from_logits=True, reduction=red, dtype=dtype)


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    if pos_weight is not None:
        raise NotImplementedError("keras.losses.BinaryCrossentropy has no pos_weight")
    return _binary_call(0, "sbce", _sbce_loss, logits, target, weight, reduction)


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None,
                                      reduction="mean", cotangent=None):
    if pos_weight is not None:
        raise NotImplementedError("keras.losses.BinaryCrossentropy has no pos_weight")
    return _binary_call(1, "sbce", _sbce_loss, logits, target, weight, reduction, cotangent)


def _sfocal_loss(gamma, alpha):
    def make_loss(red, dtype):
        # apply_class_balancing turns on alpha_t = alpha y + (1 - alpha)(1 - y).
        return keras.losses.BinaryFocalCrossentropy(
            apply_class_balancing=alpha is not None, alpha=0.25 if alpha is None else float(alpha),
            gamma=float(gamma), from_logits=True, reduction=red, dtype=dtype)
    return make_loss


def sigmoid_focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    kind = ("sfocal", float(gamma), None if alpha is None else float(alpha))
    return _binary_call(0, kind, _sfocal_loss(gamma, alpha), logits, target, None, reduction)


def sigmoid_focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean", cotangent=None):
    kind = ("sfocal", float(gamma), None if alpha is None else float(alpha))
    return _binary_call(1, kind, _sfocal_loss(gamma, alpha), logits, target, None, reduction, cotangent)


def _mae_loss(red, dtype):
    return keras.losses.MeanAbsoluteError(reduction=red, dtype=dtype)


def _mse_loss(red, dtype):
    return keras.losses.MeanSquaredError(reduction=red, dtype=dtype)


def _huber_loss(delta):
    def make_loss(red, dtype):
        return keras.losses.Huber(delta=float(delta), reduction=red, dtype=dtype)
    return make_loss


def mean_absolute_error(pred, target, *, reduction="mean"):
    return _binary_call(0, "mae", _mae_loss, pred, target, None, reduction)


def mean_absolute_error_grad(pred, target, *, reduction="mean", cotangent=None):
    return _binary_call(1, "mae", _mae_loss, pred, target, None, reduction, cotangent)


def mean_squared_error(pred, target, *, reduction="mean"):
    return _binary_call(0, "mse", _mse_loss, pred, target, None, reduction)


def mean_squared_error_grad(pred, target, *, reduction="mean", cotangent=None):
    return _binary_call(1, "mse", _mse_loss, pred, target, None, reduction, cotangent)


def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    return _binary_call(0, ("huber", float(delta)), _huber_loss(delta), pred, target, None, reduction)


def huber_loss_grad(pred, target, *, delta=1.0, reduction="mean", cotangent=None):
    return _binary_call(1, ("huber", float(delta)), _huber_loss(delta), pred, target, None, reduction, cotangent)


def _rmse_fns(dtype):
    def make():
        def fn(pred, target):
            # keras.metrics.RootMeanSquaredError: sqrt of the mean over all elements.
            m = keras.metrics.RootMeanSquaredError(dtype=dtype)
            m.update_state(target, pred)
            return m.result()
        return fn
    return make


def root_mean_squared_error(pred, target):
    x = _float(pred)
    fn = _rmse_fns(_dtype(x))()
    return _out(fn(x, _float(target, x.dtype)))


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def _ctc_fns(blank, reduction, dtype):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {tuple(_REDUCTIONS)}, got {reduction!r}")

    def make():
        def fn(lp, targets, target_lengths, input_lengths):
            # keras.ops.ctc_loss(target, output, target_length, output_length,
            # mask_index): output is logits (log-softmax is applied inside, a
            # no-op on normalised log-probabilities); mask_index is the blank.
            values = K.ctc_loss(targets, lp, target_lengths, input_lengths, mask_index=blank)
            if reduction == "sum":
                return K.sum(values)
            if reduction == "mean":
                return K.mean(values)
            return values
        return fn

    return _compiled(("ctc", int(blank), reduction, dtype), make)


def _ctc_args(log_probs, targets, input_lengths, target_lengths, zero_infinity):
    if zero_infinity:
        raise NotImplementedError("keras.ops.ctc_loss has no zero_infinity")
    lp = _float(log_probs)
    tg = np.asarray(targets)
    return (lp, _device(tg.astype(np.int32)), _device(np.asarray(target_lengths).astype(np.int32)),
            _device(np.asarray(input_lengths).astype(np.int32)))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    args = _ctc_args(log_probs, targets, input_lengths, target_lengths, zero_infinity)
    return _out(_ctc_fns(blank, reduction, _dtype(args[0]))[0](*args))


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0,
                  reduction="mean", zero_infinity=False, cotangent=None):
    args = _ctc_args(log_probs, targets, input_lengths, target_lengths, zero_infinity)
    return _out(_ctc_fns(blank, reduction, _dtype(args[0]))[1](_cotangent(cotangent, args[0]), *args))

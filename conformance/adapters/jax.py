"""Adapter: JAX (``jax.nn``, ``jax.scipy.special``) and optax's losses.

Translation only (see CONTRIBUTING.md, "Adapters"): names, argument order,
layout and which option claims the spec's meaning.  Results are returned as
they come out of the framework, converted to numpy with the dtype JAX chose.

* 64-bit mode is enabled (``jax_enable_x64``) so that float64 input is computed
  in float64; float32 input stays float32 through the framework.
* Functions optax does not have (``nll_loss``, ``categorical_cross_entropy``,
  ``binary_cross_entropy`` from probabilities, ``focal_loss``,
  ``mean_absolute_error``, ``root_mean_squared_error``, ``smooth_l1_loss``,
  the CTC helpers) are not defined: they are reported as not provided.
* Options optax's losses have no argument for (class ``weight``,
  ``ignore_index``, ``pos_weight``, ``zero_infinity``) raise
  ``NotImplementedError``.
* Reductions: optax returns per-sample losses; ``"sum"`` and ``"mean"`` are
  composed with ``jnp.sum`` / ``jnp.mean`` of that output (``w_n = 1`` for every
  loss defined here, so the plain mean is the spec's mean).
* Gradients are vector-Jacobian products, ``jax.vjp`` of the (reduced)
  result with respect to the first argument (``wrt="q"``: the second, for the
  information-theory functions); ``cotangent`` is the output gradient, in the
  input's dtype (``None``: ones, the gradient of the sum of the result).
* Speed: every call goes through one ``jax.jit``-compiled function per
  (function, static options); jit caches the executable per shape and dtype,
  so each new input shape costs one compilation (about 0.1 s of CPU, a
  fifth of that from the persistent cache) instead of one per primitive in
  eager mode (measured: five times more CPU).  The reduction is not part of a
  loss's program: values are per-sample programs reduced by ``jnp.sum`` /
  ``jnp.mean`` (compiled once per shape for all losses), and a gradient is the
  vjp of the per-sample values with the weights the reduction gives each
  sample (``_sample_weights``), so one program per shape serves every
  reduction and cotangent.  The compiled executables are stored on disk by
  call signature (``_stored_jit.StoredJit``): a later run reads each back in
  about 4 ms instead of tracing and lowering it again (about 30 ms) to find it
  in JAX's compilation cache.
"""

from __future__ import annotations

import functools
import os

from conformance.adapters._options import refuse_lm_options
from conformance.adapters import _jax_setup  # noqa: F401  (x64, CPU, compile cache)
from conformance.adapters._stored_jit import StoredJit  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as jss  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

NAME = "jax"
_REDUCTIONS = ("none", "sum", "mean")


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------

#: Where the arrays live (``--device``); ``None`` is JAX's default device.
DEVICE = None


def use_device(device: str) -> None:
    """Put every array on ``device`` (``cpu``, ``cuda``, ``cuda:1``); ``RuntimeError``
    where JAX has no such device.  The adapter starts JAX on the CPU unless
    ``JAX_PLATFORMS`` says otherwise (set it to ``cuda`` with a CUDA jaxlib)."""
    global DEVICE
    kind, _, index = device.partition(":")
    try:
        devices = jax.devices({"cuda": "gpu"}.get(kind, kind))
        DEVICE = devices[int(index or 0)]
    except (RuntimeError, ValueError, IndexError) as exc:
        raise RuntimeError(f"--device {device}: JAX has no such device here ({exc}); "
                           f"JAX_PLATFORMS={os.environ.get('JAX_PLATFORMS', '')!r}") from None


def _device(a):
    """numpy -> jax array by a plain transfer: ``jnp.asarray`` would compile a
    program (``jit_stage``) for every new shape and dtype."""
    return jax.device_put(np.asarray(a), DEVICE)


def _float(x):
    """numpy -> jax array, keeping a floating dtype (integers become float64)."""
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    return _device(a)


def _index(x):
    return _device(np.asarray(x))


def _out(y):
    """jax -> numpy; 0-d results become numpy scalars."""
    a = np.asarray(y)
    return a[()] if a.ndim == 0 else a


def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


#: The reductions, outside every loss's program (one program per shape for all losses).
_sum = StoredJit(jnp.sum, "jax.sum")
_mean = StoredJit(jnp.mean, "jax.mean")


def _reduce(values, reduction):
    """The spec's reduction of per-sample values (``w_n = 1`` for every loss here).

    Applied outside the loss's compiled program, so that one program per shape
    serves all three reductions (jnp.sum / jnp.mean compile once per shape,
    shared by every loss)."""
    if reduction == "sum":
        return _sum(values)
    if reduction == "mean":
        return _mean(values)
    return values


def _sample_weights(cotangent, reduction, shape, dtype):
    """The output gradient each per-sample value receives from ``reduction``
    given the reduced result's ``cotangent`` (``None``: 1): ``c_n`` for
    ``"none"``, ``c`` for ``"sum"``, ``c / N`` for ``"mean"`` (the transposes of
    ``jnp.sum`` and ``jnp.mean``), in ``dtype``.  The vjp of the per-sample
    values with these weights is the gradient of the reduced result, so one
    compiled gradient per shape serves every reduction and cotangent."""
    dtype = np.dtype(dtype)
    expected = tuple(shape) if reduction == "none" else ()
    c = np.ones(expected, dtype) if cotangent is None else np.asarray(cotangent)
    if c.dtype.kind not in "fiub" and c.dtype.name != "bfloat16":  # ml_dtypes bfloat16: kind V
        raise TypeError(f"cotangent must be a real number or array, got dtype {c.dtype}")
    if c.shape != expected:
        raise ValueError(f"cotangent must have the shape of the result, {expected}, got shape {c.shape}")
    c = np.broadcast_to(c.astype(dtype), tuple(shape))
    n = int(np.prod(shape))
    if reduction == "mean" and n:
        # c / N correctly rounded in dtype, as jnp.mean's transpose computes it
        c = (c.astype(np.float64) / n).astype(dtype)
    return _device(c)


def _log_base(base):
    """ln(base) as a float for the framework to divide by (1 for nats).  Computed
    with numpy so that an invalid base (1, 0, negative) reaches the framework's
    arithmetic (inf / NaN) instead of failing in the adapter."""
    if base is None:
        return 1.0
    with np.errstate(all="ignore"):
        return float(np.log(np.float64(base)))


def _vjp_of(fn, argnum):
    """``vjp(cotangent, *args, **static)``: the vector-Jacobian product of ``fn``
    with respect to ``args[argnum]``, ``cotangent`` its output gradient (``None``
    for ones, which is ``jax.grad`` of the summed result)."""

    def vjp(cotangent, *args, **static):
        def of_one(x):
            return fn(*args[:argnum], x, *args[argnum + 1:], **static)

        result, pullback = jax.vjp(of_one, args[argnum])
        if cotangent is None:
            cotangent = jnp.ones_like(result)
        elif cotangent.shape != result.shape:
            raise ValueError(f"cotangent must have the shape of the result, {tuple(result.shape)}, "
                             f"got shape {tuple(cotangent.shape)}")
        return pullback(cotangent.astype(result.dtype))[0]

    return vjp


def _jit_pair(fn, static, name=None):
    """The jitted value function and the jitted vector-Jacobian products w.r.t.
    argument 0 and 1, each called as ``vjp(cotangent, *args, **static)``."""
    name = name or fn.__name__
    value = StoredJit(fn, f"jax.{name}", static)
    grads = tuple(StoredJit(_vjp_of(fn, k), f"jax.{name}.vjp{k}", static) for k in (0, 1))
    return value, grads


def _cotangent(cotangent, like):
    """The output gradient as an array of the input's floating dtype (``None`` stays)."""
    if cotangent is None:
        return None
    c = np.asarray(cotangent)
    if c.dtype.kind not in "fiub" and c.dtype.name != "bfloat16":  # ml_dtypes bfloat16: kind V
        raise TypeError(f"cotangent must be a real number or array, got dtype {c.dtype}")
    return _device(c.astype(np.dtype(like.dtype)))


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

_softmax = StoredJit(lambda z, axis: jax.nn.softmax(z, axis=axis), "jax.softmax", "axis")
_log_softmax = StoredJit(lambda z, axis: jax.nn.log_softmax(z, axis=axis), "jax.log_softmax", "axis")
_lse, (_lse_grad, _) = _jit_pair(lambda z, axis: jss.logsumexp(z, axis=axis), "axis", "logsumexp")
_sigmoid = StoredJit(jax.nn.sigmoid, "jax.sigmoid")
_log_sigmoid = StoredJit(jax.nn.log_sigmoid, "jax.log_sigmoid")


def softmax(z, axis=-1):
    return _out(_softmax(_float(z), axis=axis))


def log_softmax(z, axis=-1):
    return _out(_log_softmax(_float(z), axis=axis))


def logsumexp(z, axis=-1):
    return _out(_lse(_float(z), axis=axis))


def logsumexp_grad(z, axis=-1, *, cotangent=None):
    z = _float(z)
    return _out(_lse_grad(_cotangent(cotangent, z), z, axis=axis))


def sigmoid(x):
    return _out(_sigmoid(_float(x)))


def log_sigmoid(x):
    return _out(_log_sigmoid(_float(x)))


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def _entropy_core(p, log_base, axis):
    return jnp.sum(jss.entr(p), axis=axis) / log_base


def _ce_core(p, q, eps, log_base, axis):
    return -jnp.sum(jss.xlogy(p, q + eps), axis=axis) / log_base


def _kl_core(p, q, log_base, axis):
    # optax.kl_divergence(log_predictions, targets): the model's q in log space
    # first, the reference distribution p second.
    return optax.kl_divergence(jnp.log(q), p, axis=axis) / log_base


_entropy, (_entropy_grad, _) = _jit_pair(_entropy_core, "axis")
_ce, _ce_grads = _jit_pair(_ce_core, "axis")
_kl, _kl_grads = _jit_pair(_kl_core, "axis")


def _wrt(wrt):
    if wrt not in ("p", "q"):
        raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
    return 0 if wrt == "p" else 1


def entropy(p, axis=-1, base=None):
    return _out(_entropy(_float(p), _log_base(base), axis=axis))


def entropy_grad(p, axis=-1, base=None, *, cotangent=None):
    p = _float(p)
    return _out(_entropy_grad(_cotangent(cotangent, p), p, _log_base(base), axis=axis))


def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    return _out(_ce(_float(p), _float(q), eps, _log_base(base), axis=axis))


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p", *, cotangent=None):
    k = _wrt(wrt)
    p, q = _float(p), _float(q)
    ct = _cotangent(cotangent, (p, q)[k])
    return _out(_ce_grads[k](ct, p, q, eps, _log_base(base), axis=axis))


def kl_divergence(p, q, axis=-1, base=None):
    return _out(_kl(_float(p), _float(q), _log_base(base), axis=axis))


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p", *, cotangent=None):
    k = _wrt(wrt)
    p, q = _float(p), _float(q)
    ct = _cotangent(cotangent, (p, q)[k])
    return _out(_kl_grads[k](ct, p, q, _log_base(base), axis=axis))


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def _smooth(target, alpha, axis):
    """optax.smooth_labels, (1 - alpha) y + alpha / C, along ``axis``."""
    return jnp.moveaxis(optax.smooth_labels(jnp.moveaxis(target, axis, -1), alpha), -1, axis)


def _sce_core(logits, target, label_smoothing, axis, smooth, index):
    """Per-sample losses (the reduction is applied by the caller)."""
    ax = axis % logits.ndim
    if index and smooth:
        # optax.smooth_labels works on one-hot targets.
        target = jax.nn.one_hot(target, logits.shape[ax], dtype=logits.dtype, axis=ax)
        index = False
    if index:
        values = optax.softmax_cross_entropy_with_integer_labels(logits, target, axis=axis)
    else:
        target = target.astype(logits.dtype)
        if smooth:
            target = _smooth(target, label_smoothing, ax)
        values = optax.softmax_cross_entropy(logits, target, axis=axis)
    return values


_SCE_STATIC = ("axis", "smooth", "index")
_sce, (_sce_grad, _) = _jit_pair(_sce_core, _SCE_STATIC)


def _sce_args(logits, target, axis, weight, ignore_index, label_smoothing, reduction):
    if weight is not None:
        raise NotImplementedError("optax.softmax_cross_entropy has no class weights")
    if ignore_index is not None:
        raise NotImplementedError("optax.softmax_cross_entropy has no ignore_index")
    _reduction(reduction)
    t = np.asarray(target)
    index = t.dtype.kind in "iub"
    args = (_float(logits), _index(t) if index else _float(t), label_smoothing)
    return args, dict(axis=axis, smooth=bool(label_smoothing != 0), index=index)


_no_lm_options = functools.partial(refuse_lm_options, library="optax")


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    _no_lm_options(z_loss, softcap)
    args, static = _sce_args(logits, target, axis, weight, ignore_index, label_smoothing, reduction)
    return _out(_reduce(_sce(*args, **static), reduction))


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", cotangent=None):
    _no_lm_options(z_loss, softcap)
    args, static = _sce_args(logits, target, axis, weight, ignore_index, label_smoothing, reduction)
    z = args[0]
    per_sample = z.shape[:static["axis"] % z.ndim] + z.shape[static["axis"] % z.ndim + 1:] if z.ndim else ()
    weights = _sample_weights(cotangent, reduction, per_sample, z.dtype)
    return _out(_sce_grad(weights, *args, **static))


# ---------------------------------------------------------------------------
# binary and focal
# ---------------------------------------------------------------------------

def _sbce_core(logits, target):
    return optax.sigmoid_binary_cross_entropy(logits, target)


_sbce, (_sbce_grad, _) = _jit_pair(_sbce_core, ())


def _sbce_check(weight, pos_weight, reduction):
    if weight is not None:
        raise NotImplementedError("optax.sigmoid_binary_cross_entropy has no weights")
    if pos_weight is not None:
        raise NotImplementedError("optax.sigmoid_binary_cross_entropy has no pos_weight")
    _reduction(reduction)


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    _sbce_check(weight, pos_weight, reduction)
    return _out(_reduce(_sbce(_float(logits), _float(target)), reduction))


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None,
                                      reduction="mean", cotangent=None):
    _sbce_check(weight, pos_weight, reduction)
    x = _float(logits)
    t = _float(target)
    weights = _sample_weights(cotangent, reduction, jnp.broadcast_shapes(x.shape, t.shape), x.dtype)
    return _out(_sbce_grad(weights, x, t))


def _sfocal_core(logits, target, gamma, alpha):
    return optax.sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma)


_sfocal, (_sfocal_grad, _) = _jit_pair(_sfocal_core, ())


def sigmoid_focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    _reduction(reduction)
    return _out(_reduce(_sfocal(_float(logits), _float(target), gamma, alpha), reduction))


def sigmoid_focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean",
                            cotangent=None):
    _reduction(reduction)
    x = _float(logits)
    t = _float(target)
    weights = _sample_weights(cotangent, reduction, jnp.broadcast_shapes(x.shape, t.shape), x.dtype)
    return _out(_sfocal_grad(weights, x, t, gamma, alpha))


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def _mse_core(pred, target):
    # optax.squared_error, not optax.l2_loss (which carries a factor 1/2).
    return optax.squared_error(pred, target)


def _huber_core(pred, target, delta):
    return optax.huber_loss(pred, target, delta=delta)


_mse, (_mse_grad, _) = _jit_pair(_mse_core, ())
_huber, (_huber_grad, _) = _jit_pair(_huber_core, ())


def mean_squared_error(pred, target, *, reduction="mean"):
    _reduction(reduction)
    return _out(_reduce(_mse(_float(pred), _float(target)), reduction))


def mean_squared_error_grad(pred, target, *, reduction="mean", cotangent=None):
    _reduction(reduction)
    x = _float(pred)
    t = _float(target)
    weights = _sample_weights(cotangent, reduction, jnp.broadcast_shapes(x.shape, t.shape), x.dtype)
    return _out(_mse_grad(weights, x, t))


def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    _reduction(reduction)
    return _out(_reduce(_huber(_float(pred), _float(target), delta), reduction))


def huber_loss_grad(pred, target, *, delta=1.0, reduction="mean", cotangent=None):
    _reduction(reduction)
    x = _float(pred)
    t = _float(target)
    weights = _sample_weights(cotangent, reduction, jnp.broadcast_shapes(x.shape, t.shape), x.dtype)
    return _out(_huber_grad(weights, x, t, delta))


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def _ctc_values(log_probs, targets, logit_paddings, label_paddings, blank):
    # optax.ctc_loss takes logits and applies log_softmax: a no-op on
    # normalised log-probabilities.  Paddings are 1.0 where padded.
    return optax.ctc_loss(log_probs, logit_paddings, targets, label_paddings, blank_id=blank)


def _ctc_weighted_sum(log_probs, targets, logit_paddings, label_paddings, weights, blank):
    return jnp.sum(_ctc_values(log_probs, targets, logit_paddings, label_paddings, blank) * weights)


# optax has no reduction: the adapter's own sum or mean is applied to its
# per-sequence losses.  The reduction and the cotangent are not static, so one
# compiled gradient per shape serves all of them: the gradient of
# sum(weights * losses), with weights the output gradient each sequence's loss
# receives from the reduction (cotangent c: c for "sum", c / N for "mean",
# c_n for "none"); compiling optax's scan costs about half a second a shape.
_ctc = StoredJit(_ctc_values, "jax.ctc", "blank")
_ctc_grad = StoredJit(jax.grad(_ctc_weighted_sum), "jax.ctc.grad", "blank")


def _paddings(lengths, size, dtype):
    """optax's padding indicators: 1.0 at positions past a row's length."""
    # lengths (N,) -> (N, 1); any other shape is passed on as given (no repair)
    lengths = np.expand_dims(np.asarray(lengths), -1)
    return _device((np.arange(size) >= lengths).astype(dtype))


def _ctc_args(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    if zero_infinity:
        raise NotImplementedError("optax.ctc_loss has no zero_infinity")
    _reduction(reduction)
    lp = _float(log_probs)
    if lp.ndim != 3:
        raise ValueError(f"log_probs must be (N, T, C), got shape {lp.shape}")
    t = lp.shape[1]
    tg = np.asarray(targets)
    dtype = np.dtype(lp.dtype)
    args = (lp, _index(tg), _paddings(input_lengths, t, dtype),
            _paddings(target_lengths, tg.shape[-1], dtype))
    return args, int(blank)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    args, blank = _ctc_args(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                            zero_infinity)
    return _out(_reduce(_ctc(*args, blank=blank), reduction))


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0,
                  reduction="mean", zero_infinity=False, cotangent=None):
    args, blank = _ctc_args(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                            zero_infinity)
    weights = _sample_weights(cotangent, reduction, args[0].shape[:1], args[0].dtype)
    return _out(_ctc_grad(*args, weights, blank=blank))

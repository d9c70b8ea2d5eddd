"""Adapter: PyTorch (``torch``, ``torch.nn.functional``, ``torch.special``).

Translation only (see CONTRIBUTING.md and the contract, "Adapters"): names,
argument order, layout, log or linear space and which option of PyTorch claims
the spec's meaning.  Results come back as PyTorch computed them, converted to
numpy in the dtype PyTorch chose (float64 in, float64 out; float32 in, float32
out).

* The class axis: ``F.cross_entropy`` and ``F.nll_loss`` want the classes on
  dim 1 (or dim 0 for one unbatched sample); the adapter moves ``axis`` there
  with ``torch.movedim`` and leaves every other axis in order, so the target
  and the ``reduction="none"`` output keep the spec's shapes.
* ``ignore_index=None`` (no ignored class) is passed as PyTorch's default,
  ``-100``: that is what a PyTorch user gets by not passing the argument.
* ``kl_divergence(p, q)`` is ``F.kl_div(input=log q, target=p,
  reduction="none")`` summed over ``axis``: PyTorch takes the model's
  distribution first and in log space.
* ``cross_entropy(p, q)`` is ``-sum xlogy(p, q + eps)`` with
  ``torch.special.xlogy``; ``entropy(p)`` is ``sum torch.special.entr(p)``.
  ``base`` divides by ``log(base)``.
* ``ctc_loss``: PyTorch wants time-major ``(T, N, C)`` log-probabilities, so the
  batch-major input is transposed; targets, lengths, ``blank``, ``reduction``
  and ``zero_infinity`` are passed through.
* ``binary_cross_entropy`` has no ``eps`` in PyTorch: ``eps != 0`` raises
  ``NotImplementedError``.
* ``softcap=c`` (``softmax_cross_entropy``): PyTorch has no option; the adapter
  composes ``c * torch.tanh(z / c)`` before ``F.cross_entropy``, which is what a
  PyTorch user writes (Gemma-style capping), so autograd differentiates through
  it.  ``z_loss != 0`` raises ``NotImplementedError``: composing it would mean
  re-implementing the weighted, ignore-aware reduction in the adapter, which
  would then be what the suite tests.
* ``linear_cross_entropy`` is ``F.linear_cross_entropy`` with ``options=None``
  (PyTorch's reference path); see :mod:`conformance.adapters._torch_lce`, shared
  with the ``torch_chunked`` adapter (the chunked op).  No ``z_loss``, no
  ``softcap``: ``NotImplementedError``.
* Not defined (reported as not provided): ``categorical_cross_entropy`` (no
  PyTorch op takes probabilities and a soft/one-hot target; composing
  ``-sum(t * log(q + eps))`` from elementwise ops would test only ``torch.log``),
  ``focal_loss`` and ``sigmoid_focal_loss`` (torchvision is not a dependency
  here; composing them would test the adapter, not PyTorch), ``ctc_collapse``,
  ``ctc_path_probability``.
* Gradients ``NAME_grad`` are ``torch.autograd.grad`` of the reduced result
  (of its sum for ``reduction="none"`` and for the per-distribution functions)
  with respect to the first argument (``wrt="q"``: the second, for
  ``cross_entropy_grad`` and ``kl_divergence_grad``), in the input's dtype.
  ``cotangent=c`` is passed to autograd as the output gradient
  (``grad_outputs=c``, in the input's dtype): the vector-Jacobian product.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from conformance.adapters import _torch_lce
from conformance.lowp import EXTRA_FLOATS

NAME = "torch"
_REDUCTIONS = ("none", "sum", "mean")
_TORCH_DEFAULT_IGNORE_INDEX = -100

#: Where the tensors live (``--device``): the CPU unless ``use_device`` says otherwise.
DEVICE = torch.device("cpu")
_BF16 = EXTRA_FLOATS.get("bfloat16")


def use_device(device: str) -> None:
    """Run every op on ``device`` (``cuda``, ``cuda:1``); ``RuntimeError`` if torch has none."""
    global DEVICE
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"--device {device}: torch sees no CUDA device here")
    DEVICE = torch.device(device)
    _torch_lce.DEVICE = DEVICE


# ---------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------

def _float(x, *, grad=False, like=None):
    """numpy -> a fresh torch tensor with a floating dtype.

    Integer/bool input becomes float64; ``like`` (a tensor) forces its dtype,
    because PyTorch's losses want the target (and weights) in the input's dtype.
    """
    a = _numeric(x)
    if like is not None:
        a = a.astype(_np_dtype(like.dtype), copy=False)
    elif a.dtype.kind not in "f" and a.dtype != _BF16:
        a = a.astype(np.float64)
    if a.dtype == _BF16:  # numpy's bfloat16 (ml_dtypes) travels as its bits
        t = torch.from_numpy(np.ascontiguousarray(a).view(np.int16).copy()).view(torch.bfloat16)
    else:
        t = torch.from_numpy(np.array(a, copy=True))
    t = t.to(DEVICE)
    if grad:
        t.requires_grad_(True)
    return t


def _numeric(x):
    """``np.asarray(x)``, refusing what ``torch.as_tensor`` refuses (None,
    objects, strings) instead of letting numpy turn it into NaN."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiub" and a.dtype != _BF16:
        raise TypeError(f"expected a real numeric array, got {type(x).__name__} of dtype {a.dtype}")
    return a


def _np_dtype(torch_dtype):
    return {torch.float64: np.float64, torch.float32: np.float32,
            torch.float16: np.float16, torch.bfloat16: _BF16}.get(torch_dtype, np.float64)


def _long(x):
    a = _numeric(x)
    if a.size == 0:  # an empty list is an empty integer array (numpy would say float64)
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise TypeError(f"expected integer class indices / lengths, got dtype {a.dtype}")
    return torch.from_numpy(np.array(a, dtype=np.int64, copy=True)).to(DEVICE)


def _optional(x, like):
    return None if x is None else _float(x, like=like)


def _out(t):
    """torch -> numpy; 0-d results become numpy scalars."""
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        a = t.contiguous().view(torch.int16).numpy().view(_BF16)
    else:
        a = t.numpy()
    return a[()] if a.ndim == 0 else a.copy()


def _reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _log_base(base):
    """``log(base)``.  PyTorch has no ``base`` option: the adapter composes it
    (a division by ``log(base)``), so it also rejects a base that has no log."""
    if base is None:
        return None
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
    return math.log(b)


def _eps(eps):
    """PyTorch has no ``eps`` for ``cross_entropy``: the adapter composes
    ``q + eps``, so it also rejects a negative or non-finite one."""
    e = float(eps)
    if not (e >= 0 and math.isfinite(e)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    return e


def _per_base(value, base):
    lb = _log_base(base)
    return value if lb is None else value / lb


def _grad(value, wrt, cotangent=None):
    """The vector-Jacobian product: the gradient of ``sum(cotangent * value)``
    with respect to the tensor ``wrt`` (``cotangent=None``: of ``sum(value)``).

    The cotangent is autograd's output gradient (``grad_outputs``), in the
    input's dtype, so PyTorch's own backward formulas apply it.
    """
    return _out(_torch_lce.vjp(value, wrt, None if cotangent is None else _float(cotangent, like=wrt)))


def _class_axis_to_dim1(t, axis):
    """Move the class axis where PyTorch's classification losses want it:
    dim 1 for batched input, dim 0 (unchanged) for one unbatched sample."""
    if t.ndim <= 1:
        return t
    ax = axis % t.ndim if -t.ndim <= axis < t.ndim else axis  # let torch raise otherwise
    return torch.movedim(t, ax, 1)


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def softmax(z, axis=-1):
    return _out(torch.softmax(_float(z), dim=axis))


def log_softmax(z, axis=-1):
    return _out(torch.log_softmax(_float(z), dim=axis))


def logsumexp(z, axis=-1):
    return _out(torch.logsumexp(_float(z), dim=axis))


def logsumexp_grad(z, axis=-1, *, cotangent=None):
    t = _float(z, grad=True)
    return _grad(torch.logsumexp(t, dim=axis), t, cotangent)


def sigmoid(x):
    return _out(torch.sigmoid(_float(x)))


def log_sigmoid(x):
    return _out(F.logsigmoid(_float(x)))


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def _entropy(p, axis, base):
    return _per_base(torch.special.entr(p).sum(dim=axis), base)


def entropy(p, axis=-1, base=None):
    return _out(_entropy(_float(p), axis, base))


def entropy_grad(p, axis=-1, base=None, *, cotangent=None):
    t = _float(p, grad=True)
    return _grad(_entropy(t, axis, base), t, cotangent)


def _cross_entropy(p, q, axis, eps, base):
    return _per_base(-torch.special.xlogy(p, q + _eps(eps)).sum(dim=axis), base)


def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    P = _float(p)
    return _out(_cross_entropy(P, _float(q, like=P), axis, eps, base))


def _wrt_pair(p, q, wrt):
    if not isinstance(wrt, str) or wrt not in ("p", "q"):
        raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
    P = _float(p, grad=wrt == "p")
    Q = _float(q, like=P, grad=wrt == "q")
    return P, Q, (P if wrt == "p" else Q)


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p", *, cotangent=None):
    P, Q, w = _wrt_pair(p, q, wrt)
    return _grad(_cross_entropy(P, Q, axis, eps, base), w, cotangent)


def _kl(p, q, axis, base):
    # PyTorch's argument order: input = log of the model's distribution q,
    # target = the reference distribution p (in linear space).
    return _per_base(F.kl_div(torch.log(q), p, reduction="none", log_target=False).sum(dim=axis), base)


def kl_divergence(p, q, axis=-1, base=None):
    P = _float(p)
    return _out(_kl(P, _float(q, like=P), axis, base))


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p", *, cotangent=None):
    P, Q, w = _wrt_pair(p, q, wrt)
    return _grad(_kl(P, Q, axis, base), w, cotangent)


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def _ignore(ignore_index):
    return _TORCH_DEFAULT_IGNORE_INDEX if ignore_index is None else int(ignore_index)


def _softcap(softcap):
    """PyTorch has no softcap: the adapter composes ``c * tanh(z / c)``, so it also
    rejects a cap that is not a finite number > 0."""
    c = float(softcap)
    if not (c > 0 and math.isfinite(c)):
        raise ValueError(f"softcap must be a finite number > 0 or None, got {softcap!r}")
    return c


def _sce_args(logits, target, axis, grad, softcap=None, z_loss=0.0):
    if z_loss:
        raise NotImplementedError("F.cross_entropy has no z-loss")
    z = _float(logits, grad=grad)
    zt = _class_axis_to_dim1(z, axis)
    if softcap is not None:
        c = _softcap(softcap)
        zt = c * torch.tanh(zt / c)  # composed: torch has no softcap option
    y = _numeric(target)
    if y.dtype.kind in "iu":
        yt = _long(y)
    else:  # class probabilities: same layout as the logits
        yt = _class_axis_to_dim1(_float(y, like=z), axis)
    return z, zt, yt


def _sce(zt, yt, weight, ignore_index, label_smoothing, reduction):
    return F.cross_entropy(zt, yt, weight=_optional(weight, zt), ignore_index=_ignore(ignore_index),
                           label_smoothing=float(label_smoothing), reduction=_reduction(reduction))


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    _, zt, yt = _sce_args(logits, target, axis, False, softcap, z_loss)
    return _out(_sce(zt, yt, weight, ignore_index, label_smoothing, reduction))


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", cotangent=None):
    z, zt, yt = _sce_args(logits, target, axis, True, softcap, z_loss)
    return _grad(_sce(zt, yt, weight, ignore_index, label_smoothing, reduction), z, cotangent)


linear_cross_entropy, linear_cross_entropy_grad = _torch_lce.contract_functions(chunked=False, module=__name__)


def _nll(log_probs, target, axis, weight, ignore_index, reduction, grad):
    lp = _float(log_probs, grad=grad)
    out = F.nll_loss(_class_axis_to_dim1(lp, axis), _long(target), weight=_optional(weight, lp),
                     ignore_index=_ignore(ignore_index), reduction=_reduction(reduction))
    return lp, out


def nll_loss(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction="mean"):
    return _out(_nll(log_probs, target, axis, weight, ignore_index, reduction, False)[1])


def nll_loss_grad(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction="mean", cotangent=None):
    lp, out = _nll(log_probs, target, axis, weight, ignore_index, reduction, True)
    return _grad(out, lp, cotangent)


# ---------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------

def _bce(probs, target, weight, eps, reduction, grad):
    if eps != 0:
        raise NotImplementedError("torch has no eps for binary_cross_entropy (it clamps log at -100 instead)")
    p = _float(probs, grad=grad)
    out = F.binary_cross_entropy(p, _float(target, like=p), weight=_optional(weight, p),
                                 reduction=_reduction(reduction))
    return p, out


def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    return _out(_bce(probs, target, weight, eps, reduction, False)[1])


def binary_cross_entropy_grad(probs, target, *, weight=None, eps=0.0, reduction="mean", cotangent=None):
    p, out = _bce(probs, target, weight, eps, reduction, True)
    return _grad(out, p, cotangent)


def _sbce(logits, target, weight, pos_weight, reduction, grad):
    z = _float(logits, grad=grad)
    out = F.binary_cross_entropy_with_logits(z, _float(target, like=z), weight=_optional(weight, z),
                                             pos_weight=_optional(pos_weight, z),
                                             reduction=_reduction(reduction))
    return z, out


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    return _out(_sbce(logits, target, weight, pos_weight, reduction, False)[1])


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None, reduction="mean",
                                      cotangent=None):
    z, out = _sbce(logits, target, weight, pos_weight, reduction, True)
    return _grad(out, z, cotangent)


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def _pair(pred, target, grad):
    x = _float(pred, grad=grad)
    return x, _float(target, like=x)


def mean_absolute_error(pred, target, *, reduction="mean"):
    x, y = _pair(pred, target, False)
    return _out(F.l1_loss(x, y, reduction=_reduction(reduction)))


def mean_absolute_error_grad(pred, target, *, reduction="mean", cotangent=None):
    x, y = _pair(pred, target, True)
    return _grad(F.l1_loss(x, y, reduction=_reduction(reduction)), x, cotangent)


def mean_squared_error(pred, target, *, reduction="mean"):
    x, y = _pair(pred, target, False)
    return _out(F.mse_loss(x, y, reduction=_reduction(reduction)))


def mean_squared_error_grad(pred, target, *, reduction="mean", cotangent=None):
    x, y = _pair(pred, target, True)
    return _grad(F.mse_loss(x, y, reduction=_reduction(reduction)), x, cotangent)


def root_mean_squared_error(pred, target):
    x, y = _pair(pred, target, False)
    return _out(torch.sqrt(F.mse_loss(x, y, reduction="mean")))


def root_mean_squared_error_grad(pred, target, *, cotangent=None):
    x, y = _pair(pred, target, True)
    return _grad(torch.sqrt(F.mse_loss(x, y, reduction="mean")), x, cotangent)


def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    x, y = _pair(pred, target, False)
    return _out(F.huber_loss(x, y, reduction=_reduction(reduction), delta=float(delta)))


def huber_loss_grad(pred, target, *, delta=1.0, reduction="mean", cotangent=None):
    x, y = _pair(pred, target, True)
    return _grad(F.huber_loss(x, y, reduction=_reduction(reduction), delta=float(delta)), x, cotangent)


def smooth_l1_loss(pred, target, *, beta=1.0, reduction="mean"):
    x, y = _pair(pred, target, False)
    return _out(F.smooth_l1_loss(x, y, reduction=_reduction(reduction), beta=float(beta)))


def smooth_l1_loss_grad(pred, target, *, beta=1.0, reduction="mean", cotangent=None):
    x, y = _pair(pred, target, True)
    return _grad(F.smooth_l1_loss(x, y, reduction=_reduction(reduction), beta=float(beta)), x, cotangent)


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity, grad):
    lp = _float(log_probs, grad=grad)
    if lp.ndim != 3:
        raise ValueError(f"log_probs must be (N, T, C), got shape {tuple(lp.shape)}")
    out = F.ctc_loss(lp.transpose(0, 1), _long(targets), _long(input_lengths), _long(target_lengths),
                     blank=int(blank), reduction=_reduction(reduction), zero_infinity=zero_infinity)
    return lp, out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    return _out(_ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                     zero_infinity, False)[1])


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
                  zero_infinity=False, cotangent=None):
    lp, out = _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                   zero_infinity, True)
    return _grad(out, lp, cotangent)

"""``linear_cross_entropy`` for the PyTorch adapters: ``torch.nn.functional.linear_cross_entropy``.

Shared by ``torch`` (``options=None``: PyTorch's reference path, the logits
materialised and handed to ``F.cross_entropy``) and ``torch_chunked``
(``options=torch.nn.LinearCrossEntropyOptions()``: the batch-chunked op, what a
user who opts in with the default options gets).  Translation only:

* ``input`` of shape ``(..., H)`` is flattened to ``(N, H)`` (PyTorch takes one
  or two dimensions) and the result of ``reduction="none"`` (and the input's
  gradient) reshaped back; ``(H,)`` is passed as it is.
* ``ignore_index=None`` is passed as ``None``, which PyTorch maps to ``-100``
  for class indices (its documented default).
* ``linear_weight``, ``linear_bias``, class weights and probability targets are
  passed in the input's dtype, as PyTorch requires.
* PyTorch has no ``z_loss`` and no ``softcap`` for this op: either raises
  ``NotImplementedError`` (composing them would need the logits, which the
  fused op exists not to hold).
* The chunked op does not take label smoothing or probability targets (PyTorch
  warns and runs its reference path instead): with ``options`` set those raise
  ``NotImplementedError``, so that every verdict of ``torch_chunked`` is about
  the chunked op.
* ``linear_cross_entropy_grad(..., wrt=...)`` is ``torch.autograd.grad`` with
  respect to ``input``, ``linear_weight`` or ``linear_bias`` (a bias of zeros
  when none is given), with ``cotangent`` as the output gradient.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from conformance.lowp import EXTRA_FLOATS

#: Where the tensors live; the adapters' ``use_device`` sets it.
DEVICE = torch.device("cpu")
_BF16 = EXTRA_FLOATS.get("bfloat16")
_REDUCTIONS = ("none", "sum", "mean")
WRT = ("input", "linear_weight", "linear_bias")


def _numeric(x):
    a = np.asarray(x)
    if a.dtype.kind not in "fiub" and a.dtype != _BF16:
        raise TypeError(f"expected a real numeric array, got {type(x).__name__} of dtype {a.dtype}")
    return a


def _np_dtype(torch_dtype):
    return {torch.float64: np.float64, torch.float32: np.float32,
            torch.float16: np.float16, torch.bfloat16: _BF16}.get(torch_dtype, np.float64)


def _tensor(x, *, like=None, grad=False):
    a = _numeric(x)
    if like is not None:
        a = a.astype(_np_dtype(like.dtype), copy=False)
    elif a.dtype.kind != "f" and a.dtype != _BF16:
        a = a.astype(np.float64)
    if a.dtype == _BF16:
        t = torch.from_numpy(np.ascontiguousarray(a).view(np.int16).copy()).view(torch.bfloat16)
    else:
        t = torch.from_numpy(np.array(a, copy=True))
    t = t.to(DEVICE)
    if grad:
        t.requires_grad_(True)
    return t


def _out(t):
    t = t.detach().cpu()
    if t.dtype == torch.bfloat16:
        a = t.contiguous().view(torch.int16).numpy().view(_BF16)
    else:
        a = t.numpy()
    return a[()] if a.ndim == 0 else a.copy()


def _options(chunked, label_smoothing, soft):
    if not chunked:
        return None
    if label_smoothing != 0:
        raise NotImplementedError("the chunked F.linear_cross_entropy takes no label_smoothing "
                                  "(PyTorch falls back to its reference path)")
    if soft:
        raise NotImplementedError("the chunked F.linear_cross_entropy takes class indices only "
                                  "(PyTorch falls back to its reference path)")
    return torch.nn.LinearCrossEntropyOptions()


def _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, z_loss, softcap,
         reduction, *, chunked, wrt=None):
    """``(loss, {name: tensor}, leading shape)``; the tensor ``wrt`` requires grad."""
    if z_loss:
        raise NotImplementedError("F.linear_cross_entropy has no z-loss")
    if softcap is not None:
        raise NotImplementedError("F.linear_cross_entropy has no softcap")
    check_reduction(reduction)
    if wrt is not None and wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}")
    x = _tensor(input, grad=wrt == "input")
    if x.ndim < 1:
        raise ValueError(f"input must have at least one dimension (H), got shape {tuple(x.shape)}")
    lead = tuple(x.shape[:-1])
    w = _tensor(linear_weight, like=x, grad=wrt == "linear_weight")
    if w.ndim != 2:
        raise ValueError(f"linear_weight must be (C, H), got shape {tuple(w.shape)}")
    b = None
    if linear_bias is not None or wrt == "linear_bias":
        b = (_tensor(linear_bias, like=x, grad=wrt == "linear_bias") if linear_bias is not None else
             torch.zeros(w.shape[0], dtype=x.dtype, device=DEVICE, requires_grad=True))
    y = _numeric(target)
    soft = y.dtype.kind not in "iub"
    options = _options(chunked, float(label_smoothing), soft)
    flat = x if x.ndim <= 2 else x.reshape(-1, x.shape[-1])
    if soft:
        yt = _tensor(y, like=x)
        yt = yt if x.ndim <= 2 else yt.reshape(-1, yt.shape[-1])
    else:
        yt = torch.from_numpy(np.array(y, dtype=np.int64, copy=True)).to(DEVICE)
        yt = yt if x.ndim <= 2 else yt.reshape(-1)
    cw = None if weight is None else _tensor(weight, like=x)
    loss = F.linear_cross_entropy(flat, w, yt, linear_bias=b, weight=cw, reduction=reduction,
                                  ignore_index=None if ignore_index is None else int(ignore_index),
                                  label_smoothing=float(label_smoothing), options=options)
    if reduction == "none" and x.ndim > 2:
        loss = loss.reshape(lead)
    return loss, {"input": x, "linear_weight": w, "linear_bias": b}


def value(input, linear_weight, target, *, linear_bias, weight, ignore_index, label_smoothing, z_loss, softcap,
          reduction, chunked):
    loss, _ = _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, z_loss,
                   softcap, reduction, chunked=chunked)
    return _out(loss)


def gradient(input, linear_weight, target, *, linear_bias, weight, ignore_index, label_smoothing, z_loss, softcap,
             reduction, wrt, cotangent, chunked):
    loss, tensors = _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, z_loss,
                         softcap, reduction, chunked=chunked, wrt=wrt)
    t = tensors[wrt]
    return _out(vjp(loss, t, None if cotangent is None else _tensor(cotangent, like=t)))


def vjp(value, wrt, cotangent):
    """The gradient of ``sum(cotangent * value)`` with respect to the tensor
    ``wrt`` (``cotangent`` a tensor of ``value``'s shape, or ``None`` for ones),
    by ``torch.autograd.grad``: PyTorch's own backward formulas apply it.  The
    torch adapter's gradients use it too."""
    if cotangent is None:
        (g,) = torch.autograd.grad(value.sum(), wrt, allow_unused=True)
    else:
        if tuple(cotangent.shape) != tuple(value.shape):
            raise ValueError(f"cotangent must have the shape of the result, {tuple(value.shape)}, "
                             f"got shape {tuple(cotangent.shape)}")
        (g,) = torch.autograd.grad(value, wrt, grad_outputs=cotangent, allow_unused=True)
    return torch.zeros_like(wrt) if g is None else g


def cuda_only(library: str):
    """``use_device`` for an adapter whose library runs on CUDA only."""

    def use_device(device: str) -> None:
        global DEVICE
        if not device.startswith("cuda"):
            raise RuntimeError(f"--device {device}: {library} runs on CUDA only")
        DEVICE = torch.device(device)

    return use_device


def check_reduction(reduction) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def contract_functions(*, chunked: bool, module: str):
    """``linear_cross_entropy`` and its gradient with the contract's signatures,
    on PyTorch's reference path (``chunked=False``) or its chunked op, as
    functions of the adapter ``module`` that provides them."""

    def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=None,
                             label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
        return value(input, linear_weight, target, linear_bias=linear_bias, weight=weight,
                     ignore_index=ignore_index, label_smoothing=label_smoothing, z_loss=z_loss,
                     softcap=softcap, reduction=reduction, chunked=chunked)

    def linear_cross_entropy_grad(input, linear_weight, target, *, linear_bias=None, weight=None,
                                  ignore_index=None, label_smoothing=0.0, z_loss=0.0, softcap=None,
                                  reduction="mean", wrt="input", cotangent=None):
        return gradient(input, linear_weight, target, linear_bias=linear_bias, weight=weight,
                        ignore_index=ignore_index, label_smoothing=label_smoothing, z_loss=z_loss,
                        softcap=softcap, reduction=reduction, wrt=wrt, cotangent=cotangent, chunked=chunked)

    for fn in (linear_cross_entropy, linear_cross_entropy_grad):
        fn.__module__, fn.__qualname__ = module, fn.__name__
    return linear_cross_entropy, linear_cross_entropy_grad

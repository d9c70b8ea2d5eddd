"""Adapter: Liger-Kernel (``--impl liger``), Triton kernels on a CUDA GPU.

Loads everywhere; provides its functions only where the package
``liger_kernel`` imports and torch sees a CUDA device, and otherwise none
(every function is reported as not provided, no import error).  Not in the
matrix (:data:`conformance.adapters.OPTIONAL`): the pinned environment has
neither the package nor a GPU.  Not yet run against the suite here (no GPU and
no package in this checkout's environment): its known deviations are to be
found on the first run where both exist.

Translation only:

* ``softmax_cross_entropy`` is ``liger_kernel.transformers.functional.liger_cross_entropy``
  on logits ``(N, C)`` with the class axis last (other axes are flattened to
  tokens), ``z_loss`` as ``lse_square_scale``, ``softcap`` as ``softcap``,
  ``ignore_index=None`` as Liger's default ``-100``; class indices only
  (probability targets raise ``NotImplementedError``).
* ``linear_cross_entropy`` is ``liger_fused_linear_cross_entropy(input, weight,
  target, bias, ce_weight, ...)`` with the same options; ``input`` ``(..., H)``
  flattened to tokens.
* Gradients by ``torch.autograd.grad`` (``cotangent`` as the output gradient), as
  a Liger user gets them.
* Inputs go to ``cuda`` (``--device`` picks which one); results come back in the
  dtype Liger returns.
"""

from __future__ import annotations

from conformance.adapters._options import cuda_package_available

NAME = "liger"
AVAILABLE = cuda_package_available("liger_kernel")

if AVAILABLE:
    import numpy as np
    import torch
    from liger_kernel.transformers.functional import liger_cross_entropy, liger_fused_linear_cross_entropy

    from conformance.adapters import _torch_lce as _t

    _t.DEVICE = torch.device("cuda")
    use_device = _t.cuda_only("Liger-Kernel")

    def _common(target, reduction, ignore_index):
        _t.check_reduction(reduction)
        y = _t._numeric(target)
        if y.dtype.kind not in "iub":
            raise NotImplementedError("Liger-Kernel's cross entropy takes class indices only")
        yt = torch.from_numpy(np.array(y, dtype=np.int64, copy=True)).to(_t.DEVICE)
        return yt.reshape(-1), tuple(y.shape), (-100 if ignore_index is None else int(ignore_index))

    def _finish(loss, reduction, shape):
        if isinstance(loss, tuple):
            loss = loss[0]
        return loss.reshape(shape) if reduction == "none" else loss

    def _sce(logits, target, axis, weight, ignore_index, label_smoothing, z_loss, softcap, reduction, grad):
        z = _t._tensor(logits, grad=grad)
        zt = torch.movedim(z, axis, -1) if z.ndim > 1 else z.unsqueeze(0)
        yt, shape, ii = _common(target, reduction, ignore_index)
        loss = liger_cross_entropy(zt.reshape(-1, zt.shape[-1]), yt,
                                   weight=None if weight is None else _t._tensor(weight, like=z),
                                   ignore_index=ii, reduction=reduction, label_smoothing=float(label_smoothing),
                                   lse_square_scale=float(z_loss), softcap=softcap)
        return z, _finish(loss, reduction, shape)

    def _vjp(value, wrt, cotangent):
        if cotangent is None:
            (g,) = torch.autograd.grad(value.sum(), wrt, allow_unused=True)
        else:
            c = _t._tensor(cotangent, like=wrt)
            if tuple(c.shape) != tuple(value.shape):
                raise ValueError(f"cotangent must have the shape of the result, {tuple(value.shape)}, "
                                 f"got shape {tuple(c.shape)}")
            (g,) = torch.autograd.grad(value, wrt, grad_outputs=c, allow_unused=True)
        return _t._out(torch.zeros_like(wrt) if g is None else g)

    def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None, label_smoothing=0.0,
                              z_loss=0.0, softcap=None, reduction="mean"):
        return _t._out(_sce(logits, target, axis, weight, ignore_index, label_smoothing, z_loss, softcap,
                            reduction, False)[1])

    def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None, label_smoothing=0.0,
                                   z_loss=0.0, softcap=None, reduction="mean", cotangent=None):
        z, loss = _sce(logits, target, axis, weight, ignore_index, label_smoothing, z_loss, softcap, reduction, True)
        return _vjp(loss, z, cotangent)

    def _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, z_loss, softcap,
             reduction, wrt):
        x = _t._tensor(input, grad=wrt == "input")
        w = _t._tensor(linear_weight, like=x, grad=wrt == "linear_weight")
        b = None
        if linear_bias is not None or wrt == "linear_bias":
            b = (_t._tensor(linear_bias, like=x, grad=wrt == "linear_bias") if linear_bias is not None else
                 torch.zeros(w.shape[0], dtype=x.dtype, device=_t.DEVICE, requires_grad=True))
        yt, shape, ii = _common(target, reduction, ignore_index)
        loss = liger_fused_linear_cross_entropy(x.reshape(-1, x.shape[-1]), w, yt, bias=b,
                                                ce_weight=None if weight is None else _t._tensor(weight, like=x),
                                                ignore_index=ii, lse_square_scale=float(z_loss),
                                                label_smoothing=float(label_smoothing), reduction=reduction,
                                                softcap=softcap)
        return _finish(loss, reduction, shape), {"input": x, "linear_weight": w, "linear_bias": b}

    def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=None,
                             label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
        return _t._out(_lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing,
                            z_loss, softcap, reduction, None)[0])

    def linear_cross_entropy_grad(input, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=None,
                                  label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", wrt="input",
                                  cotangent=None):
        if wrt not in _t.WRT:
            raise ValueError(f"wrt must be one of {_t.WRT}, got {wrt!r}")
        loss, tensors = _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing,
                             z_loss, softcap, reduction, wrt)
        return _vjp(loss, tensors[wrt], cotangent)

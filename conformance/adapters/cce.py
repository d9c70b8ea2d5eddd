"""Adapter: Apple's Cut Cross-Entropy (``--impl cce``, package ``cut_cross_entropy``), on a CUDA GPU.

Loads everywhere; provides ``linear_cross_entropy`` and its gradient only where
``cut_cross_entropy`` imports and torch sees a CUDA device, and otherwise no
function (reported as not provided, no import error).  Not in the matrix
(:data:`conformance.adapters.OPTIONAL`); not yet run against the suite here (no
GPU and no package in this checkout's environment).

Translation only: ``cut_cross_entropy.linear_cross_entropy(e, c, targets,
bias=..., ignore_index=..., softcap=..., reduction=...)`` with the package's
defaults for everything else (``impl="cce"``, ``filter_eps="auto"``, which skips
gradient entries below ``eps / 32`` by design: what a user gets, so the suite
judges it).  ``input`` ``(..., H)`` is passed as it is (CCE takes leading batch
axes).  CCE has no class weights, label smoothing or z-loss: each raises
``NotImplementedError``; ``ignore_index=None`` is CCE's default ``-100``.
Gradients by ``torch.autograd.grad`` with ``cotangent`` as the output gradient.
"""

from __future__ import annotations

from conformance.adapters._options import cuda_package_available



AVAILABLE = cuda_package_available("cut_cross_entropy")

if AVAILABLE:
    import numpy as np
    import torch
    from cut_cross_entropy import linear_cross_entropy as _cce

    from conformance.adapters import _torch_lce as _t

    _t.DEVICE = torch.device("cuda")
    use_device = _t.cuda_only("cut_cross_entropy")

    def _lce(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, z_loss, softcap,
             reduction, wrt):
        if weight is not None:
            raise NotImplementedError("cut_cross_entropy has no class weights")
        if label_smoothing:
            raise NotImplementedError("cut_cross_entropy has no label smoothing")
        if z_loss:
            raise NotImplementedError("cut_cross_entropy has no z-loss")
        _t.check_reduction(reduction)
        y = _t._numeric(target)
        if y.dtype.kind not in "iub":
            raise NotImplementedError("cut_cross_entropy takes class indices only")
        x = _t._tensor(input, grad=wrt == "input")
        w = _t._tensor(linear_weight, like=x, grad=wrt == "linear_weight")
        b = None
        if linear_bias is not None or wrt == "linear_bias":
            b = (_t._tensor(linear_bias, like=x, grad=wrt == "linear_bias") if linear_bias is not None else
                 torch.zeros(w.shape[0], dtype=x.dtype, device=_t.DEVICE, requires_grad=True))
        yt = torch.from_numpy(np.array(y, dtype=np.int64, copy=True)).to(_t.DEVICE)
        loss = _cce(x, w, yt, bias=b, ignore_index=-100 if ignore_index is None else int(ignore_index),
                    softcap=softcap, reduction=reduction)
        return loss, {"input": x, "linear_weight": w, "linear_bias": b}

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
        t = tensors[wrt]
        if cotangent is None:
            (g,) = torch.autograd.grad(loss.sum(), t, allow_unused=True)
        else:
            c = _t._tensor(cotangent, like=t)
            if tuple(c.shape) != tuple(loss.shape):
                raise ValueError(f"cotangent must have the shape of the result, {tuple(loss.shape)}, "
                                 f"got shape {tuple(c.shape)}")
            (g,) = torch.autograd.grad(loss, t, grad_outputs=c, allow_unused=True)
        return _t._out(torch.zeros_like(t) if g is None else g)

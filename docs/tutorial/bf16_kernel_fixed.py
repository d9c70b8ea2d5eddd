"""The kernel of bf16_kernel.py with its backward pass fixed: the softmax stays
in float32, p - one_hot is formed there, and the result is rounded once."""

import torch

from bf16_kernel import _supported, _working, softmax_cross_entropy  # noqa: F401 - the same forward


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, reduction="mean", cotangent=None):
    _supported(logits, target, axis, weight, ignore_index, label_smoothing, reduction)
    p = torch.softmax(logits.to(_working(logits)), dim=-1)
    grad = p - torch.nn.functional.one_hot(target.long(), logits.shape[-1]).to(p.dtype)
    if reduction == "mean":
        grad = grad / max(target.numel(), 1)
    if cotangent is not None:
        c = cotangent.to(grad.dtype)
        grad = grad * (c[..., None] if reduction == "none" else c)
    return grad.to(logits.dtype)  # one rounding, at the end

"""A hand-written cross entropy kernel: torch tensors in, torch tensors out.

The forward pass works in float32 (float64 for float64 input) and rounds once.  The backward pass makes the
mistake of Liger-Kernel PR 1329: it rounds the softmax to the input's dtype
first and subtracts the one-hot target there, so on a confident row the
target entry p_y - 1 loses most of its digits in bfloat16.
"""

import torch


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, reduction="mean"):
    _supported(logits, target, axis, weight, ignore_index, label_smoothing, reduction)
    z = logits.to(_working(logits))
    loss = torch.logsumexp(z, dim=-1) - z.gather(-1, target.long()[..., None])[..., 0]
    return _reduce(loss, reduction).to(logits.dtype)


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, reduction="mean", cotangent=None):
    _supported(logits, target, axis, weight, ignore_index, label_smoothing, reduction)
    p = torch.softmax(logits.to(_working(logits)), dim=-1).to(logits.dtype)  # the bug: rounded too early
    one_hot = torch.nn.functional.one_hot(target.long(), logits.shape[-1]).to(logits.dtype)
    grad = (p - one_hot).to(_working(logits))  # p_y - 1 formed in the input's dtype
    if reduction == "mean":
        grad = grad / max(target.numel(), 1)
    if cotangent is not None:
        c = cotangent.to(grad.dtype)
        grad = grad * (c[..., None] if reduction == "none" else c)
    return grad.to(logits.dtype)


def _working(x):
    """float32 for float16 and bfloat16 input, the input's dtype otherwise."""
    return torch.promote_types(x.dtype, torch.float32)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _supported(logits, target, axis, weight, ignore_index, label_smoothing, reduction):
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"reduction must be 'none', 'sum' or 'mean', got {reduction!r}")
    if axis not in (-1, logits.ndim - 1) or target.is_floating_point():
        raise NotImplementedError("class indices, classes on the last axis")
    if weight is not None or ignore_index is not None or label_smoothing:
        raise NotImplementedError("no weights, ignored index or smoothing in this kernel")

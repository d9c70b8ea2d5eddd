"""A kernel author's module: torch tensors in, torch tensors out, no gradients of
its own (the suite takes them from autograd), no numpy anywhere."""

import torch
import torch.nn.functional as F


def softmax(z, axis=-1):
    return torch.softmax(z, dim=axis)


def log_softmax(z, axis=-1):
    return torch.log_softmax(z, dim=axis)


def logsumexp(z, axis=-1):
    return torch.logsumexp(z, dim=axis)


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, reduction="mean"):
    if axis not in (-1, logits.ndim - 1):
        raise NotImplementedError("this kernel takes the classes on the last axis")
    if ignore_index is not None or weight is not None:
        raise NotImplementedError("no class weights or ignored index in this kernel")
    z = logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits
    flat = z.reshape(-1, z.shape[-1])
    t = target.reshape(-1).long() if not target.is_floating_point() else target.reshape(-1, z.shape[-1]).to(z.dtype)
    out = F.cross_entropy(flat, t, label_smoothing=label_smoothing, reduction=reduction)
    if reduction == "none":
        out = out.reshape(logits.shape[:-1])
    return out.to(logits.dtype)

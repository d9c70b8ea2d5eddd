"""Plausible bugs, each of which must fail a specific spec clause."""

import numpy as np

import reference as ref


def unstable_softmax(z, axis=-1):
    e = np.exp(np.asarray(z, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


def swapped_kl(p, q, axis=-1, base=None):
    return ref.kl_divergence(q, p, axis=axis, base=base)


def weighted_mean_over_n(logits, target, *, axis=-1, weight=None, ignore_index=None,
                         label_smoothing=0.0, reduction="mean"):
    if reduction != "mean":
        return ref.softmax_cross_entropy(logits, target, axis=axis, weight=weight, ignore_index=ignore_index,
                                         label_smoothing=label_smoothing, reduction=reduction)
    per = ref.softmax_cross_entropy(logits, target, axis=axis, weight=weight, ignore_index=ignore_index,
                                    label_smoothing=label_smoothing, reduction="none")
    return np.float64(np.mean(per))


def clamped_bce(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    with np.errstate(divide="ignore"):
        l = -(y * np.maximum(np.log(p + eps), -100) + (1 - y) * np.maximum(np.log(1 - p + eps), -100))
    if weight is not None:
        l = l * weight
    return ref.reduce_loss(l, None if weight is None else np.broadcast_to(weight, l.shape), reduction)


def float32_entropy(p, axis=-1, base=None):
    p32 = np.asarray(p, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where(p32 > 0, p32 * np.log(np.where(p32 > 0, p32, 1)), 0), axis=axis)
    if base is not None:
        h = h / np.float32(np.log(base))
    return h.astype(np.float64)


def no_modulation_focal(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean"):
    return ref.softmax_cross_entropy(logits, target, axis=axis, reduction=reduction)


def wrong_sign_sce_grad(logits, target, **kwargs):
    return -ref.softmax_cross_entropy_grad(logits, target, **kwargs)

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


# --- more plausible bugs, one per family ----------------------------------------

def ctc_mean_over_target_length(log_probs, targets, input_lengths, target_lengths, *, blank=0,
                                reduction="mean", zero_infinity=False):
    """PyTorch's 'mean': each loss divided by its target length before averaging."""
    per = ref.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=blank, reduction="none",
                       zero_infinity=zero_infinity)
    if reduction != "mean":
        return ref.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=blank,
                            reduction=reduction, zero_infinity=zero_infinity)
    return np.float64(np.mean(per / np.maximum(np.asarray(target_lengths), 1)))


def ctc_ignoring_input_lengths(log_probs, targets, input_lengths, target_lengths, **kwargs):
    """Every sequence runs over all T frames, padding included."""
    lp = np.asarray(log_probs)
    full = np.full(np.shape(input_lengths), lp.shape[1] if lp.ndim == 3 else 0)
    return ref.ctc_loss(log_probs, targets, full, target_lengths, **kwargs)


def ctc_grad_through_log_softmax(log_probs, targets, input_lengths, target_lengths, **kwargs):
    """The gradient with respect to logits (exp(lp) - posterior) where the spec
    asks for the one with respect to log_probs (-posterior)."""
    g = ref.ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, **kwargs)
    lp = np.asarray(log_probs, dtype=np.float64)
    frames = np.arange(lp.shape[1])[None, :, None] < np.asarray(input_lengths)[:, None, None]
    scale = np.asarray(g).sum(axis=-1, keepdims=True)  # -1 per frame times the reduction's factor
    return g - np.where(frames, np.exp(lp) * scale, 0.0)


def root_inside_the_mean(pred, target):
    """The source post's misplaced root: mean(sqrt(d**2)), which is the MAE."""
    return ref.mean_absolute_error(pred, target)


def huber_quadratic_everywhere(pred, target, *, delta=1.0, reduction="mean"):
    return ref.mean_squared_error(pred, target, reduction=reduction) * 0.5


def smoothing_over_other_classes(logits, target, *, axis=-1, weight=None, ignore_index=None,
                                 label_smoothing=0.0, reduction="mean"):
    """Label smoothing that spreads eps over the C - 1 other classes instead of all C."""
    t = np.asarray(target)
    z = np.asarray(logits, dtype=np.float64)
    if label_smoothing == 0 or t.dtype.kind not in "iu" or ignore_index is not None or z.ndim != 2 \
            or axis not in (-1, 1) or z.shape[1] < 2:
        return ref.softmax_cross_entropy(logits, target, axis=axis, weight=weight, ignore_index=ignore_index,
                                         label_smoothing=label_smoothing, reduction=reduction)
    c = z.shape[1]
    soft = np.full(z.shape, label_smoothing / (c - 1))
    soft[np.arange(len(t)), t] = 1.0 - label_smoothing
    per = -np.sum(soft * ref.log_softmax(z) * (1.0 if weight is None else np.asarray(weight)), axis=1)
    w = np.ones(len(t)) if weight is None else np.asarray(weight, dtype=np.float64)[t]
    return ref.reduce_loss(per, w, reduction)


def ignored_samples_in_the_mean(logits, target, *, axis=-1, weight=None, ignore_index=None,
                                label_smoothing=0.0, reduction="mean"):
    """'mean' divides by every sample, ignored ones included."""
    kw = dict(axis=axis, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)
    if reduction != "mean" or ignore_index is None or weight is not None:
        return ref.softmax_cross_entropy(logits, target, reduction=reduction, **kw)
    per = ref.softmax_cross_entropy(logits, target, reduction="none", **kw)
    return np.float64(np.sum(per) / per.size) if per.size else np.float64(np.nan)


def log_of_softmax(z, axis=-1):
    """log(softmax(z)): -inf where the softmax underflows."""
    with np.errstate(divide="ignore"):
        return np.log(ref.softmax(z, axis=axis))


def naive_sigmoid_bce(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    """-(y log s + (1 - y) log(1 - s)) with s = sigmoid(x), rounded first."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    s = ref.sigmoid(x)
    pw = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        l = -(pw * y * np.log(s) + (1 - y) * np.log1p(-s))
    w = None if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), l.shape)
    return ref.reduce_loss(l if w is None else l * w, w, reduction)


def nll_without_selecting(log_probs, target, *, weight=None, ignore_index=None, reduction="mean"):
    """The source post's NLL: -mean of every log-probability, target or not."""
    lp = np.asarray(log_probs, dtype=np.float64)
    return np.float64(-np.mean(lp)) if reduction == "mean" else \
        ref.nll_loss(log_probs, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def entropy_in_bits(p, axis=-1, base=None):
    """Base 2 by default instead of nats."""
    return ref.entropy(p, axis=axis, base=2 if base is None else base)


# --- cotangents (red.gradient.cotangent) ------------------------------------------

def ctc_grad_ignoring_cotangent(log_probs, targets, input_lengths, target_lengths, *, cotangent=None, **kwargs):
    """Accepts a cotangent and uses ones instead (right for cotangents of ones only)."""
    return ref.ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, **kwargs)


def sce_grad_mean_cotangent(logits, target, *, cotangent=None, **kwargs):
    """Every sample's gradient scaled by the mean cotangent, not by its own entry
    (the Liger-Kernel #678 kind: right for "sum"/"mean" and for equal entries)."""
    c = None if cotangent is None else np.full(np.shape(cotangent), np.mean(cotangent))
    return ref.softmax_cross_entropy_grad(logits, target, cotangent=c, **kwargs)


def bce_grad_cotangent_twice(probs, target, *, cotangent=None, **kwargs):
    """Applies the cotangent, then multiplies by it once more."""
    g = ref.binary_cross_entropy_grad(probs, target, cotangent=cotangent, **kwargs)
    return g if cotangent is None else g * np.asarray(cotangent, dtype=np.float64)


def nll_grad_real_class_not_ignored(log_probs, target, *, ignore_index=None, **kwargs):
    """ignore_index honoured only as a negative sentinel (-100, -1): an ignored real
    class keeps its gradient, and the mean's denominator counts it."""
    keep = ignore_index if ignore_index is not None and ignore_index < 0 else None
    return ref.nll_loss_grad(log_probs, target, ignore_index=keep, **kwargs)

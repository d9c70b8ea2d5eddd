"""One-line bugs of the kinds fast kernels ship: sizes and tails, chunk boundaries,
layouts, writes into inputs, label dtypes, and option combinations on gradients.

Each wraps the reference and changes one thing; tests/test_kernel_mutants.py
asserts that each fails the clause it breaks.
"""

import numpy as np

import reference as ref

CHUNK = 4096   # a kernel's vocabulary chunk
BLOCK = 1024   # a kernel's reduction block


# --- sizes, tails and chunk boundaries ---------------------------------------

def logsumexp_drops_partial_chunk(z, axis=-1):
    """Chunks of CHUNK classes; the last, partial chunk is forgotten."""
    z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    c = z.shape[-1]
    full = max(CHUNK, c - c % CHUNK) if c > CHUNK else c
    return ref.logsumexp(z[..., :full], axis=-1)


def sce_chunk_boundary_off_by_one(logits, target, **kwargs):
    """Each chunk's logsumexp reads one class short of the chunk's end."""
    z = np.asarray(logits, dtype=np.float64).copy()
    if z.shape[-1] > CHUNK:
        z[..., CHUNK - 1::CHUNK] = -np.inf
        keep = np.asarray(target) % CHUNK != CHUNK - 1 if np.asarray(target).dtype.kind in "iu" else True
        z = np.where(np.expand_dims(keep, -1) if np.ndim(keep) else keep, z, np.asarray(logits))
    return ref.softmax_cross_entropy(z, target, **kwargs)


def mse_mean_of_block_means(pred, target, *, reduction="mean"):
    """'mean' as the mean of per-block means: wrong when the last block is partial."""
    if reduction != "mean":
        return ref.mean_squared_error(pred, target, reduction=reduction)
    per = np.asarray(ref.mean_squared_error(pred, target, reduction="none"), dtype=np.float64).ravel()
    if per.size == 0:
        return np.float64(np.nan)
    blocks = [per[i:i + BLOCK].mean() for i in range(0, per.size, BLOCK)]
    return np.float64(np.mean(blocks))


def sbce_sum_drops_partial_block(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    """'sum' and 'mean' over whole blocks of 65536 elements only."""
    per = np.asarray(ref.sigmoid_binary_cross_entropy(logits, target, weight=weight, pos_weight=pos_weight,
                                                      reduction="none"), dtype=np.float64)
    if reduction == "none" or per.size <= 65536:
        return ref.sigmoid_binary_cross_entropy(logits, target, weight=weight, pos_weight=pos_weight,
                                                reduction=reduction)
    flat = per.ravel()[: per.size - per.size % 65536]
    return np.float64(flat.sum() if reduction == "sum" else flat.sum() / per.size)


def softmax_float32_sum_for_large_vocab(z, axis=-1):
    """A 'fast path' for large vocabularies that accumulates the exponentials in float32."""
    z = np.asarray(z, dtype=np.float64)
    if z.shape[axis] <= 65536:
        return ref.softmax(z, axis=axis)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e.astype(np.float32), axis=axis, keepdims=True).astype(np.float64)


def sce_labels_in_int16(logits, target, **kwargs):
    """Labels stored in int16: class indices past 32767 wrap around."""
    t = np.asarray(target)
    if t.dtype.kind in "iu":
        t = t.astype(np.int16).astype(np.int64) % np.shape(logits)[-1]
    return ref.softmax_cross_entropy(logits, t, **kwargs)


def nll_top_class_dropped(log_probs, target, **kwargs):
    """The top class index is taken for padding and its loss dropped."""
    lp = np.asarray(log_probs, dtype=np.float64)
    t = np.asarray(target)
    if lp.ndim and lp.shape[-1] > 1 and t.dtype.kind in "iu" and kwargs.get("ignore_index") is None:
        kwargs = {**kwargs, "ignore_index": lp.shape[-1] - 1}
    return ref.nll_loss(lp, t, **kwargs)


def ctc_frames_capped(log_probs, targets, input_lengths, target_lengths, **kwargs):
    """At most 1024 frames are read."""
    lens = np.minimum(np.asarray(input_lengths), 1024)
    return ref.ctc_loss(np.asarray(log_probs)[:, :1024], targets, lens, target_lengths, **kwargs)


# --- layouts --------------------------------------------------------------

def softmax_reads_memory_order(z, axis=-1):
    """Reads the buffer in memory order as if it were C-ordered."""
    z = np.asarray(z, dtype=np.float64)
    flat = np.frombuffer(z.tobytes(order="A"), dtype=np.float64).reshape(z.shape)
    return ref.softmax(flat, axis=axis)


def mse_flattens_by_strides(pred, target, *, reduction="mean"):
    """Flattens its inputs by assuming unit strides."""
    p = np.asarray(pred, dtype=np.float64)
    flat = np.lib.stride_tricks.as_strided(p, shape=(p.size,), strides=(p.itemsize,)).reshape(p.shape)
    return ref.mean_squared_error(flat, target, reduction=reduction)


def sce_reads_the_base_buffer(logits, target, **kwargs):
    """A view's parent buffer read from its start."""
    z = np.asarray(logits)
    if z.base is not None and z.base.size >= z.size and z.base.dtype == z.dtype:
        z = np.ascontiguousarray(z.base).ravel()[: z.size].reshape(z.shape)
    return ref.softmax_cross_entropy(z, target, **kwargs)


# --- writes into the inputs ------------------------------------------------

def sce_grad_in_place(logits, target, **kwargs):
    """The gradient written over the logits (an in-place backward) and returned."""
    g = ref.softmax_cross_entropy_grad(logits, target, **kwargs)
    if isinstance(logits, np.ndarray) and logits.dtype == np.float64 and logits.shape == np.shape(g):
        logits[...] = g
        return logits
    return g


def log_softmax_shifts_in_place(z, axis=-1):
    """Subtracts the row maximum from its input in place first."""
    if isinstance(z, np.ndarray) and z.dtype == np.float64 and z.size and np.all(np.isfinite(z)):
        z -= np.max(z, axis=axis, keepdims=True)
    return ref.log_softmax(z, axis=axis)


# --- integer dtypes of targets and lengths --------------------------------------

def sce_requires_int64(logits, target, **kwargs):
    """Refuses class indices that are not int64 (or not an array)."""
    if not isinstance(target, np.ndarray) or (target.dtype.kind in "iu" and target.dtype != np.int64):
        raise TypeError("target must be an int64 array")
    return ref.softmax_cross_entropy(logits, target, **kwargs)


def ctc_lengths_must_be_arrays(log_probs, targets, input_lengths, target_lengths, **kwargs):
    """Calls array methods on the lengths (a list has none)."""
    _ = input_lengths.max(), target_lengths.max()
    return ref.ctc_loss(log_probs, targets, input_lengths, target_lengths, **kwargs)


def nll_labels_as_int8(log_probs, target, **kwargs):
    """Narrow labels are widened through int8, which wraps uint8 values above 127."""
    t = np.asarray(target)
    if t.dtype.kind in "iu" and t.dtype.itemsize == 1:
        t = t.astype(np.int8).astype(np.int64)
    return ref.nll_loss(log_probs, t, **kwargs)


# --- low precision: the same kernel computing in bfloat16 or in float32 ---------------

def _round_to(value, like):
    """``value`` (float64) rounded once to the dtype of ``like`` (overflowing to inf
    as a cast does)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(value, dtype=np.float64).astype(np.asarray(like).dtype)


def _bf16_sum(values):
    """A running sum in the dtype of ``values`` (every addition rounded there)."""
    total = values.dtype.type(0)
    with np.errstate(over="ignore", invalid="ignore"):
        for v in values.ravel():
            total = values.dtype.type(total + v)
    return total


def sce_grad_target_entry_in_low_precision(logits, target, **kwargs):
    """p is rounded to the input dtype, then p_y - 1 is formed there (Liger-Kernel PR 1329)."""
    z = np.asarray(logits)
    exact = z.astype(np.float64)
    g = ref.softmax_cross_entropy_grad(exact, target, **kwargs)
    if z.dtype == np.float64 or kwargs.get("weight") is not None or kwargs.get("label_smoothing"):
        return g
    p = _round_to(ref.softmax(exact), z)
    onehot = np.zeros(exact.shape)
    t = np.asarray(target)
    if t.dtype.kind in "iu" and t.ndim == exact.ndim - 1 and kwargs.get("reduction") == "none" \
            and kwargs.get("ignore_index") is None:
        np.put_along_axis(onehot, t[..., None], 1.0, axis=-1)
        return (p - onehot.astype(z.dtype)).astype(z.dtype)
    return _round_to(g, z)


def sce_grad_rounded_once(logits, target, **kwargs):
    """The same kernel computing in float32 (here: exactly) and rounding once."""
    z = np.asarray(logits)
    return _round_to(ref.softmax_cross_entropy_grad(z.astype(np.float64), target, **kwargs), z)


def sce_loss_summed_in_low_precision(logits, target, **kwargs):
    """Per-sample losses rounded to the input dtype, then summed in it."""
    z = np.asarray(logits)
    exact = z.astype(np.float64)
    reduction = kwargs.get("reduction", "mean")
    if z.dtype == np.float64 or reduction == "none" or kwargs.get("weight") is not None \
            or kwargs.get("ignore_index") is not None:
        return _round_to(ref.softmax_cross_entropy(exact, target, **kwargs), z)
    per = _round_to(ref.softmax_cross_entropy(exact, target, **{**kwargs, "reduction": "none"}), z)
    total = _bf16_sum(per)
    return total if reduction == "sum" else z.dtype.type(total / z.dtype.type(max(per.size, 1)))


def sce_loss_rounded_once(logits, target, **kwargs):
    z = np.asarray(logits)
    return _round_to(ref.softmax_cross_entropy(z.astype(np.float64), target, **kwargs), z)


# --- degenerate inputs: masks, empty means, one class, simplified expressions (issue 12) ---

def sce_weight_times_nan(logits, target, *, weight=None, reduction="mean", **kwargs):
    """Class weights applied as a product w * l: a weight-0 sample with NaN logits gives 0 * NaN."""
    if weight is None or np.asarray(target).dtype.kind not in "iu":
        return ref.softmax_cross_entropy(logits, target, weight=weight, reduction=reduction, **kwargs)
    l = ref.softmax_cross_entropy(logits, target, reduction="none", **kwargs)
    w = np.asarray(weight, dtype=np.float64)[np.asarray(target)]
    with np.errstate(invalid="ignore"):
        return ref.reduce_loss(w * l, w, reduction)


def bce_weight_times_nan(probs, target, *, weight=None, reduction="mean", **kwargs):
    """The element weight multiplied in: 0 * NaN and 0 * inf leak from weight-0 elements."""
    if weight is None:
        return ref.binary_cross_entropy(probs, target, reduction=reduction, **kwargs)
    l = ref.binary_cross_entropy(probs, target, reduction="none", **kwargs)
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), np.shape(l))
    with np.errstate(invalid="ignore"):
        return ref.reduce_loss(w * l, w, reduction)


def kl_zero_p_simplified(p, q, axis=-1, base=None):
    """A simplifier's x * 0 -> 0 applied to p log(p / q) where p = 0, before the NaN of q is seen."""
    q = np.where(np.asarray(p, dtype=np.float64) == 0, 1.0, np.asarray(q, dtype=np.float64))
    return ref.kl_divergence(p, q, axis=axis, base=base)


def log_softmax_one_class_folded(z, axis=-1):
    """z - logsumexp(z) folded to 0 for a class axis of length 1 (x - x -> 0): NaN and -inf become 0."""
    z = np.asarray(z, dtype=np.float64)
    return np.zeros_like(z) if z.ndim and z.shape[axis] == 1 else ref.log_softmax(z, axis=axis)


def sce_one_class_nan(logits, target, **kwargs):
    """One class: the kernel's 'max over the other classes' is -inf, and -inf - (-inf) is NaN."""
    z = np.asarray(logits, dtype=np.float64)
    out = ref.softmax_cross_entropy(z, target, **kwargs)
    return out * np.nan if z.ndim and z.shape[kwargs.get("axis", -1)] == 1 else out


def nll_all_ignored_mean_zero(log_probs, target, *, reduction="mean", **kwargs):
    """'mean' as sum / max(sum(w), 1): no counted sample gives 0 instead of NaN."""
    if reduction != "mean":
        return ref.nll_loss(log_probs, target, reduction=reduction, **kwargs)
    per = ref.nll_loss(log_probs, target, reduction="none", **kwargs)
    t = np.asarray(target)
    keep = t != kwargs["ignore_index"] if kwargs.get("ignore_index") is not None else np.ones(t.shape, bool)
    w = (np.asarray(kwargs["weight"], dtype=np.float64)[np.where(keep, t, 0)] * keep
         if kwargs.get("weight") is not None else keep.astype(np.float64))
    return np.float64(np.sum(per) / max(np.sum(w), 1.0))


def sce_grad_ignored_not_zeroed(logits, target, *, ignore_index=None, **kwargs):
    """The ignore mask applied to the value only: an ignored sample keeps softmax - one_hot(clamped)."""
    g = ref.softmax_cross_entropy_grad(logits, target, ignore_index=ignore_index, **kwargs)
    t = np.asarray(target)
    if ignore_index is None or t.dtype.kind not in "iu" or kwargs.get("axis", -1) not in (-1, np.ndim(logits) - 1):
        return g
    z = np.asarray(logits, dtype=np.float64)
    ign = t == ignore_index
    c = z.shape[-1]
    with np.errstate(invalid="ignore"):
        leak = ref.softmax(z) - np.eye(c)[np.clip(t, 0, c - 1)]
    return np.where(ign[..., None], leak, g)


def nll_grad_drops_weight_when_ignoring_a_class(log_probs, target, *, weight=None, ignore_index=None, **kwargs):
    """With ignore_index naming a real class the kernel takes its 'ignore' path, which forgets weight."""
    c = np.shape(log_probs)[kwargs.get("axis", -1)]
    if ignore_index is not None and 0 <= ignore_index < c:
        weight = None
    return ref.nll_loss_grad(log_probs, target, weight=weight, ignore_index=ignore_index, **kwargs)


def sce_grad_drops_smoothing_with_weights(logits, target, *, weight=None, label_smoothing=0.0, **kwargs):
    """The weighted gradient path ignores label_smoothing."""
    ls = 0.0 if weight is not None else label_smoothing
    return ref.softmax_cross_entropy_grad(logits, target, weight=weight, label_smoothing=ls, **kwargs)


def sce_minus_100_always_ignored(logits, target, *, ignore_index=None, **kwargs):
    """PyTorch's default ignore_index=-100 baked in: -100 is silently ignored with ignore_index=None."""
    return ref.softmax_cross_entropy(logits, target, ignore_index=-100 if ignore_index is None else ignore_index,
                                     **kwargs)


def focal_grad_naive_power(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean",
                           cotangent=None):
    """d/dp_t of -(1 - p_t)^gamma log p_t taken literally: gamma (1 - p)^(gamma - 1) log p is
    inf * 0 = NaN where p_t rounds to 1 and gamma < 1 (gamma = 0 included)."""
    t = np.asarray(target)
    z = np.asarray(logits, dtype=np.float64)
    if (t.dtype.kind not in "iu" or alpha is not None or cotangent is not None or z.ndim != 2
            or axis not in (-1, 1) or reduction not in ("none", "sum", "mean") or z.shape[0] == 0):
        return ref.focal_loss_grad(logits, target, axis=axis, gamma=gamma, alpha=alpha, reduction=reduction,
                                   cotangent=cotangent)
    ref.focal_loss(z, t, gamma=gamma, reduction=reduction)  # validation as the reference does it
    with np.errstate(all="ignore"):
        p = ref.softmax(z)
        pt = p[np.arange(len(t)), t]
        q = -np.expm1(ref.log_softmax(z)[np.arange(len(t)), t])
        dldp = gamma * q ** (gamma - 1) * np.log(pt) - q ** gamma / pt
        grad = (dldp * pt)[:, None] * (np.eye(z.shape[1])[t] - p)
    return grad / len(t) if reduction == "mean" else grad

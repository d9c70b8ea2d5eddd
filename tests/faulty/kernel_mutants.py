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
    """``value`` (float64) rounded once to the dtype of ``like``."""
    return np.asarray(value, dtype=np.float64).astype(np.asarray(like).dtype)


def _bf16_sum(values):
    """A running sum in the dtype of ``values`` (every addition rounded there)."""
    total = values.dtype.type(0)
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

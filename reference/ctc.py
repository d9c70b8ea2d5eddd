"""Connectionist temporal classification: ``ctc_loss``, its gradient
``ctc_loss_grad``, the collapse map ``ctc_collapse`` and the probability of one
alignment ``ctc_path_probability`` (spec page: ``docs/spec/ctc.md``).

The loss of a label sequence ``l`` given per-frame log-probabilities is
``-log p(l | x)``, where ``p(l | x)`` sums the probabilities of every
alignment (one class per frame) that the collapse map ``B`` (remove repeats,
then blanks) turns into ``l``.  The sum is computed by the forward-backward
recursion over the extended label sequence ``l' = (-, l_1, -, l_2, ..., l_L, -)``
of ``2L + 1`` states, in log space: no probability is ever formed, so
log-probabilities of any magnitude (``-745``, ``-1e308``, ``-inf``) keep their
exact contributions.

Layout and reductions follow the contract: ``log_probs`` is batch-major
``(N, T, C)``; ``targets`` is ``(N, S)`` with entries past a row's target
length ignored whatever their value; ``w_n = 1``, so ``"mean"`` is the plain
mean over the batch (PyTorch divides each loss by its target length first).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._eft import _LONG, _two_sum_err
from .reductions import apply_cotangent, reduce_loss, reduced_shape, reduced_what, reduction_scale
from .validation import (
    as_float_array,
    as_int_array,
    check_cotangent,
    check_reduction,
    check_unit_interval,
)

__all__ = [
    "ctc_collapse",
    "ctc_loss",
    "ctc_loss_grad",
    "ctc_path_probability",
]

NEG_INF = -np.inf
_BIG = np.finfo(np.float64).max


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def _check_index_scalar(value, name: str) -> int:
    """An integer scalar (not a bool), returned as a Python int."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.integer):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer class index, got {value!r}")
    return int(value)


def _check_lengths(lengths, name: str, n: int, limit: int, limit_name: str) -> np.ndarray:
    """1-d integer lengths, one per sequence, each in ``[0, limit]``."""
    arr = as_int_array(lengths, name)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a 1-d integer array of length {n} (one length per sequence), "
                         f"got shape {arr.shape}")
    if np.any(arr < 0):
        i = int(np.argmax(arr < 0))
        raise ValueError(f"{name} must be non-negative, got {int(arr[i])} for sequence {i}")
    if np.any(arr > limit):
        i = int(np.argmax(arr > limit))
        raise ValueError(f"{name} must be at most {limit} ({limit_name}), got {int(arr[i])} for sequence {i}")
    return arr


def _check_zero_infinity(zero_infinity) -> bool:
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"zero_infinity must be True or False, got {zero_infinity!r}")
    return bool(zero_infinity)


def _ctc_setup(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    """Validate every argument before any arithmetic; return the float64 and
    int64 arrays, ``blank`` and ``zero_infinity``."""
    lp = as_float_array(log_probs, "log_probs")
    if lp.ndim != 3:
        raise ValueError(f"log_probs must be 3-d (N, T, C): batch, time, classes; got shape {lp.shape}")
    n, t_max, c = lp.shape
    tg = as_int_array(targets, "targets")
    if tg.ndim != 2 or tg.shape[0] != n:
        raise ValueError(f"targets must be a 2-d integer array of shape ({n}, S) (padded label sequences), "
                         f"got shape {tg.shape}")
    il = _check_lengths(input_lengths, "input_lengths", n, t_max, "the number of frames T of log_probs")
    tl = _check_lengths(target_lengths, "target_lengths", n, tg.shape[1], "the padded length S of targets")
    b = _check_index_scalar(blank, "blank")
    if not 0 <= b < c:
        raise ValueError(f"blank must be a class index in [0, {c}), got {b}")
    check_reduction(reduction)
    zi = _check_zero_infinity(zero_infinity)
    inside = np.arange(tg.shape[1]) < tl[:, None]          # labels within each row's target length
    bad = inside & ((tg < 0) | (tg >= c))
    if np.any(bad):
        i, j = (int(k[0]) for k in np.nonzero(bad))
        raise ValueError(f"targets holds class index {int(tg[i, j])} at [{i}, {j}], expected indices in [0, {c})")
    bad = inside & (tg == b)
    if np.any(bad):
        i, j = (int(k[0]) for k in np.nonzero(bad))
        raise ValueError(f"targets holds the blank index {b} at [{i}, {j}] within target_lengths[{i}]; "
                         f"a label sequence cannot contain the blank")
    frames = np.arange(t_max) < il[:, None]                 # frames within each row's input length
    posinf = (lp == np.inf) & frames[:, :, None]
    if np.any(posinf):
        i, j, k = (int(v[0]) for v in np.nonzero(posinf))
        raise ValueError(f"log_probs holds +inf at [{i}, {j}, {k}] within input_lengths[{i}]; "
                         f"log-probabilities must be finite or -inf")
    return lp, tg, il, tl, b, zi


# ---------------------------------------------------------------------------
# the forward-backward recursion
# ---------------------------------------------------------------------------

def _two_sum(a, b, s, err, tmp):
    """Knuth's TwoSum: ``s + err == a + b`` exactly with ``s = fl(a + b)``.

    Where ``s`` is not finite ``err`` is NaN (``inf - inf``); callers clear it.
    ``s``, ``err`` and ``tmp`` are output buffers distinct from ``a`` and ``b``.
    """
    np.add(a, b, out=s)
    return s, _two_sum_err(a, b, s, err, tmp)


def _fast_two_sum(a, b, s, err):
    """``s = fl(a + b)`` and ``err`` its rounding error (Dekker): exact when
    ``|a| >= |b|``; otherwise within about ``2**-53 |b|``, which is all the
    callers need (there ``b`` is a log-sum of at most ``log 3``, or ``|a| >=
    |b|`` holds but for unnormalised positive log-probabilities).  NaN where
    ``s`` is not finite.  ``s`` and ``err`` must not alias ``a`` or ``b``."""
    np.add(a, b, out=s)
    np.subtract(s, a, out=err)
    np.subtract(b, err, out=err)
    return s, err


def _finite_lo(lo):
    """Replace NaN low parts (those of a non-finite high part, from
    ``inf - inf``) by a finite number, in place.

    The low part of an infinite or NaN high part is never used on its own:
    it only needs to be finite so that ``hi + lo`` keeps ``hi``'s value.
    """
    return np.fmax(lo, -_BIG, out=lo)


def _clip_finite(x, out):
    """``x`` clipped to ``[-max, max]`` (NaN kept): two ufunc calls, cheaper
    than ``np.clip`` on the small arrays of one frame."""
    np.maximum(x, -_BIG, out=out)
    return np.minimum(out, _BIG, out=out)


def _lse3(hi, lo, forward, w, extended=False):
    """The log-sum-exp over each state's three predecessors (``forward``) or
    successors of double-double log values: returns ``m`` and ``out`` with the
    result ``m + out``, ``m`` the largest high part (a float64, exact) and
    ``out`` in ``[-inf, log 3]`` up to the low parts (which are tiny unless the
    high parts are huge: ``-1e308`` plus a remainder of ``-1e4``).

    ``hi`` is the ``(3, N, S')`` stack of the terms' high parts (``-inf`` where
    a state has no such neighbour); ``lo`` is the ``(N, S')`` low part of the
    previous frame, added to each term at its offset.  Splitting off ``m``
    keeps the rounding of the logarithm relative to an O(1) number instead of
    to ``|alpha|`` (hundreds).  ``m`` is clipped to the finite range: a column
    of three ``-inf`` is shifted by the largest finite negative number, so every
    difference is ``-inf - finite = -inf`` and the column gives ``log(0) =
    -inf`` (a division by zero that the caller silences on purpose with
    ``np.errstate``); NaN propagates, and a ``+inf`` that overflowed from
    finite input stays ``+inf``.  ``w`` (a :class:`_Work`) provides the
    buffers; ``m`` is ``w.m`` and ``out`` is ``w.sum``.

    Returns ``(m, out, out_lo)``: ``out_lo`` is ``None``, or with ``extended``
    the low part of ``out`` (:func:`_lse3_extended` computes it in x87
    extended precision).
    """
    m, scratch, out, dm = w.m, w.scratch, w.sum, w.dm
    np.maximum(hi[0], hi[1], out=m)
    np.maximum(m, hi[2], out=m)
    _clip_finite(m, m)
    if extended:
        return (m, *_lse3_extended(hi, lo, forward, m, w))
    np.subtract(hi, m, out=scratch)
    # Each term gets its own low part.  Shifting the flattened arrays (fast,
    # contiguous) also adds a neighbouring row's lo to the first (last) columns,
    # which hold -inf (no neighbour) and stay -inf since lo is finite.
    flat, lo = scratch.reshape(3, -1), lo.reshape(-1)
    flat[0] += lo
    if forward:
        flat[1, 1:] += lo[:-1]
        flat[2, 2:] += lo[:-2]
    else:
        flat[1, :-1] += lo[1:]
        flat[2, :-2] += lo[2:]
    # Shift again by the largest term so that it is exactly 0 and its exp
    # exactly 1: L = dm + log1p(r) with r the sum of the two other terms, so
    # the sum 1 + r is never rounded (a dominant predecessor, the common case,
    # then adds almost no error).  dm is -inf only for a column of three -inf.
    np.maximum(scratch[0], scratch[1], out=dm)
    np.maximum(dm, scratch[2], out=dm)
    _clip_finite(dm, w.tmp)
    scratch -= w.tmp
    np.exp(scratch, out=scratch)
    # r = the two smallest of the three (the largest is the 1 of the shift).
    np.minimum(scratch[0], scratch[1], out=w.tmp)
    np.maximum(scratch[0], scratch[1], out=out)
    np.minimum(out, scratch[2], out=out)
    out += w.tmp
    np.log1p(out, out=out)
    out += dm
    return m, out, None


def _lse3_extended(hi, lo, forward, m, w):
    """The shifted log-sum-exp of :func:`_lse3` in ``np.longdouble``, as a
    float64 pair ``(out, out_lo)``.

    ``out`` is O(1) but the forward variable it joins can be much smaller: a
    likely alignment (a loss of 0.007) is ``m + e_t`` near ``-0.24`` plus an
    ``out`` near ``+0.23``, so float64's rounding of ``exp`` and ``log1p``
    (``2**-53`` of 0.23) would be 16 ulps of the loss.  Eleven more bits make
    that cancellation harmless.  Only frames whose variables can come within
    :data:`_NEAR_ZERO` of 0 need it (:func:`_needs_extended`): further out the
    rounding of ``out`` is small next to the variable itself.
    """
    d = hi.astype(_LONG)
    d -= m
    flat, lo = d.reshape(3, -1), lo.reshape(-1)
    flat[0] += lo
    if forward:
        flat[1, 1:] += lo[:-1]
        flat[2, 2:] += lo[:-2]
    else:
        flat[1, :-1] += lo[1:]
        flat[2, :-2] += lo[2:]
    dm = np.maximum(np.maximum(d[0], d[1]), d[2])
    d -= np.clip(dm, -_BIG, _BIG)
    np.exp(d, out=d)
    # the largest term is exactly 1: log1p of the two others
    r = np.minimum(d[0], d[1]) + np.minimum(np.maximum(d[0], d[1]), d[2])
    total = dm + np.log1p(r)
    out = w.sum
    out[...] = total                                      # rounded to float64
    out_lo = (total - out).astype(np.float64)
    np.copyto(out_lo, 0.0, where=~np.isfinite(out))
    return out, out_lo


#: Log-probabilities within this distance of 0 are recomputed in extended precision.
_NEAR_ZERO = 2.0
_LOG3 = float(np.log(3.0))


def _needs_extended(bound):
    """Whether a frame whose new variables are at most ``bound`` (the largest
    finite predecessor term, plus ``log 3`` for the log-sum-exp) may produce one
    within :data:`_NEAR_ZERO` of 0 (see :func:`_lse3_extended`)."""
    return _LONG is not None and bool(bound + _LOG3 > -_NEAR_ZERO)


def _extended_labels(tg, tl, blank):
    """The extended label sequence of every row, ``(N, 2L+1)`` with ``L`` the
    longest target length, its validity mask and the skip mask.

    ``skip[n, s]`` says that state ``s`` may be entered from ``s - 2``: ``s`` is
    a label state and its label differs from the previous label.  States past
    ``2 tl[n]`` hold the blank and are invalid.
    """
    n = tg.shape[0]
    length = int(tl.max(initial=0))
    width = 2 * length + 1
    valid = np.arange(width) < 2 * tl[:, None] + 1
    ext = np.full((n, width), blank, dtype=np.int64)
    ext[:, 1::2] = tg[:, :length]
    ext = np.where(valid, ext, blank)
    skip = np.zeros((n, width), dtype=bool)
    if width > 3:
        skip[:, 3::2] = (ext[:, 3::2] != ext[:, 1:-2:2]) & valid[:, 3::2]
    return ext, valid, skip


def _emissions(lp, ext, valid, il, frames):
    """``e[t, n, s] = lp[n, t, ext[n, s]]`` time-major ``(T', N, S')``, with
    ``-inf`` for invalid states and for frames past ``il[n]`` (whatever the
    input holds there)."""
    n, _, c = lp.shape
    by_frame = np.ascontiguousarray(lp[:, :frames, :].transpose(1, 0, 2)).reshape(frames, n * c)
    flat = (np.arange(n)[:, None] * c + ext).ravel()
    e = np.take(by_frame, flat, axis=1).reshape(frames, n, ext.shape[1])
    e[:, ~valid] = NEG_INF
    e[np.arange(frames)[:, None] >= il[None, :]] = NEG_INF
    return e


def _rows_ending(il, frames):
    """For every frame ``t``, the rows whose last frame is ``t``."""
    order = np.argsort(il, kind="stable")
    ends = il[order] - 1
    bounds = np.searchsorted(ends, np.arange(frames + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(frames)]


def _final_states(tl):
    """Index of the last blank state ``2L`` and of the last label state
    (``2L - 1``, clipped to 0 with a mask for empty targets)."""
    last = 2 * tl
    return last, np.maximum(last - 1, 0), tl > 0


def _logaddexp_dd(h1, l1, h2, l2):
    """``log(exp(h1 + l1) + exp(h2 + l2))`` rounded once to float64, shifted
    twice as in :func:`_lse3` (the low parts can be large next to a huge high
    part: ``-1e308`` plus ``-1e4``) so that the larger term is exactly 1 and
    the smaller one goes through ``log1p``; ``-inf`` pairs give ``-inf``."""
    if _LONG is not None:  # the loss can be far smaller than the terms (see _lse3_extended)
        h1, l1, h2, l2 = (np.asarray(a, dtype=np.float64).astype(_LONG) for a in (h1, l1, h2, l2))
    m = np.clip(np.maximum(h1, h2), -_BIG, _BIG)
    d1, d2 = h1 - m + l1, h2 - m + l2
    dm = np.maximum(d1, d2)
    dc = np.clip(dm, -_BIG, _BIG)
    return (m + (dm + np.log1p(np.minimum(np.exp(d1 - dc), np.exp(d2 - dc))))).astype(np.float64)


def _finite_max(a):
    """The largest finite entry of ``a`` (``-inf`` when there is none)."""
    top = np.max(np.where(np.isfinite(a), a, NEG_INF), initial=NEG_INF)
    return float(top)


class _Work:
    """Scratch buffers of one recursion over ``(N, S')`` states."""

    def __init__(self, n, width):
        self.hi = np.full((3, n, width), NEG_INF)     # the neighbours' high parts
        self.hi_flat = self.hi.reshape(3, -1)
        self.scratch = np.empty((3, n, width))
        self.dm = np.empty((n, width))
        self.m = np.empty((n, width))
        self.sum = np.empty((n, width))
        self.s = np.empty((n, width))
        self.err = np.empty((n, width))
        self.tmp = np.empty((n, width))


def _forward(e, skip, il, tl, keep_all):
    """Log forward variables as double-doubles ``alpha = hi + lo``.

    Returns ``(loglik, alpha_hi, alpha_lo)`` where ``loglik[n]`` is
    ``log p(l_n | x_n)`` and the ``alpha`` parts are ``(T', N, S')`` when
    ``keep_all`` (else ``None``); ``alpha[t, n, s]`` includes the emission of
    frame ``t``.

    Each step is ``alpha_t = m + e_t + L`` with ``m`` the largest predecessor
    (exact) and ``L`` the O(1) log-sum-exp of the predecessors shifted by
    ``m``: ``m + e_t`` is split exactly by TwoSum and ``L`` joins the low part,
    so a step rounds by about ``2**-53`` in absolute terms instead of
    ``2**-53 |alpha|``.  ``lo`` is finite everywhere (of no meaning where
    ``hi`` is not finite).
    """
    frames, n, width = e.shape
    loglik = np.where(tl == 0, 0.0, NEG_INF)              # input length 0: the empty alignment only
    if frames == 0:
        empty = np.empty((0, n, width)) if keep_all else None
        return loglik, empty, empty
    w = _Work(n, width)
    # the largest finite emission of every frame (for _needs_extended)
    e_max = np.max(np.where(np.isfinite(e), e, NEG_INF), axis=(1, 2)) if _LONG is not None else None
    # The current frame's high part lives in the neighbour stack (w.hi[0]);
    # without keep_all one low-part buffer suffices (read before rewritten).
    alpha_hi = np.empty((frames, n, width)) if keep_all else None
    alpha_lo = np.empty((frames if keep_all else 1, n, width))
    last, label_last, has_label = _final_states(tl)
    ending = _rows_ending(il, frames)
    # min(x, +inf) = x where the skip from s - 2 is allowed, -inf elsewhere.
    # The flat shift below fills the first two columns from the previous row:
    # they are reset to -inf (a NaN there would leak across rows).
    gate = np.where(skip, np.inf, NEG_INF).reshape(-1)[2:]
    hi, lo = w.hi[0], alpha_lo[0]
    hi.fill(NEG_INF)
    hi[:, :2] = e[0, :, :2]
    lo.fill(0.0)
    for t in range(frames):
        if t > 0:
            prev_lo = lo
            lo = alpha_lo[t] if keep_all else lo
            w.hi[1, :, 1:] = hi[:, :-1]
            np.minimum(w.hi_flat[0, :-2], gate, out=w.hi_flat[2, 2:])
            w.hi[2, :, :2] = NEG_INF
            # alpha_t <= max(alpha_{t-1}) + log 3 + max(e_t)
            extended = _needs_extended(_finite_max(hi) + e_max[t])
            m, lse, lse_lo = _lse3(w.hi, prev_lo, True, w, extended)
            _two_sum(m, e[t], w.s, w.err, w.tmp)          # m + e_t, exactly
            if lse_lo is None:
                _fast_two_sum(w.s, lse, hi, lo)
            else:  # |lse| may exceed |m + e_t| by a little: the full TwoSum
                _two_sum(w.s, lse, hi, lo, w.tmp)
                lo += lse_lo
            lo += w.err
            _finite_lo(lo)
        if keep_all:
            alpha_hi[t] = hi
        rows = ending[t]
        if rows.size:
            a_label = [np.where(has_label[rows], part[rows, label_last[rows]], fill)
                       for part, fill in ((hi, NEG_INF), (lo, 0.0))]
            loglik[rows] = _logaddexp_dd(hi[rows, last[rows]], lo[rows, last[rows]], *a_label)
    if not keep_all:
        return loglik, None, None
    return loglik, alpha_hi, alpha_lo


def _frame_posteriors(a_hi, a_lo, b_hi, b_lo, out, w, m):
    """State posteriors of one frame, ``gamma_t(s) = alpha_t(s) beta_t(s) / p``,
    written to ``out`` (``(N, S')``); ``w`` holds scratch buffers, ``m`` is
    ``(N, 1)``.

    Every complete alignment passes through exactly one state per frame, so
    ``sum_s alpha_t(s) beta_t(s) = p`` on every frame ``t < T_n``: the frame is
    normalised by its own total rather than by the global ``log p``.  The two
    are equal in exact arithmetic; this way the posteriors of a frame sum to 1
    to rounding even where ``log p`` carries a large absolute error (entries of
    ``-1e300``).  A frame with no mass (past ``T_n``, an impossible row) gives 0.

    The exponent ``alpha + beta - max`` is formed in double-double (TwoSum of
    the high parts) and applied as ``exp(hi) (1 + lo)``: an exponent of
    magnitude hundreds rounded to float64 would be a relative error of
    hundreds of ulps in the posterior.
    """
    x_hi, x_lo, tmp, d_hi = w.s, w.err, w.tmp, w.m
    _two_sum(a_hi, b_hi, x_hi, x_lo, tmp)
    x_lo += a_lo
    x_lo += b_lo
    np.max(x_hi, axis=1, keepdims=True, out=m)
    np.copyto(m, 0.0, where=~np.isfinite(m))
    np.negative(m, out=m)
    _fast_two_sum(x_hi, m, d_hi, out)                     # exact: x_hi <= max, and max <= 0 normally
    out += x_lo
    # NaN (from -inf states, whose exp(hi) is 0) and out-of-range values are
    # bounded: |lo| <= 2**-26 whenever |alpha + beta| < 2**26, where 1 + lo
    # matches exp(lo) to 2**-53; beyond that the posteriors are not resolved
    # and only the frame sums are kept.
    np.fmax(out, -2.0**-26, out=out)
    np.fmin(out, 2.0**-26, out=out)
    np.exp(d_hi, out=d_hi)
    out *= d_hi
    out += d_hi
    total = np.sum(out, axis=1, keepdims=True)
    np.divide(out, total, out=out, where=total > 0)
    return out


def _backward_gradient(e, skip, il, tl, alpha_hi, alpha_lo, ext, n_classes, t_all):
    """Run the backward recursion and return ``-sum_{s: ext[s] = k} gamma_t(s)``
    as an ``(N, t_all, C)`` array (0 on frames past each ``il[n]``).

    ``beta_t(s)`` is the log-probability of the frames after ``t`` given state
    ``s`` at ``t`` (the emission of ``t`` excluded), ``-inf`` past each row's
    last frame, carried as a double-double like ``alpha``.  Only two frames of
    it are alive at a time: each frame's posteriors are scattered onto the
    classes as soon as ``beta_t`` is known.
    """
    frames, n, width = e.shape
    grad = np.zeros((n, t_all, n_classes))
    w = _Work(n, width)
    v_lo = np.empty((n, width))
    post = np.empty((n, width))
    m_row = np.empty((n, 1))
    buffers = [(np.empty((n, width)), np.empty((n, width))) for _ in range(2)]
    flat = (np.arange(n)[:, None] * n_classes + ext).ravel()   # (row, class) of every state
    last, label_last, has_label = _final_states(tl)
    ending = _rows_ending(il, frames)
    # As in _forward: the successor s + 2 is a neighbour where skip[s + 2].
    gate = np.full(skip.shape, NEG_INF)
    gate[:, :-2] = np.where(skip[:, 2:], np.inf, NEG_INF)
    gate = gate.reshape(-1)[:-2]
    nxt = None
    for t in range(frames - 1, -1, -1):
        hi, lo = buffers[t % 2]
        if nxt is None:
            hi.fill(NEG_INF)
            lo.fill(0.0)
        else:
            # v = beta_{t+1} + e_{t+1}, split exactly, then the log-sum-exp
            # over each state's successors.
            v_hi = w.hi[0]
            _two_sum(nxt[0], e[t + 1], v_hi, v_lo, w.tmp)
            v_lo += nxt[1]
            _finite_lo(v_lo)
            w.hi[1, :, :-1] = v_hi[:, 1:]
            np.minimum(w.hi_flat[0, 2:], gate, out=w.hi_flat[2, :-2])
            w.hi[2, :, -2:] = NEG_INF
            m, lse, lse_lo = _lse3(w.hi, v_lo, False, w, _needs_extended(_finite_max(v_hi)))
            if lse_lo is None:
                _fast_two_sum(m, lse, hi, lo)
            else:
                _two_sum(m, lse, hi, lo, w.tmp)
                lo += lse_lo
            _finite_lo(lo)
        rows = ending[t]
        if rows.size:
            hi[rows] = NEG_INF
            lo[rows] = 0.0
            hi[rows, last[rows]] = 0.0
            lab = rows[has_label[rows]]
            hi[lab, label_last[lab]] = 0.0
        _frame_posteriors(alpha_hi[t], alpha_lo[t], hi, lo, post, w, m_row)
        grad[:, t, :] = -np.bincount(flat, weights=post.ravel(), minlength=n * n_classes).reshape(n, n_classes)
        nxt = (hi, lo)
    return grad


def _nan_rows(lp, il):
    """Rows with a NaN anywhere within their input length."""
    frames = np.arange(lp.shape[1]) < il[:, None]
    return np.any(np.isnan(lp) & frames[:, :, None], axis=(1, 2))


def _per_sequence(loglik, nan_rows, zero_infinity):
    """``l_n = -log p``: NaN rows stay NaN; ``zero_infinity`` turns ``+inf`` into 0."""
    loss = -loglik
    loss[nan_rows] = np.nan
    if zero_infinity:
        loss[loss == np.inf] = 0.0
    return loss


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------

def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    r"""Connectionist temporal classification loss (Graves et al., 2006).

    .. math::

        l_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(y_n)} \prod_{t=0}^{T_n - 1}
        \exp(\mathrm{lp}[n, t, \pi_t])

    where ``B`` removes repeated classes and then blanks, ``T_n =
    input_lengths[n]`` and ``y_n = targets[n, :target_lengths[n]]``.

    Parameters
    ----------
    log_probs : array_like
        ``(N, T, C)`` batch-major per-frame log-probabilities.  They need not be
        normalised (the definition uses them as given, positive values
        included); ``-inf`` is probability 0; ``+inf`` within a row's input
        length is a ``ValueError``.  Frames past ``input_lengths[n]`` are
        ignored whatever they hold.
    targets : array_like of int
        ``(N, S)`` padded label sequences; entries past ``target_lengths[n]``
        are ignored whatever their value.
    input_lengths, target_lengths : array_like of int
        ``(N,)`` lengths, ``0 <= input_lengths[n] <= T`` and
        ``0 <= target_lengths[n] <= S``.
    blank : int, optional
        The blank class, in ``[0, C)`` (default 0); it may not occur within a
        target.
    reduction : {"mean", "sum", "none"}, optional
        ``w_n = 1``: ``"mean"`` is the plain mean over the batch (no division
        by target lengths), ``"none"`` returns shape ``(N,)``.
    zero_infinity : bool, optional
        Replace the ``+inf`` loss of an impossible alignment by 0.

    Returns
    -------
    numpy.float64 or float64 ndarray of shape ``(N,)``

    Raises
    ------
    ValueError
        ``log_probs`` not 3-d, ``targets`` not 2-d with ``N`` rows, lengths not
        of shape ``(N,)``, negative or too large; a class outside ``[0, C)``
        or equal to ``blank`` within a target; ``blank`` outside ``[0, C)``;
        ``+inf`` in ``log_probs`` within an input length; unknown ``reduction``.
    TypeError
        Non-numeric ``log_probs``, non-integer ``targets``, lengths or
        ``blank``, a non-boolean ``zero_infinity``.

    Notes
    -----
    The forward variables ``alpha_t(s)`` over the ``2L + 1`` extended states
    are computed in log space as double-doubles ``hi + lo``, vectorised over
    the batch and the states (the only Python loop runs over frames).  Each
    step combines three predecessors with a log-sum-exp shifted by their
    largest value, clipped to the finite range so that ``-inf - (-inf)`` never
    occurs, and adds the emission with an exact TwoSum: each frame rounds by
    about ``2**-53`` in absolute terms, not ``2**-53 |alpha|``.  The ``log(0)``
    of a column with no predecessor is silenced deliberately with
    ``np.errstate``.  Memory is
    ``O(N T L)`` (the gathered emissions; no ``(N, T, C)`` intermediate beyond
    the input).  A NaN anywhere within a row's input length makes that row's
    loss NaN (even in a class no alignment uses).  A target that needs more
    frames than the input has (``L`` plus the number of adjacent repeated
    labels) has no alignment: the loss is ``+inf``.

    References
    ----------
    .. [1] A. Graves, S. Fernandez, F. Gomez, J. Schmidhuber, "Connectionist
       Temporal Classification: Labelling Unsegmented Sequence Data with
       Recurrent Neural Networks", ICML 2006.

    Examples
    --------
    The source document's two frames over the classes ``(a, b, -)`` with
    probabilities ``(0.4, 0, 0.6)`` each (blank = 2).  The label "a" has the
    alignments ``a a``, ``a -`` and ``- a``: ``p = 0.16 + 0.24 + 0.24 = 0.64``.

    >>> import math
    >>> import numpy as np
    >>> from reference import ctc_loss
    >>> frame = [math.log(0.4), -np.inf, math.log(0.6)]
    >>> lp = np.array([[frame, frame]])
    >>> loss = ctc_loss(lp, np.array([[0]]), np.array([2]), np.array([1]), blank=2)
    >>> math.isclose(float(loss), 0.4462871026284195, rel_tol=1e-15)  # -ln 0.64
    True

    "aa" needs a blank between the two a's, three frames at least:

    >>> ctc_loss(lp, np.array([[0, 0]]), np.array([2]), np.array([2]), blank=2, reduction="none")
    array([inf])
    >>> ctc_loss(lp, np.array([[0, 0]]), np.array([2]), np.array([2]), blank=2, zero_infinity=True)
    np.float64(0.0)
    """
    lp, tg, il, tl, b, zi = _ctc_setup(log_probs, targets, input_lengths, target_lengths,
                                       blank, reduction, zero_infinity)
    # divide: log(0) = -inf for a state no alignment reaches; over: sums of huge
    # finite entries overflow to +-inf; invalid: only NaN input (logaddexp warns on NaN).
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ext, valid, skip = _extended_labels(tg, tl, b)
        frames = int(il.max(initial=0))
        e = _emissions(lp, ext, valid, il, frames)
        loglik, _, _ = _forward(e, skip, il, tl, keep_all=False)
    loss = _per_sequence(loglik, _nan_rows(lp, il), zi)
    return reduce_loss(loss, None, reduction)


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
                  zero_infinity=False, cotangent=None):
    r"""Gradient of :func:`ctc_loss` with respect to ``log_probs``, every entry
    an independent input.

    With the posterior ``gamma_t(s) = exp(alpha_t(s) + beta_t(s)) / p`` of
    extended state ``s`` at frame ``t``:

    .. math::

        \frac{\partial l_n}{\partial\, \mathrm{lp}[n, t, k]}
        = -\sum_{s:\ l'_s = k} \gamma_t(s), \qquad t < T_n,

    times the reduction scale (``1/N`` for ``"mean"``).  This is *not*
    PyTorch's convention: PyTorch's backward returns ``exp(lp) - gamma``, the
    gradient with respect to logits that pass through ``log_softmax`` first.
    Both agree once multiplied by the Jacobian of ``log_softmax``.

    Frames ``t >= input_lengths[n]`` get 0.  A row whose loss is not finite
    gets NaN on its frames ``t < T_n`` (the derivative of ``-log p`` at
    ``p = 0`` does not exist), except that with ``zero_infinity`` an infinite
    loss (replaced by 0) gets 0.  Entries with ``lp = -inf`` in a row with a
    finite loss get 0.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per sequence, shape ``(N,)``
        with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``. ``None`` (the
        default) means ones. The function returns the vector-Jacobian product, the gradient
        of ``sum(cotangent * ctc_loss(...))``: each sample's gradient times its own entry.
        An entry of 0 gives 0 even where that gradient is infinite; NaN propagates.

    Returns
    -------
    float64 ndarray of shape ``(N, T, C)``

    Notes
    -----
    Memory is ``O(N T L)``: the forward variables (high and low parts) and
    the emissions, each ``(T, N, 2L + 1)``; the backward pass keeps two frames
    of ``beta`` and scatters each frame's posteriors onto the classes as it
    goes.  ``alpha`` and ``beta`` are double-doubles and each posterior's
    exponent ``alpha + beta`` is formed exactly before one ``exp``, so the
    posteriors are within a few ulps even where ``alpha`` is in the thousands
    (a float64 ``alpha`` would lose ``|alpha| 2**-53`` per frame, which ``exp``
    turns into a relative error).  Each frame's posteriors are normalised by
    their own total (equal to ``p`` in exact arithmetic), so they sum to 1 to
    rounding on every frame.

    Examples
    --------
    The source example: the label "a" over two frames; at each frame the
    posterior of "a" is ``(0.16 + 0.24) / 0.64 = 0.625`` and of the blank
    ``0.24 / 0.64 = 0.375``.

    >>> import math
    >>> import numpy as np
    >>> from reference import ctc_loss_grad
    >>> frame = [math.log(0.4), -np.inf, math.log(0.6)]
    >>> g = ctc_loss_grad(np.array([[frame, frame]]), np.array([[0]]), np.array([2]), np.array([1]), blank=2)
    >>> bool(np.allclose(g, [[[-0.625, 0.0, -0.375], [-0.625, 0.0, -0.375]]], rtol=1e-15, atol=0))
    True
    """
    lp, tg, il, tl, b, zi = _ctc_setup(log_probs, targets, input_lengths, target_lengths,
                                       blank, reduction, zero_infinity)
    n, t_all, c = lp.shape
    cot = check_cotangent(cotangent, reduced_shape((n,), reduction), reduced_what(reduction))
    grad = np.zeros((n, t_all, c))
    frames = int(il.max(initial=0))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # invalid: only rows whose loss is not finite produce NaN here, and
        # those rows are overwritten below.
        ext, valid, skip = _extended_labels(tg, tl, b)
        e = _emissions(lp, ext, valid, il, frames)
        loglik, alpha_hi, alpha_lo = _forward(e, skip, il, tl, keep_all=True)
        nan_rows = _nan_rows(lp, il)
        loss = _per_sequence(loglik, nan_rows, zi)
        if frames:
            grad = _backward_gradient(e, skip, il, tl, alpha_hi, alpha_lo, ext, c, t_all)
        inside = np.arange(t_all)[None, :] < il[:, None]
        bad = ~np.isfinite(loss)
        grad[bad] = np.where(inside[bad][:, :, None], np.nan, 0.0)
        zeroed = (loss == 0.0) & zi & ~np.isfinite(loglik)
        grad[zeroed] = 0.0
        grad = grad * reduction_scale((n,), None, reduction) + 0.0
    return apply_cotangent(grad, cot, (1, 2))


def ctc_collapse(path, blank=0):
    """The collapse map ``B``: merge runs of repeated classes, then remove blanks.

    Parameters
    ----------
    path : array_like of int
        A 1-d alignment, one non-negative class index per frame.
    blank : int, optional
        The blank class (default 0), a non-negative integer.

    Returns
    -------
    int64 ndarray, 1-d
        The label sequence; empty when the path holds only blanks.

    Raises
    ------
    ValueError
        ``path`` not 1-d or holding a negative class; a negative ``blank``.
    TypeError
        Non-integer ``path`` or ``blank``.

    Examples
    --------
    Repeats merge before blanks are removed, so a blank separates two equal
    labels:

    >>> import numpy as np
    >>> from reference import ctc_collapse
    >>> ctc_collapse(np.array([1, 1, 0, 1, 2, 2, 0]))
    array([1, 1, 2])
    >>> ctc_collapse(np.array([1, 1]))
    array([1])
    """
    p = as_int_array(path, "path")
    if p.ndim != 1:
        raise ValueError(f"path must be a 1-d integer array (one class per frame), got shape {p.shape}")
    b = _check_index_scalar(blank, "blank")
    if b < 0:
        raise ValueError(f"blank must be a non-negative class index, got {b}")
    if np.any(p < 0):
        raise ValueError(f"path holds class index {int(p[p < 0][0])}, expected non-negative indices")
    first_of_run = np.ones(p.shape, dtype=bool)
    first_of_run[1:] = p[1:] != p[:-1]
    return p[first_of_run & (p != b)].astype(np.int64)


def ctc_path_probability(probs, path):
    """The probability of one alignment: ``prod_t probs[t, path[t]]``.

    Parameters
    ----------
    probs : array_like
        ``(T, C)`` per-frame probabilities in ``[0, 1]``.
    path : array_like of int
        ``(T,)`` one class index in ``[0, C)`` per frame.

    Returns
    -------
    numpy.float64
        The product, in frame order (1 for ``T = 0``).  It is the probability
        of that alignment only, not the probability of the label it collapses
        to (which :func:`ctc_loss` sums over every alignment).

    Raises
    ------
    ValueError
        ``probs`` not 2-d or outside ``[0, 1]``; ``path`` not of shape ``(T,)``
        or holding a class outside ``[0, C)``.
    TypeError
        Non-numeric ``probs``, non-integer ``path``.

    Examples
    --------
    The source document's example: the path ``a a`` over two frames with
    ``P(a) = 0.4`` each has probability ``0.4 * 0.4 = 0.16``, so
    ``-log p = -ln 0.16``; it is one of the three alignments of the label "a".

    >>> import math
    >>> import numpy as np
    >>> from reference import ctc_path_probability
    >>> probs = np.array([[0.4, 0.0, 0.6], [0.4, 0.0, 0.6]])  # classes a, b, -
    >>> p = ctc_path_probability(probs, np.array([0, 0]))
    >>> float(p) == 0.4 * 0.4
    True
    >>> math.isclose(-math.log(p), 1.8325814637483102, rel_tol=1e-15)
    True
    """
    q = as_float_array(probs, "probs")
    if q.ndim != 2:
        raise ValueError(f"probs must be 2-d (T, C): frames, classes; got shape {q.shape}")
    check_unit_interval(q, "probs")
    p = as_int_array(path, "path")
    if p.shape != (q.shape[0],):
        raise ValueError(f"path must have shape ({q.shape[0]},) (one class per frame of probs), got {p.shape}")
    bad = (p < 0) | (p >= q.shape[1])
    if np.any(bad):
        raise ValueError(f"path holds class index {int(p[bad][0])}, expected indices in [0, {q.shape[1]})")
    picked = q[np.arange(q.shape[0]), p]
    if np.finfo(np.longdouble).nmant == 63:
        # x87 extended precision: T roundings of 2**-64 each, then one to float64
        # (a float64 product rounds T times, about sqrt(T) / 2 ulps).
        return np.float64(np.prod(picked, dtype=np.longdouble))
    return np.float64(np.prod(picked, dtype=np.float64))

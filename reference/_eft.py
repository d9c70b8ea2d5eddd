"""Exact arithmetic the families share (private: not part of the contract).

The error-free transformations (Knuth's TwoSum, Dekker's product), Rump's
exact row sums and the accurate sums built on them, the switch to x87
extended precision, and the two kernels more than one family evaluates: the
split softmax sum (with ``1 - softmax`` at the maximal class, for the losses'
gradients) and the sigmoid cross-entropy terms.  The families import them
from here and never from one another, so each family module can change its
own private helpers freely.
"""

from __future__ import annotations

import numpy as np

from .reductions import weighted
from .validation import as_float_array, normalize_axis


# ---------------------------------------------------------------------------
# precision and blocking
# ---------------------------------------------------------------------------

#: Elements per block of rows: the temporaries of one block stay in the cache,
#: which makes the dozen passes below cheaper than four passes over a large array.
_BLOCK = 1 << 15
#: x87 extended precision (64-bit significand) where numpy's longdouble is that
#: format; ``None`` elsewhere (float64, or a software quad too slow to use).
_LONG = np.longdouble if np.finfo(np.longdouble).nmant == 63 else None
_HALF_MAX = float(np.finfo(np.float64).max) / 2


# ---------------------------------------------------------------------------
# error-free transformations
# ---------------------------------------------------------------------------

def _two_diff_err(a, b, s):
    """The rounding error of ``s = fl(a - b)``: ``a - b = s + err`` exactly.

    Knuth's TwoSum of ``a`` and ``-b`` (five more operations, no branch); exact
    for finite ``a``, ``b`` whose difference does not overflow.
    """
    bv = np.subtract(s, a)            # what s took from -b
    err = np.subtract(s, bv)          # what s took from a ...
    np.subtract(a, err, out=err)      # ... and what it lost of a
    bv += b
    err -= bv                         # (a - av) + (-b - bv)
    return err


def _two_sum_err(a, b, s, out, tmp):
    """The rounding error of ``s = fl(a + b)`` into ``out`` (Knuth's TwoSum,
    as :func:`_two_diff_err`, into buffers; ``tmp`` is scratch)."""
    np.subtract(s, a, out=tmp)              # what s took from b
    np.subtract(s, tmp, out=out)            # what s took from a ...
    np.subtract(a, out, out=out)            # ... and what it lost of a
    np.subtract(b, tmp, out=tmp)
    out += tmp
    return out


def _two_prod(a, b):
    """``(p, err)`` with ``p = fl(a b)`` and ``a b = p + err`` exactly (Dekker's
    product with Veltkamp's splitting; finite ``a, b`` far from overflow)."""
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return p, err


def _split(a):
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


# ---------------------------------------------------------------------------
# exact and accurate row sums
# ---------------------------------------------------------------------------

def _exact_row_sum(e, lo, high=None, low=None, signed=True):
    """``sum_j (e_j + lo_j)`` along the last axis as ``(hi, lo)`` pairs, for
    finite ``e_j`` (of any sign if ``signed``) and small corrections ``lo_j``
    (``None``: none).  ``high`` and ``low`` are scratch arrays of ``e``'s shape
    (allocated when ``None``).

    The terms are split at ``sigma = 2**k >= 2 C max_j |e_j|`` into a high
    part ``(sigma + e_j) - sigma``, a multiple of ``ulp(sigma)`` whose sum is
    exact in any order, and the exact remainder, below ``ulp(sigma)``, which is
    summed in floating point together with the corrections (Rump's error-free
    extraction).  The rounding of the summation so becomes negligible.
    """
    if high is None:
        high = np.empty(e.shape)
    if low is None:
        low = np.empty(e.shape)
    top = np.max(np.abs(e, out=high) if signed else e, axis=-1, keepdims=True)
    _, k = np.frexp(2.0 * e.shape[-1] * top)
    sigma = np.ldexp(1.0, k)
    np.add(e, sigma, out=high)
    high -= sigma
    np.subtract(e, high, out=low)
    if lo is not None:
        low += lo
    s_high = np.sum(high, axis=-1, keepdims=True)
    s_low = np.sum(low, axis=-1, keepdims=True)
    total = s_high + s_low
    return total, _two_diff_err(s_high, -s_low, total)


def _accurate_row_sum(e, lo=None):
    """``sum_j e_j (1 + lo_j)`` along the last axis as ``(hi, lo)`` float64
    pairs (``lo = None``: the plain sum of ``e``), for ``0 <= e_j`` finite
    (:func:`_exact_row_sum` with the corrections ``e_j lo_j``): what remains
    is the rounding of each ``e_j``.
    """
    return _exact_row_sum(e, None if lo is None else np.multiply(e, lo), signed=False)


def _accurate_sum(terms, ax):
    """Sum along ``ax``; when every term is finite and non-negative (the usual
    case: ``-p log p`` and ``-p log q`` of probabilities) the summation adds no
    rounding of its own (:func:`_accurate_row_sum`)."""
    t = np.moveaxis(terms, ax, -1)
    if t.size and t.shape[-1] > 1 and float(np.min(t)) >= 0.0 and float(np.max(t)) < np.inf:
        hi, _ = _accurate_row_sum(t.reshape(-1, t.shape[-1]))
        return hi.reshape(t.shape[:-1])
    return np.sum(terms, axis=ax)


# ---------------------------------------------------------------------------
# the split softmax sum
# ---------------------------------------------------------------------------

def _as_logits(z, axis, name="z"):
    arr = as_float_array(z, name)
    ax = normalize_axis(axis, arr.ndim, array_name=name)
    if arr.shape[ax] == 0:
        raise ValueError(f"{name} must have at least one class along axis {axis}, got shape {arr.shape}")
    return arr, ax


def _shifted(z: np.ndarray):
    """The stable split sum along the last axis of 2-d ``z``:
    ``(m, d, lo, e, rest, star, clean)``.

    * ``m``: the row maximum (keepdims), attained at ``star`` (keepdims);
    * ``d + lo = z - m`` exactly: ``d`` is the rounded difference and ``lo``
      its rounding error (``z - m`` is inexact when ``z`` and ``m`` differ in
      magnitude, and ``exp`` would turn that absolute error of up to
      ``|d| 2**-53`` into a relative error of hundreds of ulps);
    * ``e = exp(d)`` (1 at ``star``), so ``exp(z - m) = e (1 + lo)`` to within
      the rounding of ``exp`` (``lo**2`` is below ``2**-80``);
    * ``rest = sum_{j != star} e_j (1 + lo_j)``, the sum without one maximal
      term, as a pair ``(hi, lo)`` of float64 (see :func:`_accurate_row_sum`);
    * ``clean``: every ``m`` is finite and no difference can overflow, so no
      row needs the special-value rules.

    Where ``m`` is not finite, ``d`` is ``z`` and ``e`` is 0; callers finish
    such rows with the spec's limits.  ``lo`` is 0 wherever ``d`` is not finite.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.max(z, axis=-1, keepdims=True)
        finite = np.isfinite(m)
        clean = bool(np.all(finite)) and float(np.max(np.abs(m), initial=0.0)) < _HALF_MAX \
            and float(np.min(z, initial=np.inf)) > -_HALF_MAX
        mm = m if clean else np.where(finite, m, 0.0)
        d = np.subtract(z, mm)
        lo = _two_diff_err(z, mm, d)
        if clean:
            e = np.exp(d)
        else:
            np.copyto(lo, 0.0, where=~(np.isfinite(d) & finite))
            e = np.exp(np.where(finite, d, -np.inf))
        star = np.argmax(z, axis=-1)[:, None]
        np.put_along_axis(e, star, 0.0, axis=-1)
        rest, rest_lo = _accurate_row_sum(e, lo)
        np.put_along_axis(e, star, np.where(finite, 1.0, 0.0), axis=-1)  # exp(0) exactly
    return m, d, lo, e, (rest, rest_lo), star, clean


def _softmax_kernel(z, out, complement=None):
    """softmax of the rows of ``z`` into ``out``: ``exp(d) (1 + lo) / (1 + rest)``.

    ``1 + rest = s + s_lo`` exactly (TwoSum, per row), so the result is
    ``q (1 + lo - s_lo / s)`` with ``q = exp(d) / s``, to second order: the
    rounding of ``exp``, of the division and of the final addition remain.
    With ``complement`` (rows x 2), store ``star`` and ``1 - softmax`` at
    ``star``, ``rest / (1 + rest)``, which is exact where ``softmax`` is near 1.
    """
    m, d, lo, e, (rest, rest_lo), star, clean = _shifted(z)
    with np.errstate(invalid="ignore", over="ignore"):
        s = 1.0 + rest
        s_lo = _two_diff_err(1.0, -rest, s) + rest_lo
        c = np.where(np.isfinite(s_lo), s_lo / s, 0.0)
        np.divide(e, s, out=out)
        lo -= c
        lo *= out
        out += lo
        if complement is not None:
            complement[:, :1] = star
            complement[:, 1:] = (rest + rest_lo) / s
        if clean:
            return
        posinf_row = np.isposinf(m)
        if np.any(posinf_row):
            pos = np.isposinf(z)
            k = np.sum(pos, axis=-1, keepdims=True)
            share = np.where(pos, 1.0 / np.maximum(k, 1), 0.0)
            out[...] = np.where(posinf_row & ~np.any(np.isnan(z), axis=-1, keepdims=True), share, out)
            if complement is not None:
                complement[:, 1:] = np.where(posinf_row, 1.0 - 1.0 / np.maximum(k, 1), complement[:, 1:])
        out[...] = np.where(np.isneginf(m) | np.isnan(m), np.nan, out)
        if complement is not None:
            complement[:, 1:] = np.where(np.isneginf(m) | np.isnan(m), np.nan, complement[:, 1:])


def _softmax_with_complement(z, axis=-1):
    """``(softmax(z), star, om)``: the softmax, the index of one maximal entry
    per row and ``1 - softmax`` there computed without cancellation (both with
    the shape of ``z`` without ``axis``).  For the gradients of the losses,
    whose entry at a confident class is ``-(1 - softmax)``."""
    arr, ax = _as_logits(z, axis)
    zz = np.moveaxis(arr, ax, -1)
    c = zz.shape[-1]
    z2 = zz.reshape(-1, c)
    out = np.empty(z2.shape)
    comp = np.empty((z2.shape[0], 2))
    step = max(1, _BLOCK // c)
    for i in range(0, z2.shape[0], step):
        _softmax_kernel(z2[i:i + step], out[i:i + step], comp[i:i + step])
    batch = zz.shape[:-1]
    return (np.moveaxis(out.reshape(zz.shape), -1, ax), comp[:, 0].astype(np.intp).reshape(batch),
            comp[:, 1].reshape(batch))


# ---------------------------------------------------------------------------
# sigmoid cross-entropy terms
# ---------------------------------------------------------------------------

def _softplus_both(x):
    """``(softplus(-x), softplus(x))`` with one ``log1p(exp(-|x|))`` for both.

    The operations of :func:`reference.softplus`, ``max(±x, 0) + log1p(exp(-|x|))``,
    so the same numbers (``tests/test_binary.py`` checks it), at half the cost:
    the logarithm is the expensive pass.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        tail = np.abs(x, out=np.empty(x.shape))  # out=: 0-d input stays an array
        np.negative(tail, out=tail)
        np.exp(tail, out=tail)
        np.log1p(tail, out=tail)
        neg = np.negative(x, out=np.empty(x.shape))
        np.maximum(neg, 0.0, out=neg)
        neg += tail
        pos = np.maximum(x, 0.0, out=np.empty(x.shape))
        pos += tail
    return neg, pos


def _logit_terms(x, y, pos):
    """``pos softplus(-x) + (1 - y) softplus(x)`` with ``0 * inf = 0``.

    Both softplus values are finite for finite ``x``, so the products need the
    rule ``0 * inf = 0`` only where ``x`` is infinite; those few elements are
    redone with it.  (``pos`` is ``y``, or ``pos_weight * y``.)
    """
    neg, out = _softplus_both(x)
    with np.errstate(invalid="ignore", over="ignore"):
        out *= 1.0 - y
        neg *= pos
        out += neg
        out += 0.0  # no negative zeros
        inf = np.isinf(x)
        if np.any(inf):
            xi, yi, pi = x[inf], np.broadcast_to(y, x.shape)[inf], np.broadcast_to(pos, x.shape)[inf]
            # _softplus_both is softplus bit for bit (tests/test_binary.py)
            sp_neg, sp_pos = _softplus_both(xi)
            out[inf] = weighted(pi, sp_neg) + weighted(1.0 - yi, sp_pos) + 0.0
    return out

"""Information theory: ``entropy``, ``cross_entropy``, ``kl_divergence`` and their
gradients (spec page: ``docs/spec/information.md``).

Every function works per distribution along ``axis`` (the last by default) and
returns one value per distribution: a ``numpy.float64`` for 1-d input, an array
with the shape of the input without ``axis`` otherwise.  Nothing is normalised
and nothing is clamped: ``0 log 0 = 0``, ``-log 0 = +inf``.  ``base=None``
gives nats, ``base=2`` bits.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

from ._eft import _BLOCK, _LONG, _accurate_sum, _exact_row_sum, _two_diff_err, _two_prod, _two_sum_err
from .reductions import apply_cotangent
from .validation import (
    as_float_array,
    check_base,
    check_cotangent,
    check_eps,
    check_nonnegative,
    check_same_shape,
    log_base_divisor,
    normalize_axis,
)

__all__ = [
    "entropy",
    "entropy_grad",
    "cross_entropy",
    "cross_entropy_grad",
    "kl_divergence",
    "kl_divergence_grad",
]


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------

def _dist(x, name, axis):
    arr = as_float_array(x, name)
    ax = normalize_axis(axis, arr.ndim, array_name=name)
    if arr.shape[ax] == 0:
        raise ValueError(f"{name} must have at least one entry along axis {axis}, got shape {arr.shape}")
    check_nonnegative(arr, name)
    return arr, ax


def _pair(p, q, axis):
    P = as_float_array(p, "p")
    Q = as_float_array(q, "q")
    check_same_shape(Q, "q", P.shape, "the shape of p")
    P, ax = _dist(P, "p", axis)
    Q, _ = _dist(Q, "q", axis)
    return P, Q, ax


def _wrt(wrt):
    if not isinstance(wrt, str) or wrt not in ("p", "q"):
        raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
    return wrt


def _cotangent(cotangent, shape, ax):
    """The validated cotangent of a per-distribution result: ``shape`` without ``ax``."""
    out = shape[:ax] + shape[ax + 1:]
    what = "a scalar: one distribution" if not out else "one value per distribution"
    return check_cotangent(cotangent, out, what)


def _reduce(terms, ax):
    with np.errstate(invalid="ignore"):  # inf - inf in one distribution is NaN
        out = _accurate_sum(terms, ax)
    return out[()] if np.ndim(out) == 0 else out


_INV_E = (0.36787944117144233, -1.2428753672788363e-17)  # 1/e as a double-double


def _log_ratio_plus_one(p, q=None):
    """``log(p / q) + 1`` for ``p, q >= 0`` (``q = None``: ``log(p) + 1``)
    without the cancellation near ``p / q = 1/e``.

    Where ``0.19 < p / q < 0.73``: ``log1p((p - q/e) / (q/e))`` with ``q/e``
    formed exactly (a double-double product), so ``p - q/e`` is exact
    (Sterbenz).  Where ``e**-4 < p / q <= 0.19`` (the sum still loses up to a
    factor 2.5 to cancellation): in ``np.longdouble`` when it is wider than
    float64.  Elsewhere ``_log_ratio(p, q) + 1`` (at most a third lost).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if q is None:
            out = np.log(p) + 1.0
            r = p
            ok = np.isfinite(p)
        else:
            out = _log_ratio(p, q) + 1.0
            ok = (q > 0) & np.isfinite(q) & (q < 1e300) & np.isfinite(p)
            r = np.where(ok, p, 0.0) / np.where(ok, q, 1.0)
        zone = ok & (r > 0.018) & (r < 0.73)
        if not np.any(zone):
            return out
        near = zone & (r > 0.19) & (r < 0.73)
        if np.any(near):
            pn = p[near]
            qn = np.ones(pn.shape) if q is None else q[near]
            c_hi, c_err = _two_prod(qn, _INV_E[0])
            num = pn - c_hi  # exact (Sterbenz)
            if _LONG is not None:
                num, c_hi, c_err, qn = num.astype(_LONG), c_hi.astype(_LONG), c_err.astype(_LONG), qn.astype(_LONG)
            c_rest = c_err + qn * _INV_E[1]  # q/e = c_hi + c_rest
            x = (num - c_rest) / (c_hi + c_rest)
            out[near] = np.log1p(x).astype(np.float64)
        wide = zone & ~near
        if _LONG is not None and np.any(wide):
            pw = p[wide].astype(_LONG)
            out[wide] = (np.log(pw if q is None else pw / q[wide]) + 1).astype(np.float64)
    return out


def _log_ratio(p, q):
    """``log(p / q)`` for ``p, q >= 0`` without spurious overflow or lost digits.

    ``log1p((p - q) / q)`` where ``q/2 <= p <= 2q`` (``p - q`` is then exact),
    ``log(p / q)`` where the ratio is a normal number, ``log p - log q`` otherwise.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = p / q
        near = (p >= 0.5 * q) & (p <= 2.0 * q) & (q > 0) & np.isfinite(q)
        tiny = np.finfo(np.float64).tiny
        normal = np.isfinite(ratio) & (ratio >= tiny)
        out = np.where(normal, np.log(np.where(normal, ratio, 1.0)), np.log(p) - np.log(q))
        out = np.where(near, np.log1p(np.where(near, (p - q) / np.where(near, q, 1.0), 0.0)), out)
    return out


# ---------------------------------------------------------------------------
# entropy
# ---------------------------------------------------------------------------

def entropy(p, axis=-1, base=None):
    """Shannon entropy of each distribution along ``axis``.

    .. math:: H(p) = -\\sum_i p_i \\log p_i \\qquad (0 \\log 0 = 0)

    Parameters
    ----------
    p : array_like
        Non-negative numbers (probabilities).  They are *not* normalised: the
        formula is applied as it stands.
    axis : int, optional
        The axis holding the outcomes (default: the last).
    base : float, optional
        Base of the logarithm: ``None`` (default) for nats, ``2`` for bits.

    Returns
    -------
    numpy.float64 or float64 ndarray
        ``p``'s shape without ``axis``.

    Raises
    ------
    ValueError
        ``p`` has a negative entry or no entry along ``axis``; ``base`` is not
        a finite number > 0 other than 1; ``axis`` is out of range.
    TypeError
        ``p`` is not a real numeric array.

    Notes
    -----
    Unlike ``scipy.stats.entropy``, nothing is normalised and the default axis
    is the last one (SciPy's is 0).

    Examples
    --------
    The second source document's coin and die (``0.693`` and ``1.79...``):

    >>> import numpy as np
    >>> from reference import entropy
    >>> float(entropy([0.5, 0.5])) == float(np.log(2.0))
    True
    >>> round(float(entropy(np.full(6, 1 / 6))), 2)
    1.79
    >>> float(entropy([0.5, 0.5], base=2))
    1.0

    A certain outcome carries no information (``0 log 0 = 0``):

    >>> float(entropy([0.0, 1.0, 0.0]))
    0.0
    """
    P, ax = _dist(p, "p", axis)
    div = log_base_divisor(check_base(base))
    out = _reduce(_sp.entr(P), ax)
    return out / div if div != 1.0 else out


def entropy_grad(p, axis=-1, base=None, *, cotangent=None):
    """Gradient of :func:`entropy` with respect to ``p``: ``-(log p + 1) / ln b``.

    At ``p_i = 0`` the derivative of ``-p log p`` is ``+inf``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per distribution (the shape of
        ``p`` without ``axis``; a number for 1-d input). ``None`` (the default) means ones.
        The function returns the vector-Jacobian product, the gradient of ``sum(cotangent *
        entropy(...))``: each sample's gradient times its own entry. An entry of 0 gives 0
        even where that gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import entropy_grad
    >>> g = entropy_grad([0.5, 0.5])
    >>> bool(np.allclose(g, np.log(2.0) - 1.0))
    True
    >>> entropy_grad([0.0, 1.0])
    array([inf, -1.])
    """
    P, ax = _dist(p, "p", axis)
    div = log_base_divisor(check_base(base))
    cot = _cotangent(cotangent, P.shape, ax)
    with np.errstate(divide="ignore"):
        return apply_cotangent(-_log_ratio_plus_one(P) / div, cot, ax)


# ---------------------------------------------------------------------------
# cross entropy
# ---------------------------------------------------------------------------

def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    """Cross entropy of ``q`` relative to ``p`` along ``axis``.

    .. math:: H(p, q) = -\\sum_i p_i \\log(q_i + \\varepsilon)

    A term with ``p_i = 0`` is 0 even where ``q_i + eps = 0``; a term with
    ``p_i > 0`` and ``q_i + eps = 0`` is ``+inf``.

    Parameters
    ----------
    p : array_like
        The reference ("true") distribution, non-negative.
    q : array_like
        The model's distribution, non-negative, the shape of ``p``.
    axis : int, optional
        The outcome axis (default: the last).
    eps : float, optional
        Added to ``q`` inside the logarithm (default 0: exact mathematics).
        The first source document uses ``1e-9``.
    base : float, optional
        ``None`` for nats (default), ``2`` for bits.

    Returns
    -------
    numpy.float64 or float64 ndarray
        ``p``'s shape without ``axis``.

    Raises
    ------
    ValueError
        Negative entries in ``p`` or ``q``; shapes differ; ``eps < 0``; bad
        ``base`` or ``axis``.
    TypeError
        Non-numeric ``p`` or ``q``.

    Examples
    --------
    The first source document's one-hot label on class 2 and its softmax
    outputs, with ``eps = 1e-9``:

    >>> import numpy as np
    >>> from reference import cross_entropy
    >>> label = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    >>> outputs = np.array([0.03, 0.05, 0.8, 0.1, 0.02])
    >>> float(cross_entropy(label, outputs, eps=1e-9))
    0.22314355006420974

    With a one-hot label only the target's probability matters: these two
    outputs both give ``-ln 0.8``:

    >>> a = cross_entropy(label, [0.05, 0.03, 0.8, 0.02, 0.1])
    >>> b = cross_entropy(label, [0.0, 0.0, 0.8, 0.2, 0.0])
    >>> bool(a == b == -np.log(0.8))
    True

    Mass where ``q`` is 0 makes the cross entropy infinite:

    >>> float(cross_entropy([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    P, Q, ax = _pair(p, q, axis)
    e = check_eps(eps)
    div = log_base_divisor(check_base(base))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # q + eps may round to inf
        terms = -_sp.xlogy(P, Q + e)
        out = _reduce(terms, ax)
    return out / div if div != 1.0 else out


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p", *, cotangent=None):
    """Gradient of :func:`cross_entropy`, with respect to ``p`` (default) or ``q``.

    * ``wrt="p"``: ``-log(q + eps) / ln b`` (``+inf`` where ``q + eps = 0``);
    * ``wrt="q"``: ``-p / (q + eps) / ln b``, 0 where ``p = 0`` (even where
      ``q + eps = 0``), ``-inf`` where ``p > 0`` and ``q + eps = 0``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per distribution (the shape of
        ``p`` without ``axis``; a number for 1-d input). ``None`` (the default) means ones.
        The function returns the vector-Jacobian product, the gradient of ``sum(cotangent *
        cross_entropy(...))`` with respect to the argument ``wrt`` names: each sample's
        gradient times its own entry. An entry of 0 gives 0 even where that gradient is
        infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import cross_entropy_grad
    >>> cross_entropy_grad([1.0, 0.0], [0.5, 0.5], wrt="q")
    array([-2., -0.])
    >>> bool(np.allclose(cross_entropy_grad([1.0, 0.0], [0.5, 0.5]), np.log(2.0)))
    True
    """
    P, Q, ax = _pair(p, q, axis)
    e = check_eps(eps)
    div = log_base_divisor(check_base(base))
    w = _wrt(wrt)
    cot = _cotangent(cotangent, P.shape, ax)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if w == "p":
            return apply_cotangent(-np.log(Q + e) / div, cot, ax)
        qe = Q + e
        g = np.where(P == 0, 0.0, -P / np.where(P == 0, 1.0, qe))
        g = np.where(np.isnan(P) | np.isnan(Q), np.nan, g)
        return apply_cotangent(g / div, cot, ax)


# ---------------------------------------------------------------------------
# Kullback-Leibler divergence
# ---------------------------------------------------------------------------

def _kl_terms(P, Q):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = P * _log_ratio(P, Q)
        terms = np.where(P == 0, np.where(np.isnan(Q), np.nan, 0.0), terms)
        terms = np.where((P > 0) & (Q == 0), np.inf, terms)
    return terms


#: ``ln 2 = _LN2_A + _LN2_B`` (to 2**-82): ``_LN2_A`` has 24 significant bits, so
#: ``k _LN2_A`` (``|k| <= 3``) has at most 26 and its products with the halves
#: of a Veltkamp split are exact.
_LN2_A = 0.6931471824645996
_LN2_B = -1.904654299957768e-09
#: ``g(x) = sum_{k>=1} x**(k-1) / (2k + 1)`` in Horner order; 10 terms reach
#: 2**-56 for ``x = s**2 <= 0.03`` (``|s| <= 0.172``: ``p / q'`` within ``sqrt 2``).
_G_SERIES = tuple(1.0 / (2 * k + 1) for k in range(10, 0, -1))
_SQRT_HALF = 0.7071067811865476
_KL_K = 3                                    # |k| <= 3: p / q within 2**3.5 of 1
_KL_LOW, _KL_HIGH = 2.0 ** -3.5, 2.0 ** 3.5
_TINY_Q = 2.0 ** -1019                       # 2**-3 q is still a normal number


def _kl_split(p, q, w=None):
    """The terms ``p log(p / q)`` of a block of clean rows (finite ``p >= 0``,
    ``0 < q < 1e300``) as ``e + s``: ``e = (e_hi, e_lo)`` non-negative, ``s =
    (s_hi, s_lo)`` signed (value ``hi + lo``, ``lo`` a small correction).

    Where ``2**-3.5 <= p / q < 2**3.5``, with ``q' = 2**k q`` (exact) and
    ``p / q'`` within ``sqrt 2`` of 1:

    .. math:: p \\log\\frac{p}{q} = \\underbrace{p \\log\\frac{p}{q'} - (p - q')}_{e \\,\\ge\\, 0}
              + \\underbrace{(p - q') + k p \\ln 2}_{s}.

    With ``t = (p - q') / (p + q')``, ``e = (p - q') t B(t)`` exactly,
    ``B(t) = 1 + t (1 + t) g(t**2)``, ``g(x) = 1/3 + x/5 + x**2/7 + ...``:
    no cancellation at all (``p - q'`` is exact by Sterbenz' lemma, ``p + q'``
    is corrected for its rounding error), and ``s`` is a double-double (split
    ``ln 2``, Veltkamp's split of ``p``).  The ``s`` add up without error of
    their own beyond about 2**-80; the ``e``, within about 2 units of 2**-53
    each, carry the rounding, and exceed the term's share of the divergence,
    ``p log(p / q) - (p - q) >= 0``, by at most a factor 1.3 (``p / q = sqrt 2``).
    Elsewhere ``s = p log(p / q)`` in plain float64 and ``e = 0``: there
    ``|p log(p / q)| < 1.6 [p log(p / q) - (p - q)]``, so its rounding is not
    amplified much either.  (Where ``q < 2**-1019`` only ``k >= 0`` is used,
    lest ``2**k q`` be rounded; such terms are below 1e-306.)

    Branch-free: everything is computed everywhere, then selected (masks and
    fancy indexing cost more than the arithmetic).
    """
    if w is None:
        w = _kl_workspace(p.shape)
    n = p.shape[0]
    r, kf, q2, d, a, a_err, t, x, g, e_hi, tmp = (b[:n] for b in w[:11])
    k, zone, flag = w[11][:n], w[12][:n], w[13][:n]
    # Out-of-place temporaries of this size cost more than the arithmetic
    # (freed memory goes back to the system and faults in again): every step
    # writes into the workspace ``w``.
    with np.errstate(all="ignore"):
        np.divide(p, q, out=r)
        np.frexp(r, out=(kf, k))
        np.less(kf, _SQRT_HALF, out=flag)
        np.subtract(k, flag, out=k)         # p / (2**k q) in [sqrt(1/2), sqrt 2)
        np.clip(k, -_KL_K, _KL_K, out=k)
        np.greater_equal(r, _KL_LOW, out=zone)
        np.less(r, _KL_HIGH, out=flag)
        zone &= flag
        if float(np.min(q)) < _TINY_Q:
            # 2**k q must be exact: no k < 0 where it would be subnormal
            zone &= (q >= _TINY_Q) | (k >= 0)
            k *= zone
        inside = bool(np.all(zone))
        np.copyto(kf, k)
        np.ldexp(q, k, out=q2)
        np.subtract(p, q2, out=d)           # exact in the zone
        if not inside:
            d *= zone                       # e = 0 outside (s is replaced there)
        np.add(p, q2, out=a)
        _two_sum_err(p, q2, a, a_err, tmp)
        np.divide(d, a, out=t)
        np.multiply(t, t, out=x)
        np.multiply(x, _G_SERIES[0], out=g)
        g += _G_SERIES[1]
        for c in _G_SERIES[2:]:
            g *= x
            g += c
        np.multiply(d, t, out=e_hi)
        # (B - 1) and the first-order correction of t for the rounding of p + q'
        g *= t
        np.multiply(g, t, out=tmp)
        g += tmp
        a_err /= a
        g -= a_err
        e_lo = np.multiply(g, e_hi, out=g)
        # s = d + k p ln2: k _LN2_A times the halves of p is exact
        c1 = np.multiply(kf, _LN2_A, out=tmp)
        hi_p = np.multiply(p, 134217729.0, out=x)  # Veltkamp split of p
        lo_p = np.subtract(hi_p, p, out=a)
        hi_p -= lo_p
        np.subtract(p, hi_p, out=lo_p)
        hi_p *= c1
        lo_p *= c1
        s_hi = np.add(d, hi_p, out=t)
        s_lo = _two_sum_err(d, hi_p, s_hi, a_err, q2)
        s_lo += lo_p
        kf *= _LN2_B
        kf *= p
        s_lo += kf
        if not inside:
            plain = np.log(r, out=a)
            plain *= p
            tiny = np.finfo(np.float64).tiny
            if float(np.min(r)) < tiny or float(np.max(r)) == np.inf:
                # p = 0 gives 0; a ratio that under- or overflows needs log p - log q
                odd = ((r < tiny) | (r == np.inf)) & (p > 0.0)
                if np.any(odd):
                    plain[odd] = p[odd] * _log_ratio(p[odd], q[odd])
                plain[p == 0.0] = 0.0
            # select s_hi where zone, plain elsewhere (both finite)
            s_hi *= zone
            np.logical_not(zone, out=flag)
            plain *= flag
            s_hi += plain
            s_lo *= zone
    return e_hi, e_lo, s_hi, s_lo


def _kl_workspace(shape):
    """Scratch arrays of a block's shape for :func:`_kl_split` and :func:`_kl_rows`."""
    return [np.empty(shape) for _ in range(11)] + [np.empty(shape, np.int64), np.empty(shape, bool),
                                                   np.empty(shape, bool)]


def _kl_rows(p, q, out, w=None):
    """:func:`_kl_sum` for a block of clean rows (finite, ``0 < q < 1e300``);
    ``w``: a :func:`_kl_workspace` of at least the block's shape."""
    if w is None:
        w = _kl_workspace(p.shape)
    with np.errstate(all="ignore"):
        e_hi, e_lo, s_hi, s_lo = _kl_split(p, q, w)
        n = p.shape[0]
        a_hi, a_lo = _exact_row_sum(e_hi, e_lo, w[0][:n], w[1][:n], signed=False)
        b_hi, b_lo = _exact_row_sum(s_hi, s_lo, w[0][:n], w[1][:n])
        total = a_hi + b_hi
        total_lo = _two_diff_err(a_hi, -b_hi, total) + (a_lo + b_lo)
        out[:] = (total + total_lo)[:, 0]


def _kl_sum(P, Q, ax):
    """``sum p log(p / q)`` along ``ax``, accurately (see :func:`_kl_split`).

    The plain sum of ``p log(p / q)`` (terms of both signs, about ``|p - q|``
    each, adding up to about ``(p - q)**2 / p`` when ``p`` and ``q`` are close)
    loses most of its digits; here the cancelling part of every term is exact
    (differences ``p - q'`` and ``k p ln 2`` as double-doubles) and is summed
    exactly, and only the non-negative remainders carry rounding errors.
    Rows with infinite, NaN, zero or huge (``>= 1e300``) entries use the plain
    sum of :func:`_kl_terms`.  Works on cache-sized blocks of rows.
    """
    p = np.moveaxis(P, ax, -1)
    q = np.moveaxis(Q, ax, -1)
    shape = p.shape[:-1]
    p2 = p.reshape(-1, p.shape[-1])
    q2 = q.reshape(-1, q.shape[-1])
    out = np.empty(p2.shape[0])
    step = max(1, _BLOCK // p2.shape[1])
    w = _kl_workspace((min(step, p2.shape[0]), p2.shape[1]))
    for i in range(0, p2.shape[0], step):
        pb, qb, ob = p2[i:i + step], q2[i:i + step], out[i:i + step]
        # NaN fails every comparison, so one test per block settles the usual case
        if float(np.min(qb)) > 0.0 and float(np.max(qb)) < 1e300 and float(np.max(pb)) < 1e300:
            _kl_rows(pb, qb, ob, w)
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            plain = ~np.all(np.isfinite(pb) & np.isfinite(qb) & (qb > 0) & (qb < 1e300) & (pb < 1e300), axis=-1)
        with np.errstate(invalid="ignore"):  # inf - inf in one distribution is NaN
            ob[plain] = np.sum(_kl_terms(pb[plain], qb[plain]), axis=-1)
        good = ~plain
        if np.any(good):
            res = np.empty(int(np.sum(good)))
            _kl_rows(pb[good], qb[good], res, w)
            ob[good] = res
    return out.reshape(shape)[()] if not shape else out.reshape(shape)


def kl_divergence(p, q, axis=-1, base=None):
    """Kullback-Leibler divergence (relative entropy) of ``q`` from ``p``.

    .. math:: D_{KL}(p \\,\\|\\, q) = \\sum_i p_i \\log \\frac{p_i}{q_i}

    with ``0 log(0/q) = 0`` (also for ``q = 0``) and ``p log(p/0) = +inf`` for
    ``p > 0``: the sum of ``scipy.special.rel_entr``, *not* of
    ``scipy.special.kl_div`` (which adds ``q - p``).

    Parameters
    ----------
    p : array_like
        The reference ("true") distribution, non-negative.
    q : array_like
        The model's distribution, non-negative, the shape of ``p``.
    axis : int, optional
        The outcome axis (default: the last).
    base : float, optional
        ``None`` for nats (default), ``2`` for bits.

    Returns
    -------
    numpy.float64 or float64 ndarray
        ``p``'s shape without ``axis``.

    Raises
    ------
    ValueError
        Negative entries; shapes differ; bad ``base`` or ``axis``.
    TypeError
        Non-numeric ``p`` or ``q``.

    Notes
    -----
    The terms ``p log(p / q)`` have both signs and nearly cancel when ``p`` and
    ``q`` are close (the divergence is then about ``sum (p - q)**2 / 2p``), so
    the plain sum loses most of its digits.  The reference splits every term
    with ``2**-3.5 <= p / q < 2**3.5`` into an exact part and a non-negative
    remainder: with ``q' = 2**k q`` (exact, ``p / q'`` within ``sqrt 2`` of 1)
    and ``s = (p - q') / (p + q')``,
    ``p log(p / q) = [(p - q') + k p ln 2] + (p - q') s B(s)``, where
    ``B(s) = 1 + s (1 + s) (1/3 + s**2/5 + s**4/7 + ...)`` is a short series
    without cancellation.  The exact parts (double-doubles) are summed without
    rounding error (Rump's extraction), the remainders with a compensated sum;
    other terms are summed in float64 (there ``|p log(p / q)|`` is less than
    1.6 times ``p log(p / q) - (p - q) >= 0``, so little cancels).
    All of it is branch-free float64 on cache-sized blocks of rows.  Rows with
    a zero-``q``, infinite, NaN or huge (``>= 1e300``) entry use the plain sum of
    the terms, with ``log(p / q)`` taken as ``log1p((p - q) / q)`` within a
    factor of 2 and ``log p - log q`` where ``p / q`` would overflow.

    Examples
    --------
    The second source document's example, ``p = (1/3, 2/3)`` and
    ``q = (2/3, 1/3)``: ``(1/3) ln(1/2) + (2/3) ln 2 = (1/3) ln 2``:

    >>> import numpy as np
    >>> from reference import kl_divergence
    >>> d = kl_divergence([1 / 3, 2 / 3], [2 / 3, 1 / 3])
    >>> round(float(d), 4)
    0.231
    >>> bool(np.isclose(d, np.log(2.0) / 3, rtol=1e-15))
    True

    It is not symmetric:

    >>> p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])
    >>> bool(kl_divergence(p, q) != kl_divergence(q, p))
    True
    """
    P, Q, ax = _pair(p, q, axis)
    div = log_base_divisor(check_base(base))
    out = _kl_sum(P, Q, ax)
    return out / div if div != 1.0 else out


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p", *, cotangent=None):
    """Gradient of :func:`kl_divergence`, with respect to ``p`` (default) or ``q``.

    * ``wrt="p"``: ``(log(p / q) + 1) / ln b``; ``-inf`` where ``p = 0 < q``,
      ``+inf`` where ``q = 0 < p``, NaN where ``p = q = 0`` (undefined);
    * ``wrt="q"``: ``-p / q / ln b``; 0 where ``p = 0`` (even where ``q = 0``),
      ``-inf`` where ``p > 0 = q``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per distribution (the shape of
        ``p`` without ``axis``; a number for 1-d input). ``None`` (the default) means ones.
        The function returns the vector-Jacobian product, the gradient of ``sum(cotangent *
        kl_divergence(...))`` with respect to the argument ``wrt`` names: each sample's
        gradient times its own entry. An entry of 0 gives 0 even where that gradient is
        infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import kl_divergence_grad
    >>> kl_divergence_grad([0.5, 0.5], [0.5, 0.5])
    array([1., 1.])
    >>> kl_divergence_grad([0.5, 0.5], [0.25, 0.75], wrt="q")
    array([-2.        , -0.66666667])
    """
    P, Q, ax = _pair(p, q, axis)
    div = log_base_divisor(check_base(base))
    w = _wrt(wrt)
    cot = _cotangent(cotangent, P.shape, ax)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if w == "p":
            g = _log_ratio_plus_one(P, Q)
            g = np.where((P == 0) & (Q == 0), np.nan, g)
        else:
            g = np.where(P == 0, 0.0, -P / np.where(P == 0, 1.0, Q))
            g = np.where(np.isnan(P) | np.isnan(Q), np.nan, g)
    return apply_cotangent(g / div, cot, ax)

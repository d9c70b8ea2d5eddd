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

from .softmax import _accurate_row_sum, _two_diff_err
from .validation import (
    as_float_array,
    check_base,
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


def _reduce(terms, ax):
    with np.errstate(invalid="ignore"):  # inf - inf in one distribution is NaN
        out = _accurate_sum(terms, ax)
    return out[()] if np.ndim(out) == 0 else out


def _accurate_sum(terms, ax):
    """Sum along ``ax``; when every term is finite and non-negative (the usual
    case: ``-p log p`` and ``-p log q`` of probabilities) the summation adds no
    rounding of its own (:func:`reference.softmax._accurate_row_sum`)."""
    t = np.moveaxis(terms, ax, -1)
    if t.size and t.shape[-1] > 1 and float(np.min(t)) >= 0.0 and float(np.max(t)) < np.inf:
        hi, _ = _accurate_row_sum(t.reshape(-1, t.shape[-1]))
        return hi.reshape(t.shape[:-1])
    return np.sum(terms, axis=ax)


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


_INV_E = (0.36787944117144233, -1.2428753672788363e-17)  # 1/e as a double-double
#: x87 extended precision where numpy's longdouble is that format (else None).
_LONG = np.longdouble if np.finfo(np.longdouble).nmant == 63 else None


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


def entropy_grad(p, axis=-1, base=None):
    """Gradient of :func:`entropy` with respect to ``p``: ``-(log p + 1) / ln b``.

    At ``p_i = 0`` the derivative of ``-p log p`` is ``+inf``.

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
    with np.errstate(divide="ignore"):
        return -_log_ratio_plus_one(P) / div


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


def cross_entropy_grad(p, q, axis=-1, eps=0.0, base=None, wrt="p"):
    """Gradient of :func:`cross_entropy`, with respect to ``p`` (default) or ``q``.

    * ``wrt="p"``: ``-log(q + eps) / ln b`` (``+inf`` where ``q + eps = 0``);
    * ``wrt="q"``: ``-p / (q + eps) / ln b``, 0 where ``p = 0`` (even where
      ``q + eps = 0``), ``-inf`` where ``p > 0`` and ``q + eps = 0``.

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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if w == "p":
            return -np.log(Q + e) / div
        qe = Q + e
        g = np.where(P == 0, 0.0, -P / np.where(P == 0, 1.0, qe))
        g = np.where(np.isnan(P) | np.isnan(Q), np.nan, g)
        return g / div


# ---------------------------------------------------------------------------
# Kullback-Leibler divergence
# ---------------------------------------------------------------------------

def _kl_terms(P, Q):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = P * _log_ratio(P, Q)
        terms = np.where(P == 0, np.where(np.isnan(Q), np.nan, 0.0), terms)
        terms = np.where((P > 0) & (Q == 0), np.inf, terms)
    return terms


#: Coefficients of ``f(u) / u**2 = sum_j (-1)**j u**j / ((j + 1)(j + 2))``, enough
#: for ``|u| < 2**-4`` to float64 precision.
_F_SERIES = tuple((-1.0) ** j / ((j + 1) * (j + 2)) for j in range(13))
def _kl_excess(p, q):
    """``p log(p / q) - (p - q) = q f(u)`` with ``u = (p - q) / q`` and
    ``f(u) = (1 + u) log1p(u) - u >= 0``, for finite ``p >= 0``, ``q > 0``.

    For ``|u| < 2**-4`` from the series of ``f`` (the direct formula cancels:
    ``f(u)`` is about ``u**2 / 2``); for ``1/8 < p/q < 8`` otherwise from the
    direct formula in ``np.longdouble`` where it is wider than float64 (its
    cancellation costs up to 6 bits there); elsewhere in float64.
    """
    out = np.empty(p.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        d = p - q
        u = d / q
        small = (np.abs(u) < 0.0625) & (p >= 0.5 * q)
        if np.any(small):
            us = u[small]
            f = np.full(us.shape, _F_SERIES[-1])
            for c in _F_SERIES[-2::-1]:
                f *= us
                f += c
            out[small] = q[small] * (us * us) * f
        # Outside 1/8 < p/q < 8 the two parts cancel by less than a factor 2.2:
        # float64 keeps them within an ulp or two.
        mid = ~small & (p > 0.125 * q) & (p < 8.0 * q) if _LONG is not None else np.zeros(p.shape, bool)
        rest = ~small & ~mid
        if np.any(mid):
            pl, ql = p[mid].astype(_LONG), q[mid].astype(_LONG)
            out[mid] = (pl * np.log(pl / ql) - (pl - ql)).astype(np.float64)
        if np.any(rest):
            pr, qr = p[rest], q[rest]
            t = pr * _log_ratio(pr, qr) - (pr - qr)
            out[rest] = np.where(pr == 0, qr, t)
    return out


def _kl_sum(P, Q, ax):
    """``sum p log(p / q)`` along ``ax`` as ``sum (p - q) + sum q f(u)``.

    The first sum is formed from exact differences (TwoSum) and exact partial
    sums, the second has non-negative terms (see :func:`_kl_excess`): neither
    cancels, however close ``p`` and ``q`` are, where the plain sum of
    ``p log(p / q)`` (terms of both signs, about ``|p - q|`` each, adding up to
    about ``(p - q)**2 / p``) loses most of its digits.  Rows with infinite,
    NaN or zero-``q`` entries use the plain sum of :func:`_kl_terms`.
    """
    p = np.moveaxis(P, ax, -1)
    q = np.moveaxis(Q, ax, -1)
    shape = p.shape[:-1]
    p2 = p.reshape(-1, p.shape[-1])
    q2 = q.reshape(-1, q.shape[-1])
    with np.errstate(invalid="ignore", over="ignore"):
        plain = ~np.all(np.isfinite(p2) & np.isfinite(q2) & (q2 > 0) & (q2 < 1e300) & (p2 < 1e300), axis=-1)
    out = np.empty(p2.shape[0])
    if np.any(plain):
        with np.errstate(invalid="ignore"):  # inf - inf in one distribution is NaN
            out[plain] = np.sum(_kl_terms(p2[plain], q2[plain]), axis=-1)
    good = ~plain
    if np.any(good):
        pg, qg = p2[good], q2[good]
        with np.errstate(all="ignore"):
            a_hi, a_lo = _accurate_row_sum(_kl_excess(pg, qg))
            d = pg - qg
            d_lo = _two_diff_err(pg, qg, d)
            pos_hi, pos_lo = _accurate_row_sum(np.maximum(d, 0.0))
            neg_hi, neg_lo = _accurate_row_sum(np.maximum(-d, 0.0))
            b_hi = pos_hi - neg_hi
            b_lo = _two_diff_err(pos_hi, neg_hi, b_hi) + (pos_lo - neg_lo) + np.sum(d_lo, axis=-1, keepdims=True)
            total = a_hi + b_hi
            total_lo = _two_diff_err(a_hi, -b_hi, total) + (a_lo + b_lo)
            out[good] = (total + total_lo)[:, 0]
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
    the plain sum loses most of its digits.  The reference sums instead
    ``sum (p - q)``, from exact differences, and ``sum [p log(p / q) - (p - q)]``,
    whose terms are non-negative (a series where ``p / q`` is near 1); both
    sums are compensated.  Rows with a zero, infinite or NaN entry use the
    plain sum of the terms, with ``log(p / q)`` taken as ``log1p((p - q) / q)``
    within a factor of 2 and ``log p - log q`` where ``p / q`` would overflow.

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


def kl_divergence_grad(p, q, axis=-1, base=None, wrt="p"):
    """Gradient of :func:`kl_divergence`, with respect to ``p`` (default) or ``q``.

    * ``wrt="p"``: ``(log(p / q) + 1) / ln b``; ``-inf`` where ``p = 0 < q``,
      ``+inf`` where ``q = 0 < p``, NaN where ``p = q = 0`` (undefined);
    * ``wrt="q"``: ``-p / q / ln b``; 0 where ``p = 0`` (even where ``q = 0``),
      ``-inf`` where ``p > 0 = q``.

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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if w == "p":
            g = _log_ratio_plus_one(P, Q)
            g = np.where((P == 0) & (Q == 0), np.nan, g)
        else:
            g = np.where(P == 0, 0.0, -P / np.where(P == 0, 1.0, Q))
            g = np.where(np.isnan(P) | np.isnan(Q), np.nan, g)
    return g / div

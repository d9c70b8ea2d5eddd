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
    ax = normalize_axis(axis, arr.ndim)
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
        out = np.sum(terms, axis=ax)
    return out[()] if np.ndim(out) == 0 else out


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
        return -(np.log(P) + 1.0) / div


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
    with np.errstate(divide="ignore", invalid="ignore"):
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
    Each term is computed as ``p * log1p((p - q) / q)`` when ``p`` and ``q``
    are within a factor of 2 (so nearly equal distributions keep their digits)
    and from ``log(p / q)`` or ``log p - log q`` otherwise (so ``p / q`` never
    overflows).

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
    out = _reduce(_kl_terms(P, Q), ax)
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
            g = _log_ratio(P, Q) + 1.0
            g = np.where((P == 0) & (Q == 0), np.nan, g)
        else:
            g = np.where(P == 0, 0.0, -P / np.where(P == 0, 1.0, Q))
            g = np.where(np.isnan(P) | np.isnan(Q), np.nan, g)
    return g / div

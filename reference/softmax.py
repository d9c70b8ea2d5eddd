"""Softmax and friends: ``softmax``, ``log_softmax``, ``logsumexp``, ``sigmoid``,
``log_sigmoid`` (spec page: ``docs/spec/softmax.md``).

All of them are computed from one shifted, split sum: with ``m = max_j z_j``
attained at ``j*``,

.. math::

    \\operatorname{logsumexp}(z) = m + \\operatorname{log1p}\\Big(\\sum_{j \\ne j^*} e^{z_j - m}\\Big),

so a confident row (every other logit far below the maximum) keeps the tiny
value of the sum instead of rounding ``log(1 + tiny)`` to 0.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

from .validation import as_float_array, normalize_axis

__all__ = ["softmax", "log_softmax", "logsumexp", "logsumexp_grad", "sigmoid", "log_sigmoid", "softplus"]


def _as_logits(z, axis, name="z"):
    arr = as_float_array(z, name)
    ax = normalize_axis(axis, arr.ndim)
    if arr.shape[ax] == 0:
        raise ValueError(f"{name} must have at least one class along axis {axis}, got shape {arr.shape}")
    return arr, ax


def _shifted(z: np.ndarray, ax: int):
    """Return ``(m, d, rest)`` for the stable split sum along ``ax``.

    ``m``: the row maximum (keepdims); ``d = z - m`` (0 where ``m`` is not
    finite, so that infinite rows can be finished by the callers);
    ``rest = sum_{j != j*} exp(d_j)``, the sum without one maximal term.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.max(z, axis=ax, keepdims=True)
        finite = np.isfinite(m)
        d = z - np.where(finite, m, 0.0)
        e = np.exp(np.where(finite, d, -np.inf))
        star = np.argmax(z, axis=ax)
        np.put_along_axis(e, np.expand_dims(star, ax), 0.0, axis=ax)
        rest = np.sum(e, axis=ax, keepdims=True)
    return m, d, rest, finite


def _finish(out: np.ndarray, keepdims_shape_ax: int, squeeze: bool):
    if squeeze:
        out = np.squeeze(out, axis=keepdims_shape_ax)
    return out[()] if out.ndim == 0 else out


def logsumexp(z, axis=-1):
    """Log of the sum of exponentials along ``axis``, without overflow or lost tails.

    .. math:: \\operatorname{logsumexp}(z) = \\log \\sum_j e^{z_j}

    Parameters
    ----------
    z : array_like
        Real logits; any magnitude, ``±inf`` allowed.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    float64 ndarray or numpy.float64
        ``z``'s shape without ``axis``.

    Notes
    -----
    Rows containing ``+inf`` give ``+inf``; a row of all ``-inf`` gives
    ``-inf``; NaN anywhere in a row gives NaN.

    Examples
    --------
    The naive formula overflows; the shifted one does not:

    >>> import numpy as np
    >>> from reference import logsumexp
    >>> z = np.array([1000.0, 1000.0])
    >>> bool(logsumexp(z) == 1000.0 + np.log(2.0))
    True
    >>> with np.errstate(over="ignore"):  # the naive formula overflows
    ...     naive = np.log(np.sum(np.exp(z)))
    >>> bool(np.isinf(naive))
    True

    In float64 ``logsumexp([50, 0]) = 50 + log1p(e^{-50})`` rounds to 50; the
    tiny excess survives in :func:`log_softmax`, which never forms the sum.
    """
    arr, ax = _as_logits(z, axis)
    m, d, rest, finite = _shifted(arr, ax)
    with np.errstate(invalid="ignore"):
        out = m + np.log1p(rest)
    return _finish(out, ax, True)


def log_softmax(z, axis=-1):
    """Logarithm of the softmax along ``axis``.

    .. math:: \\log \\operatorname{softmax}(z)_i = z_i - \\operatorname{logsumexp}(z)

    computed as ``(z_i - m) - log1p(rest)`` so that the maximal entry of a
    confident row is ``-log1p(tiny)`` rather than 0.

    Parameters
    ----------
    z : array_like
        Real logits; ``±inf`` allowed.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    float64 ndarray
        Same shape as ``z``.

    Notes
    -----
    If ``k >= 1`` entries of a row are ``+inf`` they each get ``-log k`` and the
    others ``-inf``. A row of all ``-inf`` is NaN (``0/0``); NaN in a row makes the
    row NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import log_softmax
    >>> float(log_softmax(np.array([0.0, 0.0]))[0]) == -float(np.log(2.0))
    True

    A confident prediction keeps its tiny loss ``log1p(e^{-50}) = 1.9287498479639178e-22``
    (the naive ``z - logsumexp(z)`` gives exactly 0):

    >>> float(-log_softmax(np.array([50.0, 0.0]))[0])
    1.9287498479639178e-22
    """
    arr, ax = _as_logits(z, axis)
    m, d, rest, finite = _shifted(arr, ax)
    with np.errstate(invalid="ignore"):
        out = d - np.log1p(rest)
        # Rows whose maximum is +inf: the +inf entries share the mass equally.
        posinf_row = np.isposinf(m)
        if np.any(posinf_row):
            k = np.sum(np.isposinf(arr), axis=ax, keepdims=True)
            inf_rows = np.where(np.isposinf(arr), -np.log(np.maximum(k, 1)), -np.inf)
            out = np.where(posinf_row & ~np.any(np.isnan(arr), axis=ax, keepdims=True), inf_rows, out)
        # Rows of all -inf are 0/0; NaN anywhere makes the whole row NaN.
        out = np.where(np.isneginf(m) | np.isnan(m), np.nan, out)
    return out


def softmax(z, axis=-1):
    """Softmax along ``axis``: non-negative entries that sum to one.

    .. math:: \\operatorname{softmax}(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}

    Parameters
    ----------
    z : array_like
        Real logits; ``±inf`` allowed.
    axis : int, optional
        The class axis (default: the last).

    Returns
    -------
    float64 ndarray
        Same shape as ``z``.

    Notes
    -----
    Computed as ``exp(z_i - m) / (1 + rest)``. Rows with ``k`` entries ``+inf``
    give ``1/k`` on them and 0 elsewhere; a row of all ``-inf`` is NaN.

    Examples
    --------
    The first source document perturbs the logits ``log([0.03, 0.05, 0.8, 0.1, 0.02])``
    by ``+0.4`` on classes 0 and 1 and ``+0.3`` on classes 3 and 4:

    >>> import numpy as np
    >>> from reference import softmax
    >>> logits = np.log([0.03, 0.05, 0.8, 0.1, 0.02]) + [0.4, 0.4, 0.0, 0.3, 0.3]
    >>> softmax(logits).round(8)
    array([0.04138864, 0.06898107, 0.73983032, 0.12483331, 0.02496666])
    """
    arr, ax = _as_logits(z, axis)
    m, d, rest, finite = _shifted(arr, ax)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.exp(np.where(finite, d, -np.inf)) / (1.0 + rest)
        posinf_row = np.isposinf(m)
        if np.any(posinf_row):
            pos = np.isposinf(arr)
            k = np.sum(pos, axis=ax, keepdims=True)
            share = np.where(pos, 1.0 / np.maximum(k, 1), 0.0)
            out = np.where(posinf_row & ~np.any(np.isnan(arr), axis=ax, keepdims=True), share, out)
        out = np.where(np.isneginf(m), np.nan, out)
        out = np.where(np.isnan(m), np.nan, out)
    return out


def logsumexp_grad(z, axis=-1):
    """Gradient of :func:`logsumexp` with respect to ``z``: ``softmax(z)``.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import logsumexp_grad
    >>> logsumexp_grad(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    return softmax(z, axis=axis)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, element-wise, without overflow.

    Examples
    --------
    >>> from reference import sigmoid
    >>> float(sigmoid(0.0))
    0.5
    >>> float(sigmoid(-800.0))  # exp(800) would overflow in the naive form
    0.0
    """
    arr = as_float_array(x, "x")
    out = _sp.expit(arr)
    return out[()] if np.ndim(out) == 0 else out


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, element-wise, accurate in both tails.

    Examples
    --------
    >>> from reference import log_sigmoid
    >>> float(log_sigmoid(-800.0))  # the naive log(sigmoid(-800)) is log(0) = -inf
    -800.0
    """
    arr = as_float_array(x, "x")
    out = _sp.log_expit(arr)
    return out[()] if np.ndim(out) == 0 else out


def softplus(x):
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, element-wise."""
    arr = as_float_array(x, "x")
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.maximum(arr, 0.0) + np.log1p(np.exp(-np.abs(arr)))
    return out[()] if np.ndim(out) == 0 else out

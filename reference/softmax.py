"""Softmax and friends: ``softmax``, ``log_softmax``, ``logsumexp``, ``sigmoid``,
``log_sigmoid`` (spec page: ``docs/spec/softmax.md``).

All of them are computed from one shifted, split sum: with ``m = max_j z_j``
attained at ``j*``,

.. math::

    \\operatorname{logsumexp}(z) = m + \\operatorname{log1p}\\Big(\\sum_{j \\ne j^*} e^{z_j - m}\\Big),

so a confident row (every other logit far below the maximum) keeps the tiny
value of the sum instead of rounding ``log(1 + tiny)`` to 0.

Accuracy (``docs/accuracy.md``): ``z - m`` is carried exactly (its rounding
error ``lo`` from TwoSum, ``exp(z - m) = exp(d) (1 + lo)``), the row sum adds
no rounding of its own, and ``1 + rest`` and ``log1p(rest)`` are held as pairs,
so ``softmax``, ``log_softmax`` and ``logsumexp`` are within 2 ulps of the
exact values on the accuracy corpus.  The work is done in cache-sized blocks
of rows, where the extra passes are cheap.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

from ._eft import _BLOCK, _LONG, _as_logits, _shifted, _softmax_kernel
from .reductions import apply_cotangent
from .validation import as_float_array, check_cotangent

__all__ = ["softmax", "log_softmax", "logsumexp", "logsumexp_grad", "sigmoid", "log_sigmoid", "softplus"]


def _blockwise(kernel, arr, ax, width=None):
    """Run ``kernel(rows, out)`` over blocks of rows of ``arr`` with the class
    axis ``ax`` moved last; ``out`` has ``width`` columns (default: as many as
    ``arr`` has classes).  Returns the result with the class axis back at
    ``ax``."""
    z = np.moveaxis(arr, ax, -1)
    c = z.shape[-1]
    z2 = z.reshape(-1, c)
    w = c if width is None else width
    out = np.empty((z2.shape[0], w))
    step = max(1, _BLOCK // c)
    for i in range(0, z2.shape[0], step):
        kernel(z2[i:i + step], out[i:i + step])
    return np.moveaxis(out.reshape(z.shape[:-1] + (w,)), -1, ax)


def _log1p_pair(hi, lo):
    """``log1p(hi + lo)`` per row as a pair ``(L_hi, L_lo)`` of float64.

    In ``np.longdouble`` where it is wider than float64 (one value per row:
    cheap); otherwise ``log1p(hi)`` with the first-order term of ``lo``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        if _LONG is not None:
            ll = np.log1p(hi.astype(_LONG) + lo)
            l_hi = ll.astype(np.float64)
            l_lo = (ll - l_hi).astype(np.float64)
        else:
            l_hi = np.log1p(hi)
            l_lo = lo / (1.0 + hi)
        l_lo = np.where(np.isfinite(l_lo), l_lo, 0.0)
    return l_hi, l_lo


def _log_softmax_kernel(z, out):
    """``(d + lo) - log1p(rest)`` for the rows of ``z``, into ``out``."""
    m, d, lo, e, rest, star, clean = _shifted(z)
    with np.errstate(invalid="ignore"):
        l_hi, l_lo = _log1p_pair(*rest)
        np.subtract(d, l_hi, out=out)
        lo -= l_lo
        out += lo  # (z - m) - log1p(rest), both parts exact to ~2**-100
        if clean:
            return
        # Rows whose maximum is +inf: the +inf entries share the mass equally.
        posinf_row = np.isposinf(m)
        if np.any(posinf_row):
            k = np.sum(np.isposinf(z), axis=-1, keepdims=True)
            inf_rows = np.where(np.isposinf(z), -np.log(np.maximum(k, 1)), -np.inf)
            out[...] = np.where(posinf_row & ~np.any(np.isnan(z), axis=-1, keepdims=True), inf_rows, out)
        # Rows of all -inf are 0/0; NaN anywhere makes the whole row NaN.
        out[...] = np.where(np.isneginf(m) | np.isnan(m), np.nan, out)


def _logsumexp_kernel(z, out):
    """``m + log1p(rest)`` for the rows of ``z``, into ``out`` (rows x 1).

    Where ``m < 0`` and ``log1p(rest)`` nearly cancels it, the rounding of
    ``exp`` and ``log1p`` (relative to ``log1p(rest)``) is large relative to the
    result: those rows are recomputed in extended precision when
    ``np.longdouble`` has a wider significand than float64.
    """
    m, d, lo, e, rest, star, clean = _shifted(z)
    with np.errstate(invalid="ignore"):
        l_hi, l_lo = _log1p_pair(*rest)
        np.add(m, l_hi, out=out)
        out += l_lo
        if _LONG is None:
            return
        redo = np.isfinite(out[:, 0]) & (np.abs(out[:, 0]) < 0.5 * np.abs(m[:, 0]))
        if np.any(redo):
            out[redo] = _logsumexp_extended(z[redo])


def _logsumexp_extended(z):
    """``logsumexp`` of finite rows in ``np.longdouble`` (rows x 1, float64)."""
    zl = z.astype(_LONG)
    m = np.max(zl, axis=-1, keepdims=True)
    e = np.exp(zl - m)
    np.put_along_axis(e, np.argmax(zl, axis=-1)[:, None], 0.0, axis=-1)
    return (m + np.log1p(np.sum(e, axis=-1, keepdims=True))).astype(np.float64)


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
    return _finish(_blockwise(_logsumexp_kernel, arr, ax, width=1), ax, True)


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
    return _blockwise(_log_softmax_kernel, arr, ax)


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
    return _blockwise(_softmax_kernel, arr, ax)


def logsumexp_grad(z, axis=-1, *, cotangent=None):
    """Gradient of :func:`logsumexp` with respect to ``z``: ``softmax(z)``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per row (the shape of ``z``
        without ``axis``; a number for 1-d input). ``None`` (the default) means ones. The
        function returns the vector-Jacobian product, the gradient of ``sum(cotangent *
        logsumexp(...))``: each sample's gradient times its own entry. An entry of 0 gives 0
        even where that gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import logsumexp_grad
    >>> logsumexp_grad(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    arr, ax = _as_logits(z, axis)
    out = arr.shape[:ax] + arr.shape[ax + 1:]
    cot = check_cotangent(cotangent, out, "one value per row" if out else "a scalar: one row")
    return apply_cotangent(softmax(arr, axis=ax), cot, ax)


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

"""Regression losses: ``mean_absolute_error``, ``mean_squared_error``,
``root_mean_squared_error``, ``huber_loss``, ``smooth_l1_loss`` and their
gradients (spec page: ``docs/spec/regression.md``; reductions:
``docs/spec/reductions.md``).

Every loss is element-wise in the error ``d = pred - target``: each element is
a sample of weight 1, so ``"mean"`` divides by the number of elements.
``root_mean_squared_error`` takes the root of the mean over all elements and
has no ``reduction``.  Valid input at any magnitude emits no ``RuntimeWarning``;
NaN in gives NaN out.
"""

from __future__ import annotations

import numpy as np

from .reductions import apply_cotangent, as_result, reduce_loss, reduced_shape, reduced_what, reduction_scale
from .validation import as_float_array, check_cotangent, check_real_scalar, check_reduction, check_same_shape

__all__ = [
    "mean_absolute_error",
    "mean_absolute_error_grad",
    "mean_squared_error",
    "mean_squared_error_grad",
    "root_mean_squared_error",
    "root_mean_squared_error_grad",
    "huber_loss",
    "huber_loss_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_grad",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _error(pred, target):
    """Validated ``d = pred - target`` (``inf`` where the difference overflows)."""
    x = as_float_array(pred, "pred")
    y = as_float_array(target, "target")
    check_same_shape(y, "target", x.shape, "the shape of pred")
    with np.errstate(over="ignore", invalid="ignore"):
        return x - y


def _cotangent(cotangent, shape, reduction):
    """The validated cotangent of an element-wise loss of ``shape``."""
    return check_cotangent(cotangent, reduced_shape(shape, reduction), reduced_what(reduction))


def _grad(per_element, reduction, cot=None):
    with np.errstate(all="ignore"):
        g = as_result(per_element * reduction_scale(per_element.shape, None, reduction) + 0.0)
    return apply_cotangent(g, cot)


def _check_delta(delta):
    v = check_real_scalar(delta, "delta")
    if not (v > 0 and np.isfinite(v)):
        raise ValueError(f"delta must be a finite number > 0, got {delta!r}")
    return v


def _check_beta(beta):
    v = check_real_scalar(beta, "beta")
    if not (v >= 0 and np.isfinite(v)):
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
    return v


# ---------------------------------------------------------------------------
# mean absolute error
# ---------------------------------------------------------------------------

def mean_absolute_error(pred, target, *, reduction="mean"):
    r"""Absolute error ``|pred - target|``, element by element, then reduced.

    .. math:: l_n = |\hat y_n - y_n|

    Parameters
    ----------
    pred, target : array_like
        Predictions and targets of the same shape.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` divides the sum by the number of elements (NaN for none).

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``target`` of a shape other than ``pred``'s; unknown ``reduction``.
    TypeError
        Non-numeric input.

    Notes
    -----
    A difference that overflows (``1e308 - (-1e308)``) is ``+inf``, its exact
    value rounded; no warning is emitted.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import mean_absolute_error
    >>> float(mean_absolute_error(np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])))  # (1 + 0 + 3) / 3
    1.3333333333333333
    """
    d = _error(pred, target)
    check_reduction(reduction)
    return reduce_loss(np.abs(d), None, reduction)


def mean_absolute_error_grad(pred, target, *, reduction="mean", cotangent=None):
    r"""Gradient of :func:`mean_absolute_error` with respect to ``pred``:
    ``sign(d)`` with the subgradient ``sign(0) = 0``, times ``1/N`` for ``"mean"``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * mean_absolute_error(...))``: each sample's
        gradient times its own entry. An entry of 0 gives 0 even where that gradient is
        infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import mean_absolute_error_grad
    >>> mean_absolute_error_grad(np.array([3.0, 1.0, 0.0]), np.array([1.0, 1.0, 2.0]), reduction="none")
    array([ 1.,  0., -1.])
    """
    d = _error(pred, target)
    check_reduction(reduction)
    cot = _cotangent(cotangent, d.shape, reduction)
    return _grad(np.sign(d), reduction, cot)


# ---------------------------------------------------------------------------
# mean squared error
# ---------------------------------------------------------------------------

def mean_squared_error(pred, target, *, reduction="mean"):
    r"""Squared error ``(pred - target)**2``, element by element, then reduced.

    .. math:: l_n = (\hat y_n - y_n)^2

    Parameters
    ----------
    pred, target : array_like
        Predictions and targets of the same shape.
    reduction : {"mean", "sum", "none"}, optional

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        Shapes that differ (naming ``target``); unknown ``reduction``.

    Notes
    -----
    ``d**2`` overflows to ``+inf`` for ``|d| > ~1.34e154``; that is the rounded
    exact value and no warning is emitted.  There is no factor ``1/2`` (optax's
    ``l2_loss`` has one).

    Examples
    --------
    >>> import numpy as np
    >>> from reference import mean_squared_error
    >>> float(mean_squared_error(np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 1.0])))  # (1 + 0 + 9) / 3
    3.3333333333333335
    >>> float(mean_squared_error(np.array([1e300]), np.array([0.0])))
    inf
    """
    d = _error(pred, target)
    check_reduction(reduction)
    with np.errstate(over="ignore"):
        sq = d * d
    return reduce_loss(sq, None, reduction)


def mean_squared_error_grad(pred, target, *, reduction="mean", cotangent=None):
    r"""Gradient of :func:`mean_squared_error` with respect to ``pred``: ``2 d``,
    times ``1/N`` for ``"mean"`` (computed as ``d * (2/N)``).

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * mean_squared_error(...))``: each sample's gradient
        times its own entry. An entry of 0 gives 0 even where that gradient is infinite; NaN
        propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import mean_squared_error_grad
    >>> mean_squared_error_grad(np.array([3.0, 1.0]), np.array([1.0, 2.0]))  # 2 d / 2
    array([ 2., -1.])
    """
    d = _error(pred, target)
    check_reduction(reduction)
    cot = _cotangent(cotangent, d.shape, reduction)
    with np.errstate(all="ignore"):
        scale = 2.0 * reduction_scale(d.shape, None, reduction)
        g = as_result(d * scale + 0.0)
    return apply_cotangent(g, cot)


# ---------------------------------------------------------------------------
# root mean squared error
# ---------------------------------------------------------------------------

def _scaled_error(pred, target):
    """``(e, f)`` with ``d = f * e`` and ``e`` finite wherever ``d`` is
    representable: ``f = 2`` and ``e = pred/2 - target/2`` when a difference of
    finite numbers overflows, else ``f = 1``, ``e = d``."""
    d = _error(pred, target)
    x = as_float_array(pred, "pred")
    y = as_float_array(target, "target")
    if np.any(np.isinf(d) & np.isfinite(x) & np.isfinite(y)):
        return 0.5 * x - 0.5 * y, 2.0
    return d, 1.0


def _rmse_parts(e):
    """``(s, r)`` with ``rmse = s * r`` (before the factor ``f``): ``s = max |e|``
    and ``r = sqrt(mean((e/s)**2))``."""
    a = np.abs(e)
    if a.size == 0:
        return np.nan, np.nan
    if np.any(np.isnan(a)):
        return np.nan, np.nan
    s = float(np.max(a))
    if s == 0.0 or np.isinf(s):
        return s, 1.0
    q = a / s
    return s, float(np.sqrt(np.mean(q * q)))


def root_mean_squared_error(pred, target):
    r"""Root of the mean squared error over all elements.

    .. math:: \operatorname{RMSE} = \sqrt{\frac{1}{N}\sum_{n=1}^{N} (\hat y_n - y_n)^2}

    The root is taken of the whole mean (the third source document writes
    ``sqrt(1/N)`` times the sum, which is wrong).

    Parameters
    ----------
    pred, target : array_like
        Predictions and targets of the same shape; ``N`` is the number of elements.

    Returns
    -------
    numpy.float64
        NaN for no elements or any NaN; ``+inf`` if an error is infinite.

    Raises
    ------
    ValueError
        Shapes that differ (naming ``target``).

    Notes
    -----
    Computed as ``s * sqrt(mean((d/s)**2))`` with ``s = max |d|``, so the result
    does not overflow or underflow when it is representable.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import root_mean_squared_error
    >>> float(root_mean_squared_error(np.array([3.0, -3.0]), np.array([0.0, 1.0])))  # sqrt((9 + 16) / 2)
    3.5355339059327378
    >>> r = root_mean_squared_error(np.array([3e200, 4e200]), np.array([0.0, 0.0]))  # naive: inf
    >>> bool(abs(r / (np.sqrt(12.5) * 1e200) - 1) < 1e-15)
    True
    """
    e, f = _scaled_error(pred, target)
    s, r = _rmse_parts(e)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.float64(f * (s * r))


def root_mean_squared_error_grad(pred, target, *, cotangent=None):
    r"""Gradient of :func:`root_mean_squared_error` with respect to ``pred``.

    .. math:: \frac{\partial\,\operatorname{RMSE}}{\partial \hat y_n} = \frac{d_n}{N \cdot \operatorname{RMSE}}

    0 everywhere when ``RMSE = 0`` (a subgradient); computed as
    ``(d/s) / (N r)`` so that it never overflows.  When an error is infinite
    the finite elements get 0 and the infinite ones NaN (``inf/inf``).

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient: a number (the result is a scalar). ``None`` (the default) means
        ones. The function returns the vector-Jacobian product, the gradient of
        ``sum(cotangent * root_mean_squared_error(...))``: each sample's gradient times its
        own entry. An entry of 0 gives 0 even where that gradient is infinite; NaN
        propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import root_mean_squared_error_grad
    >>> root_mean_squared_error_grad(np.array([3.0, 4.0]), np.array([0.0, 0.0]))  # d / (2 * sqrt(12.5))
    array([0.42426407, 0.56568542])
    """
    e, _ = _scaled_error(pred, target)
    cot = check_cotangent(cotangent, (), "a scalar: the root of the mean over all elements")
    s, r = _rmse_parts(e)
    n = e.size
    with np.errstate(all="ignore"):
        if s == 0.0:
            return apply_cotangent(as_result(np.zeros_like(e)), cot)
        return apply_cotangent(as_result((e / s) / (n * r) + 0.0), cot)


# ---------------------------------------------------------------------------
# Huber and smooth L1
# ---------------------------------------------------------------------------

def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    r"""Huber loss, element by element, then reduced.

    .. math::

        l_n = \begin{cases} \tfrac12 d_n^2 & |d_n| \le \delta \\
        \delta\,(|d_n| - \tfrac12 \delta) & |d_n| > \delta \end{cases}

    Parameters
    ----------
    pred, target : array_like
        Predictions and targets of the same shape.
    delta : float, optional
        A finite ``delta > 0`` (default 1).
    reduction : {"mean", "sum", "none"}, optional

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        Shapes that differ, ``delta <= 0`` or not finite, unknown ``reduction``.

    Notes
    -----
    ``huber_loss(p, t, delta=b) == b * smooth_l1_loss(p, t, beta=b)`` (PyTorch's
    ``HuberLoss`` and ``SmoothL1Loss`` differ by exactly this factor).

    Examples
    --------
    >>> import numpy as np
    >>> from reference import huber_loss
    >>> huber_loss(np.array([0.5, 3.0, -2.0]), np.zeros(3), reduction="none")  # 0.125, 3 - 0.5, 2 - 0.5
    array([0.125, 2.5  , 1.5  ])
    """
    d = _error(pred, target)
    b = _check_delta(delta)
    check_reduction(reduction)
    with np.errstate(over="ignore", invalid="ignore"):
        # Both branches at once: with c = min(|d|, delta), c (|d| - c/2) is
        # 0.5 d d inside (|d| - |d|/2 is exact) and delta (|d| - delta/2)
        # outside, rounded as either branch alone; no selection pass.
        vals = np.abs(d)
        c = np.minimum(vals, b)
        vals -= 0.5 * c
        vals *= c
    return reduce_loss(vals, None, reduction)


def huber_loss_grad(pred, target, *, delta=1.0, reduction="mean", cotangent=None):
    r"""Gradient of :func:`huber_loss` with respect to ``pred``:
    ``clip(d, -delta, delta)``, times ``1/N`` for ``"mean"``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * huber_loss(...))``: each sample's gradient times
        its own entry. An entry of 0 gives 0 even where that gradient is infinite; NaN
        propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import huber_loss_grad
    >>> huber_loss_grad(np.array([0.5, 3.0, -2.0]), np.zeros(3), delta=1.5, reduction="sum")
    array([ 0.5,  1.5, -1.5])
    """
    d = _error(pred, target)
    b = _check_delta(delta)
    check_reduction(reduction)
    cot = _cotangent(cotangent, d.shape, reduction)
    return _grad(np.clip(d, -b, b), reduction, cot)


def smooth_l1_loss(pred, target, *, beta=1.0, reduction="mean"):
    r"""Smooth L1 loss, element by element, then reduced.

    .. math::

        l_n = \begin{cases} \tfrac12 d_n^2 / \beta & |d_n| < \beta \\
        |d_n| - \tfrac12 \beta & |d_n| \ge \beta \end{cases}

    ``beta = 0`` gives the absolute error.

    Parameters
    ----------
    pred, target : array_like
        Predictions and targets of the same shape.
    beta : float, optional
        A finite ``beta >= 0`` (default 1).
    reduction : {"mean", "sum", "none"}, optional

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        Shapes that differ, ``beta < 0`` or not finite, unknown ``reduction``.

    Notes
    -----
    The quadratic branch is computed as ``0.5 * d * (d / beta)``: ``d / beta``
    lies in ``(-1, 1)`` there, so a tiny ``beta`` neither overflows nor loses
    ``d**2`` to underflow.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import smooth_l1_loss
    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none")  # 0.125, 3 - 0.5
    array([0.125, 2.5  ])
    """
    d = _error(pred, target)
    b = _check_beta(beta)
    check_reduction(reduction)
    a = np.abs(d)
    inside = a < b
    with np.errstate(all="ignore"):
        quad = 0.5 * d * (d / b) if b > 0 else np.zeros_like(d)
        vals = np.where(inside, quad, a - 0.5 * b)
    return reduce_loss(vals, None, reduction)


def smooth_l1_loss_grad(pred, target, *, beta=1.0, reduction="mean", cotangent=None):
    r"""Gradient of :func:`smooth_l1_loss` with respect to ``pred``: ``d / beta``
    where ``|d| < beta``, ``sign(d)`` elsewhere (``sign(0) = 0``, so
    ``beta = 0`` gives ``sign(d)``), times ``1/N`` for ``"mean"``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * smooth_l1_loss(...))``: each sample's gradient
        times its own entry. An entry of 0 gives 0 even where that gradient is infinite; NaN
        propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import smooth_l1_loss_grad
    >>> smooth_l1_loss_grad(np.array([0.5, 3.0, 0.0]), np.zeros(3), beta=2.0, reduction="none")
    array([0.25, 1.  , 0.  ])
    """
    d = _error(pred, target)
    b = _check_beta(beta)
    check_reduction(reduction)
    cot = _cotangent(cotangent, d.shape, reduction)
    with np.errstate(all="ignore"):
        inner = d / b if b > 0 else np.zeros_like(d)
        g = np.where(np.abs(d) < b, inner, np.sign(d))
    return _grad(g, reduction, cot)

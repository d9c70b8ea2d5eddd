"""Focal losses: ``focal_loss`` (softmax form), ``sigmoid_focal_loss`` (the
RetinaNet form) and their gradients (spec page: ``docs/spec/focal.md``).

Both down-weight well-classified examples by the modulating factor
``(1 - p_t)**gamma``.  ``alpha`` is a balancing factor inside the loss, not a
sample weight: ``w_n = 1``, so ``"mean"`` is the plain mean (over samples for
``focal_loss``, over elements for ``sigmoid_focal_loss``).

``1 - p`` is never formed by subtraction: ``1 - softmax(z)_c = -expm1(log_softmax(z)_c)``
and ``1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x)``, so confident predictions keep
their tiny losses.  ``0**0 = 1``: ``gamma = 0`` gives back cross entropy exactly.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._eft import _accurate_row_sum, _logit_terms
from .reductions import (
    apply_cotangent, as_result, reduce_loss, reduced_shape, reduced_what, reduction_scale, weighted,
)
from .softmax import log_softmax, sigmoid, softmax
from .validation import (
    as_float_array,
    as_int_array,
    check_class_indices,
    check_cotangent,
    check_in_range,
    check_probability_target,
    check_real_scalar,
    check_reduction,
    check_same_shape,
    check_unit_interval,
    is_integer_array,
    normalize_axis,
)

__all__ = [
    "focal_loss",
    "focal_loss_grad",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_grad",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _check_gamma(gamma) -> float:
    g = check_real_scalar(gamma, "gamma")
    if not (g >= 0 and np.isfinite(g)):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    return g


def _is_scalar(value) -> bool:
    """A single value (booleans included, so that they are rejected as numbers)."""
    if isinstance(value, (numbers.Real, np.floating, np.integer, np.bool_)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0


# ---------------------------------------------------------------------------
# softmax focal loss
# ---------------------------------------------------------------------------

def _focal_setup(logits, target, axis, gamma, alpha, reduction):
    """Return ``(z, ax, g, coef, idx)``: logits with the class axis last, ``gamma``
    and ``coef = alpha * t`` (class axis last).  For index targets ``idx`` holds
    the classes and ``coef`` is ``alpha[idx]`` alone (shape ``(..., 1)``): the
    other classes have coefficient 0, so the callers read the target's entry
    only.  Otherwise ``idx`` is ``None``."""
    arr = as_float_array(logits, "logits")
    ax = normalize_axis(axis, arr.ndim, array_name="logits")
    n_classes = arr.shape[ax]
    if n_classes == 0:
        raise ValueError(f"logits must have at least one class along axis {axis}, got shape {arr.shape}")
    z = np.moveaxis(arr, ax, -1)
    check_reduction(reduction)
    g = _check_gamma(gamma)
    if alpha is None:
        a = np.ones(n_classes)
    elif _is_scalar(alpha):
        a = np.full(n_classes, check_in_range(alpha, "alpha", 0.0, 1.0))
    else:
        a = as_float_array(alpha, "alpha")
        if a.shape != (n_classes,):
            raise ValueError(
                f"alpha must be a number in [0, 1] or have shape ({n_classes},) "
                f"(one weight per class), got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError("alpha (one weight per class) must hold finite, non-negative numbers")
    if target is not None and is_integer_array(target):
        t = as_int_array(target, "target")
        check_same_shape(t, "target", z.shape[:-1],
                         "integer class indices: the shape of logits without the class axis")
        check_class_indices(t, n_classes, None)
        return z, ax, g, a[t][..., None], t
    else:
        yy = as_float_array(target, "target")
        check_probability_target(yy, arr.shape, "logits", ax, np.asarray(target).dtype)
        yy = np.moveaxis(yy, ax, -1)
        check_unit_interval(yy, "target")
        y = yy
    return z, ax, g, y * a, None


def _one_minus_p(logp):
    """``1 - p = -expm1(log p)``: exact near ``p = 1``."""
    with np.errstate(invalid="ignore"):
        return -np.expm1(logp)


def focal_loss(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean"):
    r"""Softmax focal loss (Lin et al., 2017) with index or probability targets.

    .. math::

        l_n = -\sum_c t_{nc}\, \alpha_c\, (1 - p_{nc})^\gamma \log p_{nc},
        \qquad p_n = \operatorname{softmax}(z_n)

    For an index target this is ``-alpha_t (1 - p_t)^gamma log p_t`` with
    ``p_t`` the probability of the target class.

    Parameters
    ----------
    logits : array_like
        Real logits, any magnitude, ``±inf`` allowed; the class axis is ``axis``.
    target : array_like
        Integer class indices (integer dtype, the shape of ``logits`` without
        ``axis``) or class probabilities in ``[0, 1]`` (floating, the shape of
        ``logits``).
    axis : int, optional
        The class axis (default: the last).
    gamma : float, optional
        The focusing parameter, a finite ``gamma >= 0`` (default 2).
        ``gamma = 0`` is softmax cross entropy (``0**0 = 1``).
    alpha : float or array_like, optional
        ``None`` (every ``alpha_c = 1``), a number in ``[0, 1]`` used for every
        class, or ``C`` finite non-negative class factors.
    reduction : {"mean", "sum", "none"}, optional
        ``w_n = 1``: ``"mean"`` is the plain mean over samples.

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``gamma < 0``, scalar ``alpha`` outside ``[0, 1]``, ``alpha`` of the wrong
        shape or negative, wrong target shape, class index out of range,
        probability target outside ``[0, 1]``, unknown ``reduction``.
    TypeError
        Non-numeric input.

    Notes
    -----
    ``1 - p_c`` is computed as ``-expm1(log_softmax(z)_c)``: the subtraction
    ``1 - softmax(z)_c`` would round to 0 for a confident prediction and lose
    the loss entirely.  A zero coefficient ``t_c alpha_c (1 - p_c)^gamma``
    silences ``log p_c = -inf``.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for
       Dense Object Detection", ICCV 2017.

    Examples
    --------
    Two equal logits: ``p_t = 1/2``, so the loss is ``(1/2)**2 log 2``:

    >>> import numpy as np
    >>> from reference import focal_loss
    >>> float(focal_loss(np.zeros((1, 2)), np.array([0]))) == 0.25 * float(np.log(2.0))
    True

    ``gamma = 0`` is cross entropy; a confident prediction (logit 40 against 0) keeps its
    tiny loss, ``(1 - p_t)^2 log(1/p_t) ≈ e^{-120}``, where ``1 - softmax`` would give 0:

    >>> float(focal_loss(np.array([[40.0, 0.0]]), np.array([0]), gamma=0.0)) == float(np.log1p(np.exp(-40.0)))
    True
    >>> 0 < float(focal_loss(np.array([[40.0, 0.0]]), np.array([0]))) < 1e-51
    True
    """
    z, ax, g, coef, idx = _focal_setup(logits, target, axis, gamma, alpha, reduction)
    logp = log_softmax(z, axis=-1) if z.size else z
    if idx is not None:  # a NaN in a row makes all of its log_softmax NaN, this entry included
        logp = np.take_along_axis(logp, idx[..., None], axis=-1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mod = np.power(_one_minus_p(logp), g)
        per = -np.sum(weighted(coef * mod, logp), axis=-1) + 0.0
    return reduce_loss(per, None, reduction)


def focal_loss_grad(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction="mean", cotangent=None):
    r"""Gradient of :func:`focal_loss` with respect to ``logits``.

    With ``p = softmax(z)``, ``q_c = 1 - p_c`` and
    ``g_c = alpha_c t_c q_c^gamma (gamma s_c - 1)``, ``s_c = p_c log p_c / q_c``
    (``s_c = -1`` at ``p_c = 1``, ``0`` at ``p_c = 0``):

    .. math:: \frac{\partial l_n}{\partial z_{nk}} = g_{nk} - p_{nk} \sum_c g_{nc}

    times the reduction scale (``1/N`` for ``"mean"``).  With ``gamma = 0`` it is
    ``p sum(alpha t) - alpha t`` (cross entropy's gradient).

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per sample (the shape of the
        first argument without the class axis) with ``reduction="none"``, a number for
        ``"sum"`` and ``"mean"``. ``None`` (the default) means ones. The function returns
        the vector-Jacobian product, the gradient of ``sum(cotangent * focal_loss(...))``:
        each sample's gradient times its own entry. An entry of 0 gives 0 even where that
        gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import focal_loss_grad
    >>> focal_loss_grad(np.zeros((1, 2)), np.array([0]), gamma=0.0)
    array([[-0.5,  0.5]])
    """
    z, ax, g, coef, idx = _focal_setup(logits, target, axis, gamma, alpha, reduction)
    cot = check_cotangent(cotangent, reduced_shape(z.shape[:-1], reduction), reduced_what(reduction))
    if z.size == 0:
        return np.moveaxis(apply_cotangent(np.zeros(z.shape), cot, -1), -1, ax)
    logp = log_softmax(z, axis=-1)
    p_all = p = softmax(z, axis=-1)
    if idx is not None:  # g_c is 0 off the target: compute it at the target only
        at = idx[..., None]
        logp, p = np.take_along_axis(logp, at, axis=-1), np.take_along_axis(p, at, axis=-1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        q = _one_minus_p(logp)
        plogp = weighted(p, logp)
        s = np.where(q == 0, -1.0, plogp / np.where(q == 0, 1.0, q))
        s = np.where(np.isnan(q) | np.isnan(p), np.nan, s)
        gc = weighted(coef, np.power(q, g) * (g * s - 1.0))
        if idx is None:
            grad = gc - p * np.sum(gc, axis=-1, keepdims=True)
            # At the maximal class p may be 1 - 1e-300 and gc - p sum(gc) cancel:
            # there it is gc (1 - p) - p (sum of the others' gc), every gc <= 0.
            star = np.argmax(p, axis=-1)[..., None]
            flat = -gc.reshape(-1, gc.shape[-1])
            if flat.size and float(np.min(flat)) >= 0.0 and float(np.max(flat)) < np.inf:
                t_hi, t_lo = _accurate_row_sum(flat)
                g_s, p_s, q_s = (np.take_along_axis(a, star, axis=-1) for a in (gc, p, q))
                others = -((t_hi.reshape(g_s.shape) + g_s) + t_lo.reshape(g_s.shape))
                fixed = np.where(q_s < 0.5, g_s * q_s - p_s * others, np.take_along_axis(grad, star, axis=-1))
                np.put_along_axis(grad, star, fixed, axis=-1)
        else:  # g - p sum(g), with the sum g_t: -p g_t off the target, g_t (1 - p_t) at it
            grad = p_all
            grad *= -gc
            np.put_along_axis(grad, at, gc * q, axis=-1)
        scale = reduction_scale(z.shape[:-1], None, reduction)
        grad = grad * scale + 0.0
    return np.moveaxis(apply_cotangent(grad, cot, -1), -1, ax)


# ---------------------------------------------------------------------------
# sigmoid focal loss (RetinaNet)
# ---------------------------------------------------------------------------

def _sfocal_setup(logits, target, gamma, alpha, reduction):
    x = as_float_array(logits, "logits")
    y = as_float_array(target, "target")
    check_same_shape(y, "target", x.shape, "the shape of logits")
    check_unit_interval(y, "target")
    check_reduction(reduction)
    g = _check_gamma(gamma)
    if alpha is None:
        alpha_t = None
    else:
        if not _is_scalar(alpha):
            raise TypeError(f"alpha must be None or a number in [0, 1], got {alpha!r}")
        a = check_in_range(alpha, "alpha", 0.0, 1.0)
        alpha_t = a * y + (1.0 - a) * (1.0 - y)
    return x, y, g, alpha_t


def _sfocal_parts(x, y):
    """``ce`` (sigmoid BCE) and ``m = 1 - p_t``, both without cancellation, and
    ``sigmoid(x)``, ``sigmoid(-x)`` for the gradient."""
    with np.errstate(invalid="ignore"):
        ce = _logit_terms(x, y, y)
        sp, sn = sigmoid(x), sigmoid(-x)
        m = y * sn + (1.0 - y) * sp
    return np.asarray(ce, dtype=np.float64), np.asarray(m, dtype=np.float64), sp, sn


def sigmoid_focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    r"""Sigmoid focal loss, the RetinaNet form (as in torchvision), element-wise.

    .. math::

        l = \alpha_t\, (1 - p_t)^\gamma\, \mathrm{ce}, \qquad
        \mathrm{ce} = y \operatorname{softplus}(-x) + (1 - y) \operatorname{softplus}(x)

    with ``p = sigmoid(x)``, ``p_t = p y + (1 - p)(1 - y)`` and
    ``alpha_t = alpha y + (1 - alpha)(1 - y)`` (``alpha_t = 1`` when ``alpha`` is
    ``None``).

    Parameters
    ----------
    logits : array_like
        Real logits, any magnitude, ``±inf`` allowed.
    target : array_like
        Targets in ``[0, 1]``, the shape of ``logits``.
    gamma : float, optional
        A finite ``gamma >= 0`` (default 2); ``gamma = 0`` with ``alpha=None`` is
        :func:`~reference.sigmoid_binary_cross_entropy`.
    alpha : float, optional
        ``None`` or a number in ``[0, 1]``.  (torchvision's default is 0.25; the
        spec's default is ``None``.)
    reduction : {"mean", "sum", "none"}, optional
        ``w_n = 1``: ``"mean"`` is the plain mean over elements.

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``gamma < 0``, ``alpha`` outside ``[0, 1]``, shapes that differ, target
        outside ``[0, 1]``, unknown ``reduction``.
    TypeError
        Non-numeric input, or a non-scalar ``alpha``.

    Notes
    -----
    ``1 - p_t`` is computed as ``y sigmoid(-x) + (1 - y) sigmoid(x)``; the
    subtraction ``1 - p_t`` rounds to 0 once ``x > 37`` and would lose the loss.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import sigmoid_focal_loss
    >>> float(sigmoid_focal_loss(np.array([0.0]), np.array([1.0]))) == 0.25 * float(np.log(2.0))
    True

    ``x = 40, y = 1``: the loss is about ``e^{-40} e^{-80} = e^{-120}``, not 0:

    >>> 0 < float(sigmoid_focal_loss(np.array([40.0]), np.array([1.0]))) < 1e-51
    True
    """
    x, y, g, alpha_t = _sfocal_setup(logits, target, gamma, alpha, reduction)
    ce, m, _, _ = _sfocal_parts(x, y)
    with np.errstate(invalid="ignore", over="ignore"):
        coef = np.power(m, g)
        if alpha_t is not None:
            coef = alpha_t * coef
        l = weighted(coef, ce) + 0.0
    return reduce_loss(l, None, reduction)


def sigmoid_focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean", cotangent=None):
    r"""Gradient of :func:`sigmoid_focal_loss` with respect to ``logits``.

    With ``m = 1 - p_t``, ``r = sigmoid(x) sigmoid(-x) / m`` (``r = 1`` where
    ``m = 0``) and ``d = (1 - y) sigmoid(x) - y sigmoid(-x)`` (``= sigmoid(x) - y``):

    .. math::

        \frac{\partial l}{\partial x} = \alpha_t\, m^\gamma
        \bigl[d + \gamma\, (1 - 2y)\, r\, \mathrm{ce}\bigr]

    with ``r * ce = 0`` where ``r = 0``, times the reduction scale.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * sigmoid_focal_loss(...))``: each sample's gradient
        times its own entry. An entry of 0 gives 0 even where that gradient is infinite; NaN
        propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import sigmoid_focal_loss_grad
    >>> sigmoid_focal_loss_grad(np.array([0.0, 0.0]), np.array([1.0, 0.0]), gamma=0.0, reduction="none")
    array([-0.5,  0.5])
    """
    x, y, g, alpha_t = _sfocal_setup(logits, target, gamma, alpha, reduction)
    cot = check_cotangent(cotangent, reduced_shape(x.shape, reduction), reduced_what(reduction))
    ce, m, sp, sn = _sfocal_parts(x, y)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d = (1.0 - y) * sp - y * sn
        r = np.where(m == 0, 1.0, sp * sn / np.where(m == 0, 1.0, m))
        r = np.where(np.isnan(m), np.nan, r)
        rce = weighted(r, ce)
        inner = d + weighted(g * (1.0 - 2.0 * y), rce)
        coef = np.power(m, g)
        if alpha_t is not None:
            coef = alpha_t * coef
        grad = coef * inner
        grad = grad * reduction_scale(np.shape(grad), None, reduction) + 0.0
    return apply_cotangent(as_result(grad), cot)

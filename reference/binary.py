"""Binary cross entropy: ``binary_cross_entropy`` (from probabilities),
``sigmoid_binary_cross_entropy`` (from logits) and their gradients
(spec page: ``docs/spec/binary.md``; reductions: ``docs/spec/reductions.md``).

Both losses are element-wise: every element is a sample.  ``weight`` is
broadcast to the target's shape and *is* the sample weight ``w_n``, so
``"mean"`` is ``sum(w * l) / sum(w)`` and ``"none"`` returns ``w * l``.
``pos_weight`` (logits form only) multiplies the positive term inside the loss
and is not part of ``w_n``.

A coefficient of zero times an infinite logarithm is zero (``0 * log 0 = 0``);
NaN in gives NaN out.
"""

from __future__ import annotations

import numpy as np

from ._eft import _logit_terms
from .reductions import (
    apply_cotangent, as_result, reduce_loss, reduced_shape, reduced_what, reduction_scale, weighted,
)
from .softmax import sigmoid
from .validation import (
    as_float_array,
    broadcast_to,
    check_cotangent,
    check_eps,
    check_reduction,
    check_same_shape,
    check_unit_interval,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "sigmoid_binary_cross_entropy",
    "sigmoid_binary_cross_entropy_grad",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _elementwise_weights(weight, shape, name):
    """``name`` broadcast to ``shape``: finite, non-negative numbers (or ``None``)."""
    if weight is None:
        return None
    w = as_float_array(weight, name)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name} must hold finite, non-negative numbers")
    return broadcast_to(w, shape, name)


def _pair(pred, target, pred_name, unit_pred):
    x = as_float_array(pred, pred_name)
    y = as_float_array(target, "target")
    check_same_shape(y, "target", x.shape, f"the shape of {pred_name}")
    if unit_pred:
        check_unit_interval(x, pred_name)
    check_unit_interval(y, "target")
    return x, y


def _zero_weight_mask(w, values):
    """``values`` with every element of weight 0 set to exactly 0.

    A weight of 0 is a mask, as ``ignore_index`` is: the element takes no part
    whatever its inputs hold, NaN included (``weighted`` alone keeps NaN).
    """
    return np.where(w == 0, 0.0, values)


def _reduce(per_element, w, reduction):
    values = per_element if w is None else _zero_weight_mask(w, weighted(w, per_element))
    return reduce_loss(values, w, reduction)


def _cotangent(cotangent, shape, reduction):
    """The validated cotangent of an element-wise loss of ``shape``."""
    return check_cotangent(cotangent, reduced_shape(shape, reduction), reduced_what(reduction))


def _grad_scale(per_element_grad, w, reduction, cot=None):
    g = per_element_grad if w is None else weighted(w, per_element_grad)
    with np.errstate(all="ignore"):
        scale = reduction_scale(g.shape, w, reduction)
        g = g * scale + 0.0
        if w is not None and not np.isnan(scale):
            # a weight-0 element's gradient is exactly 0, NaN inputs included
            # (when no element counts, the "mean" and its gradient are NaN)
            g = np.where(w == 0, 0.0, g)
        return apply_cotangent(as_result(g), cot)


# ---------------------------------------------------------------------------
# binary cross entropy from probabilities
# ---------------------------------------------------------------------------

def _bce_setup(probs, target, weight, eps, reduction):
    p, y = _pair(probs, target, "probs", unit_pred=True)
    e = check_eps(eps)
    check_reduction(reduction)
    w = _elementwise_weights(weight, y.shape, "weight")
    return p, y, e, w


def _bce_elements(p, y, e):
    """``-[y log(p + eps) + (1 - y) log(1 - p + eps)]`` with ``0 log 0 = 0``.

    ``log(1 - p + eps)`` is computed as ``log1p(eps - p)`` for ``p < 1/2`` so
    that a tiny ``p`` keeps its tiny loss ``-log(1 - p) = p + p**2/2 + ...``, and
    as ``log((1 - p) + eps)`` otherwise (``1 - p`` is exact there).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.log(p + e)
        if e != 0.0:
            # p + eps may exceed 1 by less than an ulp of 1: log1p((p - 1) + eps)
            # keeps that tiny negative loss (p - 1 is exact for p >= 1/2).
            near_one = p >= 0.5
            if np.any(near_one):
                log_p = np.where(near_one, np.log1p((p - 1.0) + e), log_p)
        # 1 - p is exact for p >= 1/2; below, log1p keeps the tiny losses.
        log_q = np.where(p >= 0.5, np.log((1.0 - p) + e), np.log1p(e - p))
        out = -(weighted(y, log_p) + weighted(1.0 - y, log_q)) + 0.0
    return out


def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    r"""Binary cross entropy of probabilities, element by element.

    .. math::

        l_n = -\bigl[y_n \log(p_n + \varepsilon) + (1 - y_n) \log(1 - p_n + \varepsilon)\bigr]

    with ``0 * log 0 = 0`` (a zero coefficient silences its logarithm).

    Parameters
    ----------
    probs : array_like
        Predicted probabilities ``p`` in ``[0, 1]``.
    target : array_like
        Targets ``y`` in ``[0, 1]`` (hard 0/1 labels or soft labels), the shape of
        ``probs``.
    weight : array_like, optional
        Finite non-negative weights broadcast to the target's shape; they are the
        sample weights ``w_n``.
    eps : float, optional
        A finite ``eps >= 0`` added inside both logarithms (default 0: exact).
    reduction : {"mean", "sum", "none"}, optional
        ``"none"`` returns ``w * l``; ``"sum"`` its sum; ``"mean"``
        ``sum(w * l) / sum(w)`` (the plain mean without weights; NaN for no
        elements).

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``probs`` or ``target`` outside ``[0, 1]``, shapes that differ, a
        ``weight`` that does not broadcast or is negative, ``eps < 0``, unknown
        ``reduction``.
    TypeError
        Non-numeric input.

    Notes
    -----
    ``p = 0`` with ``y > 0`` (or ``p = 1`` with ``y < 1``) gives ``+inf`` when
    ``eps = 0``; the reference clamps nothing.  ``log(1 - p + eps)`` is
    evaluated as ``log1p(eps - p)`` below ``p = 1/2`` and as ``log((1 - p) + eps)``
    above.  An element of weight 0 contributes 0 (and gets gradient 0),
    even when its loss is infinite or its inputs hold NaN.

    References
    ----------
    .. [1] PyTorch, ``torch.nn.BCELoss`` (clamps the logarithms at -100).

    Examples
    --------
    A confident correct prediction and a confident wrong one:

    >>> import numpy as np
    >>> from reference import binary_cross_entropy
    >>> p = np.array([0.8, 0.8])
    >>> y = np.array([1.0, 0.0])
    >>> bool(np.allclose(binary_cross_entropy(p, y, reduction="none"),
    ...                  [-np.log(0.8), -np.log(0.2)], rtol=1e-15, atol=0))
    True

    Exact zeros and ones: ``0 log 0 = 0``, and a certain wrong prediction is
    ``+inf`` (not PyTorch's clamped 100):

    >>> binary_cross_entropy(np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0]), reduction="none")
    array([ 0.,  0., inf])

    A tiny probability keeps its tiny loss, ``-log(1 - 1e-300) = 1e-300``:

    >>> float(binary_cross_entropy(np.array([1e-300]), np.array([0.0])))
    1e-300
    """
    p, y, e, w = _bce_setup(probs, target, weight, eps, reduction)
    return _reduce(_bce_elements(p, y, e), w, reduction)


def binary_cross_entropy_grad(probs, target, *, weight=None, eps=0.0, reduction="mean", cotangent=None):
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``probs``.

    .. math::

        \frac{\partial l_n}{\partial p_n} = -\frac{y_n}{p_n + \varepsilon}
        + \frac{1 - y_n}{1 - p_n + \varepsilon}

    each term 0 where its coefficient (``y`` or ``1 - y``) is 0, times ``w_n``
    and the reduction scale (``1 / sum(w)`` for ``"mean"``).

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * binary_cross_entropy(...))``: each sample's
        gradient times its own entry. An entry of 0 gives 0 even where that gradient is
        infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import binary_cross_entropy_grad
    >>> binary_cross_entropy_grad(np.array([0.25, 0.5, 0.0]), np.array([1.0, 0.0, 0.0]), reduction="sum")
    array([-4.,  2.,  1.])
    """
    p, y, e, w = _bce_setup(probs, target, weight, eps, reduction)
    cot = _cotangent(cotangent, y.shape, reduction)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv_p = 1.0 / (p + e)
        inv_q = 1.0 / ((1.0 - p) + e)
        g = weighted(1.0 - y, inv_q) - weighted(y, inv_p)
    return _grad_scale(g, w, reduction, cot)


# ---------------------------------------------------------------------------
# sigmoid binary cross entropy (from logits)
# ---------------------------------------------------------------------------

def _sbce_setup(logits, target, weight, pos_weight, reduction):
    x, y = _pair(logits, target, "logits", unit_pred=False)
    check_reduction(reduction)
    w = _elementwise_weights(weight, y.shape, "weight")
    pw = _elementwise_weights(pos_weight, y.shape, "pos_weight")
    return x, y, w, pw


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    r"""Binary cross entropy of ``sigmoid(logits)``, computed from the logits.

    .. math::

        l_n = \mathrm{pw}_n\, y_n \operatorname{softplus}(-x_n)
              + (1 - y_n) \operatorname{softplus}(x_n)

    which equals ``-[pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]`` without
    ever forming ``sigmoid(x)``.  A zero coefficient silences an infinite
    ``softplus``.

    Parameters
    ----------
    logits : array_like
        Real logits ``x``, any magnitude, ``±inf`` allowed.
    target : array_like
        Targets ``y`` in ``[0, 1]``, the shape of ``logits``.
    weight : array_like, optional
        Finite non-negative sample weights ``w_n``, broadcast to the target's shape.
    pos_weight : array_like, optional
        Finite non-negative weights of the positive term, broadcast along the last
        axis (one per class of a multi-label target, or a scalar).  Not part of
        ``w_n``.
    reduction : {"mean", "sum", "none"}, optional
        As for :func:`binary_cross_entropy`.

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``target`` outside ``[0, 1]``, shapes that differ, weights that do not
        broadcast or are negative, unknown ``reduction``.
    TypeError
        Non-numeric input.

    Notes
    -----
    ``x = +inf`` with ``y = 1`` gives 0, with ``y < 1`` gives ``+inf``;
    ``x = -inf`` mirrors it.  ``softplus(x) = max(x, 0) + log1p(exp(-|x|))``
    neither overflows nor loses the tiny loss of a confident prediction.

    Examples
    --------
    The naive ``-log(sigmoid(x))`` fails for ``x = -800``: ``sigmoid(-800)``
    underflows to 0 and the loss becomes ``inf``; the logits form gives 800.

    >>> import numpy as np
    >>> from reference import sigmoid_binary_cross_entropy
    >>> x = np.array([-800.0])
    >>> with np.errstate(over="ignore", divide="ignore"):
    ...     naive = -np.log(1.0 / (1.0 + np.exp(-x)))
    >>> naive
    array([inf])
    >>> float(sigmoid_binary_cross_entropy(x, np.array([1.0])))
    800.0

    A confident correct prediction keeps its tiny loss ``log1p(e^{-40})``:

    >>> float(sigmoid_binary_cross_entropy(np.array([40.0]), np.array([1.0]))) == float(np.log1p(np.exp(-40.0)))
    True
    """
    x, y, w, pw = _sbce_setup(logits, target, weight, pos_weight, reduction)
    with np.errstate(invalid="ignore"):
        pos = y if pw is None else pw * y
    return _reduce(_logit_terms(x, y, pos), w, reduction)


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None, reduction="mean",
                                      cotangent=None):
    r"""Gradient of :func:`sigmoid_binary_cross_entropy` with respect to ``logits``.

    .. math::

        \frac{\partial l_n}{\partial x_n} = -\mathrm{pw}_n\, y_n\, \sigma(-x_n)
        + (1 - y_n)\, \sigma(x_n)

    (``sigmoid(x) - y`` without ``pos_weight``, computed without cancellation),
    times ``w_n`` and the reduction scale.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per element (the shape of the
        first argument) with ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.
        ``None`` (the default) means ones. The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * sigmoid_binary_cross_entropy(...))``: each
        sample's gradient times its own entry. An entry of 0 gives 0 even where that
        gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import sigmoid_binary_cross_entropy_grad
    >>> sigmoid_binary_cross_entropy_grad(np.array([0.0, np.inf, -np.inf]), np.array([1.0, 1.0, 1.0]),
    ...                                   reduction="none")
    array([-0.5,  0. , -1. ])
    """
    x, y, w, pw = _sbce_setup(logits, target, weight, pos_weight, reduction)
    cot = _cotangent(cotangent, y.shape, reduction)
    with np.errstate(invalid="ignore"):
        pos = y if pw is None else pw * y
        g = (1.0 - y) * sigmoid(x) - pos * sigmoid(-x)
    return _grad_scale(np.asarray(g, dtype=np.float64), w, reduction, cot)

"""Reductions shared by every loss (spec page: ``docs/spec/reductions.md``).

A loss first computes one value per sample, ``w_n * l_n``, already multiplied
by the sample's weight ``w_n``.  Then:

* ``"none"`` returns those values,
* ``"sum"`` returns their sum,
* ``"mean"`` returns their sum divided by ``sum(w_n)`` over the samples that
  count (ignored samples have ``w_n = 0``); the mean of no samples is NaN.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, broadcast_to, check_nonnegative, check_reduction


def reduce_loss(weighted_values: np.ndarray, sample_weights, reduction: str):
    """Reduce per-sample values that already carry their weights.

    Parameters
    ----------
    weighted_values : ndarray
        ``w_n * l_n`` for every sample.
    sample_weights : ndarray or None
        ``w_n`` for every sample (broadcastable to ``weighted_values``); ``None``
        means every sample weighs 1.
    reduction : {"none", "sum", "mean"}

    Raises
    ------
    TypeError
        ``weighted_values`` or ``sample_weights`` is not a real numeric array.
    ValueError
        ``sample_weights`` does not broadcast to ``weighted_values`` or has a
        negative entry (NaN passes); unknown ``reduction``.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import reduce_loss
    >>> float(reduce_loss(np.array([2.0, 0.0, 4.0]), np.array([1.0, 0.0, 2.0]), "mean"))  # 6 / 3
    2.0
    >>> float(reduce_loss(np.array([]), None, "mean"))  # the mean of no samples
    nan
    """
    check_reduction(reduction)
    values = as_float_array(weighted_values, "weighted_values")
    if sample_weights is not None:
        weights = as_float_array(sample_weights, "sample_weights")
        broadcast_to(weights, values.shape, "sample_weights")
        check_nonnegative(weights, "sample_weights", "sample weights")
        sample_weights = weights
    if reduction == "none":
        return values[()] if values.ndim == 0 else values
    with np.errstate(over="ignore", invalid="ignore"):  # inf + (-inf) is NaN, an overflow inf
        total = np.sum(values, dtype=np.float64)
    if reduction == "sum":
        return np.float64(total)
    denom = mean_denominator(values.shape, sample_weights)
    with np.errstate(all="ignore"):
        # 0/0 is the NaN the spec asks for when no sample counts.
        return np.float64(total / denom) if denom != 0 else np.float64(np.nan)


def mean_denominator(shape, sample_weights) -> float:
    """``sum(w_n)``: the number of samples when unweighted."""
    if sample_weights is None:
        return float(np.prod(shape, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights sum to inf
        return float(np.sum(np.broadcast_to(sample_weights, shape), dtype=np.float64))


def reduction_scale(shape, sample_weights, reduction: str):
    """The factor by which a per-sample gradient is multiplied under ``reduction``.

    ``1`` for "none" and "sum"; ``1 / sum(w_n)`` for "mean" (NaN when no sample counts).
    """
    check_reduction(reduction)
    if reduction != "mean":
        return 1.0
    denom = mean_denominator(shape, sample_weights)
    return 1.0 / denom if denom != 0 else np.nan


def as_result(values):
    """``values`` as float64, a 0-d result as a numpy scalar (``np.float64``)."""
    values = np.asarray(values, dtype=np.float64)
    return values[()] if values.ndim == 0 else values


def weighted(coef, value):
    """``coef * value`` with ``0 * (±inf) = 0`` (a weight or target of 0 takes
    no part, whatever the loss); NaN in either still gives NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where((coef == 0) & ~np.isnan(value), 0.0, coef * value)


def reduced_shape(sample_shape, reduction: str) -> tuple:
    """The shape of a loss's result: ``sample_shape`` for ``"none"``, ``()`` otherwise."""
    return tuple(sample_shape) if reduction == "none" else ()


def reduced_what(reduction: str) -> str:
    """The result of a loss in words, for the messages about ``cotangent``."""
    if reduction == "none":
        return "one value per sample with reduction='none'"
    return f"a scalar with reduction={reduction!r}"


def apply_cotangent(grad, cotangent, expand=()):
    """The vector-Jacobian product ``cotangent * grad``, sample by sample.

    ``grad`` holds the per-sample gradients (for a reduced result: the
    gradient of the reduced value); ``cotangent`` is ``None`` (ones: ``grad``
    is returned untouched) or a validated float64 array of the result's shape,
    given the axes ``expand`` so that it broadcasts against ``grad``.  The
    product follows the rule of :func:`weighted`: a cotangent of 0 takes its
    sample out (``0 * (±inf) = 0``), NaN in either still gives NaN.
    """
    if cotangent is None:
        return grad
    c = cotangent if cotangent.ndim == 0 else np.expand_dims(cotangent, expand)
    with np.errstate(invalid="ignore", over="ignore"):
        # no "+ 0.0" against negative zeros: a cotangent of ones must give
        # ``grad`` bit for bit, its negative zeros included
        return as_result(weighted(c, grad))

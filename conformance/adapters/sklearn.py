"""Adapter: scikit-learn (``sklearn.metrics``).

Translation only (see CONTRIBUTING.md and the contract, "Adapters").
scikit-learn's metrics take ``(y_true, y_pred)`` -- the target first -- and
return one number, so:

* The adapter swaps the arguments into scikit-learn's order.
* ``reduction="mean"`` is scikit-learn's default; ``"sum"`` is
  ``normalize=False`` where ``log_loss`` offers it; anything scikit-learn
  cannot return (``"none"``, ``"sum"`` for the regression metrics) raises
  ``NotImplementedError``.
* ``categorical_cross_entropy``: ``log_loss`` with the class axis moved last,
  the batch flattened to ``n_samples`` rows, and the one-hot target given as the
  class labels ``argmax(target)`` with ``labels=range(C)``.  ``log_loss``
  takes labels, not class probabilities: a target that is not one-hot raises
  ``NotImplementedError``, as does ``eps != 0`` (scikit-learn clips to its
  dtype's machine epsilon instead; it cannot add an ``eps``).
* ``binary_cross_entropy``: ``log_loss`` on the flattened elements with
  ``labels=[0, 1]`` (a 1-d ``y_pred`` is the probability of the positive class)
  and the element weights as ``sample_weight`` (scikit-learn's weighted mean is
  ``sum(w l) / sum(w)``, the spec's).  Targets other than 0 and 1 raise
  ``NotImplementedError``.
* ``mean_absolute_error``, ``mean_squared_error``,
  ``root_mean_squared_error``: the ``sklearn.metrics`` functions with their
  default ``multioutput="uniform_average"``.  1-d input is one output; 2-d input
  is ``(n_samples, n_outputs)``, scikit-learn's own layout; higher-dimensional
  input keeps its first axis as the samples and flattens the rest into outputs.
* No gradients: scikit-learn has no automatic differentiation.
"""

from __future__ import annotations

import numpy as np
import sklearn.metrics as skm

NAME = "sklearn"
_REDUCTIONS = ("none", "sum", "mean")


def _numeric(x):
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"expected a real numeric array, got {type(x).__name__} of dtype {a.dtype}")
    return a


def _scalar(v):
    return np.asarray(v)[()]


def _reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _normalize(reduction, what):
    """``log_loss``'s ``normalize`` for the spec's reduction."""
    if _reduction(reduction) == "none":
        raise NotImplementedError(f"scikit-learn's log_loss has no per-sample output (reduction='none') for {what}")
    return reduction == "mean"


def _no_eps(eps, what):
    if eps != 0:
        raise NotImplementedError(
            f"scikit-learn's log_loss has no eps for {what} (it clips probabilities to "
            "[machine eps, 1 - machine eps] instead of taking log(q + eps))")


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def categorical_cross_entropy(probs, target, *, axis=-1, eps=0.0, reduction="mean"):
    _no_eps(eps, "categorical_cross_entropy")
    normalize = _normalize(reduction, "categorical_cross_entropy")
    q = _numeric(probs)
    t = _numeric(target)
    if q.ndim == 0 or t.shape != q.shape:
        raise ValueError(f"target must have the shape of probs {q.shape}, got {t.shape}")
    q = np.moveaxis(q, axis, -1)
    t = np.moveaxis(t, axis, -1)
    n_classes = q.shape[-1]
    q2 = q.reshape(-1, n_classes)
    t2 = t.reshape(-1, n_classes)
    one_hot = np.all((t2 == 0) | (t2 == 1)) and np.all(np.sum(t2 == 1, axis=-1) == 1)
    if not one_hot:
        raise NotImplementedError("scikit-learn's log_loss takes class labels, not soft (non one-hot) targets")
    labels = np.argmax(t2, axis=-1)
    return _scalar(skm.log_loss(labels, q2, normalize=normalize, labels=np.arange(n_classes)))


# ---------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------

def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    _no_eps(eps, "binary_cross_entropy")
    normalize = _normalize(reduction, "binary_cross_entropy")
    p = _numeric(probs)
    y = _numeric(target)
    if y.shape != p.shape:
        raise ValueError(f"target must have the shape of probs {p.shape}, got {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise NotImplementedError("scikit-learn's log_loss takes labels 0/1, not soft binary targets")
    w = None if weight is None else np.broadcast_to(_numeric(weight), y.shape).reshape(-1)
    return _scalar(skm.log_loss(y.reshape(-1), p.reshape(-1), normalize=normalize,
                                sample_weight=w, labels=[0, 1]))


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def _samples_by_outputs(pred, target):
    """``(y_true, y_pred)`` in scikit-learn's ``(n_samples[, n_outputs])`` layout."""
    x = _numeric(pred)
    y = _numeric(target)
    if x.ndim == 0:
        x, y = x.reshape(1), np.reshape(y, 1)
    elif x.ndim > 2:
        x = x.reshape(x.shape[0], -1)
        y = y.reshape(y.shape[0], -1) if y.ndim > 2 else y
    return y, x


def _mean_only(reduction, what):
    if _reduction(reduction) != "mean":
        raise NotImplementedError(f"scikit-learn's {what} returns only the mean (reduction={reduction!r})")


def mean_absolute_error(pred, target, *, reduction="mean"):
    _mean_only(reduction, "mean_absolute_error")
    return _scalar(skm.mean_absolute_error(*_samples_by_outputs(pred, target)))


def mean_squared_error(pred, target, *, reduction="mean"):
    _mean_only(reduction, "mean_squared_error")
    return _scalar(skm.mean_squared_error(*_samples_by_outputs(pred, target)))


def root_mean_squared_error(pred, target):
    return _scalar(skm.root_mean_squared_error(*_samples_by_outputs(pred, target)))

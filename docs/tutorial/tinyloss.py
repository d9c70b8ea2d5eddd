"""tinyloss: a small numpy loss library, the toy of the loss-spec tutorial
"Check a library against the spec".

Its conventions are its own, as a real library's would be: ``log_loss`` takes
the target first, and ``average=False`` returns one loss per element instead of
their mean.
"""

import numpy as np


def _as_float_pair(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"inputs must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def squared_error(y_pred, y_true, average=True):
    """The mean squared error, or each element's squared error (``average=False``)."""
    y_pred, y_true = _as_float_pair(y_pred, y_true)
    with np.errstate(over="ignore"):  # a huge error squares to inf, as it should
        errors = (y_pred - y_true) ** 2
    return errors.mean() if average else errors


def log_loss(y_true, p, average=True):
    """Binary cross entropy of probabilities ``p`` against targets ``y_true``.

    Both logs are clamped at -100, so a probability of exactly 0 or 1 on the
    wrong side costs 100 instead of inf (PyTorch's BCELoss does the same).
    """
    y_true, p = _as_float_pair(y_true, p)
    for name, values in (("y_true", y_true), ("p", p)):
        if np.any((values < 0) | (values > 1)):  # NaN compares False: it passes, gives NaN
            raise ValueError(f"{name} must lie in [0, 1]")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_not_p = np.maximum(np.log1p(-p), -100.0)
    losses = -(y_true * log_p + (1.0 - y_true) * log_not_p)
    return losses.mean() if average else losses

"""The loss-spec adapter of tinyloss: the contract's names and signatures on
top of tinyloss's own.  It translates calling conventions and repairs nothing."""

import numpy as np

import tinyloss

REDUCTIONS = ("none", "sum", "mean")


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def mean_squared_error(pred, target, *, reduction="mean"):
    _check_reduction(reduction)
    if reduction == "mean":
        return tinyloss.squared_error(pred, target)
    errors = tinyloss.squared_error(pred, target, average=False)
    return errors if reduction == "none" else np.sum(errors)


def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    if weight is not None or eps != 0.0:
        # An option tinyloss cannot express: the checks that need it are skipped.
        raise NotImplementedError("tinyloss.log_loss has no weight and no eps")
    _check_reduction(reduction)
    if reduction == "mean":
        return tinyloss.log_loss(target, probs)  # tinyloss takes the target first
    losses = tinyloss.log_loss(target, probs, average=False)
    return losses if reduction == "none" else np.sum(losses)

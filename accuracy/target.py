"""The reference's accuracy target and its documented exceptions.

The target: every float64 result of the reference within :data:`TARGET_ULPS`
ulps of the exact value (:mod:`accuracy.ulp`), tiny results included, on every
group of the corpus (:mod:`accuracy.corpus`) except those in
:data:`EXCEPTIONS`, each listed with its reason (the accuracy page gives the
measured figures).  The unit tests check the target on the small corpus.

The figures assume numpy's ``longdouble`` is the x87 80-bit format (64-bit
significand), which the reference uses for a few per-row steps; elsewhere
:data:`FALLBACK_ULPS` applies.
"""

from __future__ import annotations

import numpy as np

TARGET_ULPS = 2.0
FALLBACK_ULPS = 4.0

_NEAR_EQUAL = ("the exact gradient is p - t with p computed and t given: where p is close to t the "
               "error of p, under an ulp of p, is many ulps of the difference")
_POWER = "(1 - p)**gamma multiplies the relative error of 1 - p by gamma"
_SCALE = "the mean's factor 1 / sum(w) (or RMSE's scaling) adds one or two roundings"
_CTC = ("the forward-backward recursion carries alpha and beta as double-doubles, but each frame's "
        "log-sum-exp still rounds by about 2**-53 (absolute); over T frames those roundings add up to "
        "relative errors of a few ulps in the posteriors exp(alpha + beta - log p), under 8 on the corpus")

_SOFTCAP = ("the softcap rounds every logit once, to within an ulp of c tanh(z / c); the loss and its "
            "gradient carry that error with the condition of softmax cross entropy (|z| / |l| on a "
            "confident row), and the cap's slope 1 / cosh(z / c)**2 adds a few roundings")
_LINEAR_GRAD = ("the gradients with respect to the input, the weight and the bias are sums over classes or "
                "tokens of terms of both signs (softmax - target times x or W), formed with plain float64 "
                "matrix products: where they cancel, an error of a few ulps of the terms is many ulps of the "
                "sum")

#: ``{function: {group: reason}}``: where the reference may exceed the target.
EXCEPTIONS = {
    "softmax_cross_entropy": {"large-vocabulary": _SOFTCAP},
    "softmax_cross_entropy_grad": {"options": _NEAR_EQUAL, "reduction": _SCALE, "large-vocabulary": _SOFTCAP},
    "linear_cross_entropy": {"large-vocabulary": _SOFTCAP},
    "linear_cross_entropy_grad": {"large-vocabulary": _LINEAR_GRAD},
    "binary_cross_entropy_grad": {"probabilities": _NEAR_EQUAL, "reduction": _SCALE},
    "sigmoid_binary_cross_entropy_grad": {"sigmoid-range": _NEAR_EQUAL, "reduction": _SCALE},
    "focal_loss": {g: _POWER for g in ("random", "confident", "masked", "focal", "options", "reduction")},
    "focal_loss_grad": {**{g: _POWER for g in ("random", "confident", "masked", "focal", "reduction")},
                        "options": _NEAR_EQUAL},
    "sigmoid_focal_loss": {g: _POWER for g in ("focal", "sigmoid-range", "reduction")},
    "sigmoid_focal_loss_grad": {g: _POWER for g in ("focal", "sigmoid-range", "reduction")},
    "root_mean_squared_error_grad": {"regression": _SCALE},
    "ctc_loss_grad": {g: _CTC for g in ("ctc-short", "ctc-long", "reduction")},
}


def bound() -> float:
    """The bound that applies on this machine (see the module docstring)."""
    return TARGET_ULPS if np.finfo(np.longdouble).nmant == 63 else FALLBACK_ULPS


def is_exception(function: str, group: str) -> bool:
    return group in EXCEPTIONS.get(function, {})

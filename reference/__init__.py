"""The numpy reference implementation of the loss-function spec.

Every function computes in float64, follows the spec pages exactly, and raises
``ValueError``/``TypeError`` naming the argument for invalid input.  One module
per family; each lists its public names in ``__all__``, and this package
re-exports exactly those (``tests/test_reference_exports.py`` keeps the two in
step).  The arithmetic several families share lives in the private module
``reference._eft``.
"""

from .binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    sigmoid_binary_cross_entropy,
    sigmoid_binary_cross_entropy_grad,
)
from .classification import (
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    nll_loss,
    nll_loss_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from .ctc import ctc_collapse, ctc_loss, ctc_loss_grad, ctc_path_probability
from .focal import focal_loss, focal_loss_grad, sigmoid_focal_loss, sigmoid_focal_loss_grad
from .information import (
    cross_entropy,
    cross_entropy_grad,
    entropy,
    entropy_grad,
    kl_divergence,
    kl_divergence_grad,
)
from .linear import linear_cross_entropy, linear_cross_entropy_grad
from .reductions import reduce_loss
from .regression import (
    huber_loss,
    huber_loss_grad,
    mean_absolute_error,
    mean_absolute_error_grad,
    mean_squared_error,
    mean_squared_error_grad,
    root_mean_squared_error,
    root_mean_squared_error_grad,
    smooth_l1_loss,
    smooth_l1_loss_grad,
)
from .softmax import log_sigmoid, log_softmax, logsumexp, logsumexp_grad, sigmoid, softmax, softplus

#: The family modules, in the order of the spec pages.
FAMILIES = ("softmax", "information", "classification", "linear", "binary", "regression", "ctc", "focal")

__all__ = [
    "reduce_loss",
    # softmax
    "softmax", "log_softmax", "logsumexp", "logsumexp_grad", "sigmoid", "log_sigmoid", "softplus",
    # information
    "entropy", "entropy_grad", "cross_entropy", "cross_entropy_grad", "kl_divergence", "kl_divergence_grad",
    # classification
    "softmax_cross_entropy", "softmax_cross_entropy_grad", "nll_loss", "nll_loss_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad",
    # linear (large vocabulary)
    "linear_cross_entropy", "linear_cross_entropy_grad",
    # binary
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_grad",
    # regression
    "mean_absolute_error", "mean_absolute_error_grad", "mean_squared_error", "mean_squared_error_grad",
    "root_mean_squared_error", "root_mean_squared_error_grad", "huber_loss", "huber_loss_grad",
    "smooth_l1_loss", "smooth_l1_loss_grad",
    # ctc
    "ctc_collapse", "ctc_loss", "ctc_loss_grad", "ctc_path_probability",
    # focal
    "focal_loss", "focal_loss_grad", "sigmoid_focal_loss", "sigmoid_focal_loss_grad",
]

"""The contract's function names, in the order reports list them."""

from . import SPEC_VERSION  # noqa: F401

LOSSES = (
    "softmax_cross_entropy", "nll_loss", "categorical_cross_entropy",
    "binary_cross_entropy", "sigmoid_binary_cross_entropy", "focal_loss", "sigmoid_focal_loss",
    "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "huber_loss",
    "smooth_l1_loss", "ctc_loss",
)

FUNCTIONS = (
    "softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid",
    "entropy", "cross_entropy", "kl_divergence",
    *LOSSES,
    "ctc_collapse", "ctc_path_probability",
    "logsumexp_grad", "entropy_grad", "cross_entropy_grad", "kl_divergence_grad",
    *(f"{name}_grad" for name in LOSSES),
)

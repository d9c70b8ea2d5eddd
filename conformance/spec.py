"""The contract's function names, in the order reports list them, and
:func:`contract`: every function's signature, family and exercised options."""

from . import SPEC_VERSION  # noqa: F401

LOSSES = (
    "softmax_cross_entropy", "nll_loss", "categorical_cross_entropy",
    "binary_cross_entropy", "sigmoid_binary_cross_entropy", "focal_loss", "sigmoid_focal_loss",
    "mean_absolute_error", "mean_squared_error", "root_mean_squared_error", "huber_loss",
    "smooth_l1_loss", "ctc_loss", "linear_cross_entropy",
)

FUNCTIONS = (
    "softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid",
    "entropy", "cross_entropy", "kl_divergence",
    *LOSSES,
    "ctc_collapse", "ctc_path_probability",
    "logsumexp_grad", "entropy_grad", "cross_entropy_grad", "kl_divergence_grad",
    *(f"{name}_grad" for name in LOSSES),
)


# ---------------------------------------------------------------------------
# The contract as data: every function's signature, family and the options the
# suite exercises.  The signatures are read from ``reference`` (which the
# contract defines) with ``inspect.signature``, so they are written only once;
# the contract page of the site (docs/conformance/contract.md) renders this.
# ---------------------------------------------------------------------------

import dataclasses as _dataclasses  # noqa: E402
import functools as _functools  # noqa: E402
import inspect as _inspect  # noqa: E402

#: The default of a parameter that has none.
REQUIRED = _inspect.Parameter.empty

_KINDS = {_inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
          _inspect.Parameter.KEYWORD_ONLY: "keyword-only"}

#: The optional arguments the conformance suite passes to each function
#: somewhere in its checks (an option absent here keeps its default in every
#: check).  Measured by running the whole suite against a target that logs the
#: arguments of each call; ``tests/test_contract_page.py`` repeats that for a
#: few functions to keep this table true.
EXERCISED = {
    "softmax": ("axis",),
    "log_softmax": ("axis",),
    "logsumexp": ("axis",),
    "sigmoid": (),
    "log_sigmoid": (),
    "entropy": ("axis", "base"),
    "cross_entropy": ("axis", "eps", "base"),
    "kl_divergence": ("axis", "base"),
    "softmax_cross_entropy": ("axis", "weight", "ignore_index", "label_smoothing", "z_loss", "softcap",
                              "reduction"),
    "nll_loss": ("weight", "ignore_index", "reduction"),
    "categorical_cross_entropy": ("eps", "reduction"),
    "binary_cross_entropy": ("weight", "eps", "reduction"),
    "sigmoid_binary_cross_entropy": ("weight", "pos_weight", "reduction"),
    "focal_loss": ("axis", "gamma", "alpha", "reduction"),
    "sigmoid_focal_loss": ("gamma", "alpha", "reduction"),
    "mean_absolute_error": ("reduction",),
    "mean_squared_error": ("reduction",),
    "root_mean_squared_error": (),
    "huber_loss": ("delta", "reduction"),
    "smooth_l1_loss": ("beta", "reduction"),
    "ctc_loss": ("blank", "reduction", "zero_infinity"),
    "linear_cross_entropy": ("linear_bias", "weight", "ignore_index", "label_smoothing", "z_loss", "softcap",
                             "reduction"),
    "ctc_collapse": ("blank",),
    "ctc_path_probability": (),
    "logsumexp_grad": ("axis", "cotangent"),
    "entropy_grad": ("base", "cotangent"),
    "cross_entropy_grad": ("eps", "base", "wrt", "cotangent"),
    "kl_divergence_grad": ("base", "wrt", "cotangent"),
    "softmax_cross_entropy_grad": ("weight", "ignore_index", "label_smoothing", "z_loss", "softcap", "reduction",
                                   "cotangent"),
    "nll_loss_grad": ("weight", "ignore_index", "reduction", "cotangent"),
    "categorical_cross_entropy_grad": ("eps", "reduction", "cotangent"),
    "binary_cross_entropy_grad": ("weight", "eps", "reduction", "cotangent"),
    "sigmoid_binary_cross_entropy_grad": ("weight", "pos_weight", "reduction", "cotangent"),
    "focal_loss_grad": ("gamma", "alpha", "reduction", "cotangent"),
    "sigmoid_focal_loss_grad": ("gamma", "alpha", "reduction", "cotangent"),
    "mean_absolute_error_grad": ("reduction", "cotangent"),
    "mean_squared_error_grad": ("reduction", "cotangent"),
    "root_mean_squared_error_grad": ("cotangent",),
    "huber_loss_grad": ("delta", "reduction", "cotangent"),
    "smooth_l1_loss_grad": ("beta", "reduction", "cotangent"),
    "ctc_loss_grad": ("blank", "reduction", "zero_infinity", "cotangent"),
    "linear_cross_entropy_grad": ("linear_bias", "weight", "ignore_index", "label_smoothing", "z_loss", "softcap",
                                  "reduction", "wrt", "cotangent"),
}


#: The families whose spec page is not named after their reference module.
PAGES = {"linear": "large-vocabulary"}


@_dataclasses.dataclass(frozen=True)
class ContractParameter:
    """One parameter of a contract function."""

    name: str
    #: ``"positional"`` (positional or keyword) or ``"keyword-only"``.
    kind: str
    #: The default value, or :data:`REQUIRED`.
    default: object = REQUIRED

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def __str__(self) -> str:
        return self.name if self.required else f"{self.name}={self.default!r}"


@_dataclasses.dataclass(frozen=True)
class ContractFunction:
    """One function of the contract, as an implementation must provide it."""

    name: str
    #: The family (``softmax``, ``classification``, ...): the reference module
    #: that implements it and the spec page ``spec/<family>`` that defines it.
    family: str
    parameters: tuple
    #: Optional parameters the conformance suite exercises (see :data:`EXERCISED`).
    options: tuple
    #: For ``NAME_grad``, ``NAME``; otherwise ``None``.
    gradient_of: str | None = None

    @property
    def page(self) -> str:
        """The spec page, as a path of the site without suffix (``spec/softmax``)."""
        return f"spec/{PAGES.get(self.family, self.family)}"

    def signature(self) -> str:
        """``name(a, b, *, c=1)``, as the contract writes it."""
        parts, star = [], False
        for p in self.parameters:
            if p.kind == "keyword-only" and not star:
                parts.append("*")
                star = True
            parts.append(str(p))
        return f"{self.name}({', '.join(parts)})"


def _describe(name: str, function) -> ContractFunction:
    params = []
    for p in _inspect.signature(function).parameters.values():
        if p.kind not in _KINDS:
            raise TypeError(f"reference.{name} has a {p.kind.description} parameter {p.name!r}; "
                            "the contract has positional and keyword-only parameters only")
        params.append(ContractParameter(p.name, _KINDS[p.kind], p.default))
    gradient_of = name[: -len("_grad")] if name.endswith("_grad") else None
    options = EXERCISED.get(name, ())
    family = function.__module__.rsplit(".", 1)[-1]
    return ContractFunction(name, family, tuple(params), tuple(options), gradient_of)


@_functools.cache
def contract() -> dict:
    """``{name: ContractFunction}`` for every name of :data:`FUNCTIONS`, in that order.

    Raises ``LookupError`` naming a function the reference does not define.
    """
    import reference

    out = {}
    for name in FUNCTIONS:
        function = getattr(reference, name, None)
        if function is None:
            raise LookupError(f"contract function {name!r} is not defined by the reference package")
        out[name] = _describe(name, function)
    return out

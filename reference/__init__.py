"""The numpy reference implementation of the loss-function spec.

Every function computes in float64, follows the spec pages exactly, and raises
``ValueError``/``TypeError`` naming the argument for invalid input.  One module
per family; each lists its public names in ``__all__``.
"""

import importlib as _importlib

FAMILIES = ("softmax", "information", "classification", "binary", "regression", "ctc", "focal")

__all__ = ["reduce_loss"]
for _family in FAMILIES:
    _module = _importlib.import_module(f".{_family}", __name__)
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
    __all__ += list(_module.__all__)

from .reductions import reduce_loss  # noqa: E402

del _family, _module

"""The reference itself as an implementation under test (``--impl reference``).

It re-exports every contract function (:data:`conformance.spec.FUNCTIONS`) that
the ``reference`` package provides; a function the reference does not have yet
is reported as not provided.  Checking the reference against its own spec is
the suite's self-test: every check must pass.
"""

import reference as _reference

from ..spec import FUNCTIONS as _FUNCTIONS

__all__ = [name for name in _FUNCTIONS if callable(getattr(_reference, name, None))]
globals().update({name: getattr(_reference, name) for name in __all__})

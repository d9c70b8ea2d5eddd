"""The reference itself as an implementation under test."""

import reference as _reference

from ..spec import FUNCTIONS as _FUNCTIONS

globals().update({name: getattr(_reference, name) for name in _FUNCTIONS if hasattr(_reference, name)})

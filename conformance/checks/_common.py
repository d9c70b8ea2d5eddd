"""Helpers shared by the check modules: calling the function under test, judging
it against the reference at the same call, finite float strategies.

Not a check module itself (its name starts with ``_``, so ``checks/__init__``
does not import it for registration).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.context import format_call


def call(ctx, fn, name, args, kwargs=None):
    """Call ``fn(*args, **kwargs)`` through the context; also return the call as
    pasteable text for the report."""
    kwargs = dict(kwargs or {})
    return ctx.call(fn, *args, **kwargs), format_call(name, args, kwargs)


def finite_floats(lo, hi):
    """float64 numbers in ``[lo, hi]``, neither NaN nor infinite."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def agree(ctx, fn, name, args, kwargs=None):
    """Call ``fn`` and judge it against the reference's ``name`` at the same
    arguments, under ``name``'s budget."""
    kwargs = dict(kwargs or {})
    expected = getattr(ctx.reference, name)(*args, **kwargs)
    got, text = call(ctx, fn, name, args, kwargs)
    ctx.expect(name, args, kwargs, got, expected, call=text)


def _retyped(x, dtype):
    """A floating array as the array of the same numbers in ``dtype`` (where they
    fit); integer arrays and everything else as they are."""
    return x.astype(dtype) if isinstance(x, np.ndarray) and x.dtype.kind == "f" else x


def agree_in_float32(ctx, fn, name, args, kwargs=None):
    """Call ``fn`` with every floating array of the case rounded to float32 and
    judge it at the float32 budget against the reference's float64 result of
    those same numbers (the float32 inputs are exact; their rounding is not
    charged to ``fn``)."""
    args32 = tuple(_retyped(a, np.float32) for a in args)
    kwargs32 = {k: _retyped(v, np.float32) for k, v in (kwargs or {}).items()}
    got, text = call(ctx, fn, name, args32, kwargs32)
    args64 = tuple(_retyped(a, np.float64) for a in args32)
    kwargs64 = {k: _retyped(v, np.float64) for k, v in kwargs32.items()}
    expected = getattr(ctx.reference, name)(*args64, **kwargs64)
    ctx.expect(name, args64, kwargs64, got, expected, call=text, dtype=np.float32)

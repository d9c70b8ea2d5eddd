"""Floating dtypes, low precision included (float16, and bfloat16 from ``ml_dtypes``).

numpy knows float16; bfloat16 arrays are numpy arrays of ``ml_dtypes.bfloat16``
(a JAX dependency), whose dtype ``kind`` is ``"V"``, not ``"f"``: every test for
"a floating array" in the suite goes through :func:`is_floating`.
"""

from __future__ import annotations

import numpy as np

try:  # ml_dtypes comes with JAX; without it there is no bfloat16.
    import ml_dtypes as _ml
except ImportError:  # pragma: no cover - exercised only without JAX
    _ml = None

#: Low-precision floating dtypes numpy holds through ml_dtypes, by name.
EXTRA_FLOATS = {name: np.dtype(getattr(_ml, name)) for name in ("bfloat16",)} if _ml else {}


def dtype_of(name: str) -> np.dtype:
    """``"bfloat16"`` -> ``ml_dtypes.bfloat16``; any numpy name as numpy spells it."""
    if name in EXTRA_FLOATS:
        return EXTRA_FLOATS[name]
    if name == "bfloat16":
        raise ValueError("bfloat16 needs the ml_dtypes package (pip install ml_dtypes)")
    return np.dtype(name)


def is_floating(dtype) -> bool:
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype in EXTRA_FLOATS.values()


def is_low(dtype) -> bool:
    """float16 and bfloat16: the dtypes judged at about one ulp of their own."""
    dtype = np.dtype(dtype)
    return dtype == np.float16 or dtype in EXTRA_FLOATS.values()


def eps(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps)


def cast(value, dtype):
    """Floating arrays (and floats inside lists) in ``dtype``; everything else as it is."""
    dtype = np.dtype(dtype)
    if isinstance(value, np.ndarray) and is_floating(value.dtype):
        with np.errstate(over="ignore"):  # beyond the dtype's range is its infinity
            return value.astype(dtype)
    return value


def exact(value):
    """The numbers a low-precision array holds, as float64 (exactly: every bfloat16
    and float16 number is a float64 number)."""
    if isinstance(value, np.ndarray) and is_floating(value.dtype):
        return value.astype(np.float64)
    return value

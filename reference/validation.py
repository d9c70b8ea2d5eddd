"""Input validation shared by every reference function.

Every check runs before any arithmetic and raises ``TypeError`` (wrong kind of
object) or ``ValueError`` (right kind, wrong value or shape) with a message that
names the argument and says what was expected.  NaN is never rejected: NaN in
gives NaN out.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("none", "sum", "mean")


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array; reject anything that is not real and numeric."""
    if x is None:
        raise TypeError(f"{name} must be a real numeric array, got None")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a real numeric array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must be a real numeric array, got dtype {arr.dtype}"
        )
    return arr.astype(np.float64, copy=False)


def as_int_array(x, name: str) -> np.ndarray:
    """Return ``x`` as an int64 array of class indices or lengths."""
    if x is None:
        raise TypeError(f"{name} must be an integer array, got None")
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise TypeError(f"{name} must be an integer array: {exc}") from None
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def is_integer_array(x) -> bool:
    """True when ``x`` holds integers (class indices) rather than probabilities."""
    return np.issubdtype(np.asarray(x).dtype, np.integer)


def normalize_axis(axis, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` as a non-negative index into an array of ``ndim`` dimensions."""
    if isinstance(axis, bool) or not isinstance(axis, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    if ndim == 0:
        raise ValueError(f"{name}: the input must have at least one dimension, got a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for a {ndim}-d input, got {axis}")
    return int(axis) % ndim


def check_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'none', 'sum', 'mean', got {reduction!r}")
    return reduction


def check_real_scalar(value, name: str) -> float:
    """Return ``value`` as a Python float; reject non-numbers and NaN."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number):
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if np.isnan(value):
        raise ValueError(f"{name} must be a real number, got nan")
    return value


def check_base(base):
    """``None`` means natural logarithms; otherwise a positive number other than 1."""
    if base is None:
        return None
    b = check_real_scalar(base, "base")
    if not (b > 0 and b != 1 and np.isfinite(b)):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
    return b


def log_base_divisor(base) -> float:
    """The divisor that converts nats to the requested base (1.0 for nats)."""
    return 1.0 if base is None else float(np.log(base))


def check_eps(eps) -> float:
    e = check_real_scalar(eps, "eps")
    if not (e >= 0 and np.isfinite(e)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    return e


def check_in_range(value, name: str, lo: float, hi: float, *, lo_open=False, hi_open=False) -> float:
    v = check_real_scalar(value, name)
    ok_lo = v > lo if lo_open else v >= lo
    ok_hi = v < hi if hi_open else v <= hi
    if not (ok_lo and ok_hi):
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return v


def check_nonnegative(arr: np.ndarray, name: str) -> None:
    """Reject negative entries (NaN passes through)."""
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative (probabilities), found {float(arr[arr < 0].flat[0])!r}")


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Reject entries outside [0, 1] (NaN passes through)."""
    bad = (arr < 0) | (arr > 1)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 1], found {float(arr[bad].flat[0])!r}")


def check_same_shape(arr: np.ndarray, name: str, shape: tuple, what: str) -> None:
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {arr.shape}")


def broadcast_to(arr: np.ndarray, shape: tuple, name: str) -> np.ndarray:
    """Broadcast ``arr`` to ``shape`` or raise a ValueError naming ``name``."""
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} with shape {arr.shape} does not broadcast to the shape {tuple(shape)}"
        ) from None


def check_class_weight(weight, n_classes: int):
    """Per-class weights: ``None`` or a 1-d array of ``C`` non-negative finite numbers."""
    if weight is None:
        return None
    w = as_float_array(weight, "weight")
    if w.shape != (n_classes,):
        raise ValueError(f"weight must have shape ({n_classes},) (one weight per class), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weight must hold finite, non-negative numbers")
    return w


def check_class_indices(target: np.ndarray, n_classes: int, ignore_index, name: str = "target"):
    """Validate integer class indices; return the boolean mask of samples that count."""
    if ignore_index is not None:
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (numbers.Integral, np.integer)):
            raise TypeError(f"ignore_index must be an integer or None, got {ignore_index!r}")
        keep = target != ignore_index
    else:
        keep = np.ones(target.shape, dtype=bool)
    bad = keep & ((target < 0) | (target >= n_classes))
    if np.any(bad):
        raise ValueError(
            f"{name} holds class index {int(target[bad].flat[0])}, expected indices in [0, {n_classes})"
            + ("" if ignore_index is None else f" or ignore_index={ignore_index}")
        )
    return keep

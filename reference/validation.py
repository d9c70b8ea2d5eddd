"""Input validation shared by every reference function.

Every check runs before any arithmetic and raises ``TypeError`` (wrong kind of
object) or ``ValueError`` (right kind, wrong value or shape) with a message that
names the argument and says what was expected.  NaN is never rejected in data:
NaN in gives NaN out.  (NaN is rejected in scalar *options* such as ``gamma``.)

What counts as a real numeric array (``docs/spec/conventions.md``, "Invalid
input"): anything :func:`numpy.asarray` turns into an array of ``float*``,
``int*``, ``uint*`` or ``bool`` dtype.  Booleans are real *data* (0 and 1, a
mask or a binary label), but never class indices or lengths (an integer dtype is
required there) and never scalar options (``gamma=True`` is a ``TypeError``).
Strings, bytes, ``None``, dicts, sets, object arrays, ragged sequences, complex
numbers, datetimes and timedeltas are ``TypeError``.
"""

from __future__ import annotations

import numbers

import numpy as np

REDUCTIONS = ("none", "sum", "mean")

# dtype kinds accepted as real data / as integers (class indices, lengths)
_REAL_KINDS = "fiub"
_INT_KINDS = "iu"
_INT64_MAX = np.iinfo(np.int64).max


def _asarray(x, name: str, expected: str) -> np.ndarray:
    """``np.asarray(x)``, turning numpy's failures (ragged lists ...) into a TypeError."""
    if x is None:
        raise TypeError(f"{name} must be {expected}, got None")
    try:
        return np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - ragged lists and other unconvertible objects
        raise TypeError(
            f"{name} must be {expected}, got a {type(x).__name__} numpy cannot convert: {exc}"
        ) from None


def _dtype_description(x, arr: np.ndarray) -> str:
    where = "" if isinstance(x, np.ndarray) else f" (from a {type(x).__name__})"
    return f"dtype {arr.dtype}{where}"


def _is_extra_float(dtype) -> bool:
    """bfloat16 and the other floating types of ``ml_dtypes`` (numpy kind ``"V"``):
    real numbers, every one exactly a float64 number."""
    return dtype.kind == "V" and dtype.names is None and dtype.name in _EXTRA_FLOATS


#: The ``ml_dtypes`` floating types the reference reads (their values, exactly).
_EXTRA_FLOATS = ("bfloat16", "float8_e4m3fn", "float8_e5m2")


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a float64 array; reject anything that is not real and numeric.

    Integer and boolean arrays are accepted (as their values, 0 and 1 for
    booleans); wider floats (``longdouble``) are rounded to float64, to ``±inf``
    beyond its range, without a warning.
    """
    arr = _asarray(x, name, "a real numeric array")
    if arr.dtype.kind not in _REAL_KINDS and not _is_extra_float(arr.dtype):
        raise TypeError(f"{name} must be a real numeric array, got {_dtype_description(x, arr)}")
    with np.errstate(over="ignore"):  # longdouble beyond float64's range rounds to inf
        return arr.astype(np.float64, copy=False)


def as_int_array(x, name: str, expected: str = "an integer array") -> np.ndarray:
    """Return ``x`` as an int64 array of class indices or lengths.

    Only integer dtypes qualify: booleans and integral floats are ``TypeError``.
    """
    arr = _asarray(x, name, expected)
    if arr.size == 0 and arr.dtype.kind == "f" and not isinstance(x, np.ndarray):
        # [] or [[], []]: numpy's default dtype for a list of no numbers, not floats given
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in _INT_KINDS:
        raise TypeError(f"{name} must be {expected}, got {_dtype_description(x, arr)}")
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError(f"{name} holds {int(arr.max())}, expected integers that fit in int64")
    return arr.astype(np.int64, copy=False)


def is_integer_array(x) -> bool:
    """True when ``x`` holds integers (class indices) rather than probabilities.

    Never raises: anything that is not an integer array is left to
    :func:`as_float_array` to accept or reject with a message.
    """
    if x is None:
        return False
    try:
        return np.asarray(x).dtype.kind in _INT_KINDS
    except Exception:  # noqa: BLE001 - ragged and the like: not integers
        return False


def normalize_axis(axis, ndim: int, name: str = "axis", array_name: str = "the input") -> int:
    """Return ``axis`` as a non-negative index into an array of ``ndim`` dimensions."""
    if isinstance(axis, bool) or not isinstance(axis, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    if ndim == 0:
        raise ValueError(
            f"{array_name} must have at least one dimension, got a scalar ({name}={axis})")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for a {ndim}-d input, got {axis}")
    return int(axis) % ndim


def check_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'none', 'sum', 'mean', got {reduction!r}")
    return reduction


def check_real_scalar(value, name: str) -> float:
    """Return ``value`` as a Python float; reject non-numbers, booleans and NaN.

    A Python integer beyond float64's range becomes ``±inf`` (and is then
    rejected by the callers' finiteness checks with a ``ValueError``).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # a huge Python int (or Fraction)
        value = np.inf if value > 0 else -np.inf
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


def check_nonnegative(arr: np.ndarray, name: str, what: str = "probabilities") -> None:
    """Reject negative entries (NaN passes through)."""
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative ({what}), found {float(arr[arr < 0].flat[0])!r}")


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Reject entries outside [0, 1] (NaN passes through)."""
    bad = (arr < 0) | (arr > 1)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 1], found {float(arr[bad].flat[0])!r}")


def check_same_shape(arr: np.ndarray, name: str, shape: tuple, what: str) -> None:
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} ({what}), got {arr.shape}")


def check_probability_target(target: np.ndarray, pred_shape: tuple, pred_name: str,
                             ax: int, given_dtype, what: str = "class probabilities",
                             accepts_indices: bool = True) -> None:
    """A target of class probabilities (or one-hot rows) must have the prediction's shape.

    ``target`` is checked in the caller's coordinates (before any axis is
    moved).  When it has the shape of class indices instead, the message says
    why it was not taken as indices: ``[0., 2.]`` is not ``[0, 2]``.
    """
    pred_shape = tuple(pred_shape)
    if target.shape == pred_shape:
        return
    index_shape = pred_shape[:ax] + pred_shape[ax + 1:]
    hint = ""
    if target.shape == index_shape:
        hint = (f"; class indices need an integer dtype, got dtype {given_dtype}" if accepts_indices
                else "; class indices are not accepted here, pass one-hot rows")
    raise ValueError(
        f"target must have shape {pred_shape} ({what}: the shape of {pred_name}), "
        f"got {target.shape}{hint}")


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


def check_cotangent(cotangent, shape: tuple, what: str):
    """``None``, or ``cotangent`` as a float64 array of exactly ``shape``.

    ``shape`` is the shape of the function's result and ``what`` says in words
    what that result is (for the message): the output gradient of a
    vector-Jacobian product must match the output it weighs, so nothing is
    broadcast.
    """
    if cotangent is None:
        return None
    arr = as_float_array(cotangent, "cotangent")
    shape = tuple(int(k) for k in shape)
    if arr.shape != shape:
        raise ValueError(f"cotangent must have the shape of the result, {shape} ({what}), "
                         f"got shape {arr.shape}")
    return arr


def check_z_loss(z_loss) -> float:
    """The z-loss coefficient ``s``: a finite number ``>= 0`` (0 switches it off)."""
    s = check_real_scalar(z_loss, "z_loss")
    if not (s >= 0 and np.isfinite(s)):
        raise ValueError(f"z_loss must be a finite number >= 0, got {z_loss!r}")
    return s


def check_softcap(softcap):
    """The logit cap ``c``: ``None`` (no cap) or a finite number ``> 0``.

    ``softcap=inf`` is refused rather than read as "no cap": ``inf * tanh(z / inf)``
    has no value in floating point, and ``None`` already says "no cap".
    """
    if softcap is None:
        return None
    c = check_real_scalar(softcap, "softcap")
    if not (c > 0 and np.isfinite(c)):
        raise ValueError(f"softcap must be None or a finite number > 0, got {softcap!r}")
    return c

"""The one budget rule of the conformance suite (spec page: accuracy).

A value passes when every element is within

    ulps(dtype) * (1 + cond)   units in the last place of ``dtype``,
    measured at max(|expected|, floor),

``ulps(dtype)`` from :data:`DEFAULT_ULPS`, ``cond`` the condition number of the
function at that input and ``floor`` the magnitude below which absolute error
is judged (1 for a loss or a log-probability, 0 where the result is judged
relative to its own size).  Each contract function states its ``(floor, cond)``
once, registered with :func:`condition` by its family's check module; every
check and every case row of that function uses it through :func:`judge`, so a
row's budget is its clause's budget.

Reductions add the summation's share in one place, :func:`reduced_cond`.
Results whose exact value is below the normal range may be flushed to zero or
rounded gradually (:func:`allow_underflow`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

#: Budget in ulps of the input dtype for a well-conditioned result.
DEFAULT_ULPS = {np.dtype(np.float64): 16.0, np.dtype(np.float32): 16.0}

#: ``function -> condition(args, kwargs, expected) -> (floor, cond)``.
CONDITIONS: dict[str, Callable] = {}

TINY = np.finfo(np.float64).tiny


def default_ulps(dtype) -> float:
    return DEFAULT_ULPS.get(np.dtype(dtype), 16.0)


def judged_precision(result_dtype, input_dtype=None):
    """``(dtype, base, ulps)``: in which dtype's ulps a result is judged, and how.

    float64 and float32 input is judged in its own dtype, ``ulps(dtype) x (1 +
    cond)``, whatever the result's dtype (float64 input must be computed in
    float64).  For float16 and bfloat16 input, a result returned in float32 or
    float64 is judged at the float32 budget; a result returned in the input's
    low precision gets one ulp of its own (the final rounding of a result
    computed in float32, half an ulp, plus as much again for the operations
    after it) plus the float32 budget expressed in its ulps: a kernel that
    computes in float32 and rounds once passes, one that computes in the low
    precision fails wherever that loses the answer.
    """
    from .lowp import eps, is_floating, is_low

    dt = np.dtype(input_dtype) if input_dtype is not None else np.dtype(np.float64)
    if not is_low(dt):
        return dt, 0.0, default_ulps(dt)
    out = np.dtype(result_dtype) if is_floating(result_dtype) else np.dtype(np.float32)
    if not is_low(out):
        return np.dtype(np.float32), 0.0, default_ulps(np.float32)
    return out, 1.0, default_ulps(np.float32) * eps(np.float32) / eps(out)


def condition(*functions: str):
    """Register ``fn(args, kwargs, expected) -> (floor, cond)`` as the budget of ``functions``.

    ``args`` are the call's positional arguments as float64 arrays (integers
    stay integers), ``kwargs`` its keywords and ``expected`` the spec's value
    (a float64 array).  ``cond`` broadcasts against ``expected``.
    """
    def register(fn):
        for name in functions:
            if name in CONDITIONS:
                raise ValueError(f"the budget of {name!r} is registered twice")
            CONDITIONS[name] = fn
        return fn

    return register


def judge(function: str, args, kwargs, expected):
    """``(floor, cond)`` of ``function`` at this call (see :func:`condition`).

    ``cond`` is clipped so that ``ulps * (1 + cond)`` stays finite.
    """
    try:
        rule = CONDITIONS[function]
    except KeyError:
        raise KeyError(f"no budget is registered for {function!r} (conformance.budgets.condition)") from None
    args = tuple(_as_float(a) for a in args)
    exp = np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        floor, cond = rule(args, dict(kwargs or {}), exp)
        cond = np.asarray(cond, dtype=np.float64)
        cond = np.where(np.isfinite(cond), np.minimum(cond, 1e300), 1e300)
    if cond.shape != exp.shape:
        cond = (cond.reshape(exp.shape) if cond.size == exp.size
                else np.broadcast_to(np.max(cond) if cond.size else 0.0, exp.shape))
    return floor, cond


def reduced_cond(a_n, per, expected, reduction, *, w_sum=None, floor=1.0):
    """The condition of a loss reduced over samples: the one summation rule.

    Parameters
    ----------
    a_n : array
        Each sample's absolute rounding error bound, in units of the dtype's
        ulp at 1 (its own condition times its magnitude: ``cond_n * max(|l_n|, floor)``).
    per : array
        The per-sample values (already weighted), as ``reduction="none"`` returns them.
    expected : float or array
        The reduced value the spec gives.
    reduction : {"none", "sum", "mean"}
    w_sum : float, optional
        The mean's denominator ``sum(w_n)`` (the number of samples by default).
    floor : float
        The magnitude below which the result is judged absolutely.

    Notes
    -----
    ``"none"`` is judged per sample: ``a_n / max(|l_n|, floor)``.  A sum of ``n``
    terms computed in any order is off by at most ``n`` ulps of ``sum |l_n|``
    on top of the terms' own errors; a mean divides that by ``sum(w_n)``, which
    is itself rounded, so its share counts twice.  The total is relative to
    ``max(|expected|, floor)``.
    """
    a_n = np.where(np.isfinite(a_n), np.abs(a_n), 0.0)
    mag = np.where(np.isfinite(per), np.abs(per), 0.0)
    with np.errstate(all="ignore"):
        if reduction == "none":
            return np.where(a_n > 0, a_n / np.maximum(mag, floor), 0.0)
        n = max(mag.size, 1)
        total = float(np.sum(a_n) + n * np.sum(mag))
        if reduction == "mean":
            d = float(n if w_sum is None else w_sum)
            total = 2.0 * total / d if d > 0 else 0.0
        e = float(np.asarray(expected, dtype=np.float64).reshape(-1)[0]) if np.size(expected) else 0.0
        scale = max(abs(e) if math.isfinite(e) else 1.0, floor)
        return np.float64(total / scale) if scale > 0 else np.float64(0.0)


def allow_underflow(got, expected):
    """``expected`` with each entry below the normal range (|x| < 2.2e-308)
    replaced by ``got`` where ``got`` has at most that magnitude and the same sign:
    flushing to zero (as XLA does) and gradual underflow both conform."""
    exp = np.asarray(expected, dtype=np.float64)
    g = np.asarray(got)
    if g.shape != exp.shape or g.dtype.kind not in "fiub":
        return exp
    g = g.astype(np.float64)
    with np.errstate(all="ignore"):
        ok = (np.abs(exp) < TINY) & (np.abs(g) <= TINY) & (np.sign(g) * np.sign(exp) >= 0)
    return np.where(ok, g, exp)


def allow_overflow(got, expected):
    """``expected`` with each finite entry that rounds to infinity in ``got``'s
    floating dtype replaced by that infinity: a float16 result of exact value
    166623 is ``inf`` when rounded once (65504 is float16's largest), so ``inf``
    of the same sign conforms."""
    from .lowp import is_floating

    exp = np.asarray(expected, dtype=np.float64)
    g = np.asarray(got)
    if g.shape != exp.shape or not is_floating(g.dtype) or g.dtype == np.float64:
        return exp
    with np.errstate(all="ignore"):
        rounded = exp.astype(g.dtype).astype(np.float64)
    return np.where(np.isfinite(exp) & np.isinf(rounded), rounded, exp)


def _as_float(a):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.astype(np.float64)
    if isinstance(a, (float, np.floating)):
        return np.float64(a)
    return a

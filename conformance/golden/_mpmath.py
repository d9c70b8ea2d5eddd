"""What every golden-vector generator shares: mpmath at 60 digits and the
rounding of its results to float64."""

from __future__ import annotations

import mpmath as mp
import numpy as np

mp.mp.dps = 60
INF = float("inf")
NAN = float("nan")


def to_float(x) -> float:
    """An mpmath number (or a float, ±inf, NaN) rounded to the nearest float64."""
    if isinstance(x, float):
        return x
    if mp.isnan(x):
        return NAN
    if mp.isinf(x):
        return INF if x > 0 else -INF
    return float(x)  # mpmath rounds to nearest


def rounded(values):
    """An oracle result (an object array of mpf) rounded entry by entry to
    float64: a number for a reduced (0-d) result, an array otherwise."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 0:
        return to_float(arr[()])
    return np.array([to_float(v) for v in arr.reshape(-1)], dtype=np.float64).reshape(arr.shape)


def oracle_row(id, function, clause, args, kwargs):
    """A golden row whose expected value is the oracle's function of the same name
    (in :mod:`accuracy.exact`) at this call."""
    from accuracy import exact

    oracle = getattr(exact, function)
    return {"id": id, "function": function, "clause": clause, "args": list(args), "kwargs": dict(kwargs),
            "expected": rounded(oracle(*args, **kwargs))}

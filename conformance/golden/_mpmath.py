"""What every golden-vector generator shares: mpmath at 60 digits and the
rounding of its results to float64."""

from __future__ import annotations

import mpmath as mp

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

"""Numerical helpers shared by the test modules."""

import numpy as np


def central_diff(f, x, h=1e-6):
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` of a scalar ``f``
    at every entry of the float array ``x``."""
    g = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g

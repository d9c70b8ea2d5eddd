"""Accuracy budgets the conformance suite applies (spec page: accuracy).

A value check passes when every element is within ``ulps * (1 + cond)`` units
in the last place of the input dtype, measured at ``max(|expected|, floor)``.
``cond`` is the condition number of the function at that input, so an
implementation is only asked for what a stable algorithm in that precision can
deliver; ``floor`` turns the measure into an absolute one for results far below
the natural scale of the function (a loss or a log-probability near 0).
"""

import numpy as np

#: Budget in ulps of the input dtype for a well-conditioned result.
DEFAULT_ULPS = {np.dtype(np.float64): 16.0, np.dtype(np.float32): 16.0}


def default_ulps(dtype) -> float:
    return DEFAULT_ULPS.get(np.dtype(dtype), 16.0)

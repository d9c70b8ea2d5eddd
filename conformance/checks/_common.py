"""Helpers shared by the check modules: calling the function under test, finite
float strategies and the golden-vector check.

Not a check module itself (its name starts with ``_``, so ``checks/__init__``
does not import it for registration).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from conformance.context import format_call
from conformance.golden import load as load_golden
from conformance.registry import Skip


def call(ctx, fn, name, args, kwargs=None):
    """Call ``fn(*args, **kwargs)`` through the context; also return the call as
    pasteable text for the report."""
    kwargs = dict(kwargs or {})
    return ctx.call(fn, *args, **kwargs), format_call(name, args, kwargs)


def finite_floats(lo, hi):
    """float64 numbers in ``[lo, hi]``, neither NaN nor infinite."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def reduced_cond(a_n, per, expected, reduction):
    """The condition term of ``assert_close`` for a reduced loss.

    ``a_n`` bounds each sample's absolute rounding error in units of its loss
    (its own condition number times its size), ``per`` are the per-sample
    losses.  ``"none"`` is judged per sample; ``"sum"`` and ``"mean"`` add the
    summation's own error (``n`` times the sum of magnitudes) and are taken
    relative to the reduced value ``expected``."""
    with np.errstate(all="ignore"):
        per = np.where(np.isfinite(per), np.abs(per), 0.0)
        if reduction == "none":
            return a_n / np.maximum(per, 1.0)
        n = max(per.size, 1)
        total = float(np.sum(a_n) + n * np.sum(per))
        if reduction == "mean":
            total = 2.0 * total / n
        e = float(expected)
        return np.float64(total / max(abs(e) if math.isfinite(e) else 1.0, 1.0))


def check_golden(fn, ctx, family, function, *, default_clause, adjust=None):
    """Compare ``fn`` with every committed golden row of ``function``
    (``conformance/golden/FAMILY.jsonl``), each with its own ulp tolerance.

    ``adjust(got, expected)`` may relax the expected value where the clause
    allows it (e.g. flushing of subnormal results)."""
    rows = [r for r in load_golden(family) if r["function"] == function]
    if not rows:
        raise Skip(f"no golden rows for this function (conformance/golden/{family}.jsonl)")
    for row in rows:
        got, text = call(ctx, fn, function, tuple(row["args"]), row["kwargs"])
        expected = row["expected"] if adjust is None else adjust(got, row["expected"])
        ctx.assert_close(got, expected, call=text, ulps=row.get("ulps", 16.0), floor=row.get("floor", 1.0),
                         what=f"golden case {row['id']} ({row.get('clause', default_clause)})")

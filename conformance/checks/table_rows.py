"""The one generic check of the case tables (:mod:`conformance.cases`).

Every row becomes a check of its own, with the row's id, clause and kind, so a
report shows each failing row with its clause text and its own call, every row
runs whatever the others do, and a row that needs an option the target lacks
(``NotImplementedError``) is skipped alone.

* A value row passes when the target's result is within the budget of its
  function (:func:`conformance.budgets.judge`): a row's budget is its clause's.
  A row with ``decimals`` is judged at that printed precision instead.
* A row with ``raises`` passes when the target raises (any exception but
  ``NotImplementedError``, which is no refusal: the row is then skipped) or
  returns NaN everywhere; a number is a failure.
"""

from __future__ import annotations

import numpy as np

from conformance.cases import Case, all_cases
from conformance.context import format_call
from conformance.registry import Failure, check


def run_case(case: Case, fn, ctx) -> None:
    args = tuple(_fresh(a) for a in case.args)
    kwargs = {k: _fresh(v) for k, v in case.kwargs.items()}
    call = format_call(case.function, args, kwargs)
    if case.refuses:
        ctx.assert_raises_or_nan(fn, args, kwargs, call=call)
        return
    got = ctx.call(fn, *args, **kwargs)
    if case.decimals is not None:
        _at_printed_precision(got, case, call)
        return
    dtype = next((a.dtype for a in case.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                 np.dtype(np.float64))
    ctx.expect(case.function, case.args, case.kwargs, got, case.expected, call=call, dtype=dtype,
               what=f"row {case.id}")


def _at_printed_precision(got, case: Case, call: str) -> None:
    exp = np.asarray(case.expected, dtype=np.float64)
    g = np.asarray(got, dtype=np.float64)
    if g.shape != exp.shape:
        raise Failure(f"row {case.id}: shape {g.shape}, expected {exp.shape}", counterexample=call)
    # A value printed to d decimals is the true value rounded: within half a unit
    # of the last place, plus the float64 rounding of the printed number itself.
    tol = 0.5 * 10.0 ** -case.decimals * (1 + 1e-9)
    with np.errstate(invalid="ignore"):
        err = np.abs(g - exp)
    if not np.all(err <= tol):
        raise Failure(f"row {case.id}: differs from the source's {case.decimals}-decimal values by "
                      f"{float(np.nanmax(err)) if np.any(np.isfinite(err)) else float('nan'):.3g}",
                      expected=exp.tolist(), got=g.tolist(), counterexample=call,
                      max_abs_error=float(np.nanmax(err)) if err.size else None)


def _fresh(value):
    """A private copy of an argument, so that no target can change the table."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _register(case: Case) -> None:
    @check(case.id, function=case.function, clause=case.clause, kind=case.kind,
           description=case.note or f"{_describe(case)} ({case.source})")
    def _(fn, ctx, case=case):
        run_case(case, fn, ctx)


def _describe(case: Case) -> str:
    from conformance.cases import show_call, show_outcome

    return f"{show_call(case, 60)} → {show_outcome(case, 40)}"


for _case in all_cases():
    _register(_case)

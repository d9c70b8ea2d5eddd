"""float16 and bfloat16 input (``--dtypes float16,bfloat16``; clause ``conv.low-precision``
on ``docs/spec/conventions.md``).

The spec value for low-precision input is the exact function of the numbers
the input holds: the inputs are cast once, here, and the reference computes
from those numbers in float64, so rounding the input is never charged to the
implementation.  A result returned in float32 is judged at the float32 budget,
one returned in the input's dtype at about one ulp of that dtype
(:func:`conformance.budgets.judged_precision`).

With ``--baseline`` (torch by default, where installed) the same inputs also
go to the baseline, and the row says whether the implementation is at least as
accurate as it, in ulps of the same dtype (``worse than torch by 3 ulps``):
Apple's cut-cross-entropy tests judge a kernel that way.

Each function is called at the rows of its case table (its function's rows
for a gradient), at confident rows where the low precision loses a gradient
entry ``p_y - 1`` (Liger-Kernel PR 1329), and at a few sizes of the ladder
(:mod:`conformance.checks.sizes`), the language-model vocabularies included.
"""

from __future__ import annotations

import numpy as np

from conformance import lowp
from conformance.cases import Case, all_cases
from conformance.checks import sizes
from conformance.context import format_call
from conformance.registry import Skip, check
from conformance.spec import FUNCTIONS

LOW = ("float16", "bfloat16")

#: Sizes of the ladder also run in low precision.
LADDER_CLASS_COUNTS = (1025, 32000, 128256)
LADDER_ELEMENT_COUNTS = (1025, 65537)


def _confident_inputs(function):
    """Rows whose target probability is 0.98 to 0.9998, where ``1 - p_y`` is lost
    to a low-precision subtraction."""
    base = function[:-len("_grad")] if function.endswith("_grad") else function
    out = []
    for row in ([7.0, 0.0, 0.0], [0.0, 9.5, 0.0, 0.0], [4.5, 0.0]):
        z = np.array([row])
        y = np.array([int(np.argmax(z))])
        if base in ("softmax_cross_entropy", "focal_loss"):
            out.append(("confident row", (z, y), {"reduction": "none"}))
        elif base in ("softmax", "log_softmax", "logsumexp"):
            out.append(("confident row", (z,), {}))
    return out


def _ladder_inputs(function):
    out = []
    for label, args, kwargs in sizes._cases(function):
        # the float64 entries at the chosen sizes (their float32 twins are not needed)
        if any(label == f"C={c}" for c in LADDER_CLASS_COUNTS) or \
                any(label == f"n={n}" for n in LADDER_ELEMENT_COUNTS) or \
                label in ("T=255, L=100", f"N={sizes.BATCHES[0]}, C=3"):
            out.append((label, args, kwargs))
    return out


def _row_inputs(function, rows):
    return [(f"row {c.id}", c.args, c.kwargs) for c in rows]


def check_low_precision(function, dtype_name, inputs, fn, ctx):
    if dtype_name not in ctx.dtypes:
        raise Skip(f"{dtype_name} is not among the dtypes of this run (--dtypes)")
    dtype = lowp.dtype_of(dtype_name)

    def body(item):
        label, args, kwargs = item
        low = tuple(lowp.cast(a, dtype) for a in args)
        low_kw = {k: lowp.cast(v, dtype) for k, v in kwargs.items()}
        held = tuple(lowp.exact(a) for a in low)
        held_kw = {k: lowp.exact(v) for k, v in low_kw.items()}
        _holds_in_float64(function, held, held_kw, fn, ctx, label)
        with np.errstate(all="ignore"):
            expected = getattr(ctx.reference, function)(*held, **held_kw)
        small = sum(np.size(a) for a in args) < 64
        call = (format_call(function, low, low_kw) if small else
                f"{function}(<{label} in {dtype_name}>, {kwargs})") + f"  # {label}"
        got = ctx.call(fn, *low, **low_kw)
        ctx.measure_baseline(function, low, low_kw, got, held, held_kw, expected, dtype=dtype)
        ctx.expect(function, held, held_kw, got, expected, call=call, dtype=dtype, what=f"{label} in {dtype_name}")

    ctx.subcases(inputs(), body)


def _holds_in_float64(function, args, kwargs, fn, ctx, label):
    """Low precision judges what the precision costs: at the numbers the
    low-precision input holds, given in float64, the target must be right, or
    the case is left to the float64 checks (a row whose 1e308 becomes inf in
    bfloat16 meets the target's handling of inf, which the rows with inf judge)."""
    from conformance.registry import Failure

    try:
        got = ctx.call(fn, *args, **kwargs)
        expected = getattr(ctx.reference, function)(*args, **kwargs)
        ctx.expect(function, args, kwargs, got, expected, call=label)
    except NotImplementedError:
        raise
    except (Failure, Exception) as exc:  # noqa: BLE001 - judged by the row's own check
        raise NotImplementedError(f"{label} does not hold in float64 ({type(exc).__name__}); "
                                  "its own check reports it") from None


def _rows_by_function():
    out: dict[str, list[Case]] = {}
    for case in all_cases():
        if not case.refuses and case.decimals is None:
            out.setdefault(case.function, []).append(case)
    return out


def _register(function, rows):
    def inputs():
        return _row_inputs(function, rows) + _confident_inputs(function) + _ladder_inputs(function)

    for name in LOW:
        @check(f"{function}.dtype.{name}", function=function, clause="conv.low-precision", kind="dtype",
               dtype=name, description=f"table rows, confident rows and ladder sizes in {name}: "
                                       "the exact function of the numbers the input holds")
        def _(fn, ctx, name=name):
            check_low_precision(function, name, inputs, fn, ctx)


_ROWS = _rows_by_function()
for _function in FUNCTIONS:
    _own = _ROWS.get(_function)
    _base = _function[:-len("_grad")] if _function.endswith("_grad") else None
    _rows = _own if _own is not None else _ROWS.get(_base, [])
    if _function in ("ctc_collapse",):
        continue  # labels, not numbers
    _register(_function, _rows)

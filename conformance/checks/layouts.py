"""The case tables' rows again, handed over the way kernels receive them
(spec page ``docs/spec/conventions.md``, "What every implementation must cope with").

Every value row of a function is called once more with its arrays as

* views with other memory layouts holding the same numbers: Fortran order, a
  slice with a step of 2 along every axis, negative strides
  (``conv.layout``);
* read-only arrays, and writable copies compared after the call
  (``conv.inputs-unchanged``);
* integer arguments (class indices, lengths) in every narrower integer dtype
  they fit, and as Python lists (``conv.integer-targets``);

and must give what it gives for the row as the table holds it (contiguous
arrays, int64 indices), within its function's budget: whether that value is
right is the row's own check.  A kernel that
reads its input as if it were contiguous, writes into it, or keeps labels in
the wrong integer width fails here while passing every row.
"""

from __future__ import annotations

import numpy as np

from conformance.cases import Case, all_cases
from conformance.context import format_call
from conformance.registry import Failure, check
from conformance.spec import FUNCTIONS


# ---------------------------------------------------------------------------
# the same numbers, another layout
# ---------------------------------------------------------------------------

def fortran(a):
    return np.asfortranarray(a) if a.ndim >= 2 else None


def strided(a):
    """A view with step 2 along every axis (non-unit strides everywhere)."""
    if a.ndim == 0 or a.size == 0:
        return None
    big = np.zeros(tuple(2 * n for n in a.shape), dtype=a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def reversed_strides(a):
    """The same values in a view whose strides are negative."""
    if a.ndim == 0 or a.size <= 1:
        return None
    axes = tuple(range(a.ndim))
    return np.flip(np.flip(a, axes).copy(), axes)


LAYOUTS = {"Fortran order": fortran, "a step of 2": strided, "negative strides": reversed_strides}


def _read_only(a):
    b = a.copy()
    b.setflags(write=False)
    return b


def _narrower(a):
    """``a`` (integer) in each narrower dtype that holds its values, and as a list."""
    out = []
    for dt in (np.int32, np.int16, np.uint8):
        info = np.iinfo(dt)
        if a.size and (a.min() < info.min or a.max() > info.max):
            continue
        out.append((np.dtype(dt).name, a.astype(dt)))
    out.append(("a Python list", a.tolist()))
    return out


# ---------------------------------------------------------------------------
# running a row with changed arguments
# ---------------------------------------------------------------------------

def _variants(case: Case, change):
    """``(label, args, kwargs)`` for each way ``change(array) -> [(label, new)]`` alters an argument."""
    for i, a in enumerate(case.args):
        if isinstance(a, np.ndarray):
            for label, new in change(a):
                args = list(case.args)
                args[i] = new
                yield f"argument {i + 1} as {label}", tuple(args), case.kwargs
    for k, v in case.kwargs.items():
        if isinstance(v, np.ndarray):
            for label, new in change(v):
                yield f"{k} as {label}", case.args, {**case.kwargs, k: new}


def _own_result(ctx, case: Case, fn, cache: dict):
    """The target's result at the row as the table holds it (contiguous, int64).

    The layouts are judged against it, not against the spec's value: whether
    the row's value itself is right is the row's own check, so a listed
    deviation of a row is not reported again here.
    """
    if case.id not in cache:
        try:
            cache[case.id] = ("ok", ctx.call(fn, *(_copy(a) for a in case.args),
                                             **{k: _copy(v) for k, v in case.kwargs.items()}))
        except NotImplementedError as exc:
            cache[case.id] = ("unsupported", str(exc))
        except Failure:
            raise
        except Exception as exc:  # noqa: BLE001 - the row's own check reports it
            cache[case.id] = ("raised", f"{type(exc).__name__}: {exc}")
    status, value = cache[case.id]
    if status != "ok":
        # Not this check's business: the row's own check judges a call that fails.
        raise NotImplementedError(f"row {case.id}: the call itself {'is not supported' if status == 'unsupported' else 'raised'}")
    return value


def _judge(ctx, case: Case, fn, label, args, kwargs, cache):
    """``fn`` at the changed arguments against its own result at the row."""
    function = ctx.function
    base = _own_result(ctx, case, fn, cache)
    call = format_call(function, args, kwargs) + f"  # row {case.id}, {label}"
    got = ctx.call(fn, *args, **kwargs)
    dtype = next((a.dtype for a in case.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"),
                 np.dtype(np.float64))
    ctx.expect(function, case.args, case.kwargs, got, np.asarray(base, dtype=np.float64), call=call,
               dtype=dtype, what=f"row {case.id} with {label}, against its own result for the row as written")


def _layout_changes(a):
    if a.dtype.kind not in "fiub":
        return []
    return [(name, v) for name, make in LAYOUTS.items() if (v := make(a)) is not None]


def _integer_changes(a):
    return _narrower(a) if a.dtype.kind in "iu" else []


def check_layouts(rows, fn, ctx):
    cache = {}
    ctx.subcases([(c, *v) for c in rows for v in _variants(c, _layout_changes)],
                 lambda item: _judge(ctx, item[0], fn, *item[1:], cache))


def check_integer_targets(rows, fn, ctx):
    cache = {}
    ctx.subcases([(c, *v) for c in rows for v in _variants(c, _integer_changes)],
                 lambda item: _judge(ctx, item[0], fn, *item[1:], cache))


def check_inputs_unchanged(rows, fn, ctx):
    cache = {}

    def body(case):
        # Writable copies, compared after the call (ctx.call compares every array it passes) ...
        _own_result(ctx, case, fn, cache)
        # ... and read-only arrays, which a kernel must accept.
        args = tuple(_read_only(a) if isinstance(a, np.ndarray) else a for a in case.args)
        kwargs = {k: _read_only(v) if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
        try:
            _judge(ctx, case, fn, "read-only arrays", args, kwargs, cache)
        except (ValueError, RuntimeError) as exc:
            if "read-only" not in str(exc) and "not writeable" not in str(exc):
                raise
            raise Failure(f"row {case.id}: fails on read-only input arrays ({type(exc).__name__}: {exc}); "
                          "an implementation may not write into its inputs",
                          counterexample=format_call(case.function, args, kwargs)) from None

    ctx.subcases(rows, body)


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


# ---------------------------------------------------------------------------
# registration: one check of each kind per function with value rows
# ---------------------------------------------------------------------------

def _value_rows():
    out: dict[str, list[Case]] = {}
    for case in all_cases():
        if not case.refuses and case.decimals is None and any(
                isinstance(a, np.ndarray) and a.size for a in case.args):
            out.setdefault(case.function, []).append(case)
    return out


def _register(function, table_rows, of=None):
    """The three checks of ``function`` over ``table_rows`` (those of ``of``, whose
    gradient ``function`` is: then only the rows where that gradient is finite)."""
    rows = _Rows(table_rows, of)
    with_ints = _Rows([c for c in table_rows if any(isinstance(a, np.ndarray) and a.dtype.kind in "iu"
                                                    for a in (*c.args, *c.kwargs.values()))], of)

    @check(f"{function}.layout.views", function=function, clause="conv.layout", kind="special",
           description=f"the {len(table_rows)} table rows of {of or function} as Fortran-ordered, "
                       "step-2 and negative-stride views")
    def _(fn, ctx):
        check_layouts(rows.get(), fn, ctx)

    @check(f"{function}.layout.inputs-unchanged", function=function, clause="conv.inputs-unchanged",
           kind="special", description=f"the table rows of {of or function} as read-only arrays; "
                                       "writable inputs unchanged after the call")
    def _(fn, ctx):
        check_inputs_unchanged(rows.get(), fn, ctx)

    if with_ints.cases:
        @check(f"{function}.layout.integer-targets", function=function, clause="conv.integer-targets",
               kind="special", description=f"the rows of {of or function} with integer arguments as int32, "
                                           "int16, uint8 (where they fit) and Python lists")
        def _(fn, ctx):
            check_integer_targets(with_ints.get(), fn, ctx)


class _Rows:
    """Rows, filtered on first use to those where the reference's gradient is finite."""

    def __init__(self, cases, of=None):
        self.cases, self.of, self._kept = cases, of, None

    def get(self):
        if self._kept is None:
            self._kept = self.cases if self.of is None else _gradient_rows(self.of, self.cases)
        return self._kept


def _gradient_rows(function, rows):
    """The rows of ``function`` at which the reference's gradient is defined (finite)."""
    import reference

    grad = getattr(reference, f"{function}_grad")
    out = []
    for case in rows:
        try:
            with np.errstate(all="ignore"):
                g = np.asarray(grad(*case.args, **case.kwargs), dtype=np.float64)
        except (ValueError, TypeError):
            continue
        if np.all(np.isfinite(g)):
            out.append(case)
    return out


_ROWS = _value_rows()
for _function, _rows in _ROWS.items():
    _register(_function, _rows)
    # A gradient without rows of its own is called at its function's rows.
    if f"{_function}_grad" in FUNCTIONS and f"{_function}_grad" not in _ROWS:
        _register(f"{_function}_grad", _rows, of=_function)

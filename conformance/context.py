"""What a check body gets as ``ctx``: access to the implementation, the
reference, comparisons in ulps and hypothesis-driven properties."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .registry import Failure, Skip
from .budgets import allow_underflow, default_ulps, judge, judged_precision
from .lowp import EXTRA_FLOATS, is_floating


def format_value(v) -> str:
    """A Python expression that rebuilds ``v`` exactly (floats as ``float.fromhex``
    only where ``repr`` would lose nothing is not enough: repr of a float64 is exact)."""
    if isinstance(v, np.ndarray):
        if v.dtype in EXTRA_FLOATS.values():
            body = format_value(v.astype(np.float64))[len("np.array("):-len(", dtype=np.float64)")]
            return f"np.array({body}, dtype=ml_dtypes.{v.dtype.name})"
        if v.dtype.kind == "f":
            body = np.array2string(v, separator=", ", floatmode="unique", threshold=10**9,
                                   max_line_width=10**9, formatter={"float_kind": _float_repr})
            return f"np.array({body}, dtype=np.{v.dtype.name})"
        if v.dtype.kind in "iub":
            return f"np.array({v.tolist()!r}, dtype=np.{v.dtype.name})"
        return f"np.array({v.tolist()!r})"
    if isinstance(v, (float, np.floating)):
        return _float_repr(float(v))
    if isinstance(v, (list, tuple)):
        inner = ", ".join(format_value(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {format_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


def _float_repr(x: float) -> str:
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(float(x))


def format_call(name: str, args=(), kwargs=None) -> str:
    parts = [format_value(a) for a in args]
    parts += [f"{k}={format_value(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def ulp_errors(got, expected, *, dtype=np.float64, floor=0.0):
    """Element-wise error in units in the last place of ``dtype``.

    The unit is ``spacing(max(|expected|, floor))``.  Matching NaNs and equal
    infinities count 0; any other disagreement involving NaN or inf counts inf.
    """
    got = np.asarray(got, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    got, exp = np.broadcast_arrays(got, exp)
    with np.errstate(all="ignore"):
        abs_err = np.abs(got - exp)
        scale = np.maximum(np.abs(exp), floor).astype(dtype)
        unit = np.spacing(scale).astype(np.float64)
        ulps = abs_err / unit
    both_nan = np.isnan(got) & np.isnan(exp)
    same_inf = np.isinf(exp) & (got == exp)
    exact = both_nan | same_inf | (got == exp)
    bad = ~exact & (np.isnan(got) | np.isnan(exp) | np.isinf(got) | np.isinf(exp))
    abs_err = np.where(exact, 0.0, np.where(bad, np.inf, abs_err))
    ulps = np.where(exact, 0.0, np.where(bad, np.inf, ulps))
    return abs_err, ulps


class Context:
    """Per-run services for check bodies.

    Attributes
    ----------
    function : str
        The contract name of the function under test.
    max_examples, seed : int
        Hypothesis budget and seed (derandomised from ``seed``).
    """

    def __init__(self, implementation, *, function: str, max_examples: int = 50,
                 seed: int = 0, reference=None, dtypes=None):
        self._implementation = implementation
        from .registry import DEFAULT_DTYPES

        #: The input dtypes this run checks (``--dtypes``).
        self.dtypes = tuple(dtypes) if dtypes else DEFAULT_DTYPES
        self.function = function
        self.max_examples = max_examples
        self.seed = seed
        if reference is None:
            import reference as reference_module
            reference = reference_module
        self.reference = reference
        self.max_abs_error = 0.0
        self.max_ulp_error = 0.0

    # -- the implementation -------------------------------------------------
    def impl(self, name: str) -> Callable:
        """Another function of the implementation; :class:`Skip` when absent."""
        fn = getattr(self._implementation, name, None)
        if fn is None or not callable(fn):
            raise Skip(f"needs {name}, which the implementation does not provide")
        return fn

    def call(self, fn: Callable | str, *args, **kwargs) -> np.ndarray:
        """Call ``fn`` (a callable or a function name of the implementation) and
        return its result as a numpy array."""
        if isinstance(fn, str):
            fn = self.impl(fn)
        before = _snapshot(args, kwargs)
        out = fn(*args, **kwargs)
        written = _written(before, args, kwargs)
        if written:
            call = format_call(self.function, args, kwargs)
            raise Failure(f"wrote into its input {written} (conv.inputs-unchanged: no function may modify "
                          f"an array it is given), in {call}", counterexample=call)
        if out is None:
            raise Failure(f"returned None for {format_call(self.function, args, kwargs)}",
                          counterexample=format_call(self.function, args, kwargs))
        return np.asarray(out)

    # -- comparisons --------------------------------------------------------
    def assert_close(self, got, expected, *, call: str, ulps: float | None = None,
                     floor: float = 0.0, cond=None, dtype=None, what: str = "value", base: float = 0.0) -> None:
        """Fail unless ``got`` is within the budget of ``expected``.

        The budget per element is ``ulps * (1 + cond)`` units in the last place
        of ``dtype`` at ``max(|expected|, floor)``.  ``cond`` is the condition
        number of the function at that input (``0`` for well-conditioned
        results); ``floor`` is the magnitude below which absolute error is
        judged instead (``1.0`` for a loss or a log-probability).
        """
        dtype = np.dtype(dtype or np.float64)
        ulps = default_ulps(dtype) if ulps is None else ulps
        got_arr = np.asarray(got)
        exp_arr = np.asarray(expected, dtype=np.float64)
        if got_arr.shape == exp_arr.shape:
            exp_arr = allow_underflow(got_arr, exp_arr)
        if got_arr.shape != exp_arr.shape:
            raise Failure(
                f"{what}: shape {got_arr.shape}, expected {exp_arr.shape}",
                expected=_short(exp_arr), got=_short(got_arr), counterexample=call,
            )
        if got_arr.dtype.kind not in "iub" and not is_floating(got_arr.dtype):
            raise Failure(f"{what}: dtype {got_arr.dtype}, expected a real floating array",
                          counterexample=call)
        abs_err, ulp_err = ulp_errors(got_arr, exp_arr, dtype=dtype, floor=floor)
        budget = ulps * (1.0 + (0.0 if cond is None else np.asarray(cond, dtype=np.float64)))
        if base:
            # Low precision: ``base`` ulps at the value's own magnitude (relative, whatever
            # the floor) plus the float32 share; errors and budget both counted in ulps
            # of the value's own magnitude, which is what a reader of the report expects.
            with np.errstate(all="ignore"):
                mag = np.where(np.isfinite(exp_arr), np.abs(exp_arr), 0.0)
                own = np.spacing(mag.astype(dtype)).astype(np.float64)
                unit = np.spacing(np.maximum(mag, floor).astype(dtype)).astype(np.float64)
                scale = np.where(own > 0, unit / own, 1.0)
                budget = base + budget * scale
                ulp_err = np.where(np.isfinite(ulp_err), ulp_err * scale, ulp_err)
        budget = np.broadcast_to(budget, ulp_err.shape)
        max_abs = float(np.max(abs_err)) if abs_err.size else 0.0
        max_ulp = float(np.max(ulp_err)) if ulp_err.size else 0.0
        self.max_abs_error = max(self.max_abs_error, max_abs)
        self.max_ulp_error = max(self.max_ulp_error, max_ulp)
        over = ulp_err > budget
        if np.any(over):
            i = np.unravel_index(np.argmax(np.where(over, ulp_err, -1.0)), ulp_err.shape) if ulp_err.ndim else ()
            raise Failure(
                f"{what}: error {_fmt_ulps(ulp_err[i])} ulps exceeds the budget of "
                f"{float(budget[i]):.3g} ulps (at index {tuple(int(k) for k in i)}: "
                f"expected {float(exp_arr[i])!r}, got {float(np.asarray(got_arr, dtype=np.float64)[i])!r})",
                expected=_short(exp_arr), got=_short(got_arr), counterexample=call,
                max_abs_error=max_abs, max_ulp_error=max_ulp,
            )

    def expect(self, function: str, args, kwargs, got, expected, *, call: str, dtype=None,
               what: str = "value") -> None:
        """Fail unless ``got`` is within ``function``'s budget of ``expected``
        (the one rule of :mod:`conformance.budgets`, evaluated at this call)."""
        floor, cond = judge(function, args, kwargs, expected)
        dtype, base, ulps = judged_precision(np.asarray(got).dtype, dtype)
        self.assert_close(got, expected, call=call, floor=floor, cond=cond, dtype=dtype, what=what,
                          base=base, ulps=ulps)

    def subcases(self, cases, body: Callable) -> None:
        """Run ``body(case)`` for every case, all of them even when one fails.

        A case the implementation cannot express (``NotImplementedError``) is
        skipped alone; the check is skipped only when every case was.  All
        failures are raised together as one :class:`Failure` whose ``reasons``
        lists each, the first one's details on the failure itself.
        """
        failures, ran, unsupported = [], 0, []
        for case in cases:
            try:
                body(case)
                ran += 1
            except NotImplementedError as exc:
                unsupported.append(str(exc) or type(exc).__name__)
            except Failure as f:
                ran += 1
                failures.extend(getattr(f, "reasons", None) or [f])
        if failures:
            raise Failure.combine(failures)
        if not ran and unsupported:
            raise Skip("not supported by the implementation: " + "; ".join(sorted(set(unsupported))))

    def assert_true(self, condition: bool, message: str, *, call: str | None = None, **details) -> None:
        if not bool(condition):
            raise Failure(message, counterexample=call, **details)

    def assert_raises_or_nan(self, fn: Callable, args=(), kwargs=None, *, call: str) -> None:
        """Invalid input must raise or return NaN, never a finite number."""
        try:
            out = fn(*args, **(kwargs or {}))
        except NotImplementedError:
            # An option the target lacks is no refusal of the invalid value: not judged.
            raise
        except Exception:
            return
        arr = np.asarray(out, dtype=np.float64) if out is not None else None
        if arr is None or np.all(np.isnan(arr)):
            return
        raise Failure("invalid input returned a number instead of raising or giving NaN",
                      got=_short(arr), counterexample=call)

    # -- properties ---------------------------------------------------------
    def property(self, strategy, body: Callable, *, max_examples: int | None = None) -> None:
        """Run ``body(example)`` over ``strategy`` with hypothesis.

        Derandomised from ``seed``; a failing example is shrunk and the
        :class:`Failure` of the smallest one is raised.
        """
        from hypothesis import HealthCheck, given, settings, seed as hseed, Phase

        n = self.max_examples if max_examples is None else max_examples

        from hypothesis import reject
        from hypothesis.errors import Unsatisfiable

        @settings(max_examples=n, derandomize=self.seed == 0, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=False,
                  report_multiple_bugs=False,
                  phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink))
        @given(strategy)
        def run(example):
            try:
                body(example)
            except NotImplementedError:
                # An option the implementation cannot express: judge the others.
                reject()

        if self.seed:
            run = hseed(self.seed)(run)
        try:
            run()
        except Unsatisfiable:
            raise Skip("the implementation supports none of the generated options") from None


def _snapshot(args, kwargs):
    """Copies of every array argument, to detect writes into them."""
    items = [(f"argument {i + 1}", a) for i, a in enumerate(args)]
    items += [(f"{k}=", v) for k, v in kwargs.items()]
    return [(name, a, a.copy()) for name, a in items if isinstance(a, np.ndarray)]


def _written(before, args, kwargs) -> str:
    """The name of the first array argument whose contents changed ('' if none)."""
    for name, array, copy in before:
        # Bytes, not values: NaN stays NaN, and a write of -0.0 over 0.0 is a write too.
        if array.shape != copy.shape or array.tobytes() != copy.tobytes():
            return name.rstrip("=")
    return ""


def _short(arr, limit: int = 12):
    a = np.asarray(arr)
    if a.size <= limit:
        return a.tolist()
    return a.ravel()[:limit].tolist() + ["..."]


def _fmt_ulps(x) -> str:
    x = float(x)
    return "inf" if math.isinf(x) else f"{x:.3g}"

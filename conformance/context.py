"""What a check body gets as ``ctx``: access to the implementation, the
reference, comparisons in ulps and hypothesis-driven properties."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .registry import Failure, Skip
from .budgets import allow_overflow, allow_underflow, default_ulps, judge, judged_precision
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
                 seed: int = 0, reference=None, dtypes=None, baseline=None):
        self._implementation = implementation
        #: Measured beside the implementation by the low-precision checks (``--baseline``).
        self.baseline = baseline
        self._baseline_errors = None  # [implementation's max ulps, baseline's max ulps, cases, baseline failures]
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
        try:
            out = fn(*args, **kwargs)
        except TypeError as exc:
            # A function without an option (one written before the spec had it) cannot
            # express the cases that need it: skipped alone, like NotImplementedError.
            option = _unexpected_keyword(exc, kwargs)
            if option is None:
                raise
            raise NotImplementedError(f"takes no option {option!r} ({exc})") from None
        written = _written(before, args, kwargs)
        if written:
            call = format_call(self.function, args, kwargs)
            raise Failure(f"wrote into its input {written} (conv.inputs-unchanged: no function may modify "
                          f"an array it is given), in {call}", counterexample=call)
        if out is None:
            raise Failure(f"returned None for {format_call(self.function, args, kwargs)}",
                          counterexample=format_call(self.function, args, kwargs))
        return np.asarray(out)

    # -- the baseline of low-precision checks ---------------------------------
    def measure_baseline(self, function: str, low_args, low_kwargs, got, held_args, held_kwargs,
                         expected, *, dtype) -> None:
        """Measure the baseline's ``function`` at the same low-precision input
        as the implementation (whose result is ``got``), both in ulps of the
        dtype the implementation is judged in, against ``expected``.

        Nothing happens without a baseline or where it lacks ``function``; a
        baseline that raises is counted, never blamed on the implementation.
        """
        fn = getattr(self.baseline, function, None) if self.baseline is not None else None
        if not callable(fn):
            return
        floor, _ = judge(function, held_args, held_kwargs, expected)
        judged, base, _ = judged_precision(np.asarray(got).dtype, dtype)
        if self._baseline_errors is None:
            self._baseline_errors = {"cases": 0, "baseline_failed": 0, "worse_cases": 0, "worst_excess": 0.0,
                                     "target_max": 0.0, "baseline_max": 0.0}
        record = self._baseline_errors
        record["cases"] += 1
        try:
            with np.errstate(all="ignore"):
                theirs = np.asarray(fn(*low_args, **low_kwargs))
            their_err = _max_ulps(theirs, expected, judged, floor, own_magnitude=bool(base))
        except Exception:  # noqa: BLE001 - the baseline's own failure is not the verdict
            record["baseline_failed"] += 1
            return
        mine_err = _max_ulps(got, expected, judged, floor, own_magnitude=bool(base))
        record["target_max"] = max(record["target_max"], mine_err)
        record["baseline_max"] = max(record["baseline_max"], their_err)
        if mine_err > their_err:
            record["worse_cases"] += 1
            excess = mine_err - their_err if math.isfinite(their_err) else math.inf
            record["worst_excess"] = max(record["worst_excess"], excess)

    def baseline_verdict(self) -> dict | None:
        """The row's ``baseline``: case by case, is the implementation's error
        in ulps at most the baseline's at the same input?"""
        r = self._baseline_errors
        if r is None:
            return None
        name = getattr(self.baseline, "BASELINE_NAME", None) or getattr(self.baseline, "__name__", "baseline")
        measured = r["cases"] - r["baseline_failed"]
        if measured == 0:
            verdict = f"{name} could not compute these inputs"
        elif r["worse_cases"] == 0:
            verdict = f"at least as accurate as {name} at every input"
        else:
            verdict = (f"worse than {name} by {_fmt_ulps(r['worst_excess'])} ulps "
                       f"({r['worse_cases']} of {measured} inputs)")
        return {"implementation": name, "verdict": verdict, "cases": r["cases"],
                "baseline_failed": r["baseline_failed"], "worse_cases": r["worse_cases"],
                "worst_excess_ulps": _json_ulps(r["worst_excess"]),
                "target_max_ulp_error": _json_ulps(r["target_max"]),
                "baseline_max_ulp_error": _json_ulps(r["baseline_max"])}

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
            exp_arr = allow_overflow(got_arr, allow_underflow(got_arr, exp_arr))
        if got_arr.shape != exp_arr.shape:
            raise Failure(
                f"{what}: shape {got_arr.shape}, expected {exp_arr.shape}",
                expected=_short(exp_arr), got=_short(got_arr), counterexample=call,
            )
        if got_arr.dtype.kind not in "iub" and not is_floating(got_arr.dtype):
            raise Failure(f"{what}: dtype {got_arr.dtype}, expected a real floating array",
                          counterexample=call)
        abs_err, ulp_err, scale = _judged_errors(got_arr, exp_arr, dtype, floor, own_magnitude=bool(base))
        budget = ulps * (1.0 + (0.0 if cond is None else np.asarray(cond, dtype=np.float64)))
        if base:
            budget = base + budget * scale
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


def _judged_errors(got, expected, dtype, floor, *, own_magnitude):
    """``(absolute errors, errors in ulps, scale)`` as the budget counts them.

    In ulps of ``dtype`` at ``max(|expected|, floor)``; for a low-precision
    result (``own_magnitude``) in ulps of the value's own magnitude instead,
    which is what a reader of the report expects (``scale`` converts the
    floor's ulps into those, 1 elsewhere).
    """
    abs_err, ulp_err = ulp_errors(got, expected, dtype=dtype, floor=floor)
    if not own_magnitude:
        return abs_err, ulp_err, 1.0
    with np.errstate(all="ignore"):
        mag = np.where(np.isfinite(expected), np.abs(expected), 0.0)
        own = np.spacing(mag.astype(dtype)).astype(np.float64)
        unit = np.spacing(np.maximum(mag, floor).astype(dtype)).astype(np.float64)
        scale = np.where(own > 0, unit / own, 1.0)
        ulp_err = np.where(np.isfinite(ulp_err), ulp_err * scale, ulp_err)
    return abs_err, ulp_err, scale


def _max_ulps(got, expected, dtype, floor, *, own_magnitude) -> float:
    """The largest error of ``got`` in ulps as the budget counts them (inf for a
    result of the wrong size)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.size != expected.size:
        return math.inf
    got = got.reshape(expected.shape)
    _, ulps, _ = _judged_errors(got, allow_underflow(got, expected), dtype, floor, own_magnitude=own_magnitude)
    return float(np.max(ulps)) if ulps.size else 0.0


def _json_ulps(x: float):
    """A number of ulps for the JSON report: rounded, ``"inf"`` when infinite."""
    return "inf" if math.isinf(x) else round(float(x), 3)


def _unexpected_keyword(exc: TypeError, kwargs) -> str | None:
    """The keyword of ``kwargs`` a ``TypeError`` says the function does not take."""
    text = str(exc)
    if "unexpected keyword argument" not in text:
        return None
    return next((k for k in kwargs if f"'{k}'" in text), None)

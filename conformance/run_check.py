"""Run ONE conformance check: resolve a target, call the check, build its result.

This module is everything the child process of an isolated run needs
(:mod:`conformance._worker` imports it and the checks, nothing else of the
suite); the whole session (the child process, known deviations, the summary,
the exit status) lives in :mod:`conformance.session`.

Every result row of a run is a :class:`CheckResult`, built here: a check that
ran (:func:`run_check`), a function the target does not provide
(:meth:`CheckResult.not_provided`), a check skipped because a function it needs
is missing or was lost (:meth:`CheckResult.skipped`), a check that timed out or
whose process died (:meth:`CheckResult.lost_to`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import pathlib
import signal
import sys
import time
import traceback
import warnings
from typing import Any

from .adapters import BUILTIN, NAMED  # noqa: F401
from .context import Context
from .registry import Failure, Skip
from .spec import FUNCTIONS

#: The statuses a result can have, in the order summaries list them.
STATUSES = ("pass", "fail", "error", "known_deviation", "skipped", "not_provided")

#: How a check's process can be lost: it ran past its time limit, or it died.
LOST_TIMEOUT = "timeout"
LOST_DIED = "died"


class ImportFailure(Exception):
    """The target could not be imported (usage error, exit status 2)."""


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so that hypothesis does not retry it."""


# ---------------------------------------------------------------------------
# the result record
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class CheckResult:
    """The result of one check (or of one function not provided), as the report shows it.

    Attributes
    ----------
    check, function, clause, kind : str
        The check's stable id, the contract function, the clause it enforces and
        its kind (``clause`` and ``kind`` are ``None`` for a not-provided row).
    status : str
        One of :data:`STATUSES`.
    message : str
        One line saying why (empty for a pass).
    max_abs_error, max_ulp_error : float or None
        The largest errors the check measured.
    counterexample : str or None
        The smallest failing input as a copy-pasteable call.
    expected, got
        What the clause asked for and what the implementation returned.
    duration_s : float
        Wall time of the check.
    reasons : list of dict
        Every failing case of a check that judged several (each with
        ``message``, ``expected``, ``got``, ``counterexample``,
        ``max_ulp_error``); empty when the check failed once or not at all.
    lost : str or None
        ``"timeout"`` or ``"died"`` when the check's process was lost.
    blocked_by : str or None
        The function whose loss kept this check from running.
    deviation : dict or None
        The matching known-deviation entries (set by the session).
    baseline : dict or None
        For a float16 or bfloat16 check run with ``--baseline``: the baseline's
        name, its largest error and the implementation's in ulps of the
        judged dtype over the same inputs, and the verdict
        (``"at least as accurate as torch"``, ``"worse than torch by 3 ulps"``).
    """

    check: str
    function: str
    clause: str | None
    kind: str | None
    status: str = "pass"
    message: str = ""
    max_abs_error: float | None = None
    max_ulp_error: float | None = None
    counterexample: str | None = None
    expected: Any = None
    got: Any = None
    duration_s: float = 0.0
    reasons: list = dataclasses.field(default_factory=list)
    lost: str | None = None
    blocked_by: str | None = None
    deviation: dict | None = None
    baseline: dict | None = None

    # -- the ways a row is made ---------------------------------------------
    @classmethod
    def of(cls, check, **fields) -> "CheckResult":
        """A row for the registered ``check`` (a pass until ``fields`` say otherwise)."""
        return cls(check=check.id, function=check.function, clause=check.clause, kind=check.kind, **fields)

    @classmethod
    def not_provided(cls, function: str, target: str) -> "CheckResult":
        """The one row of a function the target does not define."""
        return cls(check=f"{function}.provided", function=function, clause=None, kind=None,
                   status="not_provided", message=f"{target} does not provide {function}")

    @classmethod
    def skipped_for_missing(cls, check, missing, target: str) -> "CheckResult":
        """``check`` calls functions ``missing`` that the target lacks: skipped, naming them all."""
        names = ", ".join(missing)
        verb = "does" if len(missing) == 1 else "do"
        return cls.of(check, status="skipped",
                      message=f"needs {names}, which {target} {verb} not provide")

    @classmethod
    def blocked(cls, check, function: str, how: str) -> "CheckResult":
        """``check`` calls ``function``, whose own check was lost (``how``): not run.

        Skipped rather than an error: the check has not judged its own
        function, and the lost check already makes the run fail.
        """
        return cls.of(check, status="skipped", blocked_by=function,
                      message=f"not run: it calls {function}, which {how} in an earlier check")

    @classmethod
    def lost_to(cls, check, lost: str, message: str, duration_s: float = 0.0) -> "CheckResult":
        """``check`` timed out (``lost="timeout"``) or its process died (``"died"``)."""
        return cls.of(check, status="error", lost=lost, message=message, duration_s=duration_s)

    @classmethod
    def from_dict(cls, row: dict) -> "CheckResult":
        """The record of a row sent as JSON by the child process."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})

    # -- reading it ---------------------------------------------------------
    def to_dict(self) -> dict:
        """The JSON row: the contract's keys, ``reasons``, and ``lost``/``blocked_by``/
        ``deviation``/``baseline`` when set."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for optional in ("lost", "blocked_by", "deviation", "baseline"):
            if row[optional] is None:
                del row[optional]
        return row

    def __getitem__(self, key: str):
        """Read access by JSON key, for callers that treat a row as the dict it becomes."""
        try:
            return self.to_dict()[key]
        except KeyError:
            raise KeyError(key) from None

    def get(self, key: str, default=None):
        return self.to_dict().get(key, default)


def plain(value, depth=0):
    """``value`` as JSON-friendly Python (numpy scalars and arrays become floats and lists)."""
    import numpy as np

    if depth > 20:
        return repr(value)
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, np.generic):
        return plain(value.item(), depth + 1)
    if isinstance(value, np.ndarray):
        return plain(value.tolist(), depth + 1)
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    return repr(value)


# ---------------------------------------------------------------------------
# resolving a target
# ---------------------------------------------------------------------------

def is_file_target(target: str) -> bool:
    return target.endswith(".py")


def resolve(target: str, arrays: str = "numpy", device: str = "cpu"):
    """Import a built-in adapter, a module path, or a ``.py`` file.

    ``arrays`` says what a module takes and returns (``--arrays``): a module of
    torch or jax functions is wrapped to take numpy (:func:`conformance.arrays.wrap`).
    ``device`` is where its tensors live; a built-in adapter that can run
    elsewhere than the CPU has ``use_device(device)``.
    Raises :class:`ImportFailure` with a one-line message naming the error.
    """
    try:
        if target in NAMED:
            module = importlib.import_module(f"conformance.adapters.{target}")
            if arrays != "numpy":
                raise ImportFailure(f"--arrays {arrays}: the built-in adapter {target!r} takes numpy arrays; "
                                    "--arrays is for a module of your own")
            if device != "cpu":
                if not hasattr(module, "use_device"):
                    raise ImportFailure(f"--device {device}: the built-in adapter {target!r} runs on the CPU only")
                module.use_device(device)
            return module
        if arrays != "numpy":
            from .arrays import wrap

            return wrap(_import_target(target), arrays, device)
        if device != "cpu":
            raise ImportFailure(f"--device {device} needs --arrays torch or jax (a numpy module has no device)")
        return _import_target(target)
    except ImportFailure:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any import-time failure is reported in one line
        detail = str(exc).strip().splitlines()
        raise ImportFailure(f"cannot import {target!r}: {type(exc).__name__}"
                            + (f": {detail[0]}" if detail else "")) from None


def _import_target(target: str):
    """The module ``target`` names: a ``.py`` file or an importable module path."""
    if is_file_target(target):
        path = pathlib.Path(target)
        if not path.is_file():
            raise ImportFailure(f"cannot import {target!r}: no such file")
        name = f"_conformance_target_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(target)


def provided_functions(implementation) -> list[str]:
    """The contract functions ``implementation`` defines (callable attributes)."""
    return [name for name in FUNCTIONS if callable(getattr(implementation, name, None))]


def missing_needs(check, provided) -> list[str]:
    """The functions ``check`` calls (``check.needs``) that are not in ``provided``."""
    return [name for name in check.needs if name not in provided]


# ---------------------------------------------------------------------------
# one check, in this process
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def _time_limit(seconds):
    """Interrupt a check that runs longer than ``seconds`` (main thread, POSIX only).

    Best effort: Python code is interrupted, a hang inside C code is not (the
    command's child process handles that case by killing the process).
    """
    import threading

    if (not seconds or not hasattr(signal, "SIGALRM")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def on_alarm(signum, frame):
        raise CheckTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def describe_exception(e: BaseException) -> str:
    """``ExceptionType: message (at file:line)`` for the innermost frame."""
    tb = traceback.extract_tb(e.__traceback__)
    where = f" (at {pathlib.Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    text = str(e).strip()
    if len(text) > 500:
        text = text[:497] + "..."
    return f"{type(e).__name__}: {text}{where}" if text else f"{type(e).__name__}{where}"


def _failure_fields(f: Failure) -> dict:
    """The record's fields for a :class:`Failure`, keeping every case it carries."""
    reasons = [dict(r) for r in (getattr(f, "reasons", None) or [])]
    message = str(f.message)
    if len(reasons) > 1 and not message.startswith(f"{len(reasons)} cases failed"):
        message = f"{len(reasons)} cases failed; the first: {reasons[0].get('message', message)}"
    return dict(status="fail", message=message, expected=f.expected, got=f.got,
                counterexample=f.counterexample, max_abs_error=f.max_abs_error,
                max_ulp_error=f.max_ulp_error, reasons=reasons)


def resolve_baseline(target):
    """The implementation named by ``--baseline`` (``None`` for none), with
    its name as ``BASELINE_NAME``; an :class:`ImportFailure` names the option."""
    if not target:
        return None
    try:
        implementation = resolve(target)
    except ImportFailure as exc:
        raise ImportFailure(f"--baseline {target}: {exc}") from None
    try:
        implementation.BASELINE_NAME = target
    except (AttributeError, TypeError):  # an object that takes no attributes
        pass
    return implementation


def run_check(check, implementation, *, max_examples=50, seed=0, timeout=None, dtypes=None,
              baseline=None) -> CheckResult:
    """Run ``check`` against ``implementation`` in this process and return its record.

    Parameters
    ----------
    check : conformance.registry.Check
        The check to run.
    implementation : module or object
        Has the contract's functions as attributes.
    max_examples, seed : int
        Hypothesis budget and seed of property checks.
    timeout : float or None
        Seconds the check may take, enforced with ``SIGALRM`` where available.
    dtypes : sequence of str, optional
        The input dtypes of the run (``--dtypes``); ``None`` for the default.
    baseline : module or object, optional
        Measured beside ``implementation`` by the low-precision checks
        (:func:`resolve_baseline`).

    Returns
    -------
    CheckResult
        ``pass``; ``fail`` (a :class:`Failure`, all its cases in ``reasons``);
        ``skipped`` (:class:`Skip`, ``NotImplementedError``, or functions in
        ``check.needs`` the implementation lacks, all of them named);
        ``error`` (any other exception, or the time limit; ``lost="timeout"``).
    """
    provided = [name for name in check.needs if callable(getattr(implementation, name, None))]
    missing = missing_needs(check, provided)
    if missing:
        return CheckResult.skipped_for_missing(check, missing, "the implementation")
    fn = getattr(implementation, check.function, None)
    start = time.perf_counter()
    result = CheckResult.of(check)
    ctx = None
    try:
        options = {"dtypes": tuple(dtypes)} if dtypes else {}
        ctx = Context(implementation, function=check.function, max_examples=max_examples, seed=seed,
                      baseline=baseline, **options)
        # An implementation's warnings are not the check's verdict; keep the output clean.
        with _time_limit(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check.body(fn, ctx)
        result.max_abs_error = ctx.max_abs_error
        result.max_ulp_error = ctx.max_ulp_error
    except Failure as f:
        result = CheckResult.of(check, **_failure_fields(f))
    except Skip as s:
        result = CheckResult.of(check, status="skipped", message=str(s))
    except NotImplementedError as e:
        result = CheckResult.of(check, status="skipped", message=f"not supported by the implementation: {e}")
    except CheckTimeout as e:
        result = CheckResult.of(check, status="error", lost=LOST_TIMEOUT, message=str(e))
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - the implementation may raise anything
        result = CheckResult.of(check, status="error", message=describe_exception(e))
    if ctx is not None and result.status in ("pass", "fail"):
        result.baseline = ctx.baseline_verdict()
    result.duration_s = round(time.perf_counter() - start, 4)
    return result

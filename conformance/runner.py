"""Run the registered checks against an implementation and collect the results.

Two ways to run a check:

* :func:`run_check` runs one check in this process (the pytest plugin and the
  suite's own self-tests use it);
* :func:`run` runs a whole conformance run the way the command does: the checks
  execute in a child process (``python -m conformance._worker``), one at a time,
  each with a time limit.  A check that hangs is reported as an error and the
  child is killed and restarted; a child that dies (a segfault, ``os._exit``, a
  signal) is reported the same way and restarted for the remaining checks.  So a
  faulty implementation can neither stop the run nor lose the report.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import pathlib
import signal
import sys
import time
import traceback
import warnings

from . import SPEC_VERSION, deviations
from .adapters import BUILTIN
from .context import Context
from .registry import Failure, Skip, load_all_checks
from .spec import FUNCTIONS

#: After this many checks of one function time out or kill the process, its
#: remaining checks are reported as errors without being run (each time-out
#: costs the full limit, each crash a restart that imports the target again).
MAX_TIMEOUTS_PER_FUNCTION = 2

#: The statuses a result can have, in the order summaries list them.
STATUSES = ("pass", "fail", "error", "known_deviation", "skipped", "not_provided")


class ImportFailure(Exception):
    """The target could not be imported (usage error, exit status 2)."""


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so that hypothesis does not retry it."""


# ---------------------------------------------------------------------------
# resolving a target
# ---------------------------------------------------------------------------

def is_file_target(target: str) -> bool:
    return target.endswith(".py")


def resolve(target: str):
    """Import a built-in adapter, a module path, or a ``.py`` file.

    Raises :class:`ImportFailure` with a one-line message naming the error.
    """
    try:
        if target in BUILTIN:
            return importlib.import_module(f"conformance.adapters.{target}")
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
    except ImportFailure:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any import-time failure is reported in one line
        detail = str(exc).strip().splitlines()
        raise ImportFailure(f"cannot import {target!r}: {type(exc).__name__}"
                            + (f": {detail[0]}" if detail else "")) from None


def provided_functions(implementation) -> list[str]:
    """The contract functions ``implementation`` defines (callable attributes)."""
    return [name for name in FUNCTIONS if callable(getattr(implementation, name, None))]


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


def blank_result(check) -> dict:
    return {
        "check": check.id, "function": check.function, "clause": check.clause, "kind": check.kind,
        "status": "pass", "message": "", "max_abs_error": None, "max_ulp_error": None,
        "counterexample": None, "expected": None, "got": None, "duration_s": 0.0,
    }


def run_check(check, implementation, *, max_examples=50, seed=0, timeout=None) -> dict:
    """Run ``check`` against ``implementation`` here and return its result row.

    ``timeout`` (seconds, ``None`` for none) is enforced with ``SIGALRM`` where
    available.  Statuses: ``pass``, ``fail`` (:class:`Failure`), ``skipped``
    (:class:`Skip`, ``NotImplementedError``, or a function in ``check.needs``
    that the implementation lacks), ``error`` (any other exception).
    """
    result = blank_result(check)
    missing = [name for name in check.needs if not callable(getattr(implementation, name, None))]
    if missing:
        result.update(status="skipped",
                      message=f"needs {', '.join(missing)}, which the implementation does not provide")
        return result
    fn = getattr(implementation, check.function, None)
    start = time.perf_counter()
    try:
        ctx = Context(implementation, function=check.function, max_examples=max_examples, seed=seed)
        # An implementation's warnings are not the check's verdict; keep the output clean.
        with _time_limit(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check.body(fn, ctx)
        result["max_abs_error"] = ctx.max_abs_error
        result["max_ulp_error"] = ctx.max_ulp_error
    except Failure as f:
        result.update(status="fail", message=str(f.message), expected=f.expected, got=f.got,
                      counterexample=f.counterexample, max_abs_error=f.max_abs_error,
                      max_ulp_error=f.max_ulp_error)
    except Skip as s:
        result.update(status="skipped", message=str(s))
    except NotImplementedError as e:
        result.update(status="skipped", message=f"not supported by the implementation: {e}")
    except CheckTimeout as e:
        result.update(status="error", message=str(e))
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - the implementation may raise anything
        result.update(status="error", message=describe_exception(e))
    result["duration_s"] = round(time.perf_counter() - start, 4)
    return result


def describe_exception(e: BaseException) -> str:
    """``ExceptionType: message (at file:line)`` for the innermost frame."""
    tb = traceback.extract_tb(e.__traceback__)
    where = f" (at {pathlib.Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    text = str(e).strip()
    if len(text) > 500:
        text = text[:497] + "..."
    return f"{type(e).__name__}: {text}{where}" if text else f"{type(e).__name__}{where}"


# ---------------------------------------------------------------------------
# a whole run, isolated in a child process
# ---------------------------------------------------------------------------

def not_provided_row(function: str, target: str) -> dict:
    return {
        "check": f"{function}.provided", "function": function, "clause": None, "kind": None,
        "status": "not_provided", "message": f"{target} does not provide {function}",
        "max_abs_error": None, "max_ulp_error": None, "counterexample": None,
        "expected": None, "got": None, "duration_s": 0.0,
    }


def load_deviations(target: str, files=()) -> list[dict]:
    """The built-in adapter's known deviations (if any) plus those of ``files``.

    Raises ``ValueError``/``OSError`` for a file that cannot be read or parsed.
    """
    entries = list(deviations.builtin(target)) if target in BUILTIN else []
    for path in files:
        entries += deviations.load(path)
    return entries


def selected_checks(functions) -> list:
    """The registered checks of ``functions``, in contract order, then by id."""
    checks = load_all_checks()
    wanted = set(functions)
    order = {name: i for i, name in enumerate(FUNCTIONS)}
    return sorted((c for c in checks.values() if c.function in wanted),
                  key=lambda c: (order.get(c.function, len(order)), c.id))


def run(target: str, *, only=None, max_examples=50, seed=0, timeout=30.0,
        known_deviations=(), progress=None, on_check=None, isolate=True) -> dict:
    """Run every check of every provided function; return the report dict.

    Parameters
    ----------
    target : str
        A built-in adapter name, a module path or a ``.py`` file.
    only : iterable of str, optional
        Function names to check (default: all of :data:`conformance.spec.FUNCTIONS`).
    timeout : float
        Seconds one check may take.
    known_deviations : iterable of paths
        Extra TOML files of known deviations.
    progress : callable, optional
        ``progress(function, rows)`` after each function completes.
    on_check : callable, optional
        ``on_check(index, total, check)`` before each check starts.
    isolate : bool
        Run the checks in a child process (default).  ``False`` runs them here.

    Raises :class:`ImportFailure` when the target cannot be imported.  A
    ``KeyboardInterrupt`` during the run ends it early: the report is returned
    with ``"interrupted": True``.
    """
    from ._isolation import InProcess, WorkerPool

    entries = load_deviations(target, known_deviations)
    functions = [f for f in FUNCTIONS if only is None or f in set(only)]
    report = {
        "implementation": target, "spec_version": SPEC_VERSION,
        "started": _now(), "finished": None, "interrupted": False,
        "options": {"only": list(only) if only is not None else None, "max_examples": max_examples,
                    "seed": seed, "timeout": timeout},
        "summary": {}, "results": [], "stale_deviations": [],
    }
    t0 = time.perf_counter()
    executor = (WorkerPool if isolate else InProcess)(target, max_examples=max_examples, seed=seed,
                                                       timeout=timeout)
    try:
        provided = set(executor.start())  # ImportFailure propagates: nothing was checked
        checks = selected_checks(functions)
        runnable = [c for c in checks if c.function in provided]
        index = 0
        for function in functions:
            if function not in provided:
                row = not_provided_row(function, target)
                report["results"].append(row)
                if progress:
                    progress(function, [row])
                continue
            rows = []
            timeouts = 0
            for check in (c for c in runnable if c.function == function):
                index += 1
                if on_check:
                    on_check(index, len(runnable), check)
                missing = [n for n in check.needs if n not in provided]
                if missing:
                    row = blank_result(check)
                    row.update(status="skipped",
                               message=f"needs {', '.join(missing)}, which {target} does not provide")
                elif timeouts >= MAX_TIMEOUTS_PER_FUNCTION:
                    row = blank_result(check)
                    row.update(status="error", message=f"not run: {timeouts} earlier checks of {function} "
                                                       "timed out or killed the process")
                else:
                    row = executor.run(check)
                    timeouts += bool(getattr(executor, "last_lost", False))
                apply_deviation(row, entries)
                report["results"].append(row)
                rows.append(row)
            if progress:
                progress(function, rows)
    except KeyboardInterrupt:
        report["interrupted"] = True
    finally:
        executor.close()
    report["stale_deviations"] = stale_deviations(entries, report)
    report["finished"] = _now()
    report["duration_s"] = round(time.perf_counter() - t0, 3)
    report["summary"] = summarize(report["results"])
    return report


def apply_deviation(row: dict, entries: list[dict]) -> None:
    """Turn a failing or erroring ``row`` into ``known_deviation`` when an entry matches."""
    if row["status"] not in ("fail", "error"):
        return
    matching = deviations.match_all(entries, row["check"])
    if not matching:
        return
    entry = matching[0]
    for e in matching:
        e.setdefault("_matched", []).append(row["check"])
    row["deviation"] = {"reason": entry["reason"], "clause": entry["clause"], "why": entry["why"],
                        "source": entry.get("source"), "measured_status": row["status"]}
    row["status"] = "known_deviation"
    row["message"] = f"{row['message']} [known deviation: {entry['reason']} — {entry['why']}]"


def stale_deviations(entries: list[dict], report: dict) -> list[dict]:
    """Entries that matched no failing check although checks they name were run.

    An entry whose patterns match no registered check at all is stale too.
    Entries whose checks were not run (``--only``, a function not provided, an
    interrupted run) are not judged.
    """
    ran = {r["check"] for r in report["results"]
           if r["status"] in ("pass", "fail", "error", "known_deviation")}
    registered = set(load_all_checks())
    stale = []
    for entry in entries:
        if entry.get("_matched"):
            continue
        ids = {cid for cid in registered if deviations.matches(entry, cid)}
        if ids and not (ids & ran):
            continue
        if ids and report.get("interrupted") and not ids <= ran:
            continue
        stale.append({k: entry.get(k) for k in ("reason", "checks", "clause", "why", "source")}
                     | {"note": "matches no check" if not ids else "the checks it names now pass"})
    return stale


def summarize(results) -> dict:
    counts = {s: 0 for s in STATUSES}
    for row in results:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def exit_status(report: dict) -> int:
    """0 when nothing failed or errored; 1 otherwise or when the run was interrupted."""
    if report.get("interrupted"):
        return 1
    return 1 if any(r["status"] in ("fail", "error") for r in report["results"]) else 0


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")

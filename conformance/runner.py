"""Run the registered checks against an implementation and collect results."""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import importlib.util
import pathlib
import signal
import time
import traceback
import warnings

from . import SPEC_VERSION, deviations
from .adapters import BUILTIN
from .context import Context
from .registry import Failure, Skip, load_all_checks
from .spec import FUNCTIONS


class ImportFailure(Exception):
    """The target could not be imported (usage error, exit status 2)."""


class CheckTimeout(BaseException):
    """Raised by the alarm; a BaseException so that hypothesis does not retry it."""

    pass


def resolve(target: str):
    """Import a built-in adapter, a module path, or a ``.py`` file."""
    try:
        if target in BUILTIN:
            return importlib.import_module(f"conformance.adapters.{target}")
        if target.endswith(".py"):
            path = pathlib.Path(target)
            if not path.exists():
                raise ImportFailure(f"no such file: {target}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(target)
    except ImportFailure:
        raise
    except BaseException as exc:  # noqa: BLE001 - any import-time failure is reported in one line
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise ImportFailure(f"cannot import {target!r}: {type(exc).__name__}: {exc}") from None


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt a check that runs longer than ``seconds`` (main thread, POSIX)."""
    if not seconds or not hasattr(signal, "SIGALRM"):
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


def run_check(check, implementation, *, max_examples=50, seed=0, timeout=30.0) -> dict:
    result = {
        "check": check.id, "function": check.function, "clause": check.clause, "kind": check.kind,
        "status": "pass", "message": "", "max_abs_error": None, "max_ulp_error": None,
        "counterexample": None, "expected": None, "got": None,
    }
    fn = getattr(implementation, check.function, None)
    missing = [name for name in check.needs if not callable(getattr(implementation, name, None))]
    if missing:
        result.update(status="skipped", message=f"needs {', '.join(missing)}, not provided")
        return result
    ctx = Context(implementation, function=check.function, max_examples=max_examples, seed=seed)
    start = time.perf_counter()
    try:
        # An implementation's warnings are not the check's verdict; keep the output clean.
        with _time_limit(timeout), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check.body(fn, ctx)
        result["max_abs_error"] = ctx.max_abs_error
        result["max_ulp_error"] = ctx.max_ulp_error
    except Failure as f:
        result.update(status="fail", message=f.message, expected=f.expected, got=f.got,
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
        tb = traceback.extract_tb(e.__traceback__)
        where = f" (at {pathlib.Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
        result.update(status="error", message=f"{type(e).__name__}: {e}{where}")
    result["duration_s"] = round(time.perf_counter() - start, 4)
    return result


def run(target: str, *, only=None, max_examples=50, seed=0, timeout=30.0,
        known_deviations=(), progress=None) -> dict:
    """Run every check of every provided function; return the report dict."""
    implementation = resolve(target)
    checks = load_all_checks()
    entries = list(deviations.builtin(target)) if target in BUILTIN else []
    for path in known_deviations:
        entries += deviations.load(path)
    functions = [f for f in FUNCTIONS if only is None or f in only]
    report = {
        "implementation": target, "spec_version": SPEC_VERSION,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "interrupted": False,
        "options": {"max_examples": max_examples, "seed": seed, "timeout": timeout},
        "results": [], "stale_deviations": [],
    }
    used = set()
    t0 = time.perf_counter()
    try:
        for function in functions:
            fn = getattr(implementation, function, None)
            if not callable(fn):
                report["results"].append({
                    "check": f"{function}.provided", "function": function, "clause": None,
                    "kind": None, "status": "not_provided",
                    "message": f"{target} has no function {function}",
                    "max_abs_error": None, "max_ulp_error": None, "counterexample": None,
                })
                if progress:
                    progress(function, [report["results"][-1]])
                continue
            rows = []
            for check in sorted((c for c in checks.values() if c.function == function), key=lambda c: c.id):
                row = run_check(check, implementation, max_examples=max_examples, seed=seed, timeout=timeout)
                if row["status"] in ("fail", "error"):
                    entry = deviations.match(entries, check.id)
                    if entry is not None:
                        used.add(id(entry))
                        row["deviation"] = {"reason": entry["reason"], "clause": entry["clause"], "why": entry["why"]}
                        row["status"] = "known_deviation"
                        row["message"] = f"{entry['reason']}: {entry['why']} [measured: {row['message']}]"
                rows.append(row)
            report["results"].extend(rows)
            if progress:
                progress(function, rows)
    except KeyboardInterrupt:
        report["interrupted"] = True
    covered = set(functions)
    checks_by_id = {c.id: c for c in checks.values()}
    for entry in entries:
        if id(entry) in used:
            continue
        ids = [cid for cid in checks_by_id
               if any(fnmatch.fnmatchcase(cid, p) for p in entry["checks"])]
        if report["interrupted"] or (ids and not any(checks_by_id[c].function in covered for c in ids)):
            continue  # not run this time, so not known to be stale
        report["stale_deviations"].append({k: entry[k] for k in ("reason", "checks", "clause", "why")})
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    report["duration_s"] = round(time.perf_counter() - t0, 3)
    counts = {}
    for row in report["results"]:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    report["summary"] = counts
    return report


def exit_status(report: dict) -> int:
    if report.get("interrupted"):
        return 1
    return 1 if any(r["status"] in ("fail", "error") for r in report["results"]) else 0

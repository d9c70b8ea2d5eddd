"""A whole conformance run: every check of every provided function, isolated.

The checks execute in child processes (``python -m conformance._worker``, see
:mod:`conformance._isolation`), by default one per CPU (``--jobs``): each
process checks one function at a time, its checks one after another, each
with a time limit.  A check
that hangs is reported as an error and the child is killed and restarted; a
child that dies (a segfault, ``os._exit``, a signal) is reported the same way
and restarted for the remaining checks.  So a faulty implementation can neither
stop the run nor lose the report.

A lost check costs time (the full limit, or a restart that imports the target
again), so the session spends as few as it can:

* after one time-out (or :data:`MAX_DEATHS_PER_FUNCTION` deaths) of a
  function, its remaining checks are errors without being run;
* a check that calls a function whose check was lost (``check.needs``) is
  skipped, naming that function, instead of timing out again: the lost check
  already fails the run, and this one has not judged its own function;
* functions start in contract order, except that a function whose checks call
  another starts after that one has finished (the report lists them in
  contract order, however many processes ran them).

One check in this process, and the result record, are :mod:`conformance.run_check`.
"""

from __future__ import annotations

import os
import threading
import time

from . import DEFAULT_TIMEOUT, SPEC_VERSION, deviations
from .adapters import BUILTIN, NAMED  # noqa: F401
from .registry import load_all_checks
from .run_check import LOST_TIMEOUT, STATUSES, CheckResult, ImportFailure, missing_needs  # noqa: F401
from .spec import FUNCTIONS

#: After this many time-outs of one function its remaining checks are not run
#: (a function that hung once hangs again, and each time-out costs the full limit).
MAX_TIMEOUTS_PER_FUNCTION = 1

#: After this many checks of one function killed the process its remaining checks
#: are not run (a death costs a restart, which imports the target again).
MAX_DEATHS_PER_FUNCTION = 2

#: The most checking processes a run starts by default (``--jobs``).
MAX_DEFAULT_JOBS = 4


def load_deviations(target: str, files=()) -> list[dict]:
    """The built-in adapter's known deviations (if any) plus those of ``files``.

    Raises ``ValueError``/``OSError`` for a file that cannot be read or parsed.
    """
    entries = list(deviations.builtin(target)) if target in NAMED else []
    for path in files:
        entries += deviations.load(path)
    return entries


def selected_checks(functions, dtypes=None) -> list:
    """The registered checks of ``functions`` (those about a dtype only when
    ``dtypes`` names it), in contract order, then by id."""
    from .registry import DEFAULT_DTYPES

    checks = load_all_checks()
    wanted = set(functions)
    chosen = set(dtypes or DEFAULT_DTYPES)
    order = {name: i for i, name in enumerate(FUNCTIONS)}
    return sorted((c for c in checks.values() if c.function in wanted and (c.dtype is None or c.dtype in chosen)),
                  key=lambda c: (order.get(c.function, len(order)), c.id))


def _calls(functions, checks) -> dict[str, set[str]]:
    """For each of ``functions``, the other functions of ``functions`` its checks call."""
    calls = {f: set() for f in functions}
    for c in checks:
        if c.function in calls:
            calls[c.function] |= {n for n in c.needs if n in calls and n != c.function}
    return calls


def run_order(functions, checks) -> list[str]:
    """``functions`` in the given order, each moved after the functions its checks call.

    Each step takes the first function all of whose called functions have run;
    when none is left (a cycle of calls), the first remaining one.  So a
    function keeps its place unless a check of it calls one that comes later.
    """
    calls = _calls(functions, checks)
    done, order = set(), []
    remaining = list(functions)
    while remaining:
        ready = next((f for f in remaining if calls[f] <= done), remaining[0])
        remaining.remove(ready)
        done.add(ready)
        order.append(ready)
    return order


def default_jobs(device: str = "cpu") -> int:
    """Checking processes of a run by default: one per CPU this process may use,
    at most :data:`MAX_DEFAULT_JOBS`; one when the target's tensors live on an
    accelerator (two processes would compete for its memory: JAX, for one,
    takes most of a GPU's memory at start)."""
    if device != "cpu":
        return 1
    return max(1, min(MAX_DEFAULT_JOBS, _cpus()))


def _cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Schedule:
    """Hands out whole functions to the checking processes.

    A function is ready when every function its checks call has finished (so
    that a check of ``log_softmax`` that calls a hanging ``softmax`` sees that
    ``softmax`` was lost and is skipped, instead of timing out a second time);
    among the ready ones the first in :func:`run_order` goes first.  When
    nothing is ready and nothing is running (a cycle of calls), the first
    remaining function goes.  A process waits while functions remain but none
    is ready.
    """

    def __init__(self, functions, checks):
        self.calls = _calls(functions, checks)
        self.pending = run_order(functions, checks)
        self.running: set[str] = set()
        self.done: set[str] = set()
        self.stopped = False
        self.cond = threading.Condition()

    def take(self) -> str | None:
        """The next function to check, or ``None`` when none is left (or the run stopped)."""
        with self.cond:
            while True:
                if self.stopped or not self.pending:
                    return None
                ready = next((f for f in self.pending if self.calls[f] <= self.done), None)
                if ready is None and not self.running:
                    ready = self.pending[0]
                if ready is not None:
                    self.pending.remove(ready)
                    self.running.add(ready)
                    return ready
                self.cond.wait()

    def finish(self, function: str) -> None:
        with self.cond:
            self.running.discard(function)
            self.done.add(function)
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


class _LostFunctions:
    """Which functions lost a check, and whether their remaining checks still run."""

    def __init__(self):
        self.timeouts: dict[str, int] = {}
        self.deaths: dict[str, int] = {}

    def record(self, row: CheckResult) -> None:
        if row.lost == LOST_TIMEOUT:
            self.timeouts[row.function] = self.timeouts.get(row.function, 0) + 1
        elif row.lost:
            self.deaths[row.function] = self.deaths.get(row.function, 0) + 1

    def how(self, function: str) -> str | None:
        """``"hung"``/``"killed the process"`` when a check of ``function`` was lost, else ``None``."""
        if self.timeouts.get(function):
            return "hung (timed out)"
        if self.deaths.get(function):
            return "killed the process"
        return None

    def given_up(self, function: str) -> str | None:
        """Why the remaining checks of ``function`` are not run, or ``None`` when they are."""
        t, d = self.timeouts.get(function, 0), self.deaths.get(function, 0)
        if t >= MAX_TIMEOUTS_PER_FUNCTION:
            return (f"not run: an earlier check of {function} timed out"
                    if t == 1 else f"not run: {t} earlier checks of {function} timed out")
        if d >= MAX_DEATHS_PER_FUNCTION:
            return f"not run: {d} earlier checks of {function} killed the process"
        return None


def run(target: str, *, only=None, max_examples=50, seed=0, timeout=DEFAULT_TIMEOUT,
        known_deviations=(), progress=None, on_check=None, isolate=True, dtypes=None, arrays="numpy",
        device="cpu", baseline=None, jobs=None) -> dict:
    """Run every check of every provided function; return the report dict.

    Parameters
    ----------
    target : str
        A built-in adapter name, a module path or a ``.py`` file.
    only : iterable of str, optional
        Function names to check (default: all of :data:`conformance.spec.FUNCTIONS`).
    max_examples, seed : int
        Hypothesis budget and seed of property checks.
    timeout : float
        Seconds one check may take.
    known_deviations : iterable of paths
        Extra TOML files of known deviations.
    progress : callable, optional
        ``progress(function, rows)`` after each function completes (rows as dicts).
    on_check : callable, optional
        ``on_check(index, total, check)`` before each check starts.
    isolate : bool
        Run the checks in a child process (default).  ``False`` runs them here.
    dtypes : sequence of str, optional
        Input dtypes to check (``--dtypes``); ``None`` for the default.
    arrays, device : str
        What the target takes and returns (``--arrays numpy|torch|jax``) and
        where its tensors live (``--device``).
    baseline : str, optional
        A target measured at the same inputs by the float16 and bfloat16
        checks (``--baseline``); each such row then says whether ``target`` is
        at least as accurate (its ``baseline``).
    jobs : int, optional
        Checking processes (``--jobs``); ``None`` for :func:`default_jobs`.
        Each process checks whole functions; the report does not depend on
        how many there were.  ``isolate=False`` runs one.

    Returns
    -------
    dict
        The report (see :mod:`conformance.report`); ``results`` holds
        :meth:`CheckResult.to_dict` rows in contract order.

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
                    "seed": seed, "timeout": timeout, "dtypes": list(dtypes) if dtypes else None,
                    "arrays": arrays, "device": device, "baseline": baseline},
        "summary": {}, "results": [], "stale_deviations": [],
    }
    t0 = time.perf_counter()
    rows_of: dict[str, list[CheckResult]] = {}
    jobs = 1 if not isolate else max(1, int(jobs if jobs is not None else default_jobs(device)))
    report["options"]["jobs"] = jobs

    # processes side by side share the CPUs' threads (the number started is known
    # only after the first one has imported the target, so ``jobs`` divides them)
    threads = max(1, _cpus() // jobs) if jobs > 1 else None

    def executor():
        return (WorkerPool if isolate else InProcess)(target, max_examples=max_examples, seed=seed,
                                                      timeout=timeout, dtypes=dtypes, arrays=arrays,
                                                      device=device, baseline=baseline, threads=threads)

    executors = [executor()]
    try:
        provided = set(executors[0].start())  # ImportFailure propagates: nothing was checked
        report["gradients"] = executors[0].gradients  # e.g. "autograd (torch) through NAME"
        checks = selected_checks(functions, dtypes)
        runnable = [c for c in checks if c.function in provided]
        for function in functions:
            if function not in provided:
                rows_of[function] = [CheckResult.not_provided(function, target)]
                if progress:
                    progress(function, [r.to_dict() for r in rows_of[function]])
        checked = [f for f in functions if f in provided]
        # the others start (import the target) while the first one checks
        executors += [executor() for _ in range(min(jobs, len(checked)) - 1)]
        _check_in_parallel(executors, _Schedule(checked, runnable), runnable, provided, rows_of,
                           lost=_LostFunctions(), target=target, entries=entries,
                           progress=progress, on_check=on_check)
    except KeyboardInterrupt:
        report["interrupted"] = True
    finally:
        for e in executors:
            e.close()
    report["results"] = [r.to_dict() for f in functions for r in rows_of.get(f, [])]
    report["stale_deviations"] = stale_deviations(entries, report)
    report["finished"] = _now()
    report["duration_s"] = round(time.perf_counter() - t0, 3)
    report["summary"] = summarize(report["results"])
    return report


def _check_in_parallel(executors, schedule, runnable, provided, rows_of, *, lost, target, entries, progress, on_check):
    """Check the scheduled functions, one thread per executor (a thread only
    waits on its child process).  Returns when every function is checked;
    a ``KeyboardInterrupt`` in this (the main) thread stops the others, and
    the checks they were running are left out of ``rows_of``."""
    lock = threading.Lock()
    started = [0]
    failures: list[BaseException] = []
    checks_of: dict[str, list] = {}
    for c in runnable:
        checks_of.setdefault(c.function, []).append(c)

    def work(executor):
        try:
            while (function := schedule.take()) is not None:
                rows = []
                for check in checks_of.get(function, ()):
                    if schedule.stopped:
                        return
                    with lock:
                        started[0] += 1
                        if on_check:
                            on_check(started[0], len(runnable), check)
                    row = _run_one(check, executor, provided, lock, lost, target, entries)
                    if schedule.stopped:  # the row of a check interrupted half-way is not kept
                        return
                    rows.append(row)
                with lock:
                    rows_of[function] = rows
                    if progress:
                        progress(function, [r.to_dict() for r in rows])
                schedule.finish(function)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the main thread
            if not schedule.stopped:
                failures.append(exc)
            schedule.stop()

    threads = [threading.Thread(target=work, args=(e,), daemon=True, name=f"conformance-{i}")
               for i, e in enumerate(executors)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except BaseException:
        schedule.stop()
        for e in executors:
            e.close()  # kills the children the threads are waiting on
        for t in threads:
            t.join(5)
        raise
    if failures:
        raise failures[0]


def _run_one(check, executor, provided, lock, lost: _LostFunctions, target: str, entries) -> CheckResult:
    """The record of ``check``: run, or not run because of a missing or lost function.

    ``lock`` guards what the checking threads share: ``lost`` and the
    deviation entries (which record the checks they matched)."""
    with lock:
        missing = missing_needs(check, provided)
        blocked = next((n for n in check.needs if lost.how(n)), None)
        given_up = lost.given_up(check.function)
        how = lost.how(blocked) if blocked is not None else None
    if missing:
        row = CheckResult.skipped_for_missing(check, missing, target)
    elif given_up:
        row = CheckResult.of(check, status="error", message=given_up)
    elif blocked is not None:
        row = CheckResult.blocked(check, blocked, how)
    else:
        row = executor.run(check)
    with lock:
        lost.record(row)  # counts only rows whose process was lost
        apply_deviation(row, entries)
    return row


def apply_deviation(row: CheckResult, entries: list[dict]) -> None:
    """Turn a failing or erroring ``row`` into ``known_deviation`` when entries match.

    Every matching entry is kept (``row.deviation["entries"]``) and named in the
    message; the first one's fields are also ``row.deviation``'s own.
    """
    if row.status not in ("fail", "error"):
        return
    matching = deviations.match_all(entries, row.check)
    if not matching:
        return
    for e in matching:
        e.setdefault("_matched", []).append(row.check)
    first = matching[0]
    row.deviation = {"reason": first["reason"], "clause": first["clause"], "why": first["why"],
                     "source": first.get("source"), "measured_status": row.status,
                     "entries": [{k: e.get(k) for k in ("reason", "clause", "why", "source")}
                                 for e in matching]}
    row.status = "known_deviation"
    listed = "; ".join(f"{e['reason']} — {e['why']}" for e in matching)
    row.message = f"{row.message} [known deviation: {listed}]"


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
    """How many rows have each status (every status of :data:`STATUSES` present)."""
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

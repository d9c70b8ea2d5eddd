"""A faulty implementation cannot stop a conformance run or lose its report.

Functions that raise, return None, the wrong shape or NaN, hang, or kill their
own process are each reported with the reason, and the other functions are
still checked.  Ctrl-C and SIGTERM end the run with a report marked interrupted.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from conformance.session import selected_checks

from conformance import session
from conformance.registry import load_all_checks
from conformance.run_check import ImportFailure, run_check

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def _self_skipped(row):
    """A check that skipped itself (an input dtype the run leaves out), not a missing function."""
    return row["status"] == "skipped" and "provide" not in row["message"] and not row.get("blocked_by")


def by_function(report_path):
    data = json.loads(Path(report_path).read_text())
    rows = {}
    for r in data["results"]:
        rows.setdefault(r["function"], []).append(r)
    return data, rows


def test_raising_none_shape_nan_and_hanging_functions(tmp_path):
    report = tmp_path / "r.json"
    # the limit leaves room for the slowest correct check (a size ladder) on a busy machine
    out = cli("--impl", "tests.faulty.misbehaving", "--max-examples", "3", "--timeout", "8",
              "--only", "softmax,log_softmax,logsumexp,sigmoid,log_sigmoid,entropy", "--report", str(report))
    assert out.returncode == 1
    data, rows = by_function(report)
    assert not data["interrupted"]
    # raises: an error naming the exception type and message
    assert any(r["status"] == "error" and r["message"].startswith("RuntimeError: kernel not implemented")
               for r in rows["softmax"])
    # hangs: the first check that calls it times out, the others are not run (each
    # would cost the limit); checks that skip themselves before calling it come first
    assert session.MAX_TIMEOUTS_PER_FUNCTION == 1
    ran = [r for r in rows["log_softmax"] if r["status"] != "skipped"]
    assert all(r["status"] == "error" for r in ran) and len(ran) > 1
    assert ran[0]["message"].startswith("timed out after 8 s") and ran[0]["lost"] == "timeout"
    assert all(r["message"].startswith("not run: an earlier check of log_softmax timed out") for r in ran[1:])
    assert len(rows["log_softmax"]) == len(selected_checks(["log_softmax"]))
    # returns None
    assert any(r["status"] == "fail" and "returned None" in r["message"] for r in rows["logsumexp"])
    # wrong shape
    assert any(r["status"] == "fail" and "shape (3,)" in r["message"] for r in rows["log_sigmoid"])
    # NaN where a number is due: a failure with expected, got and the input
    nan_rows = [r for r in rows["entropy"] if r["status"] == "fail" and r["check"] == "entropy.example.coin"]
    assert nan_rows and nan_rows[0]["expected"] == pytest.approx(0.6931471805599453)
    assert nan_rows[0]["counterexample"].startswith("entropy(np.array([0.5, 0.5]")
    assert nan_rows[0]["max_ulp_error"] == float("inf")
    # the correct function is still checked after the hang (in a fresh process)
    assert all(r["status"] == "pass" or _self_skipped(r) for r in rows["sigmoid"] if ".property." not in r["check"])


def test_crashing_functions_are_errors_and_the_run_goes_on(tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.crashing", "--max-examples", "3",
              "--only", "softmax,log_softmax,logsumexp,sigmoid,log_sigmoid", "--report", str(report))
    assert out.returncode == 1
    data, rows = by_function(report)
    first = {f: next(r for r in rows[f] if r["status"] == "error")["message"]
             for f in ("softmax", "log_softmax", "logsumexp")}
    assert first["softmax"].startswith("the process died (signal 11, SIGSEGV)")
    assert first["log_softmax"].startswith("the process died (exit status 3)")
    assert first["logsumexp"].startswith("the process died (signal 9, SIGKILL)")
    for f in ("softmax", "log_softmax", "logsumexp"):  # (a check may skip itself before the call)
        assert {r["status"] for r in rows[f]} <= {"error", "skipped"}
    # sigmoid prints to stdout (JSON-looking text included) and reads stdin: the
    # protocol is undisturbed and its checks pass; so do log_sigmoid's
    assert {r["status"] for r in rows["sigmoid"] + rows["log_sigmoid"] if not _self_skipped(r)} == {"pass"}
    assert "this line is not part of the protocol" not in out.stdout


def test_a_target_that_dies_on_import_is_a_one_line_error():
    out = cli("--impl", "tests.faulty.crash_on_import")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "python -m conformance: error: cannot import 'tests.faulty.crash_on_import': the process died (exit status 7)"]


def test_the_child_process_sees_the_callers_sys_path(tmp_path, monkeypatch):
    """`session.run` from Python: a module importable here is importable in the child."""
    (tmp_path / "my_losses_for_isolation.py").write_text(textwrap.dedent("""
        import numpy as np
        def sigmoid(x):
            x = np.asarray(x, dtype=np.float64)
            return np.exp(-np.logaddexp(0.0, -x))
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    report = session.run("my_losses_for_isolation", only=["sigmoid", "softmax"], max_examples=3)
    statuses = {r["function"]: r["status"] for r in report["results"]}
    assert statuses["softmax"] == "not_provided"
    assert any(r["function"] == "sigmoid" and r["status"] == "pass" for r in report["results"])
    with pytest.raises(ImportFailure, match="no_module_by_this_name"):
        session.run("no_module_by_this_name", only=["sigmoid"])


def _interrupt(tmp_path, sig, seed):
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "--impl", "tests.faulty.misbehaving",
                             "--only", "softmax,log_softmax,sigmoid", "--timeout", "120", "--report", str(report),
                             "--seed", str(seed)],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guard = threading.Timer(100, proc.kill)
    guard.start()
    try:
        seen = []
        for line in proc.stdout:  # softmax is done when its line appears; log_softmax then hangs
            seen.append(line)
            if "softmax" in line and "passed" in line:
                break
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=60)
    finally:
        guard.cancel()
    return proc.returncode, "".join(seen) + rest, err, report


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_still_writes_its_report(tmp_path, sig):
    seed = 900_000_000 + os.getpid() * 10 + int(sig)  # marks this run's child process
    code, out, err, report = _interrupt(tmp_path, sig, seed)
    assert code == 1, out + err
    data = json.loads(report.read_text())
    assert data["interrupted"] is True and data["finished"]
    functions = {r["function"] for r in data["results"]}
    assert "softmax" in functions and "sigmoid" not in functions
    assert data["summary"]["error"] == sum(r["status"] == "error" for r in data["results"])
    assert "INTERRUPTED" in out and "Traceback" not in err
    # no child process is left behind (its command line carries the seed)
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert f'"seed": {seed}' not in ps


def test_in_process_run_check_reports_the_same_statuses():
    """`run_check` (used by the pytest plugin) classifies like the isolated run."""
    import types

    import numpy as np

    import reference as ref

    check = load_all_checks()["entropy.example.coin"]

    def raising(p, axis=-1, base=None):
        raise ValueError("boom")

    def nan(p, axis=-1, base=None):
        return np.float64(np.nan)

    assert run_check(check, types.SimpleNamespace(entropy=ref.entropy)).status == "pass"
    row = run_check(check, types.SimpleNamespace(entropy=raising))
    assert row.status == "error" and row.message.startswith("ValueError: boom")
    row = run_check(check, types.SimpleNamespace(entropy=nan))
    assert row.status == "fail" and row.got is not None and row.to_dict()["status"] == "fail"


def test_a_hanging_function_costs_one_time_out(tmp_path):
    """softmax hangs: one time-out in all, and the log_softmax check that calls it is skipped."""
    report = tmp_path / "r.json"
    # the limit leaves room for the slowest correct check (a size ladder) on a busy machine
    out = cli("--impl", "tests.faulty.hanging_softmax", "--only", "softmax,log_softmax", "--max-examples", "3",
              "--timeout", "20", "--report", str(report))
    assert out.returncode == 1, out.stdout + out.stderr
    data, rows = by_function(report)
    timed_out = [r for r in data["results"] if r["message"].startswith("timed out after")]
    assert len(timed_out) == 1 and timed_out[0]["function"] == "softmax" and timed_out[0]["lost"] == "timeout"
    assert sum(r.get("lost") == "timeout" for r in data["results"]) == 1
    at = rows["softmax"].index(timed_out[0])
    before, rest = rows["softmax"][:at], rows["softmax"][at + 1:]
    assert all(_self_skipped(r) for r in before)  # checks that skip themselves never call it
    assert rest and all(r["status"] == "error" and r["message"].startswith("not run: an earlier check of softmax")
                        for r in rest)
    calls_softmax = {c.id for c in load_all_checks().values() if c.function == "log_softmax" and "softmax" in c.needs}
    assert calls_softmax
    for r in rows["log_softmax"]:
        if r["check"] in calls_softmax:
            assert r["status"] == "skipped" and r["blocked_by"] == "softmax", r
            assert "softmax" in r["message"] and "hung" in r["message"]
        else:
            assert r["status"] == "pass" or _self_skipped(r), r
    assert sum(bool(r.get("blocked_by")) for r in data["results"]) == len(calls_softmax)


def test_a_function_runs_before_the_functions_whose_checks_call_it():
    import types

    def fake(function, needs=()):
        return types.SimpleNamespace(id=f"{function}.x", function=function, needs=tuple(needs))

    checks = [fake("a", ["c"]), fake("b"), fake("c", ["d"]), fake("d"), fake("e", ["e"])]
    assert session.run_order(["a", "b", "c", "d", "e"], checks) == ["b", "d", "c", "a", "e"]
    # the functions of a cycle keep their order, after those that can run; a called
    # function outside the run is ignored
    cyclic = [fake("a", ["b"]), fake("b", ["a"]), fake("c", ["zzz"])]
    assert session.run_order(["a", "b", "c"], cyclic) == ["c", "a", "b"]
    # the built-in checks: every called function that is run comes first
    real = list(load_all_checks().values())
    order = session.run_order(session.FUNCTIONS, real)
    assert sorted(order) == sorted(session.FUNCTIONS)
    for c in real:
        for n in c.needs:
            if n != c.function:
                assert order.index(n) < order.index(c.function), (c.id, n)


def test_with_two_processes_a_function_waits_for_the_functions_it_calls():
    """The schedule of ``--jobs``: a second process does not start a function
    whose checks call one still being checked (it would not know the callee
    hung), and a cycle of calls cannot stall the run."""
    import types

    def fake(function, needs=()):
        return types.SimpleNamespace(id=f"{function}.x", function=function, needs=tuple(needs))

    schedule = session._Schedule(["softmax", "log_softmax", "entropy"],
                                 [fake("log_softmax", ["softmax"]), fake("softmax"), fake("entropy")])
    assert schedule.take() == "softmax"
    assert schedule.take() == "entropy"  # log_softmax is not ready while softmax runs
    taken = []
    waiter = threading.Thread(target=lambda: taken.append(schedule.take()))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not taken  # nothing ready: the process waits
    schedule.finish("softmax")
    waiter.join(5)
    assert taken == ["log_softmax"]
    schedule.finish("entropy")
    schedule.finish("log_softmax")
    assert schedule.take() is None
    cycle = session._Schedule(["a", "b"], [fake("a", ["b"]), fake("b", ["a"])])
    assert cycle.take() == "a"  # nothing running: the first of the cycle goes
    cycle.finish("a")
    assert cycle.take() == "b"


def test_the_report_does_not_depend_on_the_number_of_processes(tmp_path):
    """--jobs 1 and --jobs 3 give the same rows, in the same (contract) order,
    faulty functions included."""
    reports = []
    for jobs in (1, 3):
        path = tmp_path / f"r{jobs}.json"
        out = cli("--impl", "tests.faulty.crashing", "--only", "softmax,log_softmax,logsumexp,entropy,sigmoid",
                  "--max-examples", "5", "--jobs", str(jobs), "--report", str(path))
        assert out.returncode == 1, out.stdout + out.stderr
        data = json.loads(path.read_text())
        assert data["options"]["jobs"] == jobs
        reports.append([{k: v for k, v in r.items() if k != "duration_s"} for r in data["results"]])
    assert reports[0] == reports[1]


def test_processes_side_by_side_share_the_cpus_threads(tmp_path):
    """With --jobs 2 each child's numerical libraries get half the CPUs' threads
    (torch would otherwise start one per CPU in each process); a value the
    user set is kept."""
    module = tmp_path / "env_softmax.py"
    module.write_text(textwrap.dedent("""
        import os
        def softmax(z, axis=-1):
            raise RuntimeError("threads=" + os.environ.get("OMP_NUM_THREADS", "unset"))
        log_softmax = softmax
    """))
    env = {k: v for k, v in ENV.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    expected = str(max(1, session._cpus() // 2))
    for extra, want in (({}, expected), ({"OMP_NUM_THREADS": "7"}, "7")):
        report = tmp_path / "r.json"
        subprocess.run([sys.executable, "-m", "conformance", "--impl", str(module), "--only", "softmax,log_softmax",
                        "--max-examples", "2", "--jobs", "2", "--report", str(report)],
                       cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=240)
        messages = {r["message"] for r in json.loads(report.read_text())["results"] if r["status"] == "error"}
        assert any(f"threads={want}" in m for m in messages), messages
        assert not any("threads=unset" in m for m in messages)


def test_jobs_must_be_positive():
    out = cli("--impl", "reference", "--jobs", "0")
    assert out.returncode == 2 and "--jobs must be a positive number" in out.stderr


def test_the_child_process_imports_only_what_running_a_check_needs():
    """The worker (a fresh interpreter) never imports the session side or other adapters."""
    from conformance._isolation import WorkerPool

    pool = WorkerPool("reference", max_examples=2, timeout=120)
    try:
        assert "softmax" in pool.start()
        row = pool.run(next(c for c in load_all_checks().values() if c.function == "softmax"))
        assert row.status == "pass", row
        modules = set(pool.loaded_modules())
    finally:
        pool.close()
    assert {"conformance.run_check", "conformance.registry", "conformance.adapters.reference"} <= modules
    for banned in ("conformance.session", "conformance.report", "conformance.deviations",
                   "conformance._isolation", "conformance.adapters.torch", "conformance.adapters.jax"):
        assert banned not in modules, banned


def _package_modules():
    import pkgutil

    import conformance

    names = ["conformance"]
    for info in pkgutil.walk_packages(conformance.__path__, "conformance."):
        names.append(info.name)
    return names


def test_every_module_of_the_package_imports_alone():
    """No import cycle: each module, imported first in a fresh interpreter, imports cleanly."""
    from concurrent.futures import ThreadPoolExecutor

    names = _package_modules()
    assert "conformance.run_check" in names and "conformance.session" in names
    assert "conformance.runner" not in names  # split into run_check and session

    def import_alone(name):
        proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, timeout=300)
        return name, proc.returncode, proc.stderr.strip().splitlines()[-1:] if proc.returncode else []

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [r for r in pool.map(import_alone, names) if r[1] != 0]
    assert not failed, failed

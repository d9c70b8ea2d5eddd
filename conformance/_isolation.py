"""The parent side of the isolated run: a child process that executes checks.

The child is ``python -c <bootstrap>`` running :func:`conformance._worker.main`
with the parent's ``sys.path``, in a session of its own (so a Ctrl-C at the
terminal reaches only the parent, which then kills the child).  The protocol is
one JSON object per line: the parent writes requests to the child's stdin, the
child answers on its original stdout, which it keeps for the protocol alone
(the implementation's own prints go to stderr, which the parent collects in a
temporary file and quotes when the child dies).  POSIX only (``select`` on a
pipe, process groups).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

from . import DEFAULT_TIMEOUT
from .run_check import (LOST_DIED, LOST_TIMEOUT, CheckResult, ImportFailure, provided_functions, resolve, resolve_baseline,
                        run_check)

_BOOTSTRAP = (
    "import json, os, sys; sys.path[:] = json.loads(os.environ.pop('CONFORMANCE_SYS_PATH')); "
    "from conformance._worker import main; sys.exit(main(sys.argv[1:]))"
)


#: What the numerical libraries read for their number of threads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class _Died(Exception):
    pass


class _TimedOut(Exception):
    pass


class WorkerPool:
    """One child process at a time, restarted after a hang or a crash."""

    def __init__(self, target, *, max_examples=50, seed=0, timeout=DEFAULT_TIMEOUT, startup_timeout=None, dtypes=None,
                 arrays="numpy", device="cpu", baseline=None, threads=None):
        self.target = target
        self.threads = threads  # threads of the child's numerical libraries (None: theirs)
        self.baseline = baseline
        self.dtypes = list(dtypes) if dtypes else None
        self.arrays, self.device = arrays, device
        self.gradients = None  # where a wrapped module's gradients come from (--arrays)
        self.max_examples = max_examples
        self.seed = seed
        self.timeout = float(timeout)
        self.startup_timeout = float(startup_timeout or max(120.0, self.timeout))
        self.proc = None
        self.log = None
        self.buf = b""
        self.broken = None  # why the child could not be restarted
        self.starts = 0

    # -- life cycle ---------------------------------------------------------
    def start(self) -> list[str]:
        """Start the child; return the functions the target provides."""
        env = dict(os.environ)
        env["CONFORMANCE_SYS_PATH"] = json.dumps([p or os.getcwd() for p in sys.path])
        if self.threads:
            # Processes side by side share the CPUs: without this each library
            # (torch, OpenBLAS, MKL) would start a thread per CPU in every one.
            for var in THREAD_VARIABLES:
                env.setdefault(var, str(self.threads))
        config = json.dumps({"target": self.target, "max_examples": self.max_examples, "seed": self.seed,
                             "dtypes": self.dtypes, "arrays": self.arrays, "device": self.device,
                             "baseline": self.baseline})
        self.log = tempfile.TemporaryFile()
        self.buf = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, config],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            start_new_session=True, env=env, bufsize=0)
        self.starts += 1
        try:
            hello = self._receive(self.startup_timeout)
        except _TimedOut:
            self._kill()
            raise ImportFailure(f"cannot import {self.target!r}: timed out after "
                                f"{self.startup_timeout:g} s") from None
        except _Died as died:
            raise ImportFailure(f"cannot import {self.target!r}: {died}") from None
        if "import_error" in hello:
            self._kill()
            raise ImportFailure(hello["import_error"])
        self.gradients = hello.get("gradients")
        return hello["provided"]

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # the child exits at the end of its input
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._kill()
        if self.log is not None:
            self.log.close()
            self.log = None

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - the kernel did not reap it
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    # -- one check ----------------------------------------------------------
    def run(self, check) -> CheckResult:
        """Run ``check`` in the child; a hang or a death is a row with ``lost`` set."""
        if self.proc is None and self.broken is None:
            try:
                self.start()
            except ImportFailure as exc:
                self.broken = f"the process could not be restarted: {exc}"
        if self.broken is not None:
            return CheckResult.of(check, status="error", message=self.broken)
        start = time.perf_counter()
        try:
            self._send({"check": check.id})
            reply = self._receive(self.timeout)
        except _TimedOut:
            self._kill()
            return CheckResult.lost_to(
                check, LOST_TIMEOUT, duration_s=round(time.perf_counter() - start, 4),
                message=f"timed out after {self.timeout:g} s (the process was killed; "
                        "the remaining checks run in a new one)")
        except _Died as died:
            return CheckResult.lost_to(
                check, LOST_DIED, duration_s=round(time.perf_counter() - start, 4),
                message=f"{died} while running this check; the remaining checks run in a new one")
        return CheckResult.from_dict(reply["result"])

    def loaded_modules(self) -> list[str]:
        """The ``conformance`` modules the child has imported (what it depends on)."""
        if self.proc is None:
            self.start()
        self._send({"modules": True})
        return self._receive(self.timeout)["modules"]

    # -- protocol -----------------------------------------------------------
    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # BrokenPipeError: the child is gone
            raise _Died(self._death()) from None

    def _receive(self, timeout: float) -> dict:
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _TimedOut()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise _Died(self._death())
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def _death(self) -> str:
        """Reap the dead child and say how it died."""
        proc = self.proc
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self._kill()
        if code is None:
            how = "the process stopped answering"
        elif code < 0:
            try:
                how = f"the process died (signal {-code}, {signal.Signals(-code).name})"
            except ValueError:
                how = f"the process died (signal {-code})"
        else:
            how = f"the process died (exit status {code})"
        tail = self._last_output()
        return f"{how}; its last output: {tail}" if tail else how

    def _last_output(self) -> str:
        if self.log is None:
            return ""
        try:
            self.log.seek(0, os.SEEK_END)
            size = self.log.tell()
            self.log.seek(max(0, size - 4096))
            lines = [ln.strip() for ln in self.log.read().decode(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        finally:
            self.log.close()
            self.log = None
        if not lines:
            return ""
        last = lines[-1]
        return last if len(last) <= 200 else last[:197] + "..."


class InProcess:
    """The same interface, running the checks in this process (no crash isolation)."""

    def __init__(self, target, *, max_examples=50, seed=0, timeout=DEFAULT_TIMEOUT, dtypes=None, arrays="numpy",
                 device="cpu", baseline=None, threads=None):
        self.target = target
        self.baseline_target = baseline
        self.baseline = None
        self.dtypes = dtypes
        self.arrays, self.device = arrays, device
        self.gradients = None
        self.max_examples = max_examples
        self.seed = seed
        self.timeout = timeout
        self.implementation = None

    def start(self) -> list[str]:
        self.implementation = resolve(self.target, self.arrays, self.device)
        self.baseline = resolve_baseline(self.baseline_target)
        self.gradients = getattr(self.implementation, "GRADIENTS", None)
        return provided_functions(self.implementation)

    def run(self, check) -> CheckResult:
        return run_check(check, self.implementation, max_examples=self.max_examples, seed=self.seed,
                         timeout=self.timeout, dtypes=self.dtypes, baseline=self.baseline)

    def close(self) -> None:
        pass

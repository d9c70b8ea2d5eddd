"""Check an implementation of the loss functions against the spec.

Usage::

    python -m conformance --impl TARGET [--only NAME[,NAME...]] [--report PATH]
                          [--junitxml PATH] [--known-deviations FILE]...
                          [--max-examples N] [--seed N] [--timeout S] [--jobs N]
    python -m conformance --list

The installed package has the same program as the command ``loss-spec``.

``TARGET`` is a built-in adapter (``reference``, ``scipy``, ``torch``, ``jax``,
``keras``, ``sklearn``, ``onnxruntime``, ``tensorflow``), an importable module path
(``mypkg.losses``) or the path of a ``.py`` file.  The module has attributes
named after the contract's functions; a function it lacks is reported as *not
provided*.  For a built-in adapter its file of known deviations
(``conformance/known_deviations/<name>.toml``) is loaded automatically.

Options
-------
--impl TARGET           what to check (required unless ``--list``)
--only NAMES            comma-separated function names; a gradient is a
                        function of its own (``softmax_cross_entropy_grad``)
--report PATH           write the JSON report (atomically)
--junitxml PATH         write a JUnit XML report (one test case per check)
--known-deviations FILE a TOML file of accepted deviations (repeatable)
--max-examples N        hypothesis examples per property check (default 50)
--seed N                0 (default) derandomises hypothesis; other values seed it
--timeout S             seconds one check may take (default 60)
--jobs N                checking processes (default: one per CPU, at most 4;
                        1 with --device other than cpu); each checks whole
                        functions, and the report is the same for any N
--dtypes LIST           input dtypes to check (float64,float32,float16,bfloat16
                        or all; default float64,float32)
--arrays KIND           numpy (default), torch or jax: what the module under test
                        takes and returns; the suite converts its inputs and the
                        results; a loss without NAME_grad gets its gradient from
                        autograd (the report's "gradients" says which)
--device DEVICE         where those tensors live: cpu (default), cuda, cuda:N; the
                        built-in torch and jax adapters take it too
--baseline TARGET       for float16 and bfloat16 checks, also measure TARGET (a
                        built-in adapter or a module) at the same inputs and say
                        per check whether the implementation is at least as
                        accurate ("worse than torch by N ulps"); default: torch
                        where it is installed and the run has a low-precision
                        dtype; ``none`` turns it off
--list                  list every check with its kind and clause, by function

The checks run in child processes, each checking one function at a time.  A check that exceeds
``--timeout`` or whose process dies (a segfault, ``os._exit``, a signal) is
reported as an error, and the remaining checks run in a fresh process; after one
time-out (or two deaths) of a function its remaining checks are reported as
errors without being run, and the checks of other functions that call it are
skipped, naming it.  Ctrl-C
or SIGTERM stops the run; the reports of what was checked are still written,
marked ``"interrupted": true``.

The terminal shows one line per function as it completes (with a live line of
the running check on a terminal), then every failure with its clause, expected
and actual values, the error in ulps and the smallest failing input as a call,
the known deviations grouped by reason, stale deviation entries and the totals.

Exit status
-----------
0  every check of every provided function passed, was skipped, or is a listed
   known deviation (stale entries do not change it);
1  a check failed or raised, or the run was interrupted;
2  a usage error (unknown option or function name, unreadable deviations file)
   or a target that cannot be imported (one line on stderr names the error).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from . import DEFAULT_TIMEOUT

PROG = "python -m conformance"
#: The installed command (``[project.scripts]``), the same program under another name.
COMMAND = "loss-spec"


def _parser(prog=PROG):
    p = argparse.ArgumentParser(prog=prog, description="Check an implementation of the loss "
                                "functions against the loss-spec clauses.")
    p.add_argument("--impl", metavar="TARGET", help="built-in adapter, module path or .py file")
    p.add_argument("--only", metavar="NAME[,NAME...]", help="comma-separated function names")
    p.add_argument("--report", metavar="PATH", help="write the JSON report here")
    p.add_argument("--junitxml", metavar="PATH", help="write a JUnit XML report here")
    p.add_argument("--known-deviations", action="append", default=[], metavar="FILE",
                   help="TOML file of known deviations (repeatable)")
    p.add_argument("--max-examples", type=int, default=50, metavar="N",
                   help="hypothesis examples per property (default 50)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="0 derandomises hypothesis (default); other values seed it")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds one check may take (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="checking processes (default: one per CPU, at most 4)")
    p.add_argument("--dtypes", metavar="LIST",
                   help="input dtypes to check, from float64,float32,float16,bfloat16, or 'all' "
                        "(default float64,float32)")
    p.add_argument("--arrays", choices=("numpy", "torch", "jax"), default="numpy",
                   help="what the module under test takes and returns (default numpy)")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="where its tensors live: cpu (default), cuda, cuda:N")
    p.add_argument("--baseline", metavar="TARGET",
                   help="for float16/bfloat16 checks, also measure TARGET at the same inputs "
                        "(default: torch where installed; 'none' turns it off)")
    p.add_argument("--list", action="store_true", help="list every check with its kind and clause")
    return p


def _baseline(option, target, dtypes):
    """The baseline of the low-precision checks (``--baseline``), or ``None``.

    By default it is the torch adapter, where torch is installed and the run
    checks float16 or bfloat16 (not when the target is that adapter itself).
    """
    from .registry import LOW_PRECISION_DTYPES

    if option is not None:
        return None if option.strip().lower() == "none" else option.strip()
    if target == "torch" or not set(dtypes or ()) & set(LOW_PRECISION_DTYPES):
        return None
    import importlib.util

    return "torch" if importlib.util.find_spec("torch") is not None else None


def _usage_error(message: str, prog: str = PROG) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def list_checks(out=None) -> int:
    from .registry import load_all_checks
    from .spec import FUNCTIONS

    out = out or sys.stdout
    checks = load_all_checks()
    known = set(FUNCTIONS)
    groups = [(f, [c for c in checks.values() if c.function == f]) for f in FUNCTIONS]
    stray = sorted({c.function for c in checks.values() if c.function not in known})
    groups += [(f, [c for c in checks.values() if c.function == f]) for f in stray]
    total = 0
    for function, rows in groups:
        print(f"{function} ({len(rows)} checks)" if rows else f"{function} (no checks yet)", file=out)
        for c in sorted(rows, key=lambda c: c.id):
            print(f"  {c.id:<46} {c.kind:<9} clause {c.clause}", file=out)
            total += 1
    print(f"{total} checks", file=out)
    return 0


class _Progress:
    """One line per function; on a terminal also a live line for the running check."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty() and os.environ.get("TERM") != "dumb"
        self.dirty = False

    def _clear(self):
        if self.dirty:
            self.stream.write("\r\033[K")
            self.dirty = False

    def on_check(self, index, total, check):
        if self.live:
            self._clear()
            width = 100
            text = f"[{index}/{total}] {check.function}: {check.id}"
            self.stream.write(text[:width])
            self.stream.flush()
            self.dirty = True

    def on_function(self, function, rows):
        from .report import function_line

        self._clear()
        print(function_line(function, rows), file=self.stream, flush=True)

    def done(self):
        self._clear()
        self.stream.flush()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None, prog: str = PROG) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    ``prog`` is the name usage lines and errors start with.
    """
    parser = _parser(prog)

    def usage(message):
        return _usage_error(message, prog)

    args = parser.parse_args(argv)  # argparse exits with status 2 on a usage error
    if args.list:
        return list_checks()
    if not args.impl:
        parser.print_usage(sys.stderr)
        return usage("--impl is required (or --list)")

    from . import report as reporting
    from .run_check import ImportFailure
    from .session import exit_status, load_deviations, run
    from .spec import FUNCTIONS

    only = None
    if args.only is not None:
        only = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in FUNCTIONS]
        if unknown or not only:
            return usage(f"unknown function name(s) in --only: {', '.join(unknown) or '(none given)'}"
                         f"; see --list for the names")
    dtypes = None
    if args.dtypes is not None:
        from .registry import DTYPES

        dtypes = list(DTYPES) if args.dtypes.strip() == "all" else [
            n.strip() for n in args.dtypes.split(",") if n.strip()]
        unknown = [n for n in dtypes if n not in DTYPES]
        if unknown or not dtypes:
            return usage(f"--dtypes: unknown dtype(s) {', '.join(unknown) or '(none given)'}; "
                         f"expected names from {','.join(DTYPES)} or 'all'")
    baseline = _baseline(args.baseline, args.impl, dtypes)
    if args.max_examples < 1:
        return usage("--max-examples must be at least 1")
    if not args.timeout > 0:
        return usage("--timeout must be a positive number of seconds")
    if args.jobs is not None and args.jobs < 1:
        return usage(f"--jobs must be a positive number of processes, got {args.jobs}")
    for path in args.known_deviations:
        if not os.path.isfile(path):
            return usage(f"--known-deviations: no such file: {path}")
    try:
        load_deviations(args.impl, args.known_deviations)
    except (OSError, ValueError) as exc:
        return usage(f"known deviations: {exc}")

    # SIGTERM behaves like Ctrl-C: the report of what was checked is still written.
    # (SIGINT too, even when the shell started us with it ignored.)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    progress = _Progress(sys.stdout)
    print(f"conformance: checking {args.impl} against loss-spec", flush=True)
    try:
        try:
            report = run(args.impl, only=only, max_examples=args.max_examples, seed=args.seed,
                         timeout=args.timeout, known_deviations=args.known_deviations,
                         progress=progress.on_function, on_check=progress.on_check, dtypes=dtypes,
                         arrays=args.arrays, device=args.device, baseline=baseline, jobs=args.jobs)
        except ImportFailure as exc:
            progress.done()
            return usage(str(exc).replace("\n", " "))
        except KeyboardInterrupt:  # before the run started: nothing to report
            progress.done()
            print(f"{prog}: interrupted", file=sys.stderr)
            return 1
        progress.done()
        # Write the reports first, so that a second Ctrl-C while printing loses nothing.
        if args.report:
            reporting.write_json(report, args.report)
        if args.junitxml:
            reporting.write_junit(report, args.junitxml)
        for line in reporting.summary_lines(report, report_path=args.report):
            print(line)
        if args.report:
            print(f"report: {args.report}")
        sys.stdout.flush()
        return exit_status(report)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def console_main() -> int:
    """The ``loss-spec`` command: :func:`main` under its installed name.

    As with ``python -m conformance``, the current directory comes first on
    ``sys.path``, so ``--impl mypkg.losses`` finds a module of the project the
    command is run in (a console script would otherwise see only installed ones).
    """
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    return main(prog=COMMAND)


if __name__ == "__main__":
    sys.exit(main())

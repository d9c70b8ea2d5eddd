"""Validate an implementation of the loss functions against the spec.

Usage::

    python -m conformance --impl TARGET [--only NAME[,NAME...]] [--report PATH]
                          [--junitxml PATH] [--known-deviations FILE]
                          [--max-examples N] [--seed N] [--timeout S]
    python -m conformance --list

``TARGET`` is a built-in adapter (reference, scipy, torch, jax, keras, sklearn,
onnxruntime), an importable module path (``mypkg.losses``) or a ``.py`` file.

Exit status: 0 when every check of every provided function passed, was skipped
or is a listed known deviation; 1 when a check failed or raised (or the run was
interrupted); 2 for a usage error or a target that cannot be imported.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import report as reporting
from .registry import load_all_checks
from .runner import ImportFailure, exit_status, run
from .spec import FUNCTIONS


def _parser():
    p = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.split("\n")[0])
    p.add_argument("--impl", help="built-in adapter, module path or .py file")
    p.add_argument("--only", help="comma-separated function names")
    p.add_argument("--report", help="write the JSON report here")
    p.add_argument("--junitxml", help="write a JUnit XML report here")
    p.add_argument("--known-deviations", action="append", default=[], metavar="FILE")
    p.add_argument("--max-examples", type=int, default=50)
    p.add_argument("--seed", type=int, default=0, help="0 derandomises hypothesis (default)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per check (default 30)")
    p.add_argument("--list", action="store_true", help="list every check with its clause")
    return p


def _list() -> int:
    checks = load_all_checks()
    for function in FUNCTIONS:
        rows = sorted((c for c in checks.values() if c.function == function), key=lambda c: c.id)
        if not rows:
            continue
        print(function)
        for c in rows:
            print(f"  {c.id:<48} {c.kind:<9} clause {c.clause}")
    return 0


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        return _list()
    if not args.impl:
        parser.print_usage(sys.stderr)
        print("python -m conformance: error: --impl is required", file=sys.stderr)
        return 2
    only = None
    if args.only:
        only = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in FUNCTIONS]
        if unknown:
            print(f"python -m conformance: error: unknown function(s) in --only: {', '.join(unknown)}",
                  file=sys.stderr)
            return 2
    if args.max_examples < 1:
        print("python -m conformance: error: --max-examples must be >= 1", file=sys.stderr)
        return 2
    # SIGTERM behaves like Ctrl-C: the report of what was checked is still written.
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))

    def progress(function, rows):
        print(reporting.function_line(function, rows), flush=True)

    print(f"conformance: checking {args.impl} against the loss spec", flush=True)
    try:
        report = run(args.impl, only=only, max_examples=args.max_examples, seed=args.seed,
                     timeout=args.timeout, known_deviations=args.known_deviations, progress=progress)
    except ImportFailure as exc:
        print(f"python -m conformance: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"python -m conformance: error: {exc}", file=sys.stderr)
        return 2
    failures = [r for r in report["results"] if r["status"] in ("fail", "error")]
    if failures:
        print()
        for row in failures:
            print(reporting.failure_block(row))
    deviations = [r for r in report["results"] if r["status"] == "known_deviation"]
    if deviations:
        print(f"\n{len(deviations)} known deviations:")
        for row in deviations:
            print(f"  {row['check']} [clause {row['clause']}]: {row['deviation']['reason']}")
    for entry in report["stale_deviations"]:
        print(f"stale known deviation (no longer happens): {entry['reason']} {entry['checks']}")
    s = report["summary"]
    print(f"\n{report['implementation']}: " + ", ".join(f"{v} {k}" for k, v in sorted(s.items()))
          + f" in {report['duration_s']:.1f} s" + (" (INTERRUPTED)" if report["interrupted"] else ""))
    if args.report:
        reporting.write_json(report, args.report)
    if args.junitxml:
        reporting.write_junit(report, args.junitxml)
    return exit_status(report)


if __name__ == "__main__":
    sys.exit(main())

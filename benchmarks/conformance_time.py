"""Wall time of a full conformance run per built-in adapter (default settings).

``python -m benchmarks.conformance_time [--out FILE] [adapter ...]`` runs
``python -m conformance --impl ADAPTER --report ...`` for each built-in adapter
(or those named) and prints one line per adapter: exit status, wall time and
the report's counts, or why the adapter could not be imported.  With ``--out``
the figures are also written to a JSON file (``make bench`` writes
``docs/performance/results.json``).  It prints figures only; nothing here
asserts a time.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.adapters import BUILTIN

from .results import update_results


def time_adapter(name: str, tmp: Path) -> dict:
    """Run the whole suite against one adapter in a fresh interpreter."""
    report = tmp / f"{name}.json"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", name, "--report", str(report)],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    rec = {"adapter": name, "exit": proc.returncode, "wall": wall}
    if proc.returncode == 2 or not report.exists():
        rec["not_run"] = (proc.stderr.strip().splitlines() or ["no report"])[-1]
    else:
        rec["counts"] = {k: v for k, v in json.loads(report.read_text())["summary"].items() if v}
    return rec


def format_row(rec: dict) -> str:
    head = f"{rec['adapter']:<12} {rec['exit']:>4} {rec['wall']:7.1f}s  "
    if "not_run" in rec:
        return head + f"not run: {rec['not_run']}"
    return head + ", ".join(f"{v} {k}" for k, v in rec["counts"].items())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.conformance_time",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("adapters", nargs="*", help="adapters to run (default: every built-in one)")
    parser.add_argument("--out", help="write the figures into this JSON file (other sections kept)")
    args = parser.parse_args(argv)
    names = args.adapters or list(BUILTIN)
    print(f"{'adapter':<12} {'exit':>4} {'wall':>8}  counts")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rec = time_adapter(name, Path(tmp))
            records.append(rec)
            print(format_row(rec), flush=True)
    if args.out:
        update_results(args.out, {"conformance": records})
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

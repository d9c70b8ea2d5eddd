"""Wall time of a full conformance run per built-in adapter (default settings).

``python -m benchmarks.conformance_time [adapter ...]`` runs
``python -m conformance --impl ADAPTER --report ...`` for each built-in adapter
(or those named) and prints one line per adapter: exit status, wall time and
the report's counts, or why the adapter could not be imported.  It prints
figures only; nothing here asserts a time.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.adapters import BUILTIN


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or list(BUILTIN)
    print(f"{'adapter':<12} {'exit':>4} {'wall':>8}  counts")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            report = Path(tmp) / f"{name}.json"
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", name, "--report", str(report)],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode == 2 or not report.exists():
                why = (proc.stderr.strip().splitlines() or ["no report"])[-1]
                print(f"{name:<12} {proc.returncode:>4} {wall:7.1f}s  not run: {why}", flush=True)
                continue
            counts = json.loads(report.read_text())["summary"]
            print(f"{name:<12} {proc.returncode:>4} {wall:7.1f}s  "
                  + ", ".join(f"{v} {k}" for k, v in counts.items() if v), flush=True)


if __name__ == "__main__":
    main()

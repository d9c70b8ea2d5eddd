"""Wall time of a full conformance run per built-in adapter (default settings).

``python -m benchmarks.conformance_time [adapter ...]`` prints one line per
adapter: exit status, wall time, and the report's counts.
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
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            report = Path(tmp) / f"{name}.json"
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", name, "--report", str(report)],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - start
            counts = json.loads(report.read_text())["summary"] if report.exists() else {}
            print(f"{name:<12} exit {proc.returncode}  {wall:6.1f} s  "
                  + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())), flush=True)


if __name__ == "__main__":
    main()

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
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.adapters import BUILTIN

from .results import load_results, update_results


#: Adapters that compile with JAX: their first run on a machine fills JAX's
#: persistent compilation cache, later runs read it.
JAX_ADAPTERS = ("jax", "keras")


def _run(name: str, report: Path, env=None):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", name, "--report", str(report)],
                          capture_output=True, text=True, check=False, env=env)
    return proc, time.perf_counter() - start


def time_adapter(name: str, tmp: Path) -> dict:
    """Run the whole suite against one adapter in a fresh interpreter.

    For the JAX-based adapters, first once with an empty compilation cache
    (``wall_cold``: a fresh machine), then with the cache that run filled
    (``wall``: every later run)."""
    report = tmp / f"{name}.json"
    cold = None
    if name in JAX_ADAPTERS:
        env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp / f"jax-cache-{name}"))
        _, cold = _run(name, report, env)
        proc, wall = _run(name, report, env)
    else:
        proc, wall = _run(name, report)
    rec = {"adapter": name, "exit": proc.returncode, "wall": wall}
    if cold is not None:
        rec["wall_cold"] = cold
    if proc.returncode == 2 or not report.exists():
        rec["not_run"] = (proc.stderr.strip().splitlines() or ["no report"])[-1]
    else:
        rec["counts"] = {k: v for k, v in json.loads(report.read_text())["summary"].items() if v}
    return rec


def format_row(rec: dict) -> str:
    head = f"{rec['adapter']:<12} {rec['exit']:>4} {rec['wall']:7.1f}s  "
    if "wall_cold" in rec:
        head += f"(first run {rec['wall_cold']:.1f}s)  "
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
        # Adapters not run this time keep their earlier figures.
        fresh = {r["adapter"]: r for r in records}
        kept = [r for r in load_results(args.out).get("conformance", []) if r["adapter"] not in fresh]
        order = {name: i for i, name in enumerate(BUILTIN)}
        merged = sorted(kept + records, key=lambda r: order.get(r["adapter"], len(order)))
        update_results(args.out, {"conformance": merged})
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Wall time of a full conformance run per built-in adapter: first run and warm run.

``python -m benchmarks.conformance_time [--out FILE] [adapter ...]`` runs
``python -m conformance --impl ADAPTER --report ...`` twice for each built-in
adapter (or those named), each time in a fresh interpreter with the default
settings, and prints one line per adapter:

* the **first run** (cold): as on a fresh machine, with an empty JAX
  compilation cache directory (``JAX_COMPILATION_CACHE_DIR``) and an empty
  hypothesis storage directory (``HYPOTHESIS_STORAGE_DIRECTORY``), so every
  program is compiled and nothing is replayed;
* the **warm run**: again, with the caches the first run left behind, as every
  later run on that machine.

It also prints each run's exit status and the report's counts, or why the
adapter could not be imported.  With ``--out`` the figures go into a JSON file
(``make bench`` writes ``docs/performance/results.json``); its ``conformance``
section is a list of records, one per adapter::

    {"adapter": "jax",
     "wall_cold": 129.6,        # seconds, the first run (empty caches)
     "wall": 52.3,              # seconds, the warm run
     "exit_cold": 0, "exit": 0, # exit status of each run
     "jobs": 2,                 # checking processes (the default --jobs on that machine)
     "counts": {"pass": 176, "known_deviation": 57, ...}}   # of the warm run
     # or "not_run": "<why the adapter could not be imported>" instead of counts

It prints figures only; nothing here asserts a time.
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
from conformance.session import default_jobs

from .results import CONFORMANCE_TARGET, load_results, update_results


def _run(name: str, report: Path, env):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "conformance", "--impl", name, "--report", str(report)],
                          capture_output=True, text=True, check=False, env=env)
    return proc, time.perf_counter() - start


def time_adapter(name: str, tmp: Path) -> dict:
    """Run the whole suite against one adapter twice: with empty caches, then warm.

    Both runs share one JAX compilation cache and one hypothesis storage
    directory under ``tmp``, empty before the first run, so the second reads
    back what the first stored."""
    caches = tmp / f"caches-{name}"
    env = dict(os.environ,
               JAX_COMPILATION_CACHE_DIR=str(caches / "jax"),
               HYPOTHESIS_STORAGE_DIRECTORY=str(caches / "hypothesis"))
    report = tmp / f"{name}.json"
    cold_proc, cold = _run(name, report, env)
    report.unlink(missing_ok=True)
    proc, wall = _run(name, report, env)
    rec = {"adapter": name, "wall_cold": cold, "wall": wall, "exit_cold": cold_proc.returncode,
           "exit": proc.returncode, "jobs": default_jobs()}
    if proc.returncode == 2 or not report.exists():
        rec["not_run"] = (proc.stderr.strip().splitlines() or ["no report"])[-1]
    else:
        rec["counts"] = {k: v for k, v in json.loads(report.read_text())["summary"].items() if v}
    return rec


def _verdict(seconds: float) -> str:
    return "met" if seconds <= CONFORMANCE_TARGET else "MISSED"


def format_row(rec: dict) -> str:
    """``jax  0  129.6 s MISSED  52.3 s met  176 pass, ...``: both runs, then the counts."""
    head = (f"{rec['adapter']:<12} {rec['exit']:>4} {rec['wall_cold']:8.1f} s {_verdict(rec['wall_cold']):<6} "
            f"{rec['wall']:8.1f} s {_verdict(rec['wall']):<6}  ")
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
    unknown = [n for n in names if n not in BUILTIN]
    if unknown:
        parser.error(f"adapters: {', '.join(unknown)} not built in; expected names from {', '.join(BUILTIN)}")
    print(f"target: {CONFORMANCE_TARGET:.0f} s per run; first run = empty JAX compilation cache and "
          "hypothesis storage, warm run = the caches the first run left")
    print(f"{'adapter':<12} {'exit':>4} {'first run':>17} {'warm run':>17}  counts (warm run)")
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

"""Run the suite against every built-in adapter for the matrix page.

``python -m conformance.matrix --out DIR [--adapters a,b] [--jobs 2]`` writes
``DIR/<adapter>.json`` and ``DIR/summary.json``; it exits 0 whatever the
adapters' results (the matrix shows them) unless a report could not be written.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .adapters import BUILTIN


def _run(name: str, out: pathlib.Path, max_examples: int) -> dict:
    path = out / f"{name}.json"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", name, "--report", str(path),
         "--max-examples", str(max_examples)],
        capture_output=True, text=True)
    (out / f"{name}.log").write_text(proc.stdout + proc.stderr)
    return {"adapter": name, "exit_status": proc.returncode,
            "wall_time_s": round(time.perf_counter() - start, 2), "report": path.name if path.exists() else None,
            "stderr_tail": proc.stderr.strip().splitlines()[-1:] if proc.returncode == 2 else []}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m conformance.matrix")
    p.add_argument("--out", required=True)
    p.add_argument("--adapters", default=",".join(BUILTIN))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--max-examples", type=int, default=50)
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.adapters.split(",") if n]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda n: _run(n, out, args.max_examples), names))
    missing = []
    for row in rows:
        summary = ""
        if row["report"]:
            data = json.loads((out / row["report"]).read_text())
            summary = ", ".join(f"{v} {k}" for k, v in sorted(data["summary"].items()))
        else:
            missing.append(row["adapter"])
        print(f"{row['adapter']:<12} exit {row['exit_status']}  {row['wall_time_s']:6.1f} s  {summary}"
              + (f"  {row['stderr_tail']}" if row["stderr_tail"] else ""))
    (out / "summary.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m benchmarks [--out FILE]``: every benchmark, as ``make bench`` runs them.

First the speed cases and scaling sweeps (:mod:`benchmarks.speed`), then time
and peak memory of ``linear_cross_entropy`` at language-model sizes
(:mod:`benchmarks.large_vocabulary`), then the wall time of a full conformance run per built-in adapter
(:mod:`benchmarks.conformance_time`); both print their figures and write them
to ``FILE`` (default: ``docs/performance/results.json``, which the performance
page of the site renders).  Nothing here asserts a time.
"""

import argparse
import sys
import time

from . import conformance_time, large_vocabulary, speed
from .results import RESULTS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(RESULTS), help=f"the results file (default: {RESULTS})")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter sweeps (a smoke run)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    speed.main(["--out", args.out] + (["--quick"] if args.quick else []))
    print()
    large_vocabulary.main(["--out", args.out] + (["--quick"] if args.quick else []))
    print()
    conformance_time.main(["--out", args.out])
    print(f"\nall benchmarks: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

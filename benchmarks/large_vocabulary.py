"""``python -m benchmarks.large_vocabulary``: time and peak memory of the reference's
``linear_cross_entropy`` and its gradients at language-model sizes.

The figures of the spec page's memory note (docs/spec/large-vocabulary.md): for
``N`` tokens, ``H`` hidden units and a vocabulary of ``C`` classes, the wall time
of one call and the peak of the memory numpy allocates during it (``tracemalloc``,
which sees numpy's buffers), next to the ``N C`` float64 logits the reference never
holds at once.  One call per figure (these take seconds to minutes); nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

import reference as ref

from .results import update_results

#: ``(N, C, H)`` of the figures: a batch of 1024 tokens over a Llama-2-sized and a
#: Llama-3-sized vocabulary.
SIZES = ((1024, 32000, 256), (1024, 128256, 256))
QUICK_SIZES = ((128, 32000, 64), (128, 128256, 64))
SEED = 20240614

CALLS = (
    ("linear_cross_entropy", lambda x, w, t: ref.linear_cross_entropy(x, w, t)),
    ("grad wrt input", lambda x, w, t: ref.linear_cross_entropy_grad(x, w, t, wrt="input")),
    ("grad wrt linear_weight", lambda x, w, t: ref.linear_cross_entropy_grad(x, w, t, wrt="linear_weight")),
)


def _inputs(n, c, h):
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(n, h))
    w = rng.normal(size=(c, h)) / np.sqrt(h)
    t = rng.integers(0, c, size=n)
    return x, w, t


def measure(fn, *args) -> tuple[float, int]:
    """``(seconds, peak bytes)`` of one call, the peak counted from the call's start."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        fn(*args)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seconds, peak


def run(sizes=SIZES) -> list[dict]:
    records = []
    print(f"{'N':>6} {'C':>7} {'H':>5}  {'call':<24} {'seconds':>9} {'peak MiB':>9} {'logits MiB':>11}")
    for n, c, h in sizes:
        x, w, t = _inputs(n, c, h)
        logits = n * c * 8
        for name, fn in CALLS:
            seconds, peak = measure(fn, x, w, t)
            records.append({"N": n, "C": c, "H": h, "call": name, "seconds": seconds, "peak_bytes": peak,
                            "logits_bytes": logits})
            print(f"{n:>6} {c:>7} {h:>5}  {name:<24} {seconds:>9.2f} {peak / 2**20:>9.1f} "
                  f"{logits / 2**20:>11.1f}", flush=True)
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large_vocabulary",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the figures into this JSON file (other sections kept)")
    parser.add_argument("--quick", action="store_true", help="128 tokens and H = 64 (a smoke run)")
    args = parser.parse_args(argv)
    records = run(QUICK_SIZES if args.quick else SIZES)
    if args.out:
        update_results(args.out, {"large_vocabulary": {"seed": SEED, "cases": records}})
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

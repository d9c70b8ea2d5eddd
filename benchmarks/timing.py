"""Side-by-side timing and peak-memory measurement for the benchmarks.

Every contender of one case is timed in the same process, round after round in
turn (so a burst of load from elsewhere on the machine hits all of them alike),
and summarised by the median over the rounds.  Like :mod:`timeit`, a sample
runs the function enough times in a loop to last at least ``min_sample``
seconds, and each function is called first (warm-up: lazy imports, JIT
compilation, first-touch page faults).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Contender:
    """One implementation of a benchmark case.

    ``fn`` takes no argument (its inputs are bound in advance, converted to the
    framework's own arrays outside the timing) and returns once its result is
    computed.  ``prepare`` runs before each sample, outside the timed region
    (PyTorch's thread count is a process-wide setting).
    """

    name: str
    fn: Callable[[], object]
    prepare: Callable[[], None] | None = None


def _loops_for(fn: Callable[[], object], min_sample: float, max_loops: int = 1000) -> int:
    """The number of calls per sample: doubled until a sample lasts ``min_sample``."""
    loops = 1
    while loops < max_loops:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - start >= min_sample:
            break
        loops *= 2
    return loops


def measure(contenders: list[Contender], repeats: int = 5, warmup: int = 1,
            min_sample: float = 0.01) -> dict[str, dict[str, float]]:
    """Time each contender; return ``{name: {"median", "q1", "q3", "loops"}}``.

    Times are seconds per call.  ``q1`` and ``q3`` are the quartiles of the
    samples: a wide gap means the machine was busy during the run.
    """
    loops = {}
    for c in contenders:
        if c.prepare:
            c.prepare()
        for _ in range(warmup):
            c.fn()
        loops[c.name] = _loops_for(c.fn, min_sample)
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: no collection pauses inside a sample
    try:
        for r in range(repeats):
            # Rotate the order so that no contender always runs first.
            for c in contenders[r % len(contenders):] + contenders[:r % len(contenders)]:
                if c.prepare:
                    c.prepare()
                n = loops[c.name]
                start = time.perf_counter()
                for _ in range(n):
                    c.fn()
                samples[c.name].append((time.perf_counter() - start) / n)
    finally:
        if gc_was_enabled:
            gc.enable()
    out = {}
    for name, s in samples.items():
        q = statistics.quantiles(s, n=4) if len(s) > 1 else [s[0]] * 3
        out[name] = {"median": statistics.median(s), "q1": q[0], "q3": q[2], "loops": loops[name]}
    return out


def peak_bytes(fn: Callable[[], object]) -> int:
    """The peak of memory allocated during one call of ``fn`` above what was
    allocated before it, as numpy reports its array buffers to
    :mod:`tracemalloc`.  The result array counts (it is allocated during the
    call); the inputs, allocated before, do not.  Call ``fn`` once before (as
    :func:`measure` does): lazy imports and caches are not its allocations."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return max(0, peak - base)

"""Speed of the reference next to a plain numpy baseline, PyTorch and JAX.

``python -m benchmarks.speed [--out FILE] [--only TEXT] [--quick] [--no-scaling]``
times every case side by side in one process (see :mod:`benchmarks.timing`)
and prints, per case, the median time of each contender and the reference's
ratios to the numpy baseline and to PyTorch on one thread.  It then sweeps the
number of classes ``C``, the batch size ``N`` and the number of frames ``T``
(CTC) for the scaling plots, and measures the peak memory each reference
function allocates.  With ``--out`` the figures are written to a JSON file
(``make bench`` writes ``docs/performance/results.json``, which the
performance page renders).  It prints figures only; nothing here asserts a time.

Contenders: ``reference`` (this package), ``numpy`` (the textbook formula of
:mod:`benchmarks.baselines`, in the input's dtype), ``torch-1`` (PyTorch on one
thread), ``torch`` (PyTorch with its default threads), ``jax`` (jitted, x64).
Every function is called with its default reduction, ``"mean"``, except CTC,
summed (``"sum"``) so that PyTorch, which divides by target lengths for
``"mean"``, computes the same quantity.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import reference as R

from . import baselines as B
from .frameworks import (
    TORCH_THREADS,
    jax_contender,
    restore_torch_threads,
    torch_contenders,
    versions,
)
from .results import ratio, update_results
from .timing import Contender, measure, peak_bytes

try:  # the frameworks extra; a case whose framework is missing runs without it
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    torch = F = None
try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError:  # pragma: no cover
    jax = jnp = optax = None

SEED = 20240601
CONTENDERS = ("reference", "numpy", "torch-1", "torch", "jax")


@dataclass
class Case:
    """One benchmark: a function, value or gradient, at one size and dtype.

    ``inputs(rng)`` returns a dict of numpy arrays; ``reference``, ``numpy``,
    ``torch`` and ``jax`` compute from that dict (PyTorch and JAX from their
    own arrays of the same values).  For a gradient, ``torch`` and ``jax``
    return the scalar loss and are differentiated with respect to
    ``inputs[wrt]`` (a dict ``{"torch": ..., "jax": ...}`` when their layouts
    differ).  ``unit`` names the input whose float64 size is the unit
    of the memory figures.
    """

    function: str
    op: str
    shape: str
    dtype: str
    inputs: Callable[[np.random.Generator], dict]
    reference: Callable[[dict], object]
    numpy: Callable[[dict], object] | None = None
    torch: Callable[[dict], object] | None = None
    jax: Callable[[dict], object] | None = None
    wrt: str | dict | None = None
    unit: str = "z"

    @property
    def key(self) -> str:
        return f"{self.function} {self.op} {self.shape} {self.dtype}"


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

def _logits(n, c, dtype, scale=3.0):
    def make(rng):
        return {"z": (scale * rng.standard_normal((n, c))).astype(dtype),
                "y": rng.integers(0, c, n)}
    return make


def _soft_targets(n, c):
    def make(rng):
        t = rng.random((n, c))
        return {"z": 3.0 * rng.standard_normal((n, c)), "t": t / t.sum(-1, keepdims=True)}
    return make


def _distributions(n, c):
    def make(rng):
        p, q = rng.random((n, c)) + 1e-3, rng.random((n, c)) + 1e-3
        return {"p": p / p.sum(-1, keepdims=True), "q": q / q.sum(-1, keepdims=True)}
    return make


def _binary(n, c):
    def make(rng):
        return {"z": 3.0 * rng.standard_normal((n, c)), "y": (rng.random((n, c)) < 0.3).astype(np.float64)}
    return make


def _regression(n, c):
    def make(rng):
        return {"z": rng.standard_normal((n, c)), "y": rng.standard_normal((n, c))}
    return make


def ctc_inputs(n, t, c, length):
    """Normalised per-frame log-probabilities ``(N, T, C)`` with random labels
    in ``[1, C)`` (blank 0) of length ``L``, every row using all frames; also
    PyTorch's time-major copy and JAX's padding masks."""
    def make(rng):
        lp = B.log_softmax(2.0 * rng.standard_normal((n, t, c)))
        tg = rng.integers(1, c, (n, length))
        return {"lp": lp, "tg": tg, "il": np.full(n, t), "tl": np.full(n, length),
                "lp_tnc": np.ascontiguousarray(lp.transpose(1, 0, 2)),
                "pad": np.zeros((n, t)), "lpad": np.zeros((n, length))}
    return make


# ---------------------------------------------------------------------------
# framework formulas
# ---------------------------------------------------------------------------

def _t_ce(d):
    return F.cross_entropy(d["z"], d["y"])


def _j_ce(d):
    return optax.softmax_cross_entropy_with_integer_labels(d["z"], d["y"]).mean()


def _t_bce(d):
    return F.binary_cross_entropy_with_logits(d["z"], d["y"])


def _j_bce(d):
    return optax.sigmoid_binary_cross_entropy(d["z"], d["y"]).mean()


def _t_focal(d):
    """The textbook focal loss in PyTorch's primitives (no built-in)."""
    logp = torch.log_softmax(d["z"], -1).gather(-1, d["y"][:, None])[:, 0]
    return torch.mean(-((1 - torch.exp(logp)) ** 2) * logp)


def _j_focal(d):
    """The textbook focal loss in JAX's primitives (no built-in)."""
    logp = jnp.take_along_axis(jax.nn.log_softmax(d["z"]), d["y"][:, None], axis=-1)[:, 0]
    return jnp.mean(-((1 - jnp.exp(logp)) ** 2) * logp)


def _t_sfocal(d):
    """torchvision's ``sigmoid_focal_loss`` formula (alpha off, gamma 2)."""
    x, y = d["z"], d["y"]
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    return torch.mean(ce * (1 - p_t) ** 2)


def _j_sfocal(d):
    return optax.sigmoid_focal_loss(d["z"], d["y"], alpha=None, gamma=2.0).mean()


def _t_ctc(d):
    return F.ctc_loss(d["lp_tnc"], d["tg"], d["il"], d["tl"], blank=0, reduction="sum")


def _j_ctc(d):
    return optax.ctc_loss(d["lp"], d["pad"], d["tg"], d["lpad"], blank_id=0).sum()


def _r_ctc(d):
    return R.ctc_loss(d["lp"], d["tg"], d["il"], d["tl"], reduction="sum")


def _r_ctc_grad(d):
    return R.ctc_loss_grad(d["lp"], d["tg"], d["il"], d["tl"], reduction="sum")


# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------

def _ce_cases(n, c, dtype):
    shape = f"{n}x{c}"
    make = _logits(n, c, dtype)
    return [
        Case("softmax_cross_entropy", "value", shape, dtype, make,
             lambda d: R.softmax_cross_entropy(d["z"], d["y"]),
             lambda d: B.softmax_cross_entropy(d["z"], d["y"]), _t_ce, _j_ce),
        Case("softmax_cross_entropy", "gradient", shape, dtype, make,
             lambda d: R.softmax_cross_entropy_grad(d["z"], d["y"]),
             lambda d: B.softmax_cross_entropy_grad(d["z"], d["y"]), _t_ce, _j_ce, wrt="z"),
    ]


def _ctc_cases(n, t, c, length):
    shape = f"N={n} T={t} C={c} L={length}"
    make = ctc_inputs(n, t, c, length)
    return [
        Case("ctc_loss", "value", shape, "float64", make, _r_ctc, None, _t_ctc, _j_ctc, unit="lp"),
        Case("ctc_loss", "gradient", shape, "float64", make, _r_ctc_grad, None, _t_ctc, _j_ctc,
             wrt={"torch": "lp_tnc", "jax": "lp"}, unit="lp"),
    ]


def all_cases() -> list[Case]:
    n, c = 4096, 1000
    shape = f"{n}x{c}"
    logits = _logits(n, c, "float64")
    cases = [
        Case("softmax", "value", shape, "float64", logits, lambda d: R.softmax(d["z"]),
             lambda d: B.softmax(d["z"]), lambda d: torch.softmax(d["z"], -1), lambda d: jax.nn.softmax(d["z"])),
        Case("log_softmax", "value", shape, "float64", logits, lambda d: R.log_softmax(d["z"]),
             lambda d: B.log_softmax(d["z"]), lambda d: torch.log_softmax(d["z"], -1),
             lambda d: jax.nn.log_softmax(d["z"])),
        Case("logsumexp", "value", shape, "float64", logits, lambda d: R.logsumexp(d["z"]),
             lambda d: B.logsumexp(d["z"]), lambda d: torch.logsumexp(d["z"], -1),
             lambda d: jax.nn.logsumexp(d["z"], axis=-1)),
    ]
    for size in ((4096, 1000), (256, 32000)):
        for dtype in ("float64", "float32"):
            cases += _ce_cases(*size, dtype)
    soft = _soft_targets(n, c)
    cases.append(Case("softmax_cross_entropy (probability targets)", "value", shape, "float64", soft,
                      lambda d: R.softmax_cross_entropy(d["z"], d["t"]),
                      lambda d: B.softmax_cross_entropy_soft(d["z"], d["t"]),
                      lambda d: F.cross_entropy(d["z"], d["t"]),
                      lambda d: optax.softmax_cross_entropy(d["z"], d["t"]).mean()))
    binary = _binary(n, c)
    cases += [
        Case("sigmoid_binary_cross_entropy", "value", shape, "float64", binary,
             lambda d: R.sigmoid_binary_cross_entropy(d["z"], d["y"]),
             lambda d: B.sigmoid_binary_cross_entropy(d["z"], d["y"]), _t_bce, _j_bce),
        Case("sigmoid_binary_cross_entropy", "gradient", shape, "float64", binary,
             lambda d: R.sigmoid_binary_cross_entropy_grad(d["z"], d["y"]),
             lambda d: B.sigmoid_binary_cross_entropy_grad(d["z"], d["y"]), _t_bce, _j_bce, wrt="z"),
    ]
    dist = _distributions(n, c)
    cases.append(Case("kl_divergence", "value", shape, "float64", dist,
                      lambda d: R.kl_divergence(d["p"], d["q"]), lambda d: B.kl_divergence(d["p"], d["q"]),
                      lambda d: F.kl_div(torch.log(d["q"]), d["p"], reduction="none").sum(-1),
                      lambda d: optax.kl_divergence(jnp.log(d["q"]), d["p"]), unit="p"))
    cases += [
        Case("focal_loss", "value", shape, "float64", logits,
             lambda d: R.focal_loss(d["z"], d["y"]), lambda d: B.focal_loss(d["z"], d["y"]), _t_focal, _j_focal),
        Case("focal_loss", "gradient", shape, "float64", logits,
             lambda d: R.focal_loss_grad(d["z"], d["y"]), None, _t_focal, _j_focal, wrt="z"),
        Case("sigmoid_focal_loss", "value", shape, "float64", binary,
             lambda d: R.sigmoid_focal_loss(d["z"], d["y"]), lambda d: B.sigmoid_focal_loss(d["z"], d["y"]),
             _t_sfocal, _j_sfocal),
        Case("sigmoid_focal_loss", "gradient", shape, "float64", binary,
             lambda d: R.sigmoid_focal_loss_grad(d["z"], d["y"]), None, _t_sfocal, _j_sfocal, wrt="z"),
    ]
    reg = _regression(n, c)
    cases += [
        Case("mean_squared_error", "value", shape, "float64", reg,
             lambda d: R.mean_squared_error(d["z"], d["y"]), lambda d: B.mean_squared_error(d["z"], d["y"]),
             lambda d: F.mse_loss(d["z"], d["y"]), lambda d: optax.squared_error(d["z"], d["y"]).mean()),
        Case("mean_squared_error", "gradient", shape, "float64", reg,
             lambda d: R.mean_squared_error_grad(d["z"], d["y"]),
             lambda d: B.mean_squared_error_grad(d["z"], d["y"]),
             lambda d: F.mse_loss(d["z"], d["y"]), lambda d: optax.squared_error(d["z"], d["y"]).mean(), wrt="z"),
        Case("huber_loss", "value", shape, "float64", reg,
             lambda d: R.huber_loss(d["z"], d["y"]), lambda d: B.huber_loss(d["z"], d["y"]),
             lambda d: F.huber_loss(d["z"], d["y"]), lambda d: optax.huber_loss(d["z"], d["y"]).mean()),
        Case("huber_loss", "gradient", shape, "float64", reg,
             lambda d: R.huber_loss_grad(d["z"], d["y"]), lambda d: B.huber_loss_grad(d["z"], d["y"]),
             lambda d: F.huber_loss(d["z"], d["y"]), lambda d: optax.huber_loss(d["z"], d["y"]).mean(), wrt="z"),
    ]
    cases += _ctc_cases(16, 200, 30, 50) + _ctc_cases(16, 1000, 30, 200)
    return cases


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------

def contenders(case: Case, d: dict) -> list[Contender]:
    out = [Contender("reference", lambda: case.reference(d))]
    if case.numpy is not None:
        out.append(Contender("numpy", lambda: case.numpy(d)))
    wrt = case.wrt if isinstance(case.wrt, dict) else {"torch": case.wrt, "jax": case.wrt}
    if case.torch is not None:
        out += torch_contenders(case.torch, d, wrt["torch"])
    if case.jax is not None:
        out += jax_contender(case.jax, d, wrt["jax"])
    return out


def run_case(case: Case, repeats: int, min_sample: float) -> dict:
    d = case.inputs(np.random.default_rng(SEED))
    times = measure(contenders(case, d), repeats=repeats, min_sample=min_sample)
    restore_torch_threads()
    unit = d[case.unit].size * 8  # one float64 array of the input's shape
    # (after the timing: imports and caches are warm)
    memory = {"unit": unit, "reference": peak_bytes(lambda: case.reference(d))}
    if case.numpy is not None:
        memory["numpy"] = peak_bytes(lambda: case.numpy(d))
    return {"function": case.function, "op": case.op, "shape": case.shape, "dtype": case.dtype,
            "times": times, "memory": memory}


def _ms(rec, name):
    t = rec["times"].get(name)
    return f"{1e3 * t['median']:9.2f}" if t else f"{'-':>9}"


def _x(value):
    return f"{value:7.2f}x" if value is not None else f"{'-':>8}"


HEADER = (f"{'function':<44} {'op':<8} {'shape':<24} {'dtype':<7} "
          + " ".join(f"{name:>9}" for name in CONTENDERS) + "  ref/numpy ref/torch-1  mem(x input)")


def format_row(rec: dict) -> str:
    mem = rec["memory"]
    return (f"{rec['function']:<44} {rec['op']:<8} {rec['shape']:<24} {rec['dtype']:<7} "
            + " ".join(_ms(rec, name) for name in CONTENDERS)
            + f"  {_x(ratio(rec, 'numpy'))} {_x(ratio(rec, 'torch-1'))}   {mem['reference'] / mem['unit']:6.2f}")


# ---------------------------------------------------------------------------
# scaling sweeps
# ---------------------------------------------------------------------------

SWEEPS = {
    "C": {"fixed": "N=256", "values": [10, 100, 1000, 10000, 32000]},
    "N": {"fixed": "C=1000", "values": [16, 128, 1024, 8192]},
    "T": {"fixed": "N=16, C=30, L=T/4", "values": [50, 100, 200, 500, 1000]},
}


def _sweep_cases(axis: str, value: int) -> list[Case]:
    if axis == "C":
        return _ce_cases(256, value, "float64")
    if axis == "N":
        return _ce_cases(value, 1000, "float64")
    return _ctc_cases(16, value, 30, value // 4)


def run_sweeps(repeats: int, min_sample: float, quick: bool) -> dict:
    out = {}
    for axis, spec in SWEEPS.items():
        values = spec["values"][:3] if quick else spec["values"]
        series: dict[str, dict[str, list]] = {}
        for value in values:
            for case in _sweep_cases(axis, value):
                d = case.inputs(np.random.default_rng(SEED))
                times = measure([c for c in contenders(case, d) if c.name in ("reference", "numpy", "torch-1")],
                                repeats=repeats, min_sample=min_sample)
                restore_torch_threads()
                for name, t in times.items():
                    series.setdefault(case.op, {}).setdefault(name, []).append(t["median"])
            print(f"  sweep {axis}={value}", flush=True)
        out[axis] = {"fixed": spec["fixed"], "values": values,
                     "function": "ctc_loss" if axis == "T" else "softmax_cross_entropy", "times": series}
    return out


def machine() -> dict:
    import scipy

    return {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "torch_threads": TORCH_THREADS,
        **versions(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the figures into this JSON file (other sections kept)")
    parser.add_argument("--only", help="run the cases whose function name contains this text")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per case (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, short samples, short sweeps")
    parser.add_argument("--no-scaling", action="store_true", help="skip the sweeps over C, N and T")
    args = parser.parse_args(argv)
    repeats, min_sample = (3, 0.005) if args.quick else (args.repeats, 0.01)
    cases = [c for c in all_cases() if not args.only or args.only in c.function]
    info = machine()
    print(f"numpy {info['numpy']}, torch {info.get('torch', '-')} ({info['torch_threads']} threads by default), "
          f"jax {info.get('jax', '-')}; {info['cpus']} CPUs; medians of {repeats} rounds, milliseconds")
    print(HEADER)
    records = []
    for case in cases:
        rec = run_case(case, repeats, min_sample)
        records.append(rec)
        print(format_row(rec), flush=True)
    result = {"machine": info, "settings": {"repeats": repeats, "min_sample": min_sample, "seed": SEED},
              "cases": records}
    if not args.no_scaling:
        print("scaling sweeps (reference, numpy, torch-1):", flush=True)
        result["scaling"] = run_sweeps(min(repeats, 3), min_sample, args.quick)
    if args.out:
        update_results(args.out, {"speed": result})
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

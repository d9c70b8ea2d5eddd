"""The size ladder: deterministic inputs at the sizes where blocked and chunked
kernels go wrong (spec page ``docs/spec/conventions.md``, clause ``conv.sizes``).

A kernel processes a row of ``C`` classes, or ``n`` elements, in blocks or
chunks of some power of two; the bugs live in the last, partial block and at
the chunk boundaries.  So every function with a class axis is called with
class counts on both sides of every power of two from 2 to 2^17, the
vocabularies language models train with (32000, 50257, 128256, 151936,
262144) and a few odd sizes, its target at the top class index; every
element-wise loss with element counts on both sides of the powers of two up to
2^20 and 10^6; CTC with ``T`` up to 2000 frames and labels up to 500.  The
inputs are seeded, the expected values come from the reference at the same
numbers, and each size is judged by the function's budget in the dtype of the
input (float64 everywhere; float32 at the sizes marked for it).
"""

from __future__ import annotations

import numpy as np

from conformance.context import format_call
from conformance.registry import check

VOCABULARIES = (32000, 50257, 128256, 151936, 262144)
CLASS_COUNTS = tuple(sorted(
    {1, 2, 3, 5, 7, 100, 1000, 12345}
    | {n for k in range(1, 18) for n in (2**k - 1, 2**k, 2**k + 1)}
    | set(VOCABULARIES)))
ELEMENT_COUNTS = tuple(sorted(
    {1, 2, 3, 5, 7}
    | {n for k in range(4, 17) for n in (2**k - 1, 2**k + 1)}
    | {2**17 + 1, 10**6}))
#: (frames T, label length L) of the CTC ladder.
CTC_SIZES = ((1, 0), (2, 1), (8, 3), (33, 16), (255, 100), (257, 128), (1000, 300), (2000, 500))
#: Sizes also run in float32 (the largest, and the first past a power of two of each decade).
FLOAT32_CLASS_COUNTS = (3, 33, 1025, 4097, 32769, 65537, 131073, *VOCABULARIES)
FLOAT32_ELEMENT_COUNTS = (3, 33, 1025, 65537, 10**6)
#: Elements per call at most (the batch shrinks to one row as the class count grows).
MAX_ELEMENTS = 2**16
#: Class counts whose top index fills a narrow integer dtype (uint8, int16, int32).
NARROW_LABELS = ((255, np.uint8), (256, np.uint8), (32768, np.int16), (262144, np.int32))
#: Batches that cross the blocks of a reduction over samples, with 3 classes.
BATCHES = (1025, 65537)


def _rng(*key):
    return np.random.default_rng([20261203, *key])


def _rows(c):
    return max(1, min(4, MAX_ELEMENTS // c))


def _targets(n, c):
    """Class indices starting at the top class, then 0, then the middle."""
    return np.array([(c - 1, 0, c // 2, (c - 1) // 3)[i % 4] for i in range(n)], dtype=np.int64)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# Input builders: size -> (args, kwargs) in float64.

def _logits(c, reduction, rows=None):
    return (_rng(c).normal(scale=2.0, size=(rows or _rows(c), c)),), {}


def _probs(c, reduction, rows=None):
    return (_softmax(_rng(c).normal(scale=2.0, size=(rows or _rows(c), c))),), {}


def _two_probs(c, reduction, rows=None):
    r = _rng(c)
    n = rows or _rows(c)
    return (_softmax(r.normal(scale=2.0, size=(n, c))), _softmax(r.normal(scale=2.0, size=(n, c)))), {}


def _logits_target(c, reduction, rows=None):
    n = rows or _rows(c)
    return (_rng(c, n).normal(scale=2.0, size=(n, c)), _targets(n, c)), {"reduction": reduction}


def _log_probs_target(c, reduction, rows=None):
    (z, y), kw = _logits_target(c, reduction, rows)
    z = z - z.max(axis=-1, keepdims=True)
    return (z - np.log(np.exp(z).sum(axis=-1, keepdims=True)), y), kw


def _probs_one_hot(c, reduction, rows=None):
    (z, y), kw = _logits_target(c, reduction, rows)
    one_hot = np.zeros(z.shape)
    one_hot[np.arange(len(y)), y] = 1.0
    return (_softmax(z), one_hot), kw


def _elements(n, reduction, kind):
    r = _rng(n, len(kind))
    x = r.normal(scale=3.0, size=n)
    y = (r.random(n) < 0.5).astype(np.float64)
    if kind == "probs":
        return (1.0 / (1.0 + np.exp(-x)), y), {"reduction": reduction}
    if kind == "logits":
        return (x, y), {"reduction": reduction}
    if kind == "regression":
        return (x, r.normal(size=n)), ({"reduction": reduction} if reduction else {})
    return (x,), {}


CLASS_FUNCTIONS = {
    "softmax": _logits, "log_softmax": _logits, "logsumexp": _logits, "logsumexp_grad": _logits,
    "entropy": _probs, "entropy_grad": _probs,
    "cross_entropy": _two_probs, "cross_entropy_grad": _two_probs,
    "kl_divergence": _two_probs, "kl_divergence_grad": _two_probs,
    "softmax_cross_entropy": _logits_target, "softmax_cross_entropy_grad": _logits_target,
    "focal_loss": _logits_target, "focal_loss_grad": _logits_target,
    "nll_loss": _log_probs_target, "nll_loss_grad": _log_probs_target,
    "categorical_cross_entropy": _probs_one_hot, "categorical_cross_entropy_grad": _probs_one_hot,
}
ELEMENT_FUNCTIONS = {
    "sigmoid": "x", "log_sigmoid": "x",
    "binary_cross_entropy": "probs", "binary_cross_entropy_grad": "probs",
    "sigmoid_binary_cross_entropy": "logits", "sigmoid_binary_cross_entropy_grad": "logits",
    "sigmoid_focal_loss": "logits", "sigmoid_focal_loss_grad": "logits",
    **{f"{name}{g}": "regression" for name in ("mean_absolute_error", "mean_squared_error",
                                               "huber_loss", "smooth_l1_loss") for g in ("", "_grad")},
    "root_mean_squared_error": "regression", "root_mean_squared_error_grad": "regression",
}
NO_REDUCTION = {"softmax", "log_softmax", "logsumexp", "logsumexp_grad", "entropy", "entropy_grad",
                "cross_entropy", "cross_entropy_grad", "kl_divergence", "kl_divergence_grad",
                "sigmoid", "log_sigmoid", "root_mean_squared_error", "root_mean_squared_error_grad"}


def _ctc(t, length, reduction):
    r = _rng(t, length)
    c = 30
    n = 2
    z = r.normal(scale=2.0, size=(n, t, c))
    z = z - z.max(axis=-1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    labels = np.zeros((n, max(length, 1)), dtype=np.int64)
    lengths = np.array([length, length // 2], dtype=np.int64)
    for i in range(n):
        prev = int(r.integers(1, c))
        for j in range(lengths[i]):
            labels[i, j] = prev
            # the next label differs from this one, so any T >= L aligns
            prev = (prev - 1 + int(r.integers(1, c - 1))) % (c - 1) + 1
    frames = np.array([t, max(t - t // 4, lengths[1])], dtype=np.int64)
    return (lp, labels, frames, lengths), {"reduction": reduction}


REDUCTIONS = ("none", "mean", "sum")


def _cases(function):
    """``(label, args, kwargs)`` for every size of ``function``'s ladder, float64 then float32."""
    out = []
    if function in CLASS_FUNCTIONS:
        build = CLASS_FUNCTIONS[function]
        for i, c in enumerate(CLASS_COUNTS):
            red = REDUCTIONS[i % 3]
            args, kw = build(c, red)
            if function in NO_REDUCTION:
                kw = {}
            out.append((f"C={c}", args, kw))
            if c in FLOAT32_CLASS_COUNTS:
                out.append((f"C={c}, float32", _cast(args), kw))
        if build in (_logits_target, _log_probs_target):
            # Narrow label dtypes at the sizes where their range ends: the top class is the largest value.
            for c, dt in NARROW_LABELS:
                (x, y), kw = build(c, "none")
                out.append((f"C={c}, {np.dtype(dt).name} targets", (x, y.astype(dt)), kw))
        for n in BATCHES:
            args, kw = build(3, "mean", rows=n)
            out.append((f"N={n}, C=3", args, {} if function in NO_REDUCTION else kw))
    elif function in ELEMENT_FUNCTIONS:
        kind = ELEMENT_FUNCTIONS[function]
        for i, n in enumerate(ELEMENT_COUNTS):
            red = None if function in NO_REDUCTION else ("mean", "sum", "none")[i % 3]
            args, kw = _elements(n, red, kind)
            out.append((f"n={n}", args, kw))
            if n in FLOAT32_ELEMENT_COUNTS:
                out.append((f"n={n}, float32", _cast(args), kw))
    elif function in ("ctc_loss", "ctc_loss_grad"):
        for i, (t, length) in enumerate(CTC_SIZES):
            args, kw = _ctc(t, length, REDUCTIONS[i % 3])
            out.append((f"T={t}, L={length}", args, kw))
        args, kw = _ctc(257, 128, "none")
        out.append(("T=257, L=128, float32", _cast(args), kw))
    return out


def _cast(args):
    return tuple(a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
                 for a in args)


def check_ladder(function, fn, ctx):
    def body(case):
        label, args, kwargs = case
        call = format_call(function, args, kwargs) if sum(np.size(a) for a in args) < 64 else \
            f"{function}(<{label}: " + ", ".join(f"{np.shape(a)} {getattr(a, 'dtype', '')}" for a in args) \
            + f">, {kwargs})  # conformance.checks.sizes ladder"
        got = ctx.call(fn, *args, **kwargs)
        exact = tuple(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                      for a in args)
        expected = getattr(ctx.reference, function)(*exact, **kwargs)
        dtype = next(a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f")
        ctx.expect(function, exact, kwargs, got, expected, call=call, dtype=dtype, what=f"size {label}")

    ctx.subcases(_cases(function), body)


def _register(function):
    what = ("class counts around every power of two to 2^17 and the LM vocabularies, target at the top class"
            if function in CLASS_FUNCTIONS else
            "T up to 2000 frames, labels up to 500" if function.startswith("ctc") else
            "element counts around every power of two to 2^20 and 10^6")

    @check(f"{function}.size.ladder", function=function, clause="conv.sizes", kind="value", description=what)
    def _(fn, ctx):
        check_ladder(function, fn, ctx)


for _function in (*CLASS_FUNCTIONS, *ELEMENT_FUNCTIONS, "ctc_loss", "ctc_loss_grad"):
    _register(_function)

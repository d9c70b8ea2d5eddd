"""Tests of reference/ctc.py: CTC loss against the mpmath oracle
(accuracy.exact, 60 digits) and closed forms; its gradient against central
differences and the oracle's posteriors; the stability of the recursion,
padding, reductions, validation messages; the collapse map and the probability
of one path; and plausible bugs that the conformance checks must catch.  The
source's example, the special values and the refused inputs of the spec page
are rows of conformance/cases/ctc.toml and conformance/golden/ctc.jsonl, which
tests/test_cases.py runs."""

from __future__ import annotations

import itertools
import math
import types
import warnings

import mpmath as mp
import numpy as np
import pytest

from _numeric import central_diff

import reference as ref
from accuracy import exact
from conformance.cases import load as load_cases
from reference import ctc_collapse, ctc_loss, ctc_loss_grad, ctc_path_probability

mp.mp.dps = 50
INF = np.inf


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _collapse(path, blank):
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(int(k))
        prev = k
    return out


def exact_loss(lp, label, blank):
    """``-log p(label)`` of one sequence of frames ``lp`` (T x C), from the oracle."""
    return exact.ctc_loss(lp[None], np.array([list(label)], dtype=np.int64).reshape(1, -1),
                          np.array([lp.shape[0]]), np.array([len(label)]), blank=blank, reduction="sum")[()]


def exact_grad(lp, label, blank):
    """``d(-log p)/d lp`` of one sequence (T x C), from the oracle, rounded to float64."""
    g = exact.ctc_loss_grad(lp[None], np.array([list(label)], dtype=np.int64).reshape(1, -1),
                            np.array([lp.shape[0]]), np.array([len(label)]), blank=blank, reduction="sum")[0]
    return np.array([[float(v) for v in row] for row in g])


def _log_softmax(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _source_lp():
    """The source's two frames over (a, b, blank): P = (0.4, 0, 0.6) each."""
    frame = [math.log(0.4), -INF, math.log(0.6)]
    return np.array([[frame, frame]])


def _i(values):
    return np.array(values, dtype=np.int64)


def _random_case(seed, n=3, t=5, c=3, s=3, scale=2.0):
    rng = np.random.default_rng(seed)
    blank = int(rng.integers(0, c))
    labels = [k for k in range(c) if k != blank]
    lp = _log_softmax(rng.normal(size=(n, t, c)) * scale)
    targets = rng.choice(labels, size=(n, s))
    il = rng.integers(0, t + 1, size=n)
    tl = rng.integers(0, s + 1, size=n)
    return lp, targets.astype(np.int64), il.astype(np.int64), tl.astype(np.int64), blank


def _close(got, expected, rel=1e-14, abs_=1e-14):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape
    same_inf = np.isinf(expected) & (got == expected)
    both_nan = np.isnan(expected) & np.isnan(got)
    finite = np.isfinite(expected)
    assert np.all(same_inf | both_nan | finite), (got, expected)
    assert np.all(np.isfinite(got[finite])), (got, expected)
    tol = abs_ + rel * np.abs(expected[finite])
    assert np.all(np.abs(got[finite] - expected[finite]) <= tol), (got, expected)


# ---------------------------------------------------------------------------
# the source document's example
# ---------------------------------------------------------------------------

def test_source_path_probability_is_a_float64_and_a_a_collapses_to_a():
    # The values are rows ctc.example.source* and ctc.path-probability.source*.
    probs = np.array([[0.4, 0.0, 0.6], [0.4, 0.0, 0.6]])
    assert isinstance(ctc_path_probability(probs, _i([0, 0])), np.float64)
    assert ctc_collapse(_i([0, 0]), blank=2).tolist() == [0]


def test_source_aa_needs_a_third_frame():
    # With a third frame the one alignment of "aa" is "a - a".
    lp = _source_lp()
    lp3 = np.concatenate([lp, lp[:, :1]], axis=1)
    _close(ctc_loss(lp3, _i([[0, 0]]), _i([3]), _i([2]), blank=2), -math.log(0.4 * 0.6 * 0.4))


def test_source_label_probabilities_add_up_to_one():
    lp = _source_lp()
    total = mp.mpf(0)
    for length in range(3):
        for label in itertools.product((0, 1), repeat=length):
            loss = float(ctc_loss(lp, _i([list(label) + [0] * (2 - length)]), _i([2]), _i([length]), blank=2))
            total += mp.exp(-mp.mpf(loss))
    assert abs(total - 1) < 1e-15
    _close(ctc_loss(lp, _i([[0]]), _i([2]), _i([0]), blank=2), -math.log(0.36))


# ---------------------------------------------------------------------------
# values against the oracle
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_matches_the_oracle(seed):
    lp, tg, il, tl, blank = _random_case(seed, c=3 + seed % 2, scale=[0.5, 2.0, 8.0][seed % 3])
    got = ctc_loss(lp, tg, il, tl, blank=blank, reduction="none")
    expected = exact.ctc_loss(lp, tg, il, tl, blank=blank, reduction="none")
    _close(got, [float(e) for e in expected], rel=8 * 2.0**-52, abs_=8 * 2.0**-52)


@pytest.mark.parametrize("seed", range(6))
def test_unnormalised_log_probs_match_the_oracle(seed):
    rng = np.random.default_rng(100 + seed)
    lp = rng.normal(size=(2, 4, 3)) * 3 + 2.0        # positive entries: probabilities above 1
    tg, il, tl = _i([[1, 2], [2, 2]]), _i([4, 4]), _i([2, 2])
    got = ctc_loss(lp, tg, il, tl, reduction="none")
    expected = [float(v) for v in exact.ctc_loss(lp, tg, il, tl, reduction="none")]
    _close(got, expected, rel=1e-14, abs_=1e-14)


def test_shifting_a_frame_shifts_the_loss():
    lp, tg, il, tl, blank = _random_case(5, n=2, t=4)
    il[:] = 4
    base = ctc_loss(lp, tg, il, tl, blank=blank, reduction="none")
    shifted = lp.copy()
    shifted[:, 2] += 3.0
    _close(ctc_loss(shifted, tg, il, tl, blank=blank, reduction="none"), np.where(np.isinf(base), base, base - 3.0))


def test_long_sequence_matches_the_oracle():
    rng = np.random.default_rng(7)
    lp = _log_softmax(rng.normal(size=(1, 80, 6)) * 3)
    label = rng.integers(1, 6, size=30)
    label[3] = label[2]
    got = ctc_loss(lp, label[None], _i([80]), _i([30]), reduction="none")
    _close(got, [float(exact_loss(lp[0], label, 0))], rel=64 * 2.0**-52, abs_=0)


# ---------------------------------------------------------------------------
# special values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("label, frames", [([1, 1], 2), ([1, 1, 2], 3), ([1, 2, 2, 1], 4), ([2, 2, 2], 4), ([1], 0)])
def test_impossible_alignment_is_inf(label, frames):
    lp = _log_softmax(np.random.default_rng(1).normal(size=(1, 5, 3)))
    args = (lp, _i([label]), _i([frames]), _i([len(label)]))
    assert ctc_loss(*args, reduction="none").tolist() == [INF]
    assert float(ctc_loss(*args, zero_infinity=True)) == 0.0
    g = ctc_loss_grad(*args, reduction="sum")
    assert np.all(np.isnan(g[0, :frames])) and np.all(g[0, frames:] == 0)
    assert np.all(ctc_loss_grad(*args, reduction="sum", zero_infinity=True) == 0)
    # One frame more (where there is room) makes it possible.
    if frames and frames < 5:
        more = (lp, _i([label]), _i([frames + 1]), _i([len(label)]))
        assert np.isfinite(ctc_loss(*more))


def test_zero_infinity_in_a_batch_and_its_mean():
    lp = _log_softmax(np.random.default_rng(2).normal(size=(2, 3, 3)))
    args = (lp, _i([[1, 1], [1, 2]]), _i([2, 3]), _i([2, 2]))
    ok = float(exact_loss(lp[1], [1, 2], 0))
    _close(ctc_loss(*args, reduction="none"), [INF, ok])
    _close(ctc_loss(*args, reduction="none", zero_infinity=True), [0.0, ok])
    _close(ctc_loss(*args, zero_infinity=True), ok / 2)
    assert ctc_loss(*args) == INF


def test_zero_infinity_leaves_nan_alone():
    lp = _log_softmax(np.random.default_rng(2).normal(size=(1, 3, 3)))
    lp[0, 0, 0] = np.nan
    assert np.isnan(ctc_loss(lp, _i([[1]]), _i([3]), _i([1]), zero_infinity=True))


def test_empty_time_axis_gives_an_empty_gradient():
    # The losses of empty arrays are rows ctc.value.empty*.
    assert ctc_loss_grad(np.zeros((2, 0, 3)), _i([[1], [1]]), _i([0, 0]), _i([0, 1])).shape == (2, 0, 3)


def test_neginf_entries_are_probability_zero():
    # The losses are row ctc.special.neginf; here the gradient and an all -inf input.
    p = np.array([[0.5, 0.3, 0.2], [0.7, 0.0, 0.3], [0.6, 0.4, 0.0]])
    with np.errstate(divide="ignore"):
        lp = np.log(p)[None]
    g = ctc_loss_grad(lp, _i([[1]]), _i([3]), _i([1]), reduction="sum")
    assert g[0, 1, 1] == 0.0 and g[0, 2, 2] == 0.0
    _close(g[0], exact_grad(lp[0], [1], 0), rel=1e-14, abs_=1e-15)
    everything = np.full((1, 2, 3), -INF)
    assert ctc_loss(everything, _i([[1]]), _i([2]), _i([1])) == INF


@pytest.mark.parametrize("value", [-745.0, -1e4, -1e300, -1e308])
def test_extreme_log_probs_keep_their_loss(value):
    lp = np.array([[[0.0, value, value]] * 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ctc_loss(lp, _i([[1]]), _i([3]), _i([1]), reduction="none")
        g = ctc_loss_grad(lp, _i([[1]]), _i([3]), _i([1]), reduction="sum")
    # Three alignments use one "1" (weight e^value each); longer runs are negligible.
    expected = -mp.log(3 * mp.exp(mp.mpf(value)) + 2 * mp.exp(2 * mp.mpf(value)) + mp.exp(3 * mp.mpf(value)))
    _close(got, [float(expected)], rel=2e-16, abs_=0)
    if value > -1e15:
        # The posterior of class 1 is 1/3 on each frame, that of the blank 2/3.
        _close(g[0], [[-2 / 3, -1 / 3, 0.0]] * 3, rel=0, abs_=1e-12)
    else:
        # alpha + beta ~ -1e300 cannot resolve O(1) differences in float64 (ctc.accuracy):
        # only the structure survives, frame sums -1 and entries in [-1, 0].
        _close(g[0].sum(axis=-1), [-1.0] * 3, rel=0, abs_=1e-15)
        assert np.all((g <= 0) & (g >= -1))


def test_no_warning_anywhere():
    cases = [np.full((2, 4, 3), -1e308), np.full((2, 4, 3), -745.0), np.full((2, 4, 3), 1e308),
             np.full((2, 4, 3), -INF), np.full((2, 4, 3), 700.0)]
    mixed = np.full((2, 4, 3), -1e308)
    mixed[:, :, 0] = -INF
    mixed[0, 1, 2] = 1e308
    cases.append(mixed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lp in cases:
            for tl in ([1, 2], [0, 3], [2, 2]):
                args = (lp, _i([[1, 2, 1], [2, 2, 1]]), _i([4, 3]), _i(tl))
                for red in ("none", "sum", "mean"):
                    ctc_loss(*args, reduction=red)
                    ctc_loss_grad(*args, reduction=red)
                    ctc_loss_grad(*args, reduction=red, zero_infinity=True)


def test_huge_positive_log_probs_overflow_to_minus_inf():
    # Unnormalised, finite, huge: p = 3 e^(2e308) overflows, the loss is -inf.
    got = ctc_loss(np.full((1, 2, 3), 1e308), _i([[1]]), _i([2]), _i([1]), reduction="none")
    assert got.tolist() == [-INF]


def test_nan_propagates_to_its_row_only():
    lp = _log_softmax(np.random.default_rng(5).normal(size=(2, 3, 4)))
    tg, il, tl = _i([[1], [1]]), _i([3, 3]), _i([1, 1])
    ok = ctc_loss(lp, tg, il, tl, reduction="none")[1]
    for k in (0, 1, 3):                    # the blank, the label, a class no alignment uses
        bad = lp.copy()
        bad[0, 1, k] = np.nan
        got = ctc_loss(bad, tg, il, tl, reduction="none")
        assert np.isnan(got[0]) and got[1] == ok
        g = ctc_loss_grad(bad, tg, il, tl, reduction="sum")
        assert np.all(np.isnan(g[0])) and np.all(np.isfinite(g[1]))
        assert np.isnan(ctc_loss(bad, tg, il, tl))


# ---------------------------------------------------------------------------
# padding, batches, classes, reductions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_padding_is_ignored_whatever_it_holds(seed):
    lp, tg, il, tl, blank = _random_case(seed, n=3, t=5, c=4, s=3)
    base = ctc_loss(lp, tg, il, tl, blank=blank, reduction="none")
    base_grad = ctc_loss_grad(lp, tg, il, tl, blank=blank, reduction="sum")
    junk_tg = np.concatenate([tg, np.zeros((3, 2), dtype=np.int64)], axis=1)
    mask = np.arange(junk_tg.shape[1]) >= tl[:, None]
    junk_tg[mask] = np.resize(_i([blank, -1, 99, -7]), int(mask.sum()))
    junk_lp = np.concatenate([lp, np.zeros((3, 2, 4))], axis=1)
    fmask = np.arange(7) >= il[:, None]
    junk_lp[fmask] = np.resize(np.array([np.nan, INF, -INF, 1e308]), (int(fmask.sum()), 4))
    got = ctc_loss(junk_lp, junk_tg, il, tl, blank=blank, reduction="none")
    assert np.array_equal(got, base)
    g = ctc_loss_grad(junk_lp, junk_tg, il, tl, blank=blank, reduction="sum")
    assert np.array_equal(g[:, :5], base_grad, equal_nan=True)
    assert np.all(g[fmask] == 0)


@pytest.mark.parametrize("seed", range(5))
def test_batch_independence(seed):
    lp, tg, il, tl, blank = _random_case(seed, n=4)
    whole = ctc_loss(lp, tg, il, tl, blank=blank, reduction="none")
    for i in range(4):
        one = ctc_loss(lp[i:i + 1], tg[i:i + 1], il[i:i + 1], tl[i:i + 1], blank=blank, reduction="none")
        assert np.array_equal(one, whole[i:i + 1])
    perm = np.random.default_rng(seed).permutation(4)
    assert np.array_equal(ctc_loss(lp[perm], tg[perm], il[perm], tl[perm], blank=blank, reduction="none"),
                          whole[perm])


@pytest.mark.parametrize("seed", range(5))
def test_relabelling_classes(seed):
    lp, tg, il, tl, blank = _random_case(seed, n=3, c=4)
    perm = np.random.default_rng(seed + 50).permutation(4)
    new_lp = np.empty_like(lp)
    new_lp[..., perm] = lp
    _close(ctc_loss(new_lp, perm[tg], il, tl, blank=int(perm[blank]), reduction="none"),
           ctc_loss(lp, tg, il, tl, blank=blank, reduction="none"), rel=1e-15, abs_=1e-15)


def test_reductions_plain_mean_not_divided_by_target_length():
    lp = _log_softmax(np.random.default_rng(6).normal(size=(2, 4, 3)))
    args = (lp, _i([[1, 2], [1, 2]]), _i([4, 4]), _i([0, 2]))
    per = ctc_loss(*args, reduction="none")
    assert per.shape == (2,) and per.dtype == np.float64
    total = ctc_loss(*args, reduction="sum")
    mean = ctc_loss(*args)
    assert isinstance(total, np.float64) and isinstance(mean, np.float64)
    _close(total, math.fsum(per), rel=1e-15, abs_=0)
    _close(mean, math.fsum(per) / 2, rel=1e-15, abs_=0)
    pytorch_mean = (per[0] / 1 + per[1] / 2) / 2
    assert abs(mean - pytorch_mean) > 0.1


def test_float32_and_integer_input_compute_in_float64():
    lp = _log_softmax(np.random.default_rng(7).normal(size=(1, 3, 3)))
    lp32 = lp.astype(np.float32)
    got = ctc_loss(lp32, _i([[1]]), _i([3]), _i([1]), reduction="none")
    assert got.dtype == np.float64
    _close(got, ctc_loss(lp32.astype(np.float64), _i([[1]]), _i([3]), _i([1]), reduction="none"), rel=0, abs_=0)
    assert ctc_loss_grad(lp32, _i([[1]]), _i([3]), _i([1])).dtype == np.float64
    tg32 = np.array([[1]], dtype=np.int32)
    assert ctc_loss(lp, tg32, np.array([3], dtype=np.uint8), np.array([1], dtype=np.int16)) == \
        ctc_loss(lp, _i([[1]]), _i([3]), _i([1]))


# ---------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_gradient_matches_the_oracles_posteriors(seed):
    lp, tg, il, tl, blank = _random_case(seed, n=2, t=4, c=3)
    il[:] = 4
    tl = np.minimum(tl, 2)
    g = ctc_loss_grad(lp, tg, il, tl, blank=blank, reduction="sum")
    for n in range(2):
        if exact_loss(lp[n], tg[n, :tl[n]], blank) == mp.inf:
            assert np.all(np.isnan(g[n]))
            continue
        _close(g[n], exact_grad(lp[n], tg[n, :tl[n]], blank), rel=1e-13, abs_=1e-14)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_gradient_matches_central_differences(seed, reduction):
    lp, tg, il, tl, blank = _random_case(seed, n=2, t=4, c=3, scale=1.0)
    g = ctc_loss_grad(lp, tg, il, tl, blank=blank, reduction=reduction, zero_infinity=True)
    fd = central_diff(lambda x: np.sum(ctc_loss(x, tg, il, tl, blank=blank, reduction=reduction,
                                                zero_infinity=True)), lp)
    assert np.max(np.abs(g - fd)) < 1e-8


def test_gradient_frames_sum_to_minus_one_and_padding_is_zero():
    lp, tg, il, tl, blank = _random_case(11, n=3, t=6, c=4)
    tl = np.minimum(tl, (il + 1) // 2)               # feasible: L <= ceil(T / 2) never needs more frames
    g = ctc_loss_grad(lp, tg, il, tl, blank=blank, reduction="sum")
    sums = g.sum(axis=-1)
    inside = np.arange(6) < il[:, None]
    _close(sums[inside], -np.ones(int(inside.sum())), rel=0, abs_=1e-14)
    assert np.all(g[~inside] == 0)


def test_gradient_reductions():
    lp, tg, il, tl, blank = _random_case(12, n=3)
    kw = {"blank": blank, "zero_infinity": True}
    g_sum = ctc_loss_grad(lp, tg, il, tl, reduction="sum", **kw)
    assert np.array_equal(ctc_loss_grad(lp, tg, il, tl, reduction="none", **kw), g_sum)
    _close(ctc_loss_grad(lp, tg, il, tl, **kw), g_sum / 3, rel=1e-15, abs_=0)


def test_gradient_through_log_softmax_is_pytorch_convention():
    rng = np.random.default_rng(13)
    z = rng.normal(size=(1, 4, 3))
    lp = _log_softmax(z)
    args = (lp, _i([[1, 2]]), _i([4]), _i([2]))
    g = ctc_loss_grad(*args, reduction="sum")
    projected = g - np.exp(lp) * g.sum(axis=-1, keepdims=True)
    # dl/dz by central differences through log_softmax
    fd = central_diff(lambda x: float(ctc_loss(_log_softmax(x), *args[1:])), z)
    assert np.max(np.abs(projected - fd)) < 1e-8
    # ... which is exp(lp) - posterior: g + exp(lp) because every frame of g sums to -1.
    _close(projected, g + np.exp(lp), rel=1e-13, abs_=1e-15)


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def _valid():
    lp = _log_softmax(np.random.default_rng(14).normal(size=(2, 3, 3)))
    return lp, _i([[1, 2], [2, 1]]), _i([3, 3]), _i([2, 1])


@pytest.mark.parametrize("mutate, kwargs, exc, match", [
    (lambda a: (a[0][0],) + a[1:], {}, ValueError, r"log_probs must be 3-d"),
    (lambda a: (a[0].astype(str),) + a[1:], {}, TypeError, r"log_probs must be a real numeric array"),
    (lambda a: (a[0], a[1][0]) + a[2:], {}, ValueError, r"targets must be a 2-d integer array of shape \(2, S\)"),
    (lambda a: (a[0], a[1][:1]) + a[2:], {}, ValueError, r"targets must be a 2-d"),
    (lambda a: (a[0], a[1].astype(float)) + a[2:], {}, TypeError, r"targets must be an integer array"),
    (lambda a: a[:2] + (a[2][:1], a[3]), {}, ValueError, r"input_lengths must be a 1-d integer array of length 2"),
    (lambda a: a[:3] + (a[3][None],), {}, ValueError, r"target_lengths must be a 1-d integer array of length 2"),
    (lambda a: a[:2] + (a[2].astype(float), a[3]), {}, TypeError, r"input_lengths must be an integer array"),
    (lambda a: a[:2] + (_i([3, -1]), a[3]), {}, ValueError, r"input_lengths must be non-negative, got -1"),
    (lambda a: a[:3] + (_i([-2, 1]),), {}, ValueError, r"target_lengths must be non-negative, got -2"),
    (lambda a: a[:2] + (_i([3, 4]), a[3]), {}, ValueError, r"input_lengths must be at most 3"),
    (lambda a: a[:3] + (_i([2, 3]),), {}, ValueError, r"target_lengths must be at most 2"),
    (lambda a: (a[0], _i([[1, 2], [3, 1]])) + a[2:], {}, ValueError, r"targets holds class index 3 at \[1, 0\]"),
    (lambda a: (a[0], _i([[1, -1], [2, 1]])) + a[2:], {}, ValueError, r"targets holds class index -1"),
    (lambda a: (a[0], _i([[1, 0], [2, 1]])) + a[2:], {}, ValueError, r"targets holds the blank index 0 at \[0, 1\]"),
    (lambda a: a, {"blank": 2}, ValueError, r"targets holds the blank index 2 at \[0, 1\]"),
    (lambda a: a, {"blank": 3}, ValueError, r"blank must be a class index in \[0, 3\), got 3"),
    (lambda a: a, {"blank": -1}, ValueError, r"blank must be a class index in \[0, 3\), got -1"),
    (lambda a: a, {"blank": 1.0}, TypeError, r"blank must be an integer"),
    (lambda a: a, {"blank": True}, TypeError, r"blank must be an integer"),
    (lambda a: a, {"reduction": "avg"}, ValueError, r"reduction must be one of"),
    (lambda a: a, {"zero_infinity": 1}, TypeError, r"zero_infinity must be True or False"),
])
def test_invalid_input_raises(mutate, kwargs, exc, match):
    for fn in (ctc_loss, ctc_loss_grad):
        with pytest.raises(exc, match=match):
            fn(*mutate(_valid()), **kwargs)


def test_posinf_within_input_length_raises_but_not_in_padding():
    lp, tg, il, tl = _valid()
    bad = lp.copy()
    bad[1, 2, 0] = INF
    with pytest.raises(ValueError, match=r"log_probs holds \+inf at \[1, 2, 0\] within input_lengths\[1\]"):
        ctc_loss(bad, tg, il, tl)
    # Past the input length the same entry is padding.
    assert np.isfinite(ctc_loss(bad, tg, _i([3, 2]), tl))


def test_padding_labels_may_hold_anything():
    lp, _, il, tl = _valid()
    assert np.isfinite(ctc_loss(lp, _i([[1, 2], [2, 0]]), il, tl))       # the blank past tl[1] = 1
    assert np.isfinite(ctc_loss(lp, _i([[1, 2], [2, 1234]]), il, tl))


# ---------------------------------------------------------------------------
# ctc_collapse and ctc_path_probability
# ---------------------------------------------------------------------------

COLLAPSE_ROWS = [c for c in load_cases("ctc") if c.function == "ctc_collapse" and not c.refuses]


@pytest.mark.parametrize("case", COLLAPSE_ROWS, ids=[c.id for c in COLLAPSE_ROWS])
def test_collapse_returns_int64_labels(case):
    # The values are the table's (tests/test_cases.py); the type is the contract's.
    got = ctc_collapse(*case.args, **case.kwargs)
    assert got.dtype == np.int64 and got.ndim == 1 and got.tolist() == [int(v) for v in case.expected]


@pytest.mark.parametrize("path, blank, expected", [([0, 1, 0, 1], 0, [1, 1]), ([5, 5, 5], 0, [5])])
def test_collapse(path, blank, expected):
    assert ctc_collapse(_i(path), blank=blank).tolist() == expected


def test_collapse_accepts_any_integer_dtype():
    assert ctc_collapse(np.array([1, 1, 0, 2], dtype=np.uint8)).tolist() == [1, 2]
    assert ctc_collapse([3, 3, 0, 3]).tolist() == [3, 3]


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((_i([[1, 2]]),), {}, ValueError, r"path must be a 1-d integer array"),
    ((np.array([1.0, 2.0]),), {}, TypeError, r"path must be an integer array"),
    ((_i([1, -2]),), {}, ValueError, r"path holds class index -2"),
    ((_i([1, 2]),), {"blank": -1}, ValueError, r"blank must be a non-negative class index"),
    ((_i([1, 2]),), {"blank": 0.5}, TypeError, r"blank must be an integer"),
])
def test_collapse_invalid(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ctc_collapse(*args, **kwargs)


def test_path_probability_sums_to_one_over_all_paths():
    rng = np.random.default_rng(15)
    probs = rng.random((3, 4))
    probs /= probs.sum(axis=1, keepdims=True)
    total = math.fsum(float(ctc_path_probability(probs, _i(p))) for p in itertools.product(range(4), repeat=3))
    assert abs(total - 1.0) < 1e-15
    assert ctc_path_probability(np.zeros((0, 3)), _i([])) == 1.0


def test_path_probability_sums_to_exp_minus_loss():
    rng = np.random.default_rng(16)
    probs = rng.random((4, 3))
    probs /= probs.sum(axis=1, keepdims=True)
    label = [1, 2]
    total = math.fsum(float(ctc_path_probability(probs, _i(p))) for p in itertools.product(range(3), repeat=4)
                      if ctc_collapse(_i(p)).tolist() == label)
    loss = float(ctc_loss(np.log(probs)[None], _i([label]), _i([4]), _i([2])))
    assert math.isclose(total, math.exp(-loss), rel_tol=1e-14)


def test_path_probability_nan_propagates():
    probs = np.array([[0.5, np.nan], [0.5, 0.5]])
    assert np.isnan(ctc_path_probability(probs, _i([1, 0])))
    assert ctc_path_probability(probs, _i([0, 0])) == 0.25


@pytest.mark.parametrize("args, exc, match", [
    ((np.array([0.4, 0.6]), _i([0])), ValueError, r"probs must be 2-d"),
    ((np.array([[0.4, 1.6]]), _i([0])), ValueError, r"probs must lie in \[0, 1\]"),
    ((np.array([[-0.4, 0.6]]), _i([0])), ValueError, r"probs must lie in \[0, 1\]"),
    ((np.array([[0.4, 0.6]]), _i([0, 1])), ValueError, r"path must have shape \(1,\)"),
    ((np.array([[0.4, 0.6]]), _i([2])), ValueError, r"path holds class index 2, expected indices in \[0, 2\)"),
    ((np.array([[0.4, 0.6]]), _i([-1])), ValueError, r"path holds class index -1"),
    ((np.array([[0.4, 0.6]]), np.array([0.0])), TypeError, r"path must be an integer array"),
    ((np.array([["a", "b"]]), _i([0])), TypeError, r"probs must be a real numeric array"),
])
def test_path_probability_invalid(args, exc, match):
    with pytest.raises(exc, match=match):
        ctc_path_probability(*args)


# ---------------------------------------------------------------------------
# plausible bugs fail the clause they break
# ---------------------------------------------------------------------------

def _naive(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
           zero_infinity=False, linear=False, skip_repeats=False):
    """A per-row forward recursion with two optional bugs: ``linear`` works with
    probabilities (which underflow), ``skip_repeats`` allows the skip between
    equal labels (so "aa" fits in two frames)."""
    lp = np.asarray(log_probs, dtype=np.float64)
    out = []
    for n in range(lp.shape[0]):
        label = [int(k) for k in targets[n, :target_lengths[n]]]
        ext = [blank]
        for k in label:
            ext += [k, blank]
        t_len = int(input_lengths[n])
        if t_len == 0:
            out.append(0.0 if not label else INF)
            continue
        with np.errstate(divide="ignore", under="ignore"):
            alpha = np.full(len(ext), -INF)
            alpha[0] = lp[n, 0, ext[0]]
            if len(ext) > 1:
                alpha[1] = lp[n, 0, ext[1]]
            for t in range(1, t_len):
                new = np.full(len(ext), -INF)
                for s in range(len(ext)):
                    terms = [alpha[s]] + ([alpha[s - 1]] if s else [])
                    if s >= 2 and ext[s] != blank and (skip_repeats or ext[s] != ext[s - 2]):
                        terms.append(alpha[s - 2])
                    if linear:
                        new[s] = np.log(np.sum(np.exp(terms)) * np.exp(lp[n, t, ext[s]]))
                    else:
                        new[s] = np.logaddexp.reduce(terms) + lp[n, t, ext[s]]
                alpha = new
            final = np.logaddexp(alpha[-1], alpha[-2]) if len(ext) > 1 else alpha[-1]
        loss = -final
        out.append(0.0 if zero_infinity and loss == INF else loss)
    return ref.reduce_loss(np.array(out), None, reduction)


def _linear_space_ctc(*args, **kwargs):
    return _naive(*args, linear=True, **kwargs)


def _no_blank_between_repeats(*args, **kwargs):
    return _naive(*args, skip_repeats=True, **kwargs)


def _pytorch_mean(*args, reduction="mean", **kwargs):
    if reduction != "mean":
        return ref.ctc_loss(*args, reduction=reduction, **kwargs)
    per = ref.ctc_loss(*args, reduction="none", **kwargs)
    return np.float64(np.mean(per / np.maximum(np.asarray(args[3]), 1)))


def _pytorch_gradient(log_probs, *args, **kwargs):
    g = ref.ctc_loss_grad(log_probs, *args, **kwargs)
    lp = np.asarray(log_probs, dtype=np.float64)
    inside = np.arange(lp.shape[1])[None, :, None] < np.asarray(args[1])[:, None, None]
    scale = 1.0 / lp.shape[0] if kwargs.get("reduction", "mean") == "mean" and lp.shape[0] else 1.0
    with np.errstate(all="ignore"):
        return np.where(inside, g + scale * np.exp(lp), g)


def _failed_clauses(function, replacement):
    from conformance.registry import load_all_checks
    from conformance.run_check import run_check
    impl = types.SimpleNamespace(**{n: getattr(ref, n) for n in ref.__all__})
    setattr(impl, function, replacement)
    rows = [run_check(c, impl, max_examples=10) for c in load_all_checks().values() if c.function == function]
    return {r["clause"] for r in rows if r["status"] in ("fail", "error")}


@pytest.mark.parametrize("function, mutant, clauses", [
    ("ctc_loss", _linear_space_ctc, {"ctc.special.extreme"}),
    ("ctc_loss", _no_blank_between_repeats, {"ctc.special.impossible", "ctc.def"}),
    ("ctc_loss", _pytorch_mean, {"ctc.reduction", "red.weights.ctc"}),
    ("ctc_loss_grad", _pytorch_gradient, {"ctc.gradient"}),
])
def test_mutant_fails_its_clauses(function, mutant, clauses):
    failed = _failed_clauses(function, mutant)
    assert clauses <= failed, failed


def test_long_sequence_gradient_is_accurate_to_a_few_ulps():
    # alpha and beta reach |log p| ~ 600 here: a float64 log-space recursion
    # loses |alpha| 2**-53 per frame and the posteriors hundreds to thousands
    # of ulps; the double-double recursion keeps them within a few.
    from accuracy import exact
    from accuracy.ulp import ulp_errors

    r = np.random.default_rng(2024)
    n, t, c, s = 1, 200, 20, 40
    logits = 3.0 * r.standard_normal((n, t, c))
    lp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    args = (lp, r.integers(1, c, size=(n, s)), np.full(n, t), np.full(n, s))
    hi, lo = exact.to_double_double(exact.ctc_loss_grad(*args, reduction="none"))
    err, mismatch, _ = ulp_errors(ctc_loss_grad(*args, reduction="none"), hi, lo)
    assert not mismatch.any()
    assert np.nanmax(err) <= 16.0
    hi, lo = exact.to_double_double(exact.ctc_loss(*args, reduction="none"))
    err, mismatch, _ = ulp_errors(ctc_loss(*args, reduction="none"), hi, lo)
    assert not mismatch.any() and np.nanmax(err) <= 2.0

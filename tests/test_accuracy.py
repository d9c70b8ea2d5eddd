"""Tests of the accuracy tooling (``accuracy/``): the ulp measure against
closed-form cases, the exact mpmath functions against closed forms, the corpus,
and the reference against its 2-ulp target on the small corpus."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from accuracy import corpus, exact, measure, target
from accuracy.ulp import SMALLEST_NORMAL, exact_ulp, ulp, ulp_errors
from conformance.spec import FUNCTIONS

mp.mp.dps = 60
INF, NAN = math.inf, math.nan


def _one(x):
    a = np.asarray(x, dtype=object)
    assert a.size == 1
    return a.reshape(-1)[0]


def as_float(x):
    """An exact result (one mpf, alone or in an array) as the nearest float."""
    return float(_one(x))


def close(x, expected, rel=mp.mpf(10) ** -40):
    """``x`` (one mpf) equals ``expected`` (mpf) to 40 digits."""
    x = mp.mpf(_one(x))
    return abs(x - expected) <= rel * abs(expected)


# ---------------------------------------------------------------------------
# the ulp measure
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("x, unit", [
    (1.0, 2.0**-52), (1.5, 2.0**-52), (np.nextafter(2.0, 0.0), 2.0**-52), (2.0, 2.0**-51),
    (-0.75, 2.0**-53), (0.1, 2.0**-56), (1e300, 2.0**(996 - 52)),
    (np.finfo(np.float64).max, 2.0**971), (SMALLEST_NORMAL, 2.0**-1074),
    (1e-310, 2.0**-1074), (0.0, 2.0**-1074),
])
def test_ulp_is_the_spacing_of_the_binade(x, unit):
    # 2**e <= |x| < 2**(e + 1) gives 2**(e - 52); 1e300 lies in [2**996, 2**997)
    assert ulp(np.array([x]))[0] == unit


def test_exact_ulp_uses_the_binade_of_the_exact_value():
    # x = 1 - 2**-60 rounds to hi = 1 but lies in [1/2, 1): its unit is 2**-53
    assert exact_ulp(np.array([1.0]), np.array([-(2.0**-60)]))[0] == 2.0**-53
    assert exact_ulp(np.array([1.0]), np.array([2.0**-60]))[0] == 2.0**-52
    assert exact_ulp(np.array([-1.0]), np.array([2.0**-60]))[0] == 2.0**-53


def test_ulp_errors_of_neighbours_and_halfway_values():
    x = np.array([1.0, 1.0, 3.0, 1e-300])
    got = np.array([np.nextafter(1.0, 2.0), np.nextafter(1.0, 0.0), np.nextafter(3.0, 0.0) , 1e-300])
    err, bad, cat = ulp_errors(got, x, np.zeros(4))
    # one ulp up from 1 is 2**-52 = 1 ulp; one down is 2**-53 = half an ulp of 1
    assert err.tolist() == [1.0, 0.5, 1.0, 0.0]
    assert not bad.any() and list(cat) == ["finite"] * 4
    # the exact value 1 + 2**-53 (a double-double) is half an ulp from both neighbours
    err, _, _ = ulp_errors(np.array([1.0, 1.0 + 2.0**-52]), np.ones(2), np.full(2, 2.0**-53))
    assert err.tolist() == [0.5, 0.5]


def test_a_zero_for_a_tiny_result_is_about_two_to_the_52_ulps():
    err, bad, _ = ulp_errors(np.array([0.0]), np.array([1.9287498479639178e-22]), np.zeros(1))
    assert 2.0**52 <= err[0] < 2.0**53 and not bad[0]


def test_categories_and_mismatches():
    hi = np.array([2.0, 2.0, INF, INF, -INF, NAN, NAN, 1e-310, 1e-310, 1e-310, 0.0, 0.0])
    got = np.array([NAN, INF, INF, 1e308, -INF, NAN, 1.0, 0.0, -1e-310, 1e-300, -1e-320, 1e-300])
    err, bad, cat = ulp_errors(got, hi, np.zeros(hi.shape))
    assert list(cat) == ["finite"] * 2 + ["inf"] * 3 + ["nan"] * 2 + ["underflow"] * 5
    assert bad.tolist() == [True, True, False, True, False, False, True, False, True, True, False, True]
    assert np.isnan(err).all()  # nothing here is measured in ulps


# ---------------------------------------------------------------------------
# exact values: double-doubles
# ---------------------------------------------------------------------------

def test_double_double_holds_the_exact_value():
    third = mp.mpf(1) / 3
    hi, lo = exact.to_double_double([third, mp.mpf(10) ** 400, mp.mpf("nan"), mp.mpf(10) ** -320])
    assert hi[0] == 1 / 3 and abs(mp.mpf(hi[0]) + mp.mpf(lo[0]) - third) < mp.mpf(2) ** -105
    assert hi[1] == INF and lo[1] == 0.0
    assert math.isnan(hi[2])
    assert 0 < hi[3] < SMALLEST_NORMAL and lo[3] == 0.0


# ---------------------------------------------------------------------------
# exact values: closed forms
# ---------------------------------------------------------------------------

def test_exact_softmax_family_closed_forms():
    z = np.array([[0.0, 0.0], [50.0, 0.0], [700.0, 0.0]])
    sm, ls, lse = exact.softmax(z), exact.log_softmax(z), exact.logsumexp(z)
    assert close(sm[0, 0], mp.mpf(0.5)) and close(ls[0, 1], -mp.log(2)) and close(lse[0], mp.log(2))
    # the confident prediction keeps its tiny loss log1p(e**-50)
    assert close(-ls[1, 0], mp.log1p(mp.exp(-50)))
    assert close(ls[2, 1], -700 - mp.log1p(mp.exp(-700)))
    assert close(sm[2, 1], mp.exp(-700) / (1 + mp.exp(-700)))
    assert close(exact.logsumexp(np.array([1000.0, 1000.0]))[()], 1000 + mp.log(2))


def test_exact_softmax_special_values():
    z = np.array([[INF, INF, 0.0], [-INF, -INF, -INF], [NAN, 0.0, 1.0], [-INF, 0.0, 0.0]])
    sm, ls, lse = exact.softmax(z), exact.log_softmax(z), exact.logsumexp(z)
    assert [as_float(v) for v in sm[0]] == [0.5, 0.5, 0.0]
    assert as_float(ls[0, 2]) == -INF and close(ls[0, 0], -mp.log(2))
    assert as_float(lse[0]) == INF and as_float(lse[1]) == -INF and math.isnan(as_float(lse[2]))
    assert all(math.isnan(as_float(v)) for v in list(sm[1]) + list(ls[2]))
    assert as_float(sm[3, 0]) == 0.0 and close(sm[3, 1], mp.mpf(0.5))


def test_exact_sigmoid_closed_forms():
    x = np.array([0.0, -800.0, 40.0])
    s, ls = exact.sigmoid(x), exact.log_sigmoid(x)
    assert close(s[0], mp.mpf(0.5)) and close(s[2], 1 / (1 + mp.exp(-40)))
    assert close(ls[1], -800 - mp.log1p(mp.exp(-800)))
    assert close(ls[2], -mp.log1p(mp.exp(-40)))


def test_exact_information_closed_forms():
    assert close(exact.entropy(np.full(4, 0.25))[()], mp.log(4))
    assert as_float(exact.entropy(np.array([1.0, 0.0]))[()]) == 0.0
    p, q = np.array([0.25, 0.75]), np.array([0.75, 0.25])
    # 0.25 log(1/3) + 0.75 log 3 = log(3) / 2
    assert close(exact.kl_divergence(p, q)[()], mp.log(3) / 2)
    assert close(exact.cross_entropy(np.array([0.5, 0.5]), q)[()], -(mp.log(0.75) + mp.log(0.25)) / 2)
    assert as_float(exact.cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0]))[()]) == INF
    assert close(exact.kl_divergence_grad(p, q)[0], 1 - mp.log(3))
    assert close(exact.kl_divergence_grad(p, q, wrt="q")[0], -mp.mpf(1) / 3)
    assert close(exact.entropy_grad(np.array([0.5]))[0], mp.log(2) - 1)
    assert close(exact.cross_entropy_grad(p, q)[1], -mp.log(0.25))


def test_exact_classification_closed_forms():
    z = np.array([[0.0, 0.0], [700.0, 0.0]])
    t = np.array([0, 0])
    loss = exact.softmax_cross_entropy(z, t, reduction="none")
    assert close(loss[0], mp.log(2)) and close(loss[1], mp.log1p(mp.exp(-700)))
    # label smoothing of two equal logits changes nothing: both classes cost log 2
    assert close(exact.softmax_cross_entropy(z[:1], t[:1], label_smoothing=0.5)[()], mp.log(2))
    g = exact.softmax_cross_entropy_grad(z, t, reduction="sum")
    tiny = mp.exp(-700) / (1 + mp.exp(-700))
    assert close(g[0, 0], mp.mpf(-0.5)) and close(g[1, 0], -tiny) and close(g[1, 1], tiny)
    # soft target (1/4, 3/4) on equal logits: softmax - target = (1/4, -1/4)
    g = exact.softmax_cross_entropy_grad(z[:1], np.array([[0.25, 0.75]]), reduction="mean")
    assert close(g[0, 0], mp.mpf(0.25)) and close(g[0, 1], mp.mpf(-0.25))
    assert close(exact.nll_loss(np.array([[-1.5, -0.5]]), np.array([1]))[()], mp.mpf(0.5))
    w = exact.nll_loss(np.array([[-1.5, -0.5], [-2.0, -1.0]]), np.array([1, 0]), weight=np.array([1.0, 3.0]))
    assert close(w[()], (3 * mp.mpf(0.5) + 1 * 2) / 4)
    q, y = np.array([[0.25, 0.75]]), np.array([[1.0, 0.0]])
    assert close(exact.categorical_cross_entropy(q, y)[()], mp.log(4))
    assert close(exact.categorical_cross_entropy_grad(q, y)[0, 0], mp.mpf(-4))


def test_exact_binary_closed_forms():
    assert close(exact.binary_cross_entropy(np.array([0.25]), np.array([1.0]))[()], mp.log(4))
    # -log(1 - 1e-300) = 1e-300 (1 + 5e-301 ...): the tiny loss survives
    p = np.array([1e-300])
    assert close(exact.binary_cross_entropy(p, np.array([0.0]))[()], -mp.log1p(-mp.mpf(1e-300)))
    assert close(exact.binary_cross_entropy_grad(np.array([0.25]), np.array([1.0]))[()], mp.mpf(-4))
    assert close(exact.sigmoid_binary_cross_entropy(np.array([0.0]), np.array([1.0]))[()], mp.log(2))
    g = exact.sigmoid_binary_cross_entropy_grad(np.array([0.0, 0.0]), np.array([1.0, 0.0]), reduction="none")
    assert close(g[0], mp.mpf(-0.5)) and close(g[1], mp.mpf(0.5))


def test_exact_focal_closed_forms():
    z, t = np.array([[0.0, 0.0]]), np.array([0])
    assert close(exact.focal_loss(z, t, gamma=0.0)[()], mp.log(2))
    assert close(exact.focal_loss(z, t, gamma=2.0)[()], mp.log(2) / 4)
    # d/dz0 of -(1 - p)^2 log p at p = 1/2, p = sigmoid(z0 - z1): (2 (1-p) p log p - (1-p)^2) (1 - p)
    p = mp.mpf(0.5)
    expected = (2 * (1 - p) * p * mp.log(p) - (1 - p) ** 2) * (1 - p)
    assert close(exact.focal_loss_grad(z, t, gamma=2.0)[0, 0], expected)
    x, y = np.array([0.0]), np.array([1.0])
    assert close(exact.sigmoid_focal_loss(x, y, gamma=2.0)[()], mp.log(2) / 4)
    assert close(exact.sigmoid_focal_loss(x, y, gamma=2.0, alpha=0.25)[()], mp.log(2) / 16)
    # d/dx of (1 - s)^2 (-log s), s = sigmoid(x), s' = s (1 - s), at s = 1/2:
    # 2 (1 - s) s' log s - (1 - s)^2 s' / s = -(log 2) / 4 - 1/8
    assert close(exact.sigmoid_focal_loss_grad(x, y, gamma=2.0)[()], -(mp.log(2) + mp.mpf(0.5)) / 4)


def test_exact_regression_closed_forms():
    x, y = np.array([3.0, -1.0]), np.array([0.0, 0.0])
    assert close(exact.mean_absolute_error(x, y)[()], mp.mpf(2))
    assert close(exact.mean_squared_error(x, y, reduction="sum")[()], mp.mpf(10))
    assert close(exact.root_mean_squared_error(x, y)[()], mp.sqrt(5))
    assert close(exact.root_mean_squared_error_grad(x, y)[0], 3 / (2 * mp.sqrt(5)))
    assert close(exact.huber_loss(x, y, reduction="none")[0], mp.mpf(2.5))
    assert close(exact.smooth_l1_loss(np.array([0.5]), np.array([0.0]))[()], mp.mpf(0.125))
    assert as_float(exact.mean_absolute_error_grad(np.array([1.0]), np.array([1.0]))[()]) == 0.0


def test_exact_ctc_against_the_source_example():
    # label "a" over two frames, P(a) = 0.4, P(blank) = 0.6: the alignments
    # aa, a-, -a have probability y_a^2 + 2 y_a y_b (0.64 for exact 0.4, 0.6)
    lp = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]]]))
    ya, yb = mp.exp(mp.mpf(lp[0, 0, 1])), mp.exp(mp.mpf(lp[0, 0, 0]))
    total = ya * ya + 2 * ya * yb
    args = (lp, np.array([[1]]), np.array([2]), np.array([1]))
    assert close(exact.ctc_loss(*args)[()], -mp.log(total))
    g = exact.ctc_loss_grad(*args)
    # posterior of "a" at each frame: (ya^2 + ya yb) / total; of the blank: ya yb / total
    assert close(g[0, 0, 1], -(ya * ya + ya * yb) / total) and close(g[0, 1, 0], -(ya * yb) / total)
    # an impossible alignment (two labels in one frame) has probability 0
    assert as_float(exact.ctc_loss(lp[:, :1], np.array([[1, 1]]), np.array([1]), np.array([2]))[()]) == INF
    probs = np.array([[0.25, 0.75], [0.5, 0.5]])
    assert close(exact.ctc_path_probability(probs, np.array([1, 0]))[()], mp.mpf(0.375))


def test_exact_ctc_gradient_is_the_derivative_of_the_exact_loss():
    # numerical differentiation at 60 digits of the recursion's -log p with
    # respect to single log-probabilities, repeated labels included
    rng = np.random.default_rng(1)
    rows = [[mp.mpf(float(v)) for v in r] for r in rng.standard_normal((6, 4))]
    labels = [1, 2, 2]
    _, grad = exact.ctc_sequence(rows, labels, 0)
    for t, k in [(0, 0), (2, 2), (4, 0), (5, 2), (3, 3)]:
        def loss(h, t=t, k=k):
            shifted = [list(r) for r in rows]
            shifted[t][k] += h
            return exact.ctc_sequence(shifted, labels, 0)[0]
        assert abs(mp.diff(loss, 0) - grad[t][k]) < mp.mpf(10) ** -40


# ---------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------

def test_the_corpus_is_deterministic_and_covers_every_function():
    a, b = corpus.build("small"), corpus.build("small")
    assert [c.key for c in a] == [c.key for c in b]
    for x, y in zip(a, b):
        for u, v in zip(x.args, y.args):
            np.testing.assert_array_equal(u, v)
    functions = {c.function for c in a}
    assert functions <= set(FUNCTIONS)
    assert set(FUNCTIONS) - functions == set(measure.NOT_MEASURED)
    assert {c.group for c in a} <= set(corpus.GROUPS)
    assert all(hasattr(exact, f) for f in functions)


def test_the_corpus_holds_the_issue_s_stress_inputs():
    labels = " ".join(c.label for c in corpus.build("full") if c.function == "log_softmax")
    for needle in ("offset 10000", "offset -10000", "offset 1e+06", "offset 1e300", "scale 1,", "scale 30",
                   "+40 ", "+300 ", "+700 ", "masked"):
        assert needle in labels
    tiny = [c for c in corpus.build("full") if c.function == "entropy" and c.group == "tiny"]
    values = np.concatenate([c.args[0].ravel() for c in tiny])
    assert np.any(values == 1e-300) and np.any(values == 1.0 - 1e-15)


# ---------------------------------------------------------------------------
# the reference against its target, on the small corpus
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference_summary():
    import conformance.adapters.reference as implementation

    cases = corpus.build("small")
    expected = measure.exact_values(cases)
    return measure.summarize(cases, expected, measure.evaluate(implementation, cases))


def test_the_reference_runs_every_case(reference_summary):
    assert set(reference_summary) == set(FUNCTIONS) - set(measure.NOT_MEASURED)
    for fn, res in reference_summary.items():
        assert res["status"] == "measured" and res["cases_failed"] == 0, (fn, res.get("error_messages"))


def test_the_reference_meets_its_target_on_the_small_corpus(reference_summary):
    bound = target.bound()
    over = []
    for fn, res in reference_summary.items():
        for group, g in res["groups"].items():
            if target.is_exception(fn, group):
                continue
            if g["mismatches"] or (g["max_ulp"] is not None and float(g["max_ulp"]) > bound):
                over.append((fn, group, g["max_ulp"], g["mismatches"]))
    assert over == []


def test_the_measure_catches_the_naive_algorithms():
    # a plain log(sum(exp(z - m))) loses the confident row's loss entirely
    z = np.array([[700.0, 0.0, -1.0]])

    class Naive:
        @staticmethod
        def log_softmax(z):
            m = np.max(z, axis=-1, keepdims=True)
            return (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))

    cases = [corpus.Case("log_softmax", "confident", "naive", (z,))]
    res = measure.summarize(cases, measure.exact_values(cases), measure.evaluate(Naive, cases))
    assert float(res["log_softmax"]["max_ulp"]) > 2.0**52

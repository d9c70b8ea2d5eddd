"""The large-vocabulary reference (docs/spec/large-vocabulary.md): the softcap and
z-loss options of softmax_cross_entropy, and linear_cross_entropy.

Values against the mpmath oracle (accuracy/exact.py) with an explicit budget,
gradients against central differences of the reference itself, the page's
properties (chunk invariance, equality with softmax cross entropy of the explicit
logits, a large cap is no cap), the masked z-loss, the memory bound, and every
invalid argument.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import reference as ref
from accuracy import exact
from reference import linear as lin
from tests._numeric import central_diff

U = 2.0 ** -53


def _f(values):
    return np.asarray(values, dtype=np.float64)


def _problem(seed, n=5, c=7, h=4, scale=2.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, h)) * scale
    w = rng.normal(size=(c, h))
    b = rng.normal(size=c)
    t = rng.integers(0, c, size=n)
    return x, w, b, t, rng


OPTIONS = [
    {},
    {"z_loss": 1e-2},
    {"softcap": 3.0},
    {"z_loss": 0.3, "softcap": 1.5, "label_smoothing": 0.2},
    {"z_loss": 0.1, "ignore_index": 2, "weight": "random"},
]


def _options(opts, rng, c):
    opts = dict(opts)
    if opts.get("weight") == "random":
        opts["weight"] = rng.random(c) + 0.1
    return opts


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------
# values against the oracle
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_linear_cross_entropy_matches_mpmath(opts, reduction):
    x, w, b, t, rng = _problem(1)
    t[1] = 2  # a token that ignore_index=2 ignores
    kw = _options(opts, rng, w.shape[0])
    got = np.asarray(ref.linear_cross_entropy(x, w, t, linear_bias=b, reduction=reduction, **kw))
    want = _f(exact.linear_cross_entropy(x, w, t, linear_bias=b, reduction=reduction, **kw))
    # the logits are within ~1 ulp; the loss moves by at most 2 per unit of logit,
    # plus the z-loss's 2 s |lse|; the reduction adds a few ulps of the sum
    scale = np.maximum(np.abs(want), 1.0) * 16 * (1 + np.max(np.abs(x @ w.T + b)))
    np.testing.assert_array_less(np.abs(got - want), U * scale)


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_softmax_cross_entropy_options_match_mpmath(opts):
    rng = np.random.default_rng(2)
    z = rng.normal(size=(6, 5)) * 4
    z[0, 1] = 40.0  # far into the softcap's tail
    t = np.array([0, 2, 2, 4, 1, 3])
    kw = _options(opts, rng, 5)
    got = ref.softmax_cross_entropy(z, t, reduction="none", **kw)
    want = _f(exact.softmax_cross_entropy(z, t, reduction="none", **kw))
    np.testing.assert_allclose(got, want, rtol=32 * U * 50, atol=32 * U)
    g = ref.softmax_cross_entropy_grad(z, t, reduction="mean", **kw)
    gw = _f(exact.softmax_cross_entropy_grad(z, t, reduction="mean", **kw))
    np.testing.assert_allclose(g, gw, rtol=1e-13, atol=1e-16)


def test_softcap_gradient_in_the_far_tail_is_relatively_accurate():
    """1/cosh**2, not 1 - tanh**2: the slope at z/c = 100 is 5.5e-87, not 0."""
    z = np.array([[100.0, 0.0, -300.0]])
    g = ref.softmax_cross_entropy_grad(z, np.array([1]), softcap=1.0)
    want = _f(exact.softmax_cross_entropy_grad(z, np.array([1]), softcap=1.0))
    assert g[0, 0] > 0 and g[0, 2] > 0
    np.testing.assert_allclose(g, want, rtol=1e-14)


@pytest.mark.parametrize("wrt", ["input", "linear_weight", "linear_bias"])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_linear_cross_entropy_grad_matches_mpmath(wrt, opts):
    x, w, b, t, rng = _problem(3, n=4, c=5, h=3)
    t[0] = 2
    kw = _options(opts, rng, w.shape[0])
    got = ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt=wrt, **kw)
    want = _f(exact.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt=wrt, **kw))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14 * np.max(np.abs(want)))


def test_cancelling_dot_products_are_exact_where_plain_ones_are_not():
    """Logits of condition 1e10 to 1e16: the plain product loses them, the reference does not."""
    rng = np.random.default_rng(4)
    h = 64
    x = rng.normal(size=(3, h)) * 1e6
    w = rng.normal(size=(5, h))
    # make each logit cancel: the last column undoes the rest up to a small remainder
    w[:, -1] = -(x[0, :-1] @ w[:, :-1].T) / x[0, -1] + rng.normal(size=5) * 1e-6
    t = np.array([0, 1, 2])
    rows, _ = exact.linear_logits(x, w)
    z_exact = np.array([[float(v) for v in r] for r in rows])
    z_ref = lin._logits(x, w, None)
    cond = (np.abs(x) @ np.abs(w).T) / np.abs(z_exact)
    assert cond[0].min() > 1e8  # the first token's logits cancel
    # the documented bound: half an ulp plus 2**(1 - b) H**2 u max|x_n| max|w_c|
    b = lin._grid_bits(h)
    bound = (0.5 * np.spacing(np.abs(z_exact))
             + 2.0 ** (1 - b) * h * h * U * np.max(np.abs(x), axis=1)[:, None] * np.max(np.abs(w), axis=1))
    ours = np.abs(z_ref - z_exact)
    assert np.all(ours <= bound)
    plain = np.abs(x @ w.T - z_exact)
    assert np.max(plain[0]) > 1e4 * np.max(ours[0])  # the plain product is far off
    got = ref.linear_cross_entropy(x, w, t, reduction="none")
    want = _f(exact.linear_cross_entropy(x, w, t, reduction="none"))
    np.testing.assert_allclose(got, want, rtol=1e-13)


# ---------------------------------------------------------------------------
# gradients against central differences of the reference
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("wrt", ["input", "linear_weight", "linear_bias"])
@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_gradients_are_central_differences(wrt, reduction):
    x, w, b, t, rng = _problem(5, n=3, c=4, h=3)
    kw = dict(z_loss=0.2, softcap=2.5, label_smoothing=0.1, weight=rng.random(4) + 0.5, reduction=reduction)
    cot = rng.normal(size=3) if reduction == "none" else 0.7
    args = {"input": x, "linear_weight": w, "linear_bias": b}

    def value(a):
        call = dict(args, **{wrt: a})
        out = ref.linear_cross_entropy(call["input"], call["linear_weight"], t,
                                       linear_bias=call["linear_bias"], **kw)
        return float(np.sum(np.asarray(out) * cot))

    got = ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt=wrt, cotangent=cot, **kw)
    np.testing.assert_allclose(got, central_diff(value, args[wrt]), rtol=1e-6, atol=1e-8)


def test_softmax_cross_entropy_grad_with_options_is_central_differences():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(3, 4)) * 3
    t = np.array([0, 3, 1])
    kw = dict(z_loss=0.4, softcap=2.0, reduction="sum")
    g = ref.softmax_cross_entropy_grad(z, t, **kw)
    num = central_diff(lambda a: float(ref.softmax_cross_entropy(a, t, **kw)), z)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_equals_softmax_cross_entropy_of_the_explicit_logits(opts):
    x, w, b, t, rng = _problem(7, n=9, c=11, h=6)
    t[3] = 2
    kw = _options(opts, rng, w.shape[0])
    z = x @ w.T + b  # well conditioned: the plain logits are within a few ulps
    for reduction in ("none", "mean"):
        np.testing.assert_allclose(ref.linear_cross_entropy(x, w, t, linear_bias=b, reduction=reduction, **kw),
                                   ref.softmax_cross_entropy(z, t, reduction=reduction, **kw), rtol=1e-13)
    g = ref.softmax_cross_entropy_grad(z, t, **kw)
    np.testing.assert_allclose(ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, **kw), g @ w,
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt="linear_weight", **kw),
                               g.T @ x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt="linear_bias", **kw),
                               g.sum(axis=0), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("wrt", [None, "input", "linear_weight", "linear_bias"])
def test_chunk_sizes_change_nothing(monkeypatch, wrt):
    """Blocks of 1, 3 or all tokens, vocabulary chunks of 1, 5 or all classes: the
    same numbers up to the rounding of the logits' small correction products (whose
    summation order the matrix library may change with the shapes) and of the sums
    over blocks."""
    x, w, b, t, rng = _problem(8, n=10, c=13, h=5)
    kw = dict(z_loss=0.05, softcap=4.0, label_smoothing=0.1, ignore_index=0)
    results = []
    for block, chunk in [(1 << 21, 1 << 18), (13, 5 * 5), (3 * 13, 5), (1, 1)]:
        monkeypatch.setattr(lin, "_LOGIT_BLOCK", block)
        monkeypatch.setattr(lin, "_WEIGHT_CHUNK", chunk)
        if wrt is None:
            results.append(ref.linear_cross_entropy(x, w, t, linear_bias=b, reduction="none", **kw))
        else:
            results.append(ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt=wrt, **kw))
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], rtol=1e-14, atol=1e-16)


def test_batch_axes_are_tokens():
    x, w, b, t, _ = _problem(9, n=6, c=4, h=3)
    flat = ref.linear_cross_entropy(x, w, t, linear_bias=b, reduction="none")
    shaped = ref.linear_cross_entropy(x.reshape(2, 3, 3), w, t.reshape(2, 3), linear_bias=b, reduction="none")
    np.testing.assert_array_equal(shaped, flat.reshape(2, 3))
    g = ref.linear_cross_entropy_grad(x.reshape(2, 3, 3), w, t.reshape(2, 3), linear_bias=b)
    assert g.shape == (2, 3, 3)
    one = ref.linear_cross_entropy(x[0], w, t[0], linear_bias=b, reduction="none")
    assert type(one) is np.float64 and one == flat[0]


def test_large_softcap_is_no_cap():
    rng = np.random.default_rng(10)
    z = rng.normal(size=(4, 6)) * 5
    t = rng.integers(0, 6, size=4)
    plain = ref.softmax_cross_entropy(z, t, reduction="none")
    np.testing.assert_allclose(ref.softmax_cross_entropy(z, t, softcap=1e12, reduction="none"), plain,
                               rtol=1e-15)
    np.testing.assert_allclose(ref.softmax_cross_entropy_grad(z, t, softcap=1e12),
                               ref.softmax_cross_entropy_grad(z, t), rtol=1e-14, atol=1e-17)
    # the gap shrinks like 1/c**2
    gaps = [np.max(np.abs(ref.softmax_cross_entropy(z, t, softcap=c, reduction="none") - plain))
            for c in (100.0, 1000.0)]
    assert 50 < gaps[0] / gaps[1] < 200


def test_defaults_are_bitwise_the_plain_function():
    rng = np.random.default_rng(11)
    z = rng.normal(size=(5, 7)) * 10
    z[1, 2] = np.inf
    z[3] = -np.inf
    t = rng.integers(0, 7, size=5)
    y = rng.dirichlet(np.ones(7), size=5)
    for target, kw in [(t, {}), (t, {"label_smoothing": 0.1}), (y, {}), (t, {"ignore_index": 2})]:
        a = ref.softmax_cross_entropy(z, target, reduction="none", **kw)
        b = ref.softmax_cross_entropy(z, target, reduction="none", z_loss=0.0, softcap=None, **kw)
        np.testing.assert_array_equal(a, b)
        a = ref.softmax_cross_entropy_grad(z, target, **kw)
        b = ref.softmax_cross_entropy_grad(z, target, z_loss=0, softcap=None, **kw)
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# the z-loss of tokens that do not count
# ---------------------------------------------------------------------------

def test_z_loss_of_ignored_and_masked_tokens_is_exactly_zero():
    z = np.array([[1.0, 2.0, 3.0], [np.nan, 1e300, 0.0], [np.inf, 0.0, 0.0], [5.0, -5.0, 1.0]])
    t = np.array([0, -100, 1, 2])
    weight = np.array([1.0, 0.0, 2.0])  # class 1 has weight 0: token 2 is masked
    out = ref.softmax_cross_entropy(z, t, ignore_index=-100, weight=weight, z_loss=0.5, reduction="none")
    assert out[1] == 0.0 and out[2] == 0.0
    assert np.isfinite(out[0]) and np.isfinite(out[3])
    g = ref.softmax_cross_entropy_grad(z, t, ignore_index=-100, weight=weight, z_loss=0.5, reduction="none")
    np.testing.assert_array_equal(g[1:3], 0.0)
    # the mean divides by the counted weights only: 1 (token 0) + 2 (token 3)
    mean = ref.softmax_cross_entropy(z, t, ignore_index=-100, weight=weight, z_loss=0.5)
    assert mean == pytest.approx((out[0] + out[3]) / 3.0, rel=1e-15)


def test_linear_z_loss_of_ignored_tokens_and_all_ignored():
    x, w, b, t, _ = _problem(12, n=4, c=5, h=3)
    t[:] = -1
    t[2] = 3
    out = ref.linear_cross_entropy(x, w, t, linear_bias=b, ignore_index=-1, z_loss=1.0, reduction="none")
    assert np.count_nonzero(out) == 1 and out[2] > 0
    t[2] = -1
    assert np.isnan(ref.linear_cross_entropy(x, w, t, ignore_index=-1, z_loss=1.0))
    assert ref.linear_cross_entropy(x, w, t, ignore_index=-1, z_loss=1.0, reduction="sum") == 0.0
    assert np.all(np.isnan(ref.linear_cross_entropy_grad(x, w, t, ignore_index=-1, z_loss=1.0)))
    assert np.all(ref.linear_cross_entropy_grad(x, w, t, ignore_index=-1, reduction="sum",
                                                wrt="linear_weight") == 0.0)


def test_special_values():
    # softcap: +inf -> c, -inf -> -c, NaN stays NaN
    z = np.array([[np.inf, 0.0], [-np.inf, -np.inf], [np.nan, 0.0]])
    out = ref.softmax_cross_entropy(z, np.array([1, 0, 1]), softcap=2.0, reduction="none")
    assert out[0] == pytest.approx(np.log1p(np.exp(2.0)), rel=1e-15)
    assert out[1] == pytest.approx(np.log(2.0), rel=1e-15)
    assert np.isnan(out[2])
    # z-loss without a cap: +inf logit -> +inf loss; a row of -inf stays NaN; gradient 0 off the inf
    out = ref.softmax_cross_entropy(z[:2], np.array([0, 0]), z_loss=0.1, reduction="none")
    assert out[0] == np.inf and np.isnan(out[1])
    g = ref.softmax_cross_entropy_grad(z[:1], np.array([0]), z_loss=0.1)
    assert g[0, 0] == np.inf and g[0, 1] == 0.0
    # a bias of -inf masks a class; non-finite inputs give the IEEE logits
    x = np.array([[1.0, 2.0], [np.inf, 0.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    out = ref.linear_cross_entropy(x, w, np.array([1, 1]), linear_bias=np.array([0.0, 0.0, -np.inf]),
                                   reduction="none")
    assert out[0] == pytest.approx(np.log1p(np.exp(-1.0)), rel=1e-15)
    # token 1's logits are (inf, 0 * inf + 0 = nan, -inf): NaN
    assert np.isnan(out[1])


# ---------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------

def test_memory_stays_far_below_the_logits():
    n, c, h = 256, 128256, 8
    rng = np.random.default_rng(13)
    x = rng.normal(size=(n, h))
    w = rng.normal(size=(c, h))
    t = rng.integers(0, c, size=n)
    logits_bytes = n * c * 8  # 262 MB
    for call in (lambda: ref.linear_cross_entropy(x, w, t),
                 lambda: ref.linear_cross_entropy_grad(x, w, t, wrt="input")):
        tracemalloc.start()
        try:
            call()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < logits_bytes / 2, f"peak {peak / 2**20:.0f} MiB"


# ---------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------

X = np.zeros((2, 3))
W = np.zeros((4, 3))
T = np.array([0, 1])


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"linear_weight": np.zeros((4, 2))}, ValueError, "linear_weight"),
    ({"linear_weight": np.zeros(3)}, ValueError, "linear_weight"),
    ({"linear_weight": np.zeros((0, 3))}, ValueError, "linear_weight"),
    ({"input": np.float64(1.0)}, ValueError, "input"),
    ({"linear_bias": np.zeros(3)}, ValueError, "linear_bias"),
    ({"target": np.array([0, 1, 2])}, ValueError, "target"),
    ({"target": np.array([0, 4])}, ValueError, "target"),
    ({"target": np.array([0.0, 1.0])}, TypeError, "target"),
    ({"target": np.full((2, 4), 0.25)}, TypeError, "target"),
    ({"weight": np.ones(3)}, ValueError, "weight"),
    ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
    ({"z_loss": -1.0}, ValueError, "z_loss"),
    ({"z_loss": np.nan}, ValueError, "z_loss"),
    ({"z_loss": np.inf}, ValueError, "z_loss"),
    ({"softcap": 0.0}, ValueError, "softcap"),
    ({"softcap": -2.0}, ValueError, "softcap"),
    ({"softcap": np.inf}, ValueError, "softcap"),
    ({"softcap": np.nan}, ValueError, "softcap"),
    ({"softcap": "30"}, TypeError, "softcap"),
    ({"reduction": "batchmean"}, ValueError, "reduction"),
    ({"input": "x"}, TypeError, "input"),
])
def test_invalid_arguments_name_themselves(kwargs, exc, name):
    call = dict(input=X, linear_weight=W, target=T)
    call.update(kwargs)
    for fn in (ref.linear_cross_entropy, ref.linear_cross_entropy_grad):
        with pytest.raises(exc, match=name):
            fn(**call)


@pytest.mark.parametrize("kwargs, name", [
    ({"z_loss": -0.1}, "z_loss"), ({"z_loss": np.inf}, "z_loss"), ({"softcap": 0}, "softcap"),
    ({"softcap": np.inf}, "softcap"), ({"softcap": np.nan}, "softcap"),
])
def test_softmax_cross_entropy_option_errors(kwargs, name):
    for fn in (ref.softmax_cross_entropy, ref.softmax_cross_entropy_grad):
        with pytest.raises(ValueError, match=name):
            fn(np.zeros((2, 3)), np.array([0, 1]), **kwargs)


def test_grad_wrt_and_cotangent_errors():
    with pytest.raises(ValueError, match="wrt"):
        ref.linear_cross_entropy_grad(X, W, T, wrt="bias")
    with pytest.raises(ValueError, match="cotangent"):
        ref.linear_cross_entropy_grad(X, W, T, reduction="none", cotangent=np.ones(3))
    with pytest.raises(ValueError, match="cotangent"):
        ref.linear_cross_entropy_grad(X, W, T, cotangent=np.ones(2))


def test_inputs_are_left_alone():
    x, w, b, t, _ = _problem(14)
    copies = [a.copy() for a in (x, w, b, t)]
    for wrt in ("input", "linear_weight", "linear_bias"):
        ref.linear_cross_entropy_grad(x, w, t, linear_bias=b, wrt=wrt, z_loss=0.1, softcap=2.0)
    ref.linear_cross_entropy(x, w, t, linear_bias=b, z_loss=0.1, softcap=2.0)
    for a, c in zip((x, w, b, t), copies):
        np.testing.assert_array_equal(a, c)

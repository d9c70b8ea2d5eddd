"""The built-in adapters for PyTorch, SciPy and scikit-learn.

Each adapter must import, keep the contract's signatures, translate the calling
conventions (argument order, class axis, time-major CTC, log/linear space,
reductions) so that plain inputs give the values of closed forms, keep float32
as float32 where the framework does, raise NotImplementedError for options its
framework lacks, and list known deviations that name real checks and clauses.
Every expected number here is a closed form (ln 2, ln C, 1/2, sqrt(5/2), ...).
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

import reference

ROOT = Path(__file__).resolve().parents[1]
DEVIATIONS = ROOT / "conformance" / "known_deviations"
LN2 = math.log(2.0)
NEEDS = {"torch": ("torch",), "torch_chunked": ("torch",), "scipy": ("scipy",), "sklearn": ("sklearn",)}


def _adapter(name):
    for fw in NEEDS[name]:
        pytest.importorskip(fw)
    return importlib.import_module(f"conformance.adapters.{name}")


@pytest.fixture(scope="module")
def th():
    return _adapter("torch")


@pytest.fixture(scope="module")
def sp():
    return _adapter("scipy")


@pytest.fixture(scope="module")
def sk():
    return _adapter("sklearn")


def close(got, expected, rtol=1e-15, atol=0.0):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=rtol, atol=atol)


# The contract's signatures of the families whose reference may still be being
# written (CONTRACT.md); the reference's own signature is used where it exists.
_CONTRACT = {
    "mean_absolute_error": "(pred, target, *, reduction='mean')",
    "mean_squared_error": "(pred, target, *, reduction='mean')",
    "root_mean_squared_error": "(pred, target)",
    "huber_loss": "(pred, target, *, delta=1.0, reduction='mean')",
    "smooth_l1_loss": "(pred, target, *, beta=1.0, reduction='mean')",
    "ctc_loss": "(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction='mean', "
                "zero_infinity=False)",
}


def _contract_signature(fname):
    if hasattr(reference, fname):
        return str(inspect.signature(getattr(reference, fname)))
    base = fname[:-5] if fname.endswith("_grad") else fname
    if base in _CONTRACT:
        return _CONTRACT[base]
    raise AssertionError(f"{fname} is not a contract function")


def _public_functions(module):
    return {n: f for n, f in vars(module).items()
            if callable(f) and not n.startswith("_") and inspect.isfunction(f)
            and f.__module__ == module.__name__ and n != "use_device"}  # the --device hook


# ---------------------------------------------------------------------------
# every adapter: contract names and signatures
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch", "torch_chunked", "scipy", "sklearn"])
def test_adapter_defines_only_contract_functions_with_contract_signatures(name):
    adapter = _adapter(name)
    functions = _public_functions(adapter)
    assert functions, f"{name} defines no functions"
    for fname, fn in functions.items():
        assert str(inspect.signature(fn)) == _contract_signature(fname), fname


def test_expected_functions_are_provided_or_not(th, sp, sk):
    # torch: the brief's list; not the ones PyTorch lacks.
    for fname in ("softmax", "kl_divergence", "softmax_cross_entropy", "nll_loss", "ctc_loss",
                  "binary_cross_entropy", "smooth_l1_loss", "softmax_cross_entropy_grad",
                  "kl_divergence_grad", "ctc_loss_grad", "root_mean_squared_error_grad",
                  "linear_cross_entropy", "linear_cross_entropy_grad"):
        assert callable(getattr(th, fname)), fname
    for fname in ("categorical_cross_entropy", "focal_loss", "sigmoid_focal_loss", "ctc_collapse",
                  "ctc_path_probability"):
        assert not hasattr(th, fname), fname
    # scipy and sklearn have no autograd: no gradients at all.
    assert not [n for n in _public_functions(sp) if n.endswith("_grad")]
    assert not [n for n in _public_functions(sk) if n.endswith("_grad")]
    assert set(_public_functions(sk)) == {"categorical_cross_entropy", "binary_cross_entropy",
                                          "mean_absolute_error", "mean_squared_error",
                                          "root_mean_squared_error"}


# ---------------------------------------------------------------------------
# softmax and friends (torch, scipy)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch", "scipy"])
def test_softmax_family_closed_forms(name):
    a = _adapter(name)
    close(a.softmax(np.array([0.0, 0.0])), [0.5, 0.5])
    close(a.log_softmax(np.array([0.0, 0.0])), [-LN2, -LN2])
    close(a.logsumexp(np.zeros((3, 4))), np.full(3, math.log(4.0)))
    # Columns are the distributions: softmax along axis 0 of [[0, 0], [ln 3, 0]].
    z = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    close(a.softmax(z, axis=0), [[0.25, 0.5], [0.75, 0.5]], atol=1e-16)
    close(a.sigmoid(np.array([0.0])), [0.5])
    close(a.log_sigmoid(np.array([0.0])), [-LN2])
    assert np.isscalar(a.logsumexp(np.array([0.0, 0.0]))) or np.ndim(a.logsumexp(np.array([0.0, 0.0]))) == 0


@pytest.mark.parametrize("name", ["torch", "scipy"])
def test_bad_objects_raise_instead_of_becoming_nan(name):
    a = _adapter(name)
    with pytest.raises(TypeError):
        a.softmax(None)
    with pytest.raises(TypeError):
        a.sigmoid(np.array(["a"]))


def test_torch_float32_stays_float32_and_float64_stays_float64(th):
    assert th.softmax(np.zeros(3, np.float32)).dtype == np.float32
    assert th.softmax(np.zeros(3)).dtype == np.float64
    z32 = np.zeros((2, 3), np.float32)
    out = th.softmax_cross_entropy(z32, np.array([0, 2]))
    assert out.dtype == np.float32
    close(out, math.log(3.0), rtol=1e-6)
    assert th.softmax_cross_entropy(z32.astype(np.float64), np.array([0, 2])).dtype == np.float64


def test_torch_logsumexp_grad_is_softmax(th):
    close(th.logsumexp_grad(np.zeros((2, 4))), np.full((2, 4), 0.25))


# ---------------------------------------------------------------------------
# information theory (torch, scipy)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["torch", "scipy"])
def test_information_closed_forms(name):
    a = _adapter(name)
    u4 = np.full(4, 0.25)
    close(a.entropy(u4), math.log(4.0))
    close(a.entropy(u4, base=2), 2.0)
    close(a.entropy(np.full((3, 5), 0.2), axis=1), np.full(3, math.log(5.0)))
    close(a.cross_entropy(u4, u4), math.log(4.0))
    close(a.cross_entropy(u4, u4, base=2), 2.0)
    # -log(0 + eps) with eps = 1: log 1 = 0 for the mass on the zero entry.
    close(a.cross_entropy(np.array([1.0, 0.0]), np.array([0.0, 1.0]), eps=1.0), 0.0, atol=0.0)
    close(a.kl_divergence(u4, u4), 0.0, atol=1e-16)
    # KL([1, 0] || [1/2, 1/2]) = ln 2 (p first, q second: the order of the maths).
    close(a.kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])), LN2)
    close(a.kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5]), base=2), 1.0)
    # Along axis 0: each column [1, 0] against [1/2, 1/2].
    P = np.array([[1.0, 1.0], [0.0, 0.0]])
    close(a.kl_divergence(P, np.full((2, 2), 0.5), axis=0), [LN2, LN2])
    with pytest.raises(ValueError):
        a.cross_entropy(u4, u4, base=1)
    with pytest.raises(ValueError):
        a.cross_entropy(u4, u4, eps=-0.1)


def test_scipy_entropy_normalises_as_documented(sp):
    # The documented deviation: scipy.stats.entropy divides p by its sum.
    close(sp.entropy(np.array([2.0, 2.0])), LN2)
    close(reference.entropy(np.array([2.0, 2.0])), -4.0 * LN2)


def test_torch_information_gradients(th):
    p = np.array([0.5, 0.5])
    q = np.array([0.25, 0.75])
    # d/dp (-sum p log q) = -log q; d/dq = -p/q.
    close(th.cross_entropy_grad(p, q), -np.log(q))
    close(th.cross_entropy_grad(p, q, wrt="q"), -p / q)
    # d/dp KL = log(p/q) + 1; d/dq KL = -p/q.
    close(th.kl_divergence_grad(p, q), np.log(p / q) + 1.0, rtol=1e-14)
    close(th.kl_divergence_grad(p, q, wrt="q"), -p / q)
    # d/dp (-sum p log p) = -log p - 1, in bits divided by ln 2.
    close(th.entropy_grad(p, base=2), (-np.log(p) - 1.0) / LN2, rtol=1e-15)
    with pytest.raises(ValueError):
        th.kl_divergence_grad(p, q, wrt="r")


# ---------------------------------------------------------------------------
# classification (torch)
# ---------------------------------------------------------------------------

def test_torch_sce_uniform_logits_is_log_c(th):
    c = 5
    z = np.zeros((3, c))
    y = np.array([0, 4, 2])
    close(th.softmax_cross_entropy(z, y), math.log(c))
    close(th.softmax_cross_entropy(z, y, reduction="sum"), 3 * math.log(c))
    close(th.softmax_cross_entropy(z, y, reduction="none"), np.full(3, math.log(c)))
    close(th.softmax_cross_entropy(z, np.eye(c)[y]), math.log(c))
    # Class weights with index targets: a weighted mean of equal losses.
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    close(th.softmax_cross_entropy(z, y, weight=w), math.log(c))
    close(th.softmax_cross_entropy(z, y, weight=w, reduction="none"), w[y] * math.log(c))
    # Label smoothing of uniform logits leaves every class at -log C.
    close(th.softmax_cross_entropy(z, y, label_smoothing=0.3), math.log(c))
    # An ignored sample drops out of the mean.
    close(th.softmax_cross_entropy(z, y, ignore_index=4, reduction="sum"), 2 * math.log(c))


def test_torch_sce_class_axis_is_moved(th):
    # Logits (N=2, d=3, C=2): the classes on the last axis, or on axis 0.
    z = np.zeros((2, 3, 2))
    z[..., 1] = math.log(3.0)  # softmax [1/4, 3/4]
    y = np.array([[0, 1, 1], [1, 0, 1]])
    expected = np.where(y == 1, -math.log(0.75), math.log(4.0))
    close(th.softmax_cross_entropy(z, y, reduction="none"), expected, rtol=1e-15)
    close(th.softmax_cross_entropy(np.moveaxis(z, -1, 0), y, axis=0, reduction="none"), expected, rtol=1e-15)
    # One unbatched sample (1-d logits, 0-d target).
    close(th.softmax_cross_entropy(z[0, 0], np.array(1)), -math.log(0.75), rtol=1e-15)


def test_torch_nll_and_grad(th):
    c = 4
    lp = np.full((2, c), -math.log(c))
    y = np.array([1, 3])
    close(th.nll_loss(lp, y), math.log(c))
    close(th.nll_loss(lp.T, y, axis=0, reduction="none"), [math.log(c)] * 2)
    # d/dlp of the mean: -1/N at the target entries.
    g = th.nll_loss_grad(lp, y)
    close(g, -np.eye(c)[y] / 2)
    # Softmax CE gradient: (softmax - onehot) / N.
    close(th.softmax_cross_entropy_grad(np.zeros((2, c)), y), (0.25 - np.eye(c)[y]) / 2)


# ---------------------------------------------------------------------------
# binary (torch, sklearn)
# ---------------------------------------------------------------------------

def test_torch_binary(th):
    close(th.binary_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0])), LN2)
    close(th.binary_cross_entropy(np.array([0.25]), np.array([0.0]), reduction="none"), [-math.log(0.75)])
    with pytest.raises(NotImplementedError):
        th.binary_cross_entropy(np.array([0.5]), np.array([1.0]), eps=1e-7)
    close(th.sigmoid_binary_cross_entropy(np.zeros(3), np.array([1.0, 0.0, 0.5])), LN2)
    # pos_weight multiplies the positive term only: 3 ln 2 and ln 2.
    close(th.sigmoid_binary_cross_entropy(np.zeros(2), np.array([1.0, 0.0]), pos_weight=np.array(3.0),
                                          reduction="none"), [3 * LN2, LN2])
    # d/dx at x = 0: sigmoid(0) - y = -1/2 for y = 1, +1/2 for y = 0.
    close(th.sigmoid_binary_cross_entropy_grad(np.zeros(2), np.array([1.0, 0.0]), reduction="sum"),
          [-0.5, 0.5])
    # d/dp at p = 1/2: (p - y) / (p (1 - p)) = -2 for y = 1.
    close(th.binary_cross_entropy_grad(np.array([0.5]), np.array([1.0]), reduction="sum"), [-2.0])


def test_sklearn_binary(sk):
    close(sk.binary_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0])), LN2)
    close(sk.binary_cross_entropy(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]), reduction="sum"), 2 * LN2)
    # sample_weight gives the spec's weighted mean sum(w l) / sum(w).
    p, y, w = np.array([0.5, 0.25]), np.array([1.0, 0.0]), np.array([1.0, 3.0])
    close(sk.binary_cross_entropy(p, y, weight=w), (LN2 - 3 * math.log(0.75)) / 4, rtol=1e-15)
    close(sk.binary_cross_entropy(p, y, weight=w, reduction="sum"), LN2 - 3 * math.log(0.75), rtol=1e-15)
    for kwargs in ({"reduction": "none"}, {"eps": 1e-7}):
        with pytest.raises(NotImplementedError):
            sk.binary_cross_entropy(p, y, **kwargs)
    with pytest.raises(NotImplementedError):  # soft binary targets
        sk.binary_cross_entropy(p, np.array([0.5, 0.0]))


def test_sklearn_categorical(sk):
    c = 4
    q = np.full((3, c), 0.25)
    t = np.eye(c)[[0, 3, 1]]
    close(sk.categorical_cross_entropy(q, t), math.log(c))
    close(sk.categorical_cross_entropy(q, t, reduction="sum"), 3 * math.log(c))
    close(sk.categorical_cross_entropy(q.T, t.T, axis=0), math.log(c))
    # Classes on the last axis of a (2, 2, 2) batch: -log(3/4) and -log(1/4).
    q3 = np.tile(np.array([0.25, 0.75]), (2, 2, 1))
    t3 = np.zeros((2, 2, 2))
    t3[0, :, 1] = 1.0
    t3[1, :, 0] = 1.0
    close(sk.categorical_cross_entropy(q3, t3), (-math.log(0.75) + math.log(4.0)) / 2, rtol=1e-15)
    for kwargs in ({"reduction": "none"}, {"eps": 1e-7}):
        with pytest.raises(NotImplementedError):
            sk.categorical_cross_entropy(q, t, **kwargs)
    with pytest.raises(NotImplementedError):  # soft targets
        sk.categorical_cross_entropy(q, np.full((3, c), 0.25))


# ---------------------------------------------------------------------------
# regression (torch, scipy, sklearn)
# ---------------------------------------------------------------------------

def test_torch_regression(th):
    x, y = np.array([1.0, -2.0]), np.zeros(2)
    close(th.mean_absolute_error(x, y), 1.5)
    close(th.mean_squared_error(x, y), 2.5)
    close(th.mean_squared_error(x, y, reduction="none"), [1.0, 4.0])
    close(th.root_mean_squared_error(x, y), math.sqrt(2.5))
    r = np.array([0.5, 3.0])
    close(th.huber_loss(r, np.zeros(2), reduction="none"), [0.125, 2.5])
    close(th.huber_loss(r, np.zeros(2), delta=2.0, reduction="none"), [0.125, 4.0])
    close(th.smooth_l1_loss(r, np.zeros(2), beta=2.0, reduction="none"), [0.0625, 2.0])
    # Gradients of the mean: sign(x)/n, 2x/n, x/(n rmse).
    close(th.mean_absolute_error_grad(x, y), [0.5, -0.5])
    close(th.mean_squared_error_grad(x, y), [1.0, -2.0])
    close(th.root_mean_squared_error_grad(x, y), x / (2 * math.sqrt(2.5)), rtol=1e-15)
    close(th.huber_loss_grad(r, np.zeros(2), reduction="sum"), [0.5, 1.0])


def test_scipy_huber(sp):
    r = np.array([0.5, 3.0])
    close(sp.huber_loss(r, np.zeros(2), reduction="none"), [0.125, 2.5])
    close(sp.huber_loss(np.zeros(2), -r, delta=2.0, reduction="none"), [0.125, 4.0])
    close(sp.huber_loss(r, np.zeros(2)), 1.3125)
    close(sp.huber_loss(r, np.zeros(2), reduction="sum"), 2.625)
    with pytest.raises(ValueError):
        sp.huber_loss(r, np.zeros(2), reduction="avg")


def test_sklearn_regression(sk):
    x, y = np.array([1.0, -2.0]), np.zeros(2)
    close(sk.mean_absolute_error(x, y), 1.5)
    close(sk.mean_squared_error(x, y), 2.5)
    close(sk.root_mean_squared_error(x, y), math.sqrt(2.5))
    for fn in (sk.mean_absolute_error, sk.mean_squared_error):
        for reduction in ("none", "sum"):
            with pytest.raises(NotImplementedError):
                fn(x, y, reduction=reduction)
    # 2-d input is (n_samples, n_outputs): MAE/MSE equal the overall mean ...
    X = np.array([[3.0, 0.0], [4.0, 0.0]])
    close(sk.mean_squared_error(X, np.zeros((2, 2))), 25.0 / 4)
    # ... but RMSE averages the per-output roots (the documented deviation):
    # (sqrt(25/2) + 0) / 2 instead of sqrt(25/4) = 2.5.
    close(sk.root_mean_squared_error(X, np.zeros((2, 2))), math.sqrt(12.5) / 2, rtol=1e-15)


# ---------------------------------------------------------------------------
# CTC (torch)
# ---------------------------------------------------------------------------

def test_torch_ctc_batch_major_translation(th):
    # One sequence, T = 2, C = 2 (blank 0); frame probabilities [0.2, 0.8], [0.6, 0.4].
    # Target [1]: paths 11, 1-, -1 have probability 0.32 + 0.48 + 0.08 = 0.88.
    probs = np.array([[[0.2, 0.8], [0.6, 0.4]]])
    lp = np.log(probs)
    got = th.ctc_loss(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="none")
    close(got, [-math.log(0.88)], rtol=1e-14)
    # A batch of two: the second uses only its first frame (input length 1) and
    # its padded target entry (value 1) is ignored: probability 0.8 of path "1".
    lp2 = np.concatenate([lp, lp])
    got = th.ctc_loss(lp2, np.array([[1, 1], [1, 1]]), np.array([2, 1]), np.array([1, 1]), reduction="none")
    close(got, [-math.log(0.88), -math.log(0.8)], rtol=1e-14)
    close(th.ctc_loss(lp2, np.array([[1, 1], [1, 1]]), np.array([2, 1]), np.array([1, 1]), reduction="sum"),
          -math.log(0.88) - math.log(0.8), rtol=1e-14)
    # Blank moved to class 1: the target [0] over the same frames is
    # 0.2*0.6 + 0.2*0.4 + 0.8*0.6 = 0.68.
    got = th.ctc_loss(lp, np.array([[0]]), np.array([2]), np.array([1]), blank=1, reduction="none")
    close(got, [-math.log(0.68)], rtol=1e-14)
    # An impossible alignment (target longer than the input) is +inf, or 0 with zero_infinity.
    imp = (lp[:, :1], np.array([[1, 1]]), np.array([1]), np.array([2]))
    assert np.isposinf(th.ctc_loss(*imp, reduction="none")[0])
    close(th.ctc_loss(*imp, reduction="none", zero_infinity=True), [0.0])
    g = th.ctc_loss_grad(lp, np.array([[1]]), np.array([2]), np.array([1]), reduction="sum")
    assert g.shape == lp.shape and g.dtype == np.float64


# ---------------------------------------------------------------------------
# known deviations
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def registry():
    from conformance.registry import load_all_checks

    return load_all_checks()


@pytest.mark.parametrize("name", ["torch", "torch_chunked", "scipy", "sklearn"])
def test_known_deviations_name_real_checks_and_clauses(name, registry):
    path = DEVIATIONS / f"{name}.toml"
    data = tomllib.loads(path.read_text())
    entries = data.get("deviation", [])
    assert entries, f"{path.name} lists no deviations"
    adapter = _adapter(name)
    clauses = {c.clause for c in registry.values()}
    for entry in entries:
        assert set(entry) == {"reason", "checks", "clause", "why"}, entry
        assert entry["reason"].strip() and entry["why"].strip(), entry
        assert entry["clause"] in clauses, f"{path.name}: unknown clause {entry['clause']!r}"
        matched = []
        for pattern in entry["checks"]:
            hits = [c for cid, c in registry.items() if fnmatch.fnmatchcase(cid, pattern)]
            assert hits, f"{path.name}: pattern {pattern!r} matches no check"
            matched += hits
            # A deviation can only concern a function the adapter provides.
            assert any(hasattr(adapter, c.function) for c in hits), (name, pattern)
        assert entry["clause"] in {c.clause for c in matched}, (
            f"{path.name}: clause {entry['clause']!r} is not the clause of any check in {entry['checks']}")


# ---------------------------------------------------------------------------
# large vocabulary: softcap composed, z-loss refused, linear cross entropy (both paths)
# ---------------------------------------------------------------------------

def test_torch_softcap_is_composed_and_z_loss_refused(th):
    # softcap=2 maps [+inf, 0] to [2, 0]: the loss of class 1 is log(1 + e^2)
    close(th.softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([1]), softcap=2.0),
          math.log1p(math.exp(2.0)), rtol=1e-15)
    # the slope of the cap at 0 is 1: the gradient of [0, 0] is softmax - onehot
    close(th.softmax_cross_entropy_grad(np.zeros((1, 2)), np.array([0]), softcap=2.0), [[-0.5, 0.5]])
    with pytest.raises(ValueError, match="softcap"):
        th.softmax_cross_entropy(np.zeros((1, 2)), np.array([0]), softcap=-1.0)
    with pytest.raises(NotImplementedError, match="z-loss"):
        th.softmax_cross_entropy(np.zeros((1, 2)), np.array([0]), z_loss=1e-4)


@pytest.mark.parametrize("name", ["torch", "torch_chunked"])
def test_linear_cross_entropy_closed_forms(name):
    a = _adapter(name)
    x = np.zeros((3, 2))
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    y = np.array([0, 3, -100])
    # zero input: the logits are the bias (0 here), every counted token costs ln 4
    close(a.linear_cross_entropy(x, w, y, ignore_index=-100, reduction="none"),
          [math.log(4.0), math.log(4.0), 0.0], rtol=1e-15)
    close(a.linear_cross_entropy(x, w, y, ignore_index=-100), math.log(4.0), rtol=1e-15)
    # leading axes (B, T, H) are tokens; the result has their shape
    assert np.shape(a.linear_cross_entropy(np.zeros((1, 3, 2)), w, y.reshape(1, 3), ignore_index=-100,
                                           reduction="none")) == (1, 3)
    # the bias gradient of a token at zero input is softmax - onehot = 1/4 - onehot
    close(a.linear_cross_entropy_grad(x[:1], w, y[:1], linear_bias=np.zeros(4), wrt="linear_bias",
                                      reduction="sum"), [-0.75, 0.25, 0.25, 0.25])
    # the input gradient is (softmax - onehot) @ W
    close(a.linear_cross_entropy_grad(x[:1], w, y[:1], reduction="sum"), [[3.0, 3.0]], rtol=1e-14)
    with pytest.raises(NotImplementedError, match="z-loss"):
        a.linear_cross_entropy(x, w, y, z_loss=1e-4, ignore_index=-100)
    with pytest.raises(NotImplementedError, match="softcap"):
        a.linear_cross_entropy(x, w, y, softcap=30.0, ignore_index=-100)


def test_torch_chunked_provides_linear_cross_entropy_only():
    a = _adapter("torch_chunked")
    assert set(_public_functions(a)) == {"linear_cross_entropy", "linear_cross_entropy_grad"}
    with pytest.raises(NotImplementedError, match="label_smoothing"):
        a.linear_cross_entropy(np.zeros((1, 2)), np.eye(2), np.array([0]), label_smoothing=0.1)


@pytest.mark.parametrize("name", ["liger", "cce"])
def test_gpu_adapters_load_and_provide_nothing_without_their_package_and_gpu(name):
    a = importlib.import_module(f"conformance.adapters.{name}")
    from conformance.run_check import provided_functions

    if not a.AVAILABLE:
        assert provided_functions(a) == []

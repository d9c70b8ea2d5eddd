"""The stress corpus: deterministic inputs for every contract function.

:func:`build` returns a list of :class:`Case`: one call of one contract
function (its positional and keyword arguments, all numpy arrays or plain
numbers).  Cases belong to *groups* (:data:`GROUPS` describes each); the
accuracy page reports the worst group of every function.  Every random number
comes from ``numpy.random.default_rng`` seeded with a fixed integer per group,
so two builds are identical on any machine with the same numpy.

``size="full"`` is the corpus of the accuracy page; ``size="small"`` keeps a
few rows of every group (the unit tests use it).  All logits and
probabilities have the class axis last; losses use ``reduction="none"``
(one value per sample) except in the ``reduction`` groups.

The groups cover, as the accuracy page lists them: logits at offsets 0,
``±1e4``, ``1e6`` and ``1e300``; scales 1 to 30; confident rows with one logit
40, 300 or 700 above the rest (their losses are tiny); masked classes
(``-inf``); probabilities near 0 (down to ``1e-300``) and near 1 (up to
``1 - 1e-15``); random distributions for entropy, cross entropy and KL;
nearly equal distributions (KL's ill-conditioned case); and CTC problems with
short and long inputs, checked against an exact forward-backward recursion.
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np

SIZES = ("full", "small")


@dataclasses.dataclass
class Case:
    """One call: ``function(*args, **kwargs)`` of the contract."""

    function: str
    group: str
    label: str
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.function}|{self.group}|{self.label}"


#: What each group of inputs holds (the accuracy page prints this).
GROUPS = {
    "random": "Standard normal logits times a scale of 1, 3, 10 or 30, with 2, 10, 100 and 1000 classes.",
    "offset": "Logits shifted by 1e4, -1e4, 1e6 and 1e300 (plus 3 times standard normal noise; at 1e300 "
              "the logits are 1e300 times 1 + k 2**-52 for k in 0..3, so the shifted logits are huge).",
    "confident": "One logit 40, 300 or 700 above the largest of the others (standard normal), at offsets 0 and "
                 "1e4, with 2, 10 and 1000 classes: softmax is 1 to within e**-40 ... e**-700 and the loss "
                 "of the confident class is tiny (down to 1e-304).",
    "masked": "Logits with about a third of the classes -inf (masked), including confident masked rows.",
    "special": "+inf logits (one or two per row), rows of all -inf and NaN: the spec's limits.",
    "sigmoid-range": "Logits spread over [-745, 745], powers of ten from 1e-300 to 1e300 of both signs, "
                     "±40, ±700, ±inf and NaN.",
    "dirichlet": "Random distributions (Dirichlet with concentration 0.1, 1 and 10) over 2, 10, 100 and 1000 "
                 "outcomes; pairs (p, q) drawn independently.",
    "tiny": "Distributions with entries down to 1e-300 (and exact zeros), and probabilities near 1 "
            "(1 - 1e-15 with the rest of the mass spread over tiny entries).",
    "near-equal": "Pairs q = p (1 + delta r), renormalised, delta = 1e-3 and 1e-6: KL and the gradients "
                  "cancel. Ill-conditioned: a relative change of one ulp in an input moves the KL "
                  "divergence by about 2/delta**2 of its own ulps.",
    "eps": "The first source document's eps = 1e-9 inside the logarithm.",
    "index-target": "Integer targets: a random class, the confident class, or a class far below the maximum.",
    "options": "Class weights, ignore_index, label smoothing 0.1, soft (probability) targets.",
    "reduction": "reduction='mean' and 'sum' over the batch.",
    "probabilities": "Probabilities uniform in (0, 1), near 0 (1e-k for k up to 300) and near 1 "
                     "(1 - 1e-k for k up to 15, and 1 - 2**-53), with targets 0, 1 and soft.",
    "focal": "gamma 0, 0.5, 2 and 5; alpha none, scalar and per class.",
    "regression": "Standard normal predictions and targets at scales 1e-10, 1, 1e4 and 1e150, "
                  "differences near the Huber / smooth-L1 thresholds, and beta = 0.",
    "large-vocabulary": "The z-loss (s = 1e-4 and 0.1) and softcap (c = 30 and 3) of softmax cross entropy on "
                        "random, offset and confident logits; linear_cross_entropy of hidden states "
                        "(H = 4 and 32) with 50 and 300 classes, with a bias, the options, and logits "
                        "that cancel (sum |x_h w_h| / |z| up to 1e8).",
    "ctc-short": "CTC problems with T = 1 to 12 frames, 2 to 6 classes, repeated labels and blanks.",
    "ctc-long": "CTC problems with T = 200 frames, 20 classes and 40 labels: the alignment probability "
                "is about e**-400, far below float64's range, so only a log-space recursion survives.",
}


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def _rows(size: str, rows: int) -> int:
    return max(1, rows // 8) if size == "small" else rows


def _classes(size: str, values):
    return [c for c in values if size == "full" or c <= 100]


# ---------------------------------------------------------------------------
# logits
# ---------------------------------------------------------------------------

def logit_groups(size: str = "full"):
    """``[(group, label, z)]``: 2-d float64 logits (rows x classes)."""
    out = []
    per_c = {2: 64, 10: 32, 100: 8, 1000: 2}
    for scale in (1.0, 3.0, 10.0, 30.0):
        for c in _classes(size, (2, 10, 100, 1000)):
            r = _rng(f"random-{scale}-{c}")
            out.append(("random", f"scale {scale:g}, C={c}", scale * r.standard_normal((_rows(size, per_c[c]), c))))
    for off in (1e4, -1e4, 1e6):
        for c in (10, 100):
            r = _rng(f"offset-{off}-{c}")
            out.append(("offset", f"offset {off:g}, C={c}",
                        off + 3.0 * r.standard_normal((_rows(size, {10: 16, 100: 4}[c]), c))))
    r = _rng("offset-1e300")
    k = r.integers(0, 4, size=(_rows(size, 16), 10))
    out.append(("offset", "offset 1e300, C=10", 1e300 * (1.0 + k * 2.0**-52)))
    for delta in (40.0, 300.0, 700.0):
        for off in (0.0, 1e4):
            for c in _classes(size, (2, 10, 1000)):
                r = _rng(f"confident-{delta}-{off}-{c}")
                n = _rows(size, {2: 32, 10: 16, 1000: 2}[c])
                z = r.standard_normal((n, c))
                top = r.integers(0, c, size=n)
                rows = np.arange(n)
                z[rows, top] = np.max(z, axis=1) + delta
                out.append(("confident", f"+{delta:g} at offset {off:g}, C={c}", z + off))
    r = _rng("masked")
    z = 3.0 * r.standard_normal((_rows(size, 32), 6))
    z[r.random(z.shape) < 0.35] = -np.inf
    z[:, 0] = np.where(np.all(np.isneginf(z), axis=1), 0.0, z[:, 0])
    out.append(("masked", "35% masked, C=6", z))
    z = r.standard_normal((_rows(size, 16), 6))
    z[:, 1] = -np.inf
    z[:, 2] = np.max(z, axis=1) + 300.0
    out.append(("masked", "masked and confident, C=6", z))
    inf, nan = np.inf, np.nan
    out.append(("special", "infinities and NaN, C=4", np.array([
        [inf, 0.0, 1.0, -2.0], [inf, inf, 0.0, -inf], [0.0, inf, -inf, 5.0],
        [-inf, -inf, -inf, -inf], [nan, 0.0, 1.0, 2.0], [inf, nan, 0.0, 0.0],
        [-inf, 0.0, -inf, -inf], [1e308, -1e308, 0.0, 1e308]])))
    return out


def _sigmoid_inputs(size: str):
    r = _rng("sigmoid")
    spread = r.uniform(-745.0, 745.0, _rows(size, 512))
    powers = 10.0 ** np.arange(-300, 301, 10 if size == "full" else 60)
    fixed = np.array([0.0, 40.0, -40.0, 700.0, -700.0, 36.7, -36.7, np.inf, -np.inf, np.nan])
    return np.concatenate([spread, powers, -powers, fixed])


# ---------------------------------------------------------------------------
# distributions
# ---------------------------------------------------------------------------

def _dirichlet(r, alpha, shape):
    g = r.gamma(alpha, size=shape)
    g = np.where(g == 0, np.finfo(np.float64).tiny, g)  # a concentration of 0.1 can underflow
    return g / np.sum(g, axis=-1, keepdims=True)


def distribution_groups(size: str = "full"):
    """``[(group, label, p, q)]``: pairs of 2-d distributions (rows x outcomes)."""
    out = []
    per_c = {2: 64, 10: 32, 100: 8, 1000: 2}
    for alpha in (0.1, 1.0, 10.0):
        for c in _classes(size, (2, 10, 100, 1000)):
            r = _rng(f"dirichlet-{alpha}-{c}")
            n = _rows(size, per_c[c])
            out.append(("dirichlet", f"alpha {alpha:g}, C={c}",
                        _dirichlet(r, alpha, (n, c)), _dirichlet(r, alpha, (n, c))))
    r = _rng("tiny")
    n = _rows(size, 32)
    p = np.zeros((n, 8))
    p[:, 1:] = 10.0 ** -r.integers(20, 301, size=(n, 7)).astype(np.float64)
    p[:, 0] = 1.0 - np.sum(p[:, 1:], axis=1)
    p[::4, 3] = 0.0
    q = np.roll(p, 1, axis=1)
    out.append(("tiny", "entries 1e-20 ... 1e-300, C=8", p, q))
    near1 = np.array([[1.0 - 1e-15, 5e-16, 5e-16], [1.0 - 2.0**-53, 2.0**-54, 2.0**-54],
                      [1.0 - 1e-15, 1e-15, 0.0], [1e-300, 1.0, 0.0]])
    out.append(("tiny", "near 1, C=3", near1, near1[:, ::-1].copy()))
    for delta in (1e-3, 1e-6):
        r = _rng(f"near-equal-{delta}")
        p = _dirichlet(r, 1.0, (_rows(size, 32), 10))
        q = p * (1.0 + delta * r.standard_normal(p.shape))
        q = q / np.sum(q, axis=-1, keepdims=True)
        out.append(("near-equal", f"delta {delta:g}, C=10", p, q))
    return out


# ---------------------------------------------------------------------------
# the cases, function by function
# ---------------------------------------------------------------------------

def _softmax_cases(size):
    cases = []
    for group, label, z in logit_groups(size):
        for fn in ("softmax", "log_softmax", "logsumexp", "logsumexp_grad"):
            cases.append(Case(fn, group, label, (z,)))
    x = _sigmoid_inputs(size)
    for fn in ("sigmoid", "log_sigmoid"):
        cases.append(Case(fn, "sigmoid-range", "x", (x,)))
    return cases


def _information_cases(size):
    cases = []
    for group, label, p, q in distribution_groups(size):
        if group != "near-equal":
            cases.append(Case("entropy", group, label, (p,)))
            cases.append(Case("entropy_grad", group, label, (p,)))
        for fn in ("cross_entropy", "kl_divergence"):
            cases.append(Case(fn, group, label, (p, q)))
            cases.append(Case(f"{fn}_grad", group, label, (p, q)))
            cases.append(Case(f"{fn}_grad", group, label + ", wrt q", (p, q), {"wrt": "q"}))
    p, q = distribution_groups("small")[4][2:]  # alpha 1, C=10
    cases.append(Case("cross_entropy", "eps", "alpha 1, C=10", (p, q), {"eps": 1e-9}))
    cases.append(Case("cross_entropy_grad", "eps", "alpha 1, C=10", (p, q), {"eps": 1e-9}))
    return cases


def _index_targets(r, z, kind):
    n, c = z.shape
    if kind == "random":
        return r.integers(0, c, size=n)
    finite = np.where(np.isnan(z), -np.inf, z)
    if kind == "argmax":
        return np.argmax(finite, axis=1)
    return np.argmin(np.where(np.isneginf(finite), np.inf, finite), axis=1)  # the least likely class


def _classification_cases(size):
    cases = []
    for group, label, z in logit_groups(size):
        if group == "special":
            continue
        r = _rng(f"targets-{label}")
        kinds = ("argmax", "argmin") if group == "confident" else ("random",)
        for kind in kinds:
            t = _index_targets(r, z, kind)
            for fn in ("softmax_cross_entropy", "softmax_cross_entropy_grad"):
                cases.append(Case(fn, group, f"{label}, {kind} target", (z, t), {"reduction": "none"}))
            lp = _log_softmax_f64(z)
            for fn in ("nll_loss", "nll_loss_grad"):
                cases.append(Case(fn, group, f"{label}, {kind} target", (lp, t), {"reduction": "none"}))
    # options: weights, ignore_index, label smoothing, soft targets
    r = _rng("options")
    z = 3.0 * r.standard_normal((_rows(size, 32), 10))
    t = r.integers(0, 10, size=z.shape[0])
    w = r.uniform(0.1, 3.0, size=10)
    zc = r.standard_normal((_rows(size, 16), 10))
    tc = r.integers(0, 10, size=zc.shape[0])
    zc[np.arange(zc.shape[0]), tc] = np.max(zc, axis=1) + 40.0
    soft = _dirichlet(r, 1.0, z.shape)
    option_sets = [
        ("class weights", z, t, {"weight": w}),
        ("ignore_index 3", z, t, {"ignore_index": 3}),
        ("label smoothing 0.1", z, t, {"label_smoothing": 0.1}),
        ("label smoothing 0.1, confident", zc, tc, {"label_smoothing": 0.1}),
        ("soft targets", z, soft, {}),
        ("soft targets, weights", z, soft, {"weight": w}),
    ]
    for label, zz, tt, kw in option_sets:
        for fn in ("softmax_cross_entropy", "softmax_cross_entropy_grad"):
            cases.append(Case(fn, "options", label, (zz, tt), {**kw, "reduction": "none"}))
        if not isinstance(tt, np.ndarray) or tt.dtype.kind in "iu":
            if "label_smoothing" not in kw:
                lp = _log_softmax_f64(zz)
                for fn in ("nll_loss", "nll_loss_grad"):
                    cases.append(Case(fn, "options", label, (lp, tt), {**kw, "reduction": "none"}))
    for red in ("mean", "sum"):
        for fn in ("softmax_cross_entropy", "softmax_cross_entropy_grad"):
            cases.append(Case(fn, "reduction", f"{red}, random targets", (z, t), {"reduction": red}))
            cases.append(Case(fn, "reduction", f"{red}, class weights", (z, t), {"weight": w, "reduction": red}))
            cases.append(Case(fn, "reduction", f"{red}, confident", (zc, tc), {"reduction": red}))
        for fn in ("nll_loss", "nll_loss_grad"):
            cases.append(Case(fn, "reduction", f"{red}, class weights", (_log_softmax_f64(z), t),
                              {"weight": w, "reduction": red}))
    # categorical cross entropy from probabilities
    for group, label, p, q in distribution_groups(size):
        if group == "near-equal":
            continue
        onehot = np.eye(p.shape[1])[np.argmax(p, axis=1)]
        for fn in ("categorical_cross_entropy", "categorical_cross_entropy_grad"):
            cases.append(Case(fn, group, label + ", soft target", (q, p), {"reduction": "none"}))
            cases.append(Case(fn, group, label + ", one-hot target", (q, onehot), {"reduction": "none"}))
    p, q = distribution_groups("small")[4][2:]
    for fn in ("categorical_cross_entropy", "categorical_cross_entropy_grad"):
        cases.append(Case(fn, "eps", "alpha 1, C=10", (q, p), {"eps": 1e-9, "reduction": "none"}))
        cases.append(Case(fn, "reduction", "mean", (q, p), {"reduction": "mean"}))
    return cases


def _log_softmax_f64(z):
    """Log-probabilities to feed ``nll_loss`` (any float64 numbers will do:
    nll only selects and scales them)."""
    with np.errstate(all="ignore"):
        m = np.max(z, axis=-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        return (z - m) - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def _probability_inputs(size):
    r = _rng("probabilities")
    n = _rows(size, 256)
    uniform = r.uniform(0.0, 1.0, n)
    k = np.arange(1, 301, 1 if size == "full" else 30).astype(np.float64)
    near0 = 10.0 ** -k
    near1 = np.concatenate([1.0 - 10.0 ** -np.arange(1, 16, 1.0), [1.0 - 2.0**-53, 0.5, 0.0, 1.0]])
    p = np.concatenate([uniform, near0, near1])
    return p


def _binary_cases(size):
    cases = []
    p = _probability_inputs(size)
    r = _rng("binary-targets")
    for label, y in (("target 1", np.ones_like(p)), ("target 0", np.zeros_like(p)),
                     ("soft target", r.uniform(0.0, 1.0, p.shape))):
        if label != "target 1":  # p = 0 with y = 1 is +inf: keep it to one case
            y = np.where(p == 0.0, 0.0, y) if label == "soft target" else y
        for fn in ("binary_cross_entropy", "binary_cross_entropy_grad"):
            cases.append(Case(fn, "probabilities", label, (p, y), {"reduction": "none"}))
    p = p[(p > 0.0) & (p < 1.0)]  # the infinite losses of p = 0 or 1 are covered above
    w = r.uniform(0.1, 3.0, p.shape)
    yb = (r.random(p.shape) < 0.5).astype(np.float64)
    for fn in ("binary_cross_entropy", "binary_cross_entropy_grad"):
        cases.append(Case(fn, "options", "weights", (p, yb), {"weight": w, "reduction": "none"}))
        cases.append(Case(fn, "eps", "eps 1e-9", (p, yb), {"eps": 1e-9, "reduction": "none"}))
        for red in ("mean", "sum"):
            cases.append(Case(fn, "reduction", red, (p, yb), {"reduction": red}))
    x = _sigmoid_inputs(size)
    x = x[~np.isnan(x)]
    for label, y in (("target 1", np.ones_like(x)), ("target 0", np.zeros_like(x)),
                     ("soft target", r.uniform(0.0, 1.0, x.shape))):
        for fn in ("sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_grad"):
            cases.append(Case(fn, "sigmoid-range", label, (x, y), {"reduction": "none"}))
    xf = x[np.isfinite(x)]
    yf = (r.random(xf.shape) < 0.5).astype(np.float64)
    xm = 5.0 * r.standard_normal((_rows(size, 64), 4))
    ym = (r.random(xm.shape) < 0.5).astype(np.float64)
    for fn in ("sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_grad"):
        cases.append(Case(fn, "options", "weights", (xf, yf),
                          {"weight": r.uniform(0.1, 3.0, xf.shape), "reduction": "none"}))
        cases.append(Case(fn, "options", "pos_weight per class", (xm, ym),
                          {"pos_weight": np.array([0.5, 1.0, 2.0, 10.0]), "reduction": "none"}))
        for red in ("mean", "sum"):
            cases.append(Case(fn, "reduction", red, (xm, ym), {"reduction": red}))
    return cases


def _focal_cases(size):
    cases = []
    groups = [g for g in logit_groups(size) if g[0] in ("random", "confident", "masked")
              and (g[2].shape[1] <= 10)]
    for group, label, z in groups:
        r = _rng(f"focal-{label}")
        t = _index_targets(r, z, "argmax" if group == "confident" else "random")
        for fn in ("focal_loss", "focal_loss_grad"):
            cases.append(Case(fn, group, f"{label}, gamma 2", (z, t), {"reduction": "none"}))
    r = _rng("focal-options")
    z = 3.0 * r.standard_normal((_rows(size, 32), 5))
    t = r.integers(0, 5, size=z.shape[0])
    soft = _dirichlet(r, 1.0, z.shape)
    for gamma in (0.0, 0.5, 2.0, 5.0):
        for alabel, alpha in (("no alpha", None), ("alpha 0.25", 0.25),
                              ("alpha per class", np.array([0.1, 0.2, 0.3, 0.2, 0.2]))):
            for fn in ("focal_loss", "focal_loss_grad"):
                cases.append(Case(fn, "focal", f"gamma {gamma:g}, {alabel}", (z, t),
                                  {"gamma": gamma, "alpha": alpha, "reduction": "none"}))
    for fn in ("focal_loss", "focal_loss_grad"):
        cases.append(Case(fn, "options", "soft targets", (z, soft), {"reduction": "none"}))
        cases.append(Case(fn, "reduction", "mean", (z, t), {"reduction": "mean"}))
    x = _sigmoid_inputs(size)
    x = x[np.isfinite(x)]
    y = (r.random(x.shape) < 0.5).astype(np.float64)
    for gamma in (0.0, 0.5, 2.0, 5.0):
        for alpha in (None, 0.25):
            for fn in ("sigmoid_focal_loss", "sigmoid_focal_loss_grad"):
                cases.append(Case(fn, "focal" if gamma or alpha else "sigmoid-range",
                                  f"gamma {gamma:g}, alpha {alpha}", (x, y),
                                  {"gamma": gamma, "alpha": alpha, "reduction": "none"}))
    for fn in ("sigmoid_focal_loss", "sigmoid_focal_loss_grad"):
        cases.append(Case(fn, "reduction", "mean", (x, y), {"reduction": "mean"}))
    return cases


def _regression_cases(size):
    cases = []
    r = _rng("regression")
    n = _rows(size, 256)
    pairs = []
    for scale in (1e-10, 1.0, 1e4, 1e150):
        pairs.append((f"scale {scale:g}", scale * r.standard_normal(n), scale * r.standard_normal(n)))
    base = r.standard_normal(n)
    near = base + r.choice([-1.0, 1.0], n) * (1.0 + r.uniform(-1e-6, 1e-6, n))
    pairs.append(("differences near 1", near, base))
    for label, x, y in pairs:
        for fn in ("mean_absolute_error", "mean_squared_error", "huber_loss", "smooth_l1_loss"):
            for suffix in ("", "_grad"):
                cases.append(Case(fn + suffix, "regression", label, (x, y), {"reduction": "none"}))
                cases.append(Case(fn + suffix, "reduction", label + ", mean", (x, y), {"reduction": "mean"}))
        for fn in ("root_mean_squared_error", "root_mean_squared_error_grad"):
            cases.append(Case(fn, "regression", label, (x, y)))
    x, y = pairs[1][1:]
    for fn in ("huber_loss", "huber_loss_grad"):
        cases.append(Case(fn, "options", "delta 0.1", (x, y), {"delta": 0.1, "reduction": "none"}))
    for fn in ("smooth_l1_loss", "smooth_l1_loss_grad"):
        cases.append(Case(fn, "options", "beta 0.1", (x, y), {"beta": 0.1, "reduction": "none"}))
        cases.append(Case(fn, "options", "beta 0", (x, y), {"beta": 0.0, "reduction": "none"}))
    return cases


def ctc_problems(size: str = "full"):
    """``[(group, label, args)]``: CTC problems as ``(log_probs, targets,
    input_lengths, target_lengths)`` with batch-major log-probabilities."""
    out = []
    r = _rng("ctc-short")
    n, t_max, c, s_max = max(4, _rows(size, 16)), 12, 6, 5
    logits = 2.0 * r.standard_normal((n, t_max, c))
    lp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    t_len = r.integers(s_max * 2 + 1, t_max + 1, size=n)
    t_len[:2] = [1, 2]
    s_len = np.minimum(r.integers(0, s_max + 1, size=n), (t_len + 1) // 2)
    targets = r.integers(1, c, size=(n, s_max))
    targets[2, :3] = [2, 2, 2]  # repeats need blanks between them
    s_len[2] = min(3, s_len[2]) if t_len[2] >= 5 else s_len[2]
    out.append(("ctc-short", "T <= 12, C=6", (lp, targets, t_len, s_len)))
    # Likely alignments: a few frames and one or two labels give losses down to
    # 0.007, far below the O(1) terms of the recursion (their rounding once
    # reached 25 ulps of such a loss).
    r = _rng("ctc-likely")
    for c in (2, 3, 4, 5):
        n = max(4, _rows(size, 12))
        logits = 2.0 * r.standard_normal((n, 8, c))
        lp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
        t_len = r.integers(3, 9, size=n)
        s_len = r.integers(1, 3, size=n)
        targets = r.integers(1, c, size=(n, 2))
        out.append(("ctc-short", f"T 3-8, C={c}, 1-2 labels", (lp, targets, t_len, s_len)))
    r = _rng("ctc-long")
    n, t_max, c, s = _rows(size, 2), 200 if size == "full" else 60, 20, 40 if size == "full" else 12
    logits = 3.0 * r.standard_normal((n, t_max, c))
    lp = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    targets = r.integers(1, c, size=(n, s))
    out.append(("ctc-long", f"T={t_max}, C={c}, S={s}",
                (lp, targets, np.full(n, t_max), np.full(n, s))))
    return out


def _ctc_cases(size):
    cases = []
    for group, label, args in ctc_problems(size):
        for fn in ("ctc_loss", "ctc_loss_grad"):
            cases.append(Case(fn, group, label, args, {"reduction": "none"}))
            cases.append(Case(fn, "reduction", f"{label}, mean", args, {"reduction": "mean"}))
    r = _rng("ctc-path")
    probs = r.uniform(0.0, 1.0, (50, 6))
    probs /= np.sum(probs, axis=1, keepdims=True)
    path = r.integers(0, 6, size=50)
    cases.append(Case("ctc_path_probability", "ctc-short", "T=50, C=6", (probs, path)))
    cases.append(Case("ctc_path_probability", "ctc-short", "T=3, C=6", (probs[:3], path[:3])))
    return cases


def _large_vocabulary_cases(size):
    """z-loss and softcap of softmax cross entropy; linear cross entropy and its gradients."""
    cases = []
    r = _rng("large-vocabulary")
    n = _rows(size, 32)
    z = 3.0 * r.standard_normal((n, 50))
    t = r.integers(0, 50, size=n)
    zc = z.copy()
    zc[np.arange(n), t] = np.max(z, axis=1) + 40.0
    sce_options = [
        ("z-loss 1e-4", z, {"z_loss": 1e-4}),
        ("z-loss 0.1, offset 1e4", z + 1e4, {"z_loss": 0.1}),
        ("softcap 30, confident", zc, {"softcap": 30.0}),
        ("softcap 3, z-loss 1e-4, smoothing 0.1", z, {"softcap": 3.0, "z_loss": 1e-4, "label_smoothing": 0.1}),
    ]
    for label, zz, kw in sce_options:
        for fn in ("softmax_cross_entropy", "softmax_cross_entropy_grad"):
            cases.append(Case(fn, "large-vocabulary", label, (zz, t), {**kw, "reduction": "none"}))
    for c, h in ((50, 4), (300, 32)) if size == "full" else ((50, 4),):
        x = r.standard_normal((n, h))
        w = r.standard_normal((c, h)) / np.sqrt(h)
        b = r.standard_normal(c)
        tt = r.integers(0, c, size=n)
        # a token whose logits cancel: its last hidden unit undoes the others up to 1e-8 of them
        xs = x.copy()
        xs[0, :-1] *= 1e4
        ws = w.copy()
        ws[:, -1] = -(xs[0, :-1] @ ws[:, :-1].T) / xs[0, -1] + 1e-4 * r.standard_normal(c)
        problems = [
            (f"C={c}, H={h}", x, w, {}),
            (f"C={c}, H={h}, bias", x, w, {"linear_bias": b}),
            (f"C={c}, H={h}, z-loss, softcap, smoothing, weights",
             x, w, {"linear_bias": b, "z_loss": 1e-3, "softcap": 5.0, "label_smoothing": 0.1,
                    "weight": r.uniform(0.1, 3.0, size=c)}),
            (f"C={c}, H={h}, cancelling logits", xs, ws, {}),
        ]
        for label, xx, ww, kw in problems:
            cases.append(Case("linear_cross_entropy", "large-vocabulary", label, (xx, ww, tt),
                              {**kw, "reduction": "none"}))
            for wrt in ("input", "linear_weight", "linear_bias"):
                cases.append(Case("linear_cross_entropy_grad", "large-vocabulary", f"{label}, wrt {wrt}",
                                  (xx, ww, tt), {**kw, "wrt": wrt, "reduction": "sum"}))
    return cases


def build(size: str = "full") -> list[Case]:
    """Every case of the corpus, in a fixed order."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    cases = []
    for part in (_softmax_cases, _information_cases, _classification_cases, _binary_cases,
                 _focal_cases, _regression_cases, _ctc_cases, _large_vocabulary_cases):
        cases += part(size)
    return cases

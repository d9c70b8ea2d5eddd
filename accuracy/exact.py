"""Exact values of every contract function, with mpmath at :data:`DPS` digits.

Each function here takes the arguments of the contract function of the same
name (numpy arrays, the class axis last: ``axis`` is not supported) and
returns an object array of ``mpmath.mpf`` with the shape of the contract's
result (0-d for a reduced result).  The inputs are float64 numbers, which
mpmath holds exactly; every operation then runs at :data:`DPS` significant
digits, far more than the 17 a float64 result needs.

Working precision alone does not make a result exact where the formula
itself cancels catastrophically (``1 - softmax`` of a confident row is
``1 - (1 - 1e-304)``), so these implementations follow the same
cancellation-free forms as the spec: ``logsumexp = m + log1p(rest)`` with the
maximal term split off, ``1 - p`` of the maximal class as ``rest / (1 + rest)``,
shifted logits ``z - m`` formed exactly, ``1 - p`` for probability inputs
formed exactly.  Infinite and NaN inputs take the limits the spec pages name.

:data:`FAR` bounds the exponent handed to ``exp``: ``exp(d)`` for
``d < FAR`` is below ``2**-1400000``, so it is replaced by the positive number
:data:`TINY` (which only ever lands in the underflow category of
:mod:`accuracy.ulp` or vanishes from a sum at this precision).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np

#: Significant decimal digits of the working precision (the brief asks >= 50).
DPS = 60
FAR = -1_000_000
TINY = mp.mpf(2) ** -2_000_000

_ZERO = mp.mpf(0)
_ONE = mp.mpf(1)
_INF = mp.mpf("inf")
_NAN = mp.mpf("nan")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _f(v) -> mp.mpf:
    """A float64 number as an exact mpf (NaN and infinities included)."""
    return mp.mpf(float(v))


def _isnan(x) -> bool:
    return mp.isnan(x)


def _exp(d):
    """``exp(d)`` with :data:`TINY` for exponents below :data:`FAR`."""
    if d == -_INF:
        return _ZERO
    if d < FAR:
        return TINY
    return mp.exp(d)


def _sub(a, b):
    """``a - b`` exactly (both mpf)."""
    if mp.isinf(a) or mp.isinf(b) or _isnan(a) or _isnan(b):
        return a - b
    return mp.fsub(a, b, exact=True)


def _obj(values, shape=None):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out if shape is None else out.reshape(shape)


def _rows(a):
    """A float64 array as a list of rows (the last axis) of exact mpf, and the
    shape of the batch axes."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        raise ValueError("expected at least one axis")
    flat = a.reshape(-1, a.shape[-1])
    return [[_f(v) for v in row] for row in flat], a.shape[:-1]


def _times(coef, value):
    """``coef * value`` with ``0 * (±inf) = 0`` (NaN stays NaN)."""
    if coef == 0 and not _isnan(value):
        return _ZERO
    return coef * value


def _reduce(values, weights, reduction):
    """The spec's reductions of per-sample values that already carry ``w_n``."""
    if reduction == "none":
        return values
    flat = list(values.reshape(-1))
    if any(_isnan(v) for v in flat):
        return _obj([_NAN], ())
    total = mp.fsum(flat) if flat else _ZERO
    if reduction == "sum":
        return _obj([total], ())
    denom = mp.fsum(list(np.asarray(weights, dtype=object).reshape(-1))) if weights is not None else mp.mpf(len(flat))
    return _obj([total / denom if denom != 0 else _NAN], ())


def _scale(weights, n, reduction):
    """The factor of a per-sample gradient under ``reduction``."""
    if reduction != "mean":
        return _ONE
    denom = mp.fsum(weights) if weights is not None else mp.mpf(n)
    return _ONE / denom if denom != 0 else _NAN


def to_double_double(values):
    """Round exact values to float64 pairs ``(hi, lo)`` with ``hi + lo`` the value.

    ``hi`` is the float64 nearest to the value (``±inf`` beyond the float64
    range, where the value rounds to infinity); ``lo`` is ``value - hi``
    rounded, 0 for infinities, NaN and values below the smallest normal number.

    Examples
    --------
    >>> import mpmath as mp
    >>> from accuracy.exact import to_double_double
    >>> with mp.workdps(60):
    ...     third = mp.mpf(1) / 3
    >>> hi, lo = to_double_double([third])
    >>> float(hi[0]) == 1 / 3, 0 < float(lo[0]) < 2.0**-54
    (True, True)
    """
    arr = np.asarray(values, dtype=object)
    hi = np.empty(arr.shape, dtype=np.float64)
    lo = np.zeros(arr.shape, dtype=np.float64)
    big = mp.mpf(np.finfo(np.float64).max) * (1 + mp.mpf(2) ** -53)
    with mp.workdps(DPS):
        for idx, v in np.ndenumerate(arr):
            v = mp.mpf(v)
            if _isnan(v):
                hi[idx] = math.nan
            elif abs(v) >= big:
                hi[idx] = math.copysign(math.inf, float(mp.sign(v)))
            elif v == 0 or abs(v) < mp.mpf(2) ** -1022:
                hi[idx] = float(v) if abs(v) > mp.mpf(2) ** -1080 else math.copysign(0.0, float(mp.sign(v)) or 1.0)
            else:
                h = float(v)
                hi[idx] = h
                lo[idx] = float(v - mp.mpf(h))
    return hi, lo


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def _softmax_row(z):
    """Everything about one row of logits: ``(softmax, log_softmax, logsumexp,
    one_minus_softmax)`` as lists of mpf (the third a single mpf)."""
    c = len(z)
    if any(_isnan(v) for v in z):
        return [_NAN] * c, [_NAN] * c, _NAN, [_NAN] * c
    pos = [i for i, v in enumerate(z) if v == _INF]
    if pos:
        k = mp.mpf(len(pos))
        sm = [1 / k if v == _INF else _ZERO for v in z]
        return (sm, [-mp.log(k) if v == _INF else -_INF for v in z], _INF, [1 - s for s in sm])
    live = [i for i, v in enumerate(z) if v != -_INF]
    if not live:
        return [_NAN] * c, [_NAN] * c, -_INF, [_NAN] * c
    star = max(live, key=lambda i: (z[i], -i))  # the first maximal index
    m = z[star]
    d = [_sub(v, m) if v != -_INF else -_INF for v in z]
    e = [_exp(v) for v in d]
    rest = mp.fsum(e[i] for i in live if i != star)
    log_s = mp.log1p(rest)
    denom = 1 + rest
    sm = [v / denom for v in e]
    om = [1 - s for s in sm]
    om[star] = rest / denom
    return sm, [v - log_s for v in d], m + log_s, om


def _map_rows(z, pick):
    rows, batch = _rows(z)
    with mp.workdps(DPS):
        out = [pick(_softmax_row(r)) for r in rows]
    return out, batch, np.asarray(z).shape


def softmax(z):
    out, _, shape = _map_rows(z, lambda r: r[0])
    return _obj([v for row in out for v in row], shape)


def log_softmax(z):
    out, _, shape = _map_rows(z, lambda r: r[1])
    return _obj([v for row in out for v in row], shape)


def logsumexp(z):
    out, batch, _ = _map_rows(z, lambda r: r[2])
    return _obj(out, batch)


def logsumexp_grad(z):
    return softmax(z)


def _sigmoid(x):
    if _isnan(x):
        return _NAN
    if x >= 0:
        return 1 / (1 + _exp(-x))
    ex = _exp(x)
    return ex / (1 + ex)


def _softplus(x):
    """``log(1 + e^x)``."""
    if _isnan(x):
        return _NAN
    if x == _INF:
        return _INF
    if x <= 0:
        return mp.log1p(_exp(x))
    return x + mp.log1p(_exp(-x))


def _elementwise(fn, *arrays):
    arrs = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in arrays])
    with mp.workdps(DPS):
        vals = [fn(*[_f(a[idx]) for a in arrs]) for idx in np.ndindex(arrs[0].shape)]
    return _obj(vals, arrs[0].shape)


def sigmoid(x):
    return _elementwise(_sigmoid, x)


def log_sigmoid(x):
    return _elementwise(lambda v: -_softplus(-v), x)


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def _log_div(base):
    return _ONE if base is None else mp.log(_f(base))


def _per_row(fn, *arrays):
    rows = [_rows(a)[0] for a in arrays]
    batch = np.asarray(arrays[0]).shape[:-1]
    with mp.workdps(DPS):
        vals = [fn(*r) for r in zip(*rows)]
    return _obj(vals, batch)


def _xlog(a, b):
    """``a log b`` with ``0 log(anything) = 0`` (NaN stays NaN)."""
    if _isnan(a) or _isnan(b):
        return _NAN
    if a == 0:
        return _ZERO
    if b == 0:
        return -_INF * mp.sign(a)
    return a * mp.log(b)


def entropy(p, base=None):
    def row(ps):
        return -mp.fsum(_xlog(v, v) for v in ps) / _log_div(base)
    return _per_row(row, p)


def entropy_grad(p, base=None):
    def one(v):
        if v == 0:
            return _INF
        return -(mp.log(v) + 1) / _log_div(base)
    return _elementwise(one, p)


def cross_entropy(p, q, eps=0.0, base=None):
    e = _f(eps)

    def row(ps, qs):
        return -mp.fsum(_xlog(a, b + e) for a, b in zip(ps, qs)) / _log_div(base)
    return _per_row(row, p, q)


def cross_entropy_grad(p, q, eps=0.0, base=None, wrt="p"):
    e = _f(eps)
    if wrt == "p":
        return _elementwise(lambda a, b: (_INF if b + e == 0 else -mp.log(b + e)) / _log_div(base), p, q)

    def one(a, b):
        if _isnan(a) or _isnan(b):
            return _NAN
        if a == 0:
            return _ZERO
        return (-_INF if b + e == 0 else -a / (b + e)) / _log_div(base)
    return _elementwise(one, p, q)


def _kl_term(a, b):
    if _isnan(a) or _isnan(b):
        return _NAN
    if a == 0:
        return _ZERO
    if b == 0:
        return _INF
    return a * mp.log(a / b)


def kl_divergence(p, q, base=None):
    def row(ps, qs):
        return mp.fsum(_kl_term(a, b) for a, b in zip(ps, qs)) / _log_div(base)
    return _per_row(row, p, q)


def kl_divergence_grad(p, q, base=None, wrt="p"):
    def one_p(a, b):
        if _isnan(a) or _isnan(b) or (a == 0 and b == 0):
            return _NAN
        if a == 0:
            return -_INF
        if b == 0:
            return _INF
        return (mp.log(a / b) + 1) / _log_div(base)

    def one_q(a, b):
        if _isnan(a) or _isnan(b):
            return _NAN
        if a == 0:
            return _ZERO
        return (-_INF if b == 0 else -a / b) / _log_div(base)
    return _elementwise(one_p if wrt == "p" else one_q, p, q)


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------

def _class_weights(weight, c):
    return [_ONE] * c if weight is None else [_f(v) for v in np.asarray(weight, dtype=np.float64)]


def _targets(target, shape, ignore_index):
    """``(y, keep)``: per sample the (unsmoothed) target distribution as mpf and
    whether the sample counts."""
    c = shape[-1]
    t = np.asarray(target)
    n = int(np.prod(shape[:-1], dtype=np.int64))
    if t.dtype.kind in "iu":
        idx = t.reshape(n)
        ys, keep = [], []
        for k in idx:
            k = int(k)
            if ignore_index is not None and k == ignore_index:
                ys.append([_ZERO] * c)
                keep.append(False)
            else:
                ys.append([_ONE if j == k else _ZERO for j in range(c)])
                keep.append(True)
        return ys, keep
    rows, _ = _rows(t.reshape(n, c))
    return rows, [True] * n


def _softcap_value(v, cap):
    """``cap * tanh(v / cap)`` with ``±inf -> ±cap`` (NaN stays NaN)."""
    if _isnan(v):
        return _NAN
    if mp.isinf(v):
        return cap if v > 0 else -cap
    return cap * mp.tanh(v / cap)


def _softcap_slope(v, cap):
    """``d/dv cap tanh(v / cap) = 1 / cosh(v / cap)**2`` (0 at ``±inf``)."""
    if _isnan(v):
        return _NAN
    if mp.isinf(v):
        return _ZERO
    return 1 / mp.cosh(v / cap) ** 2


def _sce_parts(logits, target, weight, ignore_index, label_smoothing, softcap=None):
    z = np.asarray(logits, dtype=np.float64)
    rows, _ = _rows(z)
    return _sce_parts_rows(rows, z.shape, target, weight, ignore_index, label_smoothing, softcap)


def _sce_parts_rows(rows, shape, target, weight, ignore_index, label_smoothing, softcap=None):
    """The parts of softmax cross entropy for rows of mpf logits (``shape`` the
    logits' shape): per sample ``(softmax row, coef, w_n, keep, raw logits)``."""
    c = shape[-1]
    batch = tuple(shape[:-1])
    ys, keep = _targets(target, shape, ignore_index)
    w = _class_weights(weight, c)
    eps = _f(label_smoothing)
    cap = None if softcap is None else _f(softcap)
    parts = []
    for zr, y, k in zip(rows, ys, keep):
        if k:
            t = [(1 - eps) * v + eps / c for v in y] if eps != 0 else y
        else:
            t = [_ZERO] * c
        coef = [a * b for a, b in zip(t, w)]
        w_n = mp.fsum(a * b for a, b in zip(y, w)) if weight is not None else (_ONE if k else _ZERO)
        capped = zr if cap is None else [_softcap_value(v, cap) for v in zr]
        parts.append((_softmax_row(capped), coef, w_n, k, zr))
    return parts, batch, tuple(shape)


def _sce_values(parts, z_loss):
    s = _f(z_loss)
    values = []
    for row, coef, w_n, k, _ in parts:
        if not k:
            values.append(_ZERO)
            continue
        v = -mp.fsum(_times(a, b) for a, b in zip(coef, row[1]))
        if s != 0:
            v = v + _times(s * w_n, row[2] ** 2)
        values.append(v)
    return values


def softmax_cross_entropy(logits, target, *, weight=None, ignore_index=None, label_smoothing=0.0,
                          z_loss=0.0, softcap=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, _ = _sce_parts(logits, target, weight, ignore_index, label_smoothing, softcap)
        return _reduce(_obj(_sce_values(parts, z_loss), batch), [p[2] for p in parts], reduction)


def _sce_grad_row(row, coef):
    """``total * p_c - coef_c`` without cancellation: ``-total (1 - p_c) +
    (total - coef_c)`` where ``p_c`` is near 1."""
    sm, _, _, om = row
    total = mp.fsum(coef)
    out = []
    for c, (p, q, a) in enumerate(zip(sm, om, coef)):
        others = mp.fsum(coef[:c] + coef[c + 1:])
        if _isnan(p):
            out.append(_NAN)
        elif p > 0.5:
            out.append(-total * q + others)
        else:
            out.append(total * p - a)
    return out


def _sce_grad_rows(parts, n_classes, z_loss, softcap, reduction):
    """Per sample the gradient with respect to the (raw) logits, as lists of mpf."""
    s = _f(z_loss)
    cap = None if softcap is None else _f(softcap)
    scale = _scale([p[2] for p in parts], len(parts), reduction)
    out = []
    for row, coef, w_n, k, raw in parts:
        if not k:
            out.append([_ZERO] * n_classes)
            continue
        g = _sce_grad_row(row, coef)
        if s != 0:
            lse2 = _times(2 * s * w_n, row[2])
            g = [a + _times(p, lse2) for a, p in zip(g, row[0])]
        g = [a * scale for a in g]
        if cap is not None:
            g = [a * _softcap_slope(v, cap) for a, v in zip(g, raw)]
        out.append(g)
    return out


def softmax_cross_entropy_grad(logits, target, *, weight=None, ignore_index=None, label_smoothing=0.0,
                               z_loss=0.0, softcap=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, shape = _sce_parts(logits, target, weight, ignore_index, label_smoothing, softcap)
        rows = _sce_grad_rows(parts, shape[-1], z_loss, softcap, reduction)
        return _obj([v for g in rows for v in g], shape)


def linear_logits(input, linear_weight, linear_bias=None):
    """The exact logits ``input @ linear_weight.T + linear_bias`` as rows of mpf
    (products of float64 numbers are exact at this precision, and so, in
    practice, are their sums), and the logits' shape."""
    x = np.asarray(input, dtype=np.float64)
    w = np.asarray(linear_weight, dtype=np.float64)
    xr = x.reshape(-1, x.shape[-1])
    b = [_ZERO] * w.shape[0] if linear_bias is None else [_f(v) for v in np.asarray(linear_bias, dtype=np.float64)]
    wr = [[_f(v) for v in row] for row in w]
    rows = []
    with mp.workdps(DPS):
        for xn in xr:
            xs = [_f(v) for v in xn]
            rows.append([mp.fsum([a * bb for a, bb in zip(xs, wc)] + [bc]) for wc, bc in zip(wr, b)])
    return rows, x.shape[:-1] + (w.shape[0],)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=None,
                         label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    rows, shape = linear_logits(input, linear_weight, linear_bias)
    with mp.workdps(DPS):
        parts, batch, _ = _sce_parts_rows(rows, shape, target, weight, ignore_index, label_smoothing, softcap)
        return _reduce(_obj(_sce_values(parts, z_loss), batch), [p[2] for p in parts], reduction)


def linear_cross_entropy_grad(input, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=None,
                              label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean", wrt="input"):
    x = np.asarray(input, dtype=np.float64)
    w = np.asarray(linear_weight, dtype=np.float64)
    rows, shape = linear_logits(x, w, linear_bias)
    xr = [[_f(v) for v in row] for row in x.reshape(-1, x.shape[-1])]
    wr = [[_f(v) for v in row] for row in w]
    c, h = w.shape
    with mp.workdps(DPS):
        parts, _, _ = _sce_parts_rows(rows, shape, target, weight, ignore_index, label_smoothing, softcap)
        g = _sce_grad_rows(parts, c, z_loss, softcap, reduction)
        if wrt == "input":
            vals = [mp.fsum(g[n][k] * wr[k][j] for k in range(c)) for n in range(len(g)) for j in range(h)]
            return _obj(vals, x.shape)
        if wrt == "linear_weight":
            vals = [mp.fsum(g[n][k] * xr[n][j] for n in range(len(g))) for k in range(c) for j in range(h)]
            return _obj(vals, (c, h))
        if wrt == "linear_bias":
            return _obj([mp.fsum(g[n][k] for n in range(len(g))) for k in range(c)], (c,))
        raise ValueError(f"wrt must be 'input', 'linear_weight' or 'linear_bias', got {wrt!r}")


def _nll_parts(log_probs, target, weight, ignore_index):
    lp = np.asarray(log_probs, dtype=np.float64)
    c = lp.shape[-1]
    rows, batch = _rows(lp)
    idx = np.asarray(target).reshape(-1)
    w = _class_weights(weight, c)
    parts = []
    for r, k in zip(rows, idx):
        k = int(k)
        keep = not (ignore_index is not None and k == ignore_index)
        parts.append((r, k, w[k] if keep else _ZERO, keep))
    return parts, batch, lp.shape


def nll_loss(log_probs, target, *, weight=None, ignore_index=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, _ = _nll_parts(log_probs, target, weight, ignore_index)
        values = [(_times(-w_n, r[k]) if keep else _ZERO) for r, k, w_n, keep in parts]
        return _reduce(_obj(values, batch), [p[2] for p in parts], reduction)


def nll_loss_grad(log_probs, target, *, weight=None, ignore_index=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, shape = _nll_parts(log_probs, target, weight, ignore_index)
        scale = _scale([p[2] for p in parts], len(parts), reduction)
        vals = []
        for r, k, w_n, keep in parts:
            vals.extend((-w_n * scale if (keep and j == k) else _ZERO) for j in range(shape[-1]))
        return _obj(vals, shape)


def categorical_cross_entropy(probs, target, *, eps=0.0, reduction="mean"):
    e = _f(eps)
    values = _per_row(lambda qs, ts: -mp.fsum(_xlog(t, q + e) for q, t in zip(qs, ts)), probs, target)
    with mp.workdps(DPS):
        return _reduce(values, None, reduction)


def categorical_cross_entropy_grad(probs, target, *, eps=0.0, reduction="mean"):
    e = _f(eps)
    q = np.asarray(probs, dtype=np.float64)
    with mp.workdps(DPS):
        scale = _scale(None, int(np.prod(q.shape[:-1], dtype=np.int64)), reduction)

    def one(a, t):
        if _isnan(a) or _isnan(t):
            return _NAN
        if t == 0:
            return _ZERO
        return (-_INF if a + e == 0 else -t / (a + e)) * scale
    return _elementwise(one, probs, target)


# ---------------------------------------------------------------------------
# binary
# ---------------------------------------------------------------------------

def _weights_like(weight, shape):
    if weight is None:
        return None
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), shape)
    return _obj([_f(v) for v in w.reshape(-1)], shape)


def _elementwise_loss(fn, pred, target, weight, reduction, extra=None):
    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    with mp.workdps(DPS):
        w = _weights_like(weight, x.shape)
        ex = _weights_like(extra, x.shape)
        vals = []
        for i, idx in enumerate(np.ndindex(x.shape)):
            v = fn(_f(x[idx]), _f(y[idx]), None if ex is None else ex[idx])
            vals.append(v if w is None else _times(w[idx], v))
        return _reduce(_obj(vals, x.shape), w, reduction)


def _elementwise_grad(fn, pred, target, weight, reduction, extra=None):
    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    with mp.workdps(DPS):
        w = _weights_like(weight, x.shape)
        ex = _weights_like(extra, x.shape)
        scale = _scale(None if w is None else list(w.reshape(-1)), x.size, reduction)
        vals = []
        for idx in np.ndindex(x.shape):
            g = fn(_f(x[idx]), _f(y[idx]), None if ex is None else ex[idx])
            g = g if w is None else _times(w[idx], g)
            vals.append(g * scale)
        return _obj(vals, x.shape)


def _bce_one(eps):
    e = _f(eps)

    def one(p, y, _):
        ny = _sub(_ONE, y)
        if _isnan(p) or _isnan(ny):
            return _NAN
        # log(1 - p + eps) = log1p(eps - p): eps - p exact, no rounding of 1 - tiny
        q = _sub(e, p)
        log_q = -_INF if q == -1 else mp.log1p(q)
        return -(_xlog(y, p + e) + (_ZERO if ny == 0 else ny * log_q))
    return one


def binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    return _elementwise_loss(_bce_one(eps), probs, target, weight, reduction)


def binary_cross_entropy_grad(probs, target, *, weight=None, eps=0.0, reduction="mean"):
    e = _f(eps)

    def one(p, y, _):
        a = _ZERO if y == 0 else (-_INF if p + e == 0 else -y / (p + e))
        ny = _sub(_ONE, y)
        b = _ZERO if ny == 0 else (_INF if _sub(_ONE, p) + e == 0 else ny / (_sub(_ONE, p) + e))
        return a + b
    return _elementwise_grad(one, probs, target, weight, reduction)


def sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    def one(x, y, pw):
        pos = y if pw is None else pw * y
        return _times(pos, _softplus(-x)) + _times(_sub(_ONE, y), _softplus(x))
    return _elementwise_loss(one, logits, target, weight, reduction, extra=pos_weight)


def sigmoid_binary_cross_entropy_grad(logits, target, *, weight=None, pos_weight=None, reduction="mean"):
    def one(x, y, pw):
        pos = y if pw is None else pw * y
        return _sub(_ONE, y) * _sigmoid(x) - pos * _sigmoid(-x)
    return _elementwise_grad(one, logits, target, weight, reduction, extra=pos_weight)


# ---------------------------------------------------------------------------
# focal
# ---------------------------------------------------------------------------

def _focal_parts(logits, target, gamma, alpha):
    z = np.asarray(logits, dtype=np.float64)
    c = z.shape[-1]
    rows, batch = _rows(z)
    ys, _ = _targets(target, z.shape, None)
    if alpha is None:
        a = [_ONE] * c
    elif np.ndim(alpha) == 0:
        a = [_f(alpha)] * c
    else:
        a = [_f(v) for v in np.asarray(alpha, dtype=np.float64)]
    parts = [(_softmax_row(zr), [t * al for t, al in zip(y, a)]) for zr, y in zip(rows, ys)]
    return parts, batch, z.shape, _f(gamma)


def _pow(base, g):
    return _ONE if g == 0 else (_ZERO if base == 0 else base ** g)


def focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, _, g = _focal_parts(logits, target, gamma, alpha)
        vals = [-mp.fsum(_times(a * _pow(q, g), lp) for a, q, lp in zip(coef, row[3], row[1]))
                for row, coef in parts]
        return _reduce(_obj(vals, batch), None, reduction)


def focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    with mp.workdps(DPS):
        parts, batch, shape, g = _focal_parts(logits, target, gamma, alpha)
        scale = _scale(None, len(parts), reduction)
        vals = []
        for (sm, lp, _, om), coef in parts:
            # h_c = p_c dl/dp_c = a_c (1 - p_c)^g (g s_c - 1), s_c = p_c log p_c / (1 - p_c)
            h = []
            for a, p, q, l in zip(coef, sm, om, lp):
                s = -_ONE if q == 0 else _times(p, l) / q
                h.append(_times(a, _pow(q, g) * (g * s - 1)))
            for k, (p, q) in enumerate(zip(sm, om)):
                others = mp.fsum(h[:k] + h[k + 1:])
                vals.append((q * h[k] - p * others) * scale)
        return _obj(vals, shape)


def _sfocal_parts(x, y, alpha):
    m = y * _sigmoid(-x) + _sub(_ONE, y) * _sigmoid(x)
    ce = _times(y, _softplus(-x)) + _times(_sub(_ONE, y), _softplus(x))
    a_t = _ONE if alpha is None else alpha * y + (1 - alpha) * _sub(_ONE, y)
    return m, ce, a_t


def sigmoid_focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    g = _f(gamma)
    al = None if alpha is None else _f(alpha)

    def one(x, y, _):
        m, ce, a_t = _sfocal_parts(x, y, al)
        return _times(a_t * _pow(m, g), ce)
    return _elementwise_loss(one, logits, target, None, reduction)


def sigmoid_focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    g = _f(gamma)
    al = None if alpha is None else _f(alpha)

    def one(x, y, _):
        m, ce, a_t = _sfocal_parts(x, y, al)
        sp, sn = _sigmoid(x), _sigmoid(-x)
        d = _sub(_ONE, y) * sp - y * sn
        r = _ONE if m == 0 else sp * sn / m
        return a_t * _pow(m, g) * (d + _times(g * (1 - 2 * y), r * ce))
    return _elementwise_grad(one, logits, target, None, reduction)


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def _sign(v):
    return _NAN if _isnan(v) else mp.mpf(mp.sign(v))


def mean_absolute_error(pred, target, *, reduction="mean"):
    return _elementwise_loss(lambda x, y, _: abs(_sub(x, y)), pred, target, None, reduction)


def mean_absolute_error_grad(pred, target, *, reduction="mean"):
    return _elementwise_grad(lambda x, y, _: _sign(_sub(x, y)), pred, target, None, reduction)


def mean_squared_error(pred, target, *, reduction="mean"):
    return _elementwise_loss(lambda x, y, _: _sub(x, y) ** 2, pred, target, None, reduction)


def mean_squared_error_grad(pred, target, *, reduction="mean"):
    return _elementwise_grad(lambda x, y, _: 2 * _sub(x, y), pred, target, None, reduction)


def root_mean_squared_error(pred, target):
    with mp.workdps(DPS):
        mse = mean_squared_error(pred, target, reduction="mean")[()]
        return _obj([mp.sqrt(mse)], ())


def root_mean_squared_error_grad(pred, target):
    x = np.asarray(pred, dtype=np.float64)
    with mp.workdps(DPS):
        rmse = root_mean_squared_error(pred, target)[()]
        n = x.size
        return _elementwise(lambda a, b: _ZERO if rmse == 0 else _sub(a, b) / (n * rmse), pred, target)


def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    b = _f(delta)

    def one(x, y, _):
        d = _sub(x, y)
        return d * d / 2 if abs(d) <= b else b * (abs(d) - b / 2)
    return _elementwise_loss(one, pred, target, None, reduction)


def huber_loss_grad(pred, target, *, delta=1.0, reduction="mean"):
    b = _f(delta)

    def one(x, y, _):
        d = _sub(x, y)
        return max(-b, min(b, d))
    return _elementwise_grad(one, pred, target, None, reduction)


def smooth_l1_loss(pred, target, *, beta=1.0, reduction="mean"):
    b = _f(beta)

    def one(x, y, _):
        d = _sub(x, y)
        return d * d / (2 * b) if abs(d) < b else abs(d) - b / 2
    return _elementwise_loss(one, pred, target, None, reduction)


def smooth_l1_loss_grad(pred, target, *, beta=1.0, reduction="mean"):
    b = _f(beta)

    def one(x, y, _):
        d = _sub(x, y)
        return d / b if abs(d) < b else _sign(d)
    return _elementwise_grad(one, pred, target, None, reduction)


# ---------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------

def ctc_sequence(lp, labels, blank):
    """``(-log P, d(-log P)/d lp)`` for one sample: ``lp`` is a ``T x C`` list
    of exact log-probabilities, ``labels`` the target sequence.

    The forward-backward recursion in probability space (mpmath has no
    underflow): ``alpha_t(s)`` and ``beta_t(s)`` both include the emission of
    frame ``t``, so ``alpha_t(s) beta_t(s) / y_t(l'_s)`` is the probability
    mass of the paths through state ``s`` at frame ``t``.
    """
    t_len, c = len(lp), len(lp[0]) if lp else 0
    ext = [blank]
    for k in labels:
        ext += [k, blank]
    n_states = len(ext)
    y = [[mp.exp(v) for v in row] for row in lp]
    if t_len == 0:
        p_total = _ONE if not labels else _ZERO
        return (-mp.log(p_total) if p_total > 0 else _INF), []

    def allowed_skip(s):
        return s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]

    alpha = [[_ZERO] * n_states for _ in range(t_len)]
    alpha[0][0] = y[0][ext[0]]
    if n_states > 1:
        alpha[0][1] = y[0][ext[1]]
    for t in range(1, t_len):
        for s in range(n_states):
            a = alpha[t - 1][s] + (alpha[t - 1][s - 1] if s >= 1 else _ZERO)
            if allowed_skip(s):
                a += alpha[t - 1][s - 2]
            alpha[t][s] = a * y[t][ext[s]]
    beta = [[_ZERO] * n_states for _ in range(t_len)]
    beta[-1][-1] = y[-1][ext[-1]]
    if n_states > 1:
        beta[-1][-2] = y[-1][ext[-2]]
    for t in range(t_len - 2, -1, -1):
        for s in range(n_states):
            b = beta[t + 1][s] + (beta[t + 1][s + 1] if s + 1 < n_states else _ZERO)
            if s + 2 < n_states and ext[s + 2] != blank and ext[s + 2] != ext[s]:
                b += beta[t + 1][s + 2]
            beta[t][s] = b * y[t][ext[s]]
    p_total = alpha[-1][-1] + (alpha[-1][-2] if n_states > 1 else _ZERO)
    if p_total == 0:
        return _INF, None
    grad = [[_ZERO] * c for _ in range(t_len)]
    for t in range(t_len):
        for s in range(n_states):
            k = ext[s]
            if y[t][k] != 0:
                grad[t][k] -= alpha[t][s] * beta[t][s] / y[t][k]
        for k in range(c):
            grad[t][k] /= p_total
    return -mp.log(p_total), grad


def _ctc_all(log_probs, targets, input_lengths, target_lengths, blank):
    lp = np.asarray(log_probs, dtype=np.float64)
    tg = np.asarray(targets)
    out = []
    for n in range(lp.shape[0]):
        t_n, s_n = int(input_lengths[n]), int(target_lengths[n])
        rows = [[_f(v) for v in lp[n, t]] for t in range(t_n)]
        if any(_isnan(v) for row in rows for v in row):
            # The spec: a NaN anywhere in a sequence's frames (a class no
            # alignment uses included) makes its loss and its gradient NaN.
            out.append((_NAN, [[_NAN] * lp.shape[2] for _ in range(t_n)]))
            continue
        out.append(ctc_sequence(rows, [int(v) for v in tg[n, :s_n]], blank))
    return out, lp.shape


def ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
             zero_infinity=False):
    with mp.workdps(DPS):
        res, shape = _ctc_all(log_probs, targets, input_lengths, target_lengths, blank)
        vals = [(_ZERO if (zero_infinity and loss == _INF) else loss) for loss, _ in res]
        return _reduce(_obj(vals, (shape[0],)), None, reduction)


def ctc_loss_grad(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction="mean",
                  zero_infinity=False):
    """The derivative of the loss with respect to every entry of ``log_probs``
    taken as a free variable (no normalisation over the classes assumed); 0
    for frames past a sample's input length; 0 for an impossible alignment with
    ``zero_infinity``, NaN without it (on the sample's frames only)."""
    with mp.workdps(DPS):
        res, shape = _ctc_all(log_probs, targets, input_lengths, target_lengths, blank)
        scale = _ONE / shape[0] if reduction == "mean" else _ONE
        out = np.empty(shape, dtype=object)
        out[...] = _ZERO
        for n, (loss, grad) in enumerate(res):
            if grad is None:
                out[n, :int(input_lengths[n])] = _ZERO if zero_infinity else _NAN
                continue
            for t, row in enumerate(grad):
                for k, v in enumerate(row):
                    out[n, t, k] = v * scale
        return out


def ctc_path_probability(probs, path):
    p = np.asarray(probs, dtype=np.float64)
    with mp.workdps(DPS):
        prod = _ONE
        for t, k in enumerate(np.asarray(path).reshape(-1)):
            prod *= _f(p[t, int(k)])
        return _obj([prod], ())

"""Classification losses: ``softmax_cross_entropy``, ``nll_loss``,
``categorical_cross_entropy`` and their gradients (spec page:
``docs/spec/classification.md``; reductions: ``docs/spec/reductions.md``).

Every loss first computes one value per sample ``l_n`` (which already carries
the class weights), then reduces: ``"none"`` returns ``l_n``, ``"sum"`` their
sum, ``"mean"`` their sum divided by ``sum(w_n)``, where ``w_n`` is the
sample's weight:

* softmax cross entropy: ``w_n = sum_c weight_c y_nc`` with the unsmoothed
  target ``y`` (``weight[y_n]`` for an index target, 1 without class weights,
  0 for an ignored sample);
* ``nll_loss``: ``w_n = weight[y_n]`` (1 without weights, 0 when ignored);
* ``categorical_cross_entropy``: ``w_n = 1``.

The class axis is moved to the end for the arithmetic and moved back for the
gradients, so ``axis`` may be any axis of the prediction.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

from .reductions import apply_cotangent, reduce_loss, reduced_shape, reduced_what, reduction_scale, weighted
from ._eft import _accurate_row_sum, _accurate_sum, _softmax_with_complement
from .softmax import log_softmax, logsumexp
from .validation import (
    as_float_array,
    as_int_array,
    check_class_indices,
    check_class_weight,
    check_cotangent,
    check_eps,
    check_in_range,
    check_nonnegative,
    check_probability_target,
    check_reduction,
    check_same_shape,
    check_softcap,
    check_unit_interval,
    check_z_loss,
    is_integer_array,
    normalize_axis,
)

__all__ = [
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "nll_loss",
    "nll_loss_grad",
    "categorical_cross_entropy",
    "categorical_cross_entropy_grad",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _prediction(x, axis, name):
    """``x`` as float64 with the class axis last; returns ``(arr, ax, C)``."""
    arr = as_float_array(x, name)
    ax = normalize_axis(axis, arr.ndim, array_name=name)
    n_classes = arr.shape[ax]
    if n_classes == 0:
        raise ValueError(f"{name} must have at least one class along axis {axis}, got shape {arr.shape}")
    return np.moveaxis(arr, ax, -1), ax, n_classes



def _index_target(target, last, n_classes, ignore_index, pred_name):
    """Validate integer class indices; return ``(t, keep)`` with ``t`` the indices
    (ignored entries replaced by 0) and ``keep`` the samples that count."""
    t = as_int_array(target, "target")
    check_same_shape(t, "target", last.shape[:-1],
                     f"integer class indices: the shape of {pred_name} without the class axis")
    keep = check_class_indices(t, n_classes, ignore_index)
    return np.where(keep, t, 0), keep


def _one_hot(indices, keep, n_classes):
    y = np.zeros(indices.shape + (n_classes,), dtype=np.float64)
    np.put_along_axis(y, indices[..., None], 1.0, axis=-1)
    return y * keep[..., None]


def _cotangent(cotangent, sample_shape, reduction):
    """The validated cotangent of a loss whose samples have ``sample_shape``."""
    return check_cotangent(cotangent, reduced_shape(sample_shape, reduction), reduced_what(reduction))


def _scale(shape, sample_weights, reduction):
    with np.errstate(all="ignore"):
        return reduction_scale(shape, sample_weights, reduction)


def _sce_setup(logits, target, axis, weight, ignore_index, label_smoothing, reduction):
    """Validate the arguments of softmax cross entropy.

    Returns ``(z, ax, coef, w_n, keep, idx)`` with the class axis of ``z`` and
    ``coef = weight * t`` last: ``coef`` is the per-class coefficient of
    ``-log_softmax(z)``, ``w_n`` the sample weights of ``"mean"`` and ``keep``
    the samples that count.  For index targets without label smoothing
    ``coef`` is ``None`` and ``idx`` holds each sample's class (0 where
    ignored): the coefficients are ``w_n`` there and 0 elsewhere, and nothing
    of the size of ``z`` is allocated.  Otherwise ``idx`` is ``None``.
    """
    z, ax, n_classes = _prediction(logits, axis, "logits")
    check_reduction(reduction)
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    w = check_class_weight(weight, n_classes)
    if target is not None and is_integer_array(target):
        idx, keep = _index_target(target, z, n_classes, ignore_index, "logits")
        if eps == 0.0:
            w_sel = np.ones(idx.shape) if w is None else w[idx]
            return z, ax, None, np.where(keep, w_sel, 0.0), keep, idx
        y = _one_hot(idx, keep, n_classes)
    else:
        if ignore_index is not None:
            raise ValueError(
                "ignore_index applies to integer class targets only; got probability "
                "targets (a floating target array) together with ignore_index="
                f"{ignore_index!r}"
            )
        yy = as_float_array(target, "target")
        check_probability_target(yy, np.moveaxis(z, -1, ax).shape, "logits", ax,
                                 np.asarray(target).dtype)
        yy = np.moveaxis(yy, ax, -1)
        check_unit_interval(yy, "target")
        y = yy
        keep = np.ones(z.shape[:-1], dtype=bool)
    with np.errstate(all="ignore"):
        t = (1.0 - eps) * y + eps / n_classes if eps != 0.0 else y
        if not np.all(keep):
            t = t * keep[..., None]
        coef = t if w is None else t * w
        if w is None:
            w_n = keep.astype(np.float64)
        else:
            w_n = np.sum(y * w, axis=-1)
    return z, ax, coef, w_n, keep, None


def _weighted_neg_log(coef, logp, dense=False):
    """``-sum_c coef_c logp_c`` with ``0 * (-inf) = 0`` (NaN still propagates).

    The plain sum first: ``0 * (-inf)`` can only turn a row into NaN, so the
    rows that came out NaN (few) are summed again with the rule.  ``dense``
    (soft or smoothed targets: many non-zero terms, all ``>= 0``): a sum that
    adds no rounding of its own (one-hot rows have a single term and are exact).
    """
    with np.errstate(all="ignore"):
        if dense:
            out = np.asarray(_accurate_sum(-(coef * logp), -1) + 0.0)
        else:
            out = np.asarray(-np.sum(coef * logp, axis=-1) + 0.0)  # + 0.0: no negative zeros
        redo = np.isnan(out)
        if np.any(redo):
            c, lp = np.broadcast_to(coef, logp.shape)[redo], logp[redo]
            out[redo] = -np.sum(np.where((c == 0) & ~np.isnan(lp), 0.0, c * lp), axis=-1) + 0.0
        return out


def _softcapped(z, cap):
    """``cap * tanh(z / cap)``: ``±inf`` becomes ``±cap``, NaN stays NaN.

    ``z / cap`` may overflow to ``±inf`` for a tiny cap; ``tanh`` of it is ``±1``,
    the limit, so the overflow is intended and silent.
    """
    with np.errstate(over="ignore"):
        return cap * np.tanh(z / cap)


def _softcap_slope(z, cap):
    """``d/dz cap tanh(z / cap) = 1 / cosh(z / cap)**2``.

    Written with ``cosh`` rather than as ``1 - tanh**2``: the latter cancels to 0
    (or to a few ulps of noise) once ``|z / cap|`` exceeds about 19, where the
    slope is still ``4 exp(-2|z| / cap)``, a normal number down to ``|z / cap|``
    of about 354.  ``cosh`` overflows beyond 710, and ``1 / inf = 0`` is then
    the slope's limit; ``±inf`` logits have slope 0.
    """
    with np.errstate(over="ignore", under="ignore"):
        r = 1.0 / np.cosh(z / cap)
        return r * r


def _z_loss_values(z, s, w_n, counted):
    """``s w_n logsumexp(z_n)**2`` for the counted samples, 0 for the others.

    The rule ``0 * inf = 0`` of :func:`weighted` keeps a sample of weight 0 at 0
    even where its ``logsumexp`` is infinite.
    """
    lse = np.asarray(logsumexp(z, axis=-1))
    with np.errstate(over="ignore", invalid="ignore"):
        term = weighted(s * w_n, lse * lse)
        return np.where(counted, term, 0.0)


def _z_loss_grad(z, p, s, w_n, counted):
    """``2 s w_n logsumexp(z_n) softmax(z_n)`` for the counted samples (0 for the
    others), with ``0 * inf = 0``: a class of probability 0 gets 0 even where
    ``logsumexp`` is ``+inf`` (an infinite logit without a softcap)."""
    lse = np.asarray(logsumexp(z, axis=-1))
    with np.errstate(over="ignore", invalid="ignore"):
        k = np.where(counted, weighted(2.0 * s * w_n, lse), 0.0)
        return np.where(counted[..., None], weighted(p, k[..., None]), 0.0)


# ---------------------------------------------------------------------------
# softmax cross entropy
# ---------------------------------------------------------------------------

def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    r"""Softmax cross entropy from logits, with integer or probability targets.

    .. math::

        l_n = -\sum_c \mathrm{weight}_c\, t_{nc} \log\operatorname{softmax}(z_n)_c,
        \qquad t = (1 - \varepsilon)\, y + \varepsilon / C

    where ``y`` is the one-hot encoding of an integer target or the given class
    probabilities, ``eps`` is ``label_smoothing`` and ``0 * (-inf) = 0``.  The
    two options of language-model training (``docs/spec/large-vocabulary.md``)
    change it to

    .. math::

        z \leftarrow c \tanh(z / c) \ (\text{softcap} = c), \qquad
        l_n \leftarrow l_n + s\, w_n \operatorname{logsumexp}(z_n)^2 \ (\text{z\_loss} = s)

    for the counted samples (a sample that is ignored, or masked by weights of
    0, stays at 0).

    Parameters
    ----------
    logits : array_like
        Real logits, any magnitude, ``±inf`` allowed; the class axis is ``axis``.
    target : array_like
        Integer class indices (an integer dtype, the shape of ``logits``
        without ``axis``) or class probabilities in ``[0, 1]`` (a floating
        dtype, the shape of ``logits``).
    axis : int, optional
        The class axis (default: the last).
    weight : array_like, optional
        ``C`` finite non-negative class weights.
    ignore_index : int, optional
        Integer targets equal to it count for nothing (loss 0, ``w_n = 0``).
        Any integer, a real class included.  Only for integer targets.
    label_smoothing : float, optional
        ``eps`` in ``[0, 1]``.
    z_loss : float, optional
        ``s``, a finite number ``>= 0`` (default 0: off).  Adds
        ``s w_n logsumexp(z_n)**2`` (of the softcapped logits) to each counted
        sample's loss, before the reduction: ``"mean"`` divides it by ``sum(w_n)``
        like the rest.
    softcap : float, optional
        ``c``, a finite number ``> 0``; ``None`` (the default) applies no cap.
        Every logit ``z`` is replaced by ``c tanh(z / c)`` first: ``±inf``
        becomes ``±c``, NaN stays NaN.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` divides the sum by ``sum(w_n)`` with
        ``w_n = sum_c weight_c y_nc`` (the unsmoothed target; 1 without class
        weights; 0 when ignored).  The mean of no samples is NaN.

    Returns
    -------
    numpy.float64 or float64 ndarray
        The reduced loss, or with ``reduction="none"`` one value per sample (the
        shape of ``logits`` without ``axis``).

    Raises
    ------
    ValueError
        Wrong target or weight shape, class index outside ``[0, C)`` and not
        ``ignore_index``, ``ignore_index`` with probability targets,
        ``label_smoothing`` outside ``[0, 1]``, probability targets outside
        ``[0, 1]``, ``z_loss`` negative, NaN or infinite, ``softcap`` not a
        finite number ``> 0`` (``softcap=inf`` included: ``None`` means no cap),
        unknown ``reduction``.
    TypeError
        Non-numeric input.

    Notes
    -----
    ``log softmax`` is computed as ``(z - m) - log1p(sum_{j != j*} exp(z_j - m))``
    (:func:`reference.log_softmax`), so infinite logits take their limits:
    ``+inf`` on the target class alone gives 0, ``+inf`` on another class
    gives ``+inf``, ``-inf`` masks a class.  Integer targets and their one-hot
    encoding give the same result with weights and smoothing.

    The z-loss uses :func:`reference.logsumexp` (``m + log1p(rest)``), which
    never overflows for finite logits.  Without a softcap a ``+inf`` logit
    makes ``logsumexp`` and so the z-loss ``+inf``; a row of all ``-inf`` has
    ``logsumexp = -inf``, but its cross entropy is already NaN, and stays so.
    With a softcap every logit lies in ``[-c, c]``, so ``logsumexp`` is finite.
    The defaults (``z_loss=0``, ``softcap=None``) do no extra arithmetic: the
    results are those of the function without the options, bit for bit.

    References
    ----------
    PyTorch ``torch.nn.CrossEntropyLoss``; ONNX ``SoftmaxCrossEntropyLoss``.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import softmax_cross_entropy
    >>> z = np.log(np.array([[0.03, 0.05, 0.8, 0.1, 0.02]]))
    >>> bool(np.isclose(softmax_cross_entropy(z, np.array([2])), -np.log(0.8)))
    True

    A confident prediction keeps its tiny loss ``log1p(exp(-50))``; the naive
    ``-log(softmax)`` rounds it to exactly 0, and ``exp`` of a large logit
    overflows:

    >>> z = np.array([[50.0, 0.0]])
    >>> float(softmax_cross_entropy(z, np.array([0]))) == float(np.log1p(np.exp(-50.0)))
    True
    >>> float(-np.log(np.exp(z[0, 0]) / np.exp(z[0]).sum()))
    -0.0
    >>> with np.errstate(over="ignore", invalid="ignore"):
    ...     naive = -np.log(np.exp(1000.0) / np.exp([1000.0, 0.0]).sum())
    >>> bool(np.isnan(naive)), float(softmax_cross_entropy(np.array([1000.0, 0.0]), np.array(0)))
    (True, 0.0)

    z-loss: the logits ``[1000, 1000]`` have ``logsumexp = 1000 + log 2``, and
    their cross entropy is ``log 2``; the naive ``log(sum(exp(z)))`` overflows:

    >>> z = np.array([1000.0, 1000.0])
    >>> with np.errstate(over="ignore"):
    ...     naive_lse = np.log(np.sum(np.exp(z)))
    >>> float(naive_lse)
    inf
    >>> got = float(softmax_cross_entropy(z, np.array(0), z_loss=1e-4))
    >>> got == float(np.log(2.0) + 1e-4 * (1000.0 + np.log(2.0)) ** 2)
    True

    A softcap of 2 maps the logits ``[+inf, 0]`` to ``[2, 0]``: the loss of
    class 1 is ``log1p(exp(2))``, where without the cap it is ``+inf``:

    >>> z = np.array([np.inf, 0.0])
    >>> float(softmax_cross_entropy(z, np.array(1), softcap=2.0)) == float(np.log1p(np.exp(2.0)))
    True
    >>> float(softmax_cross_entropy(z, np.array(1)))
    inf
    """
    s, cap = check_z_loss(z_loss), check_softcap(softcap)
    z, ax, coef, w_n, keep, idx = _sce_setup(logits, target, axis, weight, ignore_index,
                                             label_smoothing, reduction)
    counted = _counted(keep, w_n, coef)
    if cap is not None:
        z = _softcapped(z, cap)
    logp = log_softmax(z, axis=-1)
    if coef is None:  # index targets: only the target's entry has a coefficient
        # (a NaN anywhere in a row makes all of its log_softmax NaN, this entry included)
        coef, logp = w_n[..., None], np.take_along_axis(logp, idx[..., None], axis=-1)
    with np.errstate(all="ignore"):
        dense = not (is_integer_array(target) and float(label_smoothing) == 0.0)
        values = np.where(counted, _weighted_neg_log(coef, logp, dense), 0.0)
        if s:
            values = values + _z_loss_values(z, s, w_n, counted)
    return reduce_loss(values, w_n, reduction)


def _counted(keep, w_n, coef):
    """The samples that take part: not ignored, and not silenced by weights of 0.

    A sample with ``w_n = 0`` whose every coefficient ``weight_c t_nc`` is 0 is
    masked like an ignored one: its loss and gradient are exactly 0 whatever its
    logits hold, NaN included.  (Label smoothing can give such a sample mass on
    a class of non-zero weight; then it keeps that loss.)
    """
    silent = w_n == 0
    if coef is not None and np.any(silent):
        with np.errstate(invalid="ignore"):
            silent = silent & np.all(coef == 0, axis=-1)
    return keep & ~silent


def softmax_cross_entropy_grad(logits, target, *, axis=-1, weight=None, ignore_index=None,
                               label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean",
                               cotangent=None):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to ``logits``.

    .. math::

        \frac{\partial l_n}{\partial z_{nc}} = \Big(\sum_k \mathrm{weight}_k t_{nk}\Big)
        \operatorname{softmax}(z_n)_c - \mathrm{weight}_c\, t_{nc}

    (``softmax - target`` without weights), times ``1 / sum(w_n)`` for
    ``"mean"``.  With ``"none"`` each sample's row is the gradient of its own
    loss (the gradient of the sum).  Ignored samples get 0.

    ``z_loss = s`` adds ``2 s w_n logsumexp(z_n) softmax(z_n)`` (0 where the
    softmax is 0, even if ``logsumexp`` is ``+inf``).  ``softcap = c`` takes
    these at the capped logits and multiplies them by the cap's slope
    ``1 - tanh(z / c)**2``, computed as ``1 / cosh(z / c)**2``: the form
    ``1 - tanh**2`` cancels to 0 once ``|z / c|`` exceeds about 19, where the
    slope is still about ``4 exp(-2 |z| / c)``; the slope at ``±inf`` is 0.

    The other parameters and their errors are those of :func:`softmax_cross_entropy`.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per sample (the shape of the
        first argument without the class axis) with ``reduction="none"``, a number for
        ``"sum"`` and ``"mean"``. ``None`` (the default) means ones. The function returns
        the vector-Jacobian product, the gradient of ``sum(cotangent *
        softmax_cross_entropy(...))``: each sample's gradient times its own entry. An entry
        of 0 gives 0 even where that gradient is infinite; NaN propagates.

    Returns
    -------
    float64 ndarray
        The shape of ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import softmax_cross_entropy_grad
    >>> softmax_cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([0]))
    array([[-0.5,  0.5]])

    A cotangent weighs each sample's gradient (here 2 and 0):

    >>> softmax_cross_entropy_grad(np.zeros((2, 2)), np.array([0, 1]), reduction="none",
    ...                            cotangent=np.array([2.0, 0.0]))
    array([[-1.,  1.],
           [ 0.,  0.]])

    Under a softcap of 1 the logit 40 has slope ``1 / cosh(40)**2 = 7.2e-35``;
    the naive ``1 - tanh(40)**2`` is exactly 0:

    >>> float(1.0 - np.tanh(40.0) ** 2)
    0.0
    >>> g = softmax_cross_entropy_grad(np.array([40.0, 0.0]), np.array(1), softcap=1.0)
    >>> bool(np.isclose(g[0], (1 / (1 + np.exp(-1.0))) / np.cosh(40.0) ** 2, rtol=1e-14))
    True
    """
    s, cap = check_z_loss(z_loss), check_softcap(softcap)
    z, ax, coef, w_n, keep, idx = _sce_setup(logits, target, axis, weight, ignore_index,
                                             label_smoothing, reduction)
    cot = _cotangent(cotangent, w_n.shape, reduction)
    counted = _counted(keep, w_n, coef)
    raw = z
    if cap is not None:
        z = _softcapped(raw, cap)
    p, star, om = _softmax_with_complement(z, axis=-1)
    scale = _scale(w_n.shape, w_n, reduction)
    extra = _z_loss_grad(z, p, s, w_n, counted) if s else None  # before p is overwritten
    if coef is None:
        g = _index_target_grad(p, star, om, idx, w_n, counted, scale)
        g = _lm_grad_terms(g, extra, scale, raw, cap)
        return np.moveaxis(apply_cotangent(g, cot, -1), -1, ax)
    one_hot = is_integer_array(target) and float(label_smoothing) == 0.0
    with np.errstate(all="ignore"):
        total = np.sum(coef, axis=-1, keepdims=True)
        g = total * p - coef
        # At the maximal class softmax may be 1 - 1e-300, and total * p - coef
        # would cancel to 0: where p > 1/2 the entry is (total - coef) - total (1 - p),
        # with 1 - p from the softmax's own sum and total - coef the other
        # classes' coefficients (exact for one-hot targets; from an exact row
        # sum otherwise).
        idx = star[..., None]
        c_star = np.take_along_axis(coef, idx, axis=-1)
        if one_hot:
            others = total - c_star
        else:
            t_hi, t_lo = _accurate_row_sum(coef.reshape(-1, coef.shape[-1]))
            others = ((t_hi - c_star.reshape(-1, 1)) + t_lo).reshape(c_star.shape)
        om = om[..., None]
        g_star = np.where(om < 0.5, others - total * om, np.take_along_axis(g, idx, axis=-1))
        np.put_along_axis(g, idx, g_star, axis=-1)
        g = np.where(counted[..., None], g, 0.0) * scale
    g = _lm_grad_terms(g, extra, scale, raw, cap)
    return np.moveaxis(apply_cotangent(g, cot, -1), -1, ax)


def _lm_grad_terms(g, extra, scale, raw, cap):
    """Add the z-loss gradient ``extra`` (times the reduction's ``scale``) and
    apply the chain rule of the softcap (the slope at the raw logits ``raw``).
    Nothing happens, bit for bit, without either option."""
    with np.errstate(over="ignore", invalid="ignore"):
        if extra is not None:
            g = g + extra * scale
        if cap is not None:
            g = g * _softcap_slope(raw, cap) + 0.0  # no negative zeros
    return g


def _index_target_grad(p, star, om, idx, w_n, keep, scale):
    """The gradient for index targets without smoothing, computed in ``p``.

    The same numbers as the general formula with one-hot coefficients: ``w_n p``
    off the target class, ``w_n p - w_n`` at it, the maximal class's entry
    from ``1 - softmax`` where softmax exceeds 1/2, 0 for the samples that do not
    count (``keep`` false: ignored, or of weight 0), times ``scale``; but one or
    two passes over ``p`` instead of a dozen.
    """
    with np.errstate(all="ignore"):
        total, at, st = w_n[..., None], idx[..., None], star[..., None]
        g_at = total * np.take_along_axis(p, at, axis=-1) - total
        c_star = np.where(st == at, total, 0.0)
        om = om[..., None]
        g_star = np.where(om < 0.5, (total - c_star) - total * om,
                          total * np.take_along_axis(p, st, axis=-1) - c_star)
        if not np.all(total == 1.0):
            p *= total
        np.put_along_axis(p, at, g_at, axis=-1)
        np.put_along_axis(p, st, g_star, axis=-1)
        if not np.all(keep):
            p[~keep] = 0.0
        p *= scale
    return p


# ---------------------------------------------------------------------------
# negative log-likelihood
# ---------------------------------------------------------------------------

def _nll_setup(log_probs, target, axis, weight, ignore_index, reduction):
    lp, ax, n_classes = _prediction(log_probs, axis, "log_probs")
    check_reduction(reduction)
    w = check_class_weight(weight, n_classes)
    # nll_loss reads class indices only: anything else is a TypeError
    as_int_array(target, "target", "an integer array of class indices for nll_loss")
    idx, keep = _index_target(target, lp, n_classes, ignore_index, "log_probs")
    w_sel = np.ones(idx.shape) if w is None else w[idx]
    w_n = np.where(keep, w_sel, 0.0)
    return lp, ax, idx, keep, w_n, n_classes


def nll_loss(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction="mean"):
    r"""Negative log-likelihood of the target class, from log-probabilities.

    .. math:: l_n = -\mathrm{weight}_{y_n} \log q_{n, y_n}, \qquad w_n = \mathrm{weight}_{y_n}

    Only the entry of the target class is read: the loss *selects* it.  (The
    formula ``-1/N sum_i log softmax(x_i)`` of one source document omits this
    selection; see the spec page.)

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities (typically ``log_softmax`` of logits); any real values.
    target : array_like of int
        Class indices, the shape of ``log_probs`` without ``axis``.
    axis : int, optional
        The class axis (default: the last).
    weight : array_like, optional
        ``C`` finite non-negative class weights.
    ignore_index : int, optional
        Targets equal to it count for nothing (any integer).
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` is ``sum(l_n) / sum(w_n)``; NaN when no sample counts.

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    TypeError
        A non-integer target, non-numeric ``log_probs``.
    ValueError
        Wrong shapes, a class index outside ``[0, C)`` and not ``ignore_index``,
        unknown ``reduction``.

    Notes
    -----
    ``nll_loss(log_softmax(z), y)`` equals ``softmax_cross_entropy(z, y)`` for
    the same weights and ``ignore_index``.  A sample whose class has weight 0
    gives 0 whatever its log-probability holds (``-inf`` or NaN): a weight of 0
    masks it.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import nll_loss
    >>> lp = np.log(np.array([[0.03, 0.05, 0.8, 0.1, 0.02]]))
    >>> bool(np.isclose(nll_loss(lp, np.array([2])), -np.log(0.8)))
    True
    >>> float(nll_loss(lp, np.array([-100]), ignore_index=-100, reduction="sum"))
    0.0
    """
    lp, ax, idx, keep, w_n, _ = _nll_setup(log_probs, target, axis, weight, ignore_index, reduction)
    picked = np.take_along_axis(lp, idx[..., None], axis=-1)[..., 0]
    with np.errstate(all="ignore"):
        # a sample of weight 0 is masked like an ignored one: 0 whatever it holds, NaN included
        values = np.where(keep & (w_n != 0), -w_n * picked + 0.0, 0.0)
    return reduce_loss(values, w_n, reduction)


def nll_loss_grad(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction="mean",
                  cotangent=None):
    r"""Gradient of :func:`nll_loss` with respect to ``log_probs``.

    ``-weight[y_n]`` at the target entry of each counted sample, 0 elsewhere and
    for ignored samples; times ``1 / sum(w_n)`` for ``"mean"``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per sample (the shape of the
        first argument without the class axis) with ``reduction="none"``, a number for
        ``"sum"`` and ``"mean"``. ``None`` (the default) means ones. The function returns
        the vector-Jacobian product, the gradient of ``sum(cotangent * nll_loss(...))``:
        each sample's gradient times its own entry. An entry of 0 gives 0 even where that
        gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import nll_loss_grad
    >>> nll_loss_grad(np.log([[0.5, 0.5], [0.9, 0.1]]), np.array([1, 0]))
    array([[ 0. , -0.5],
           [-0.5,  0. ]])
    """
    lp, ax, idx, keep, w_n, n_classes = _nll_setup(log_probs, target, axis, weight,
                                                   ignore_index, reduction)
    cot = _cotangent(cotangent, w_n.shape, reduction)
    scale = _scale(w_n.shape, w_n, reduction)
    g = np.zeros(lp.shape, dtype=np.float64)
    np.put_along_axis(g, idx[..., None], -w_n[..., None], axis=-1)
    with np.errstate(all="ignore"):
        g = g * keep[..., None] * scale
        g = np.where(g == 0, 0.0, g)  # no negative zeros
    return np.moveaxis(apply_cotangent(g, cot, -1), -1, ax)


# ---------------------------------------------------------------------------
# categorical cross entropy from probabilities
# ---------------------------------------------------------------------------

def _cce_setup(probs, target, axis, eps, reduction):
    q, ax, _ = _prediction(probs, axis, "probs")
    check_reduction(reduction)
    e = check_eps(eps)
    t = as_float_array(target, "target")
    check_probability_target(t, np.moveaxis(q, -1, ax).shape, "probs", ax,
                             np.asarray(target).dtype, what="one-hot or soft targets",
                             accepts_indices=False)
    t = np.moveaxis(t, ax, -1)
    check_unit_interval(q, "probs")
    check_nonnegative(t, "target")
    return q, ax, t, e


def categorical_cross_entropy(probs, target, *, axis=-1, eps=0.0, reduction="mean"):
    r"""Categorical cross entropy from probabilities.

    .. math:: l_n = -\sum_c t_{nc} \log(q_{nc} + \varepsilon), \qquad w_n = 1

    with ``0 * log(anything) = 0`` (a class without target mass contributes
    nothing, even where ``q + eps = 0``).

    Parameters
    ----------
    probs : array_like
        Predicted probabilities in ``[0, 1]``; class axis ``axis``.
    target : array_like
        One-hot or soft targets, non-negative, the shape of ``probs``.
    axis : int, optional
        The class axis (default: the last).
    eps : float, optional
        Added inside the logarithm, as in the source documents (default 0:
        exact, ``-log 0 = +inf``).
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` is the plain mean over samples.

    Returns
    -------
    numpy.float64 or float64 ndarray

    Raises
    ------
    ValueError
        ``probs`` outside ``[0, 1]``, negative ``target``, shape mismatch,
        negative or non-finite ``eps``, unknown ``reduction``.

    Notes
    -----
    ``eps`` changes the value: ``-log(0.8 + 1e-9)`` is below ``-log 0.8`` by
    about ``1e-9 / 0.8 = 1.25e-9``.  The reference does not clamp or renormalise
    ``probs``.

    Examples
    --------
    The first source document's example (``eps = 1e-9``, one-hot label on class 2):

    >>> import numpy as np
    >>> from reference import categorical_cross_entropy
    >>> q = np.array([0.03, 0.05, 0.8, 0.1, 0.02])
    >>> y = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    >>> float(categorical_cross_entropy(q, y, eps=1e-9, reduction="sum"))
    0.22314355006420974

    The same with the perturbed outputs of the document:

    >>> q_m = np.array([0.04138864, 0.06898107, 0.73983032, 0.12483331, 0.02496666])
    >>> round(float(categorical_cross_entropy(q_m, y, eps=1e-9, reduction="sum")), 8)
    0.30133442
    """
    q, ax, t, e = _cce_setup(probs, target, axis, eps, reduction)
    with np.errstate(all="ignore"):
        values = _accurate_sum(-_sp.xlogy(t, q + e), -1) + 0.0
    return reduce_loss(values, None, reduction)


def categorical_cross_entropy_grad(probs, target, *, axis=-1, eps=0.0, reduction="mean", cotangent=None):
    r"""Gradient of :func:`categorical_cross_entropy` with respect to ``probs``.

    ``-t / (q + eps)`` (0 where ``t == 0``), times ``1 / N`` for ``"mean"``.

    Parameters
    ----------
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per sample (the shape of the
        first argument without the class axis) with ``reduction="none"``, a number for
        ``"sum"`` and ``"mean"``. ``None`` (the default) means ones. The function returns
        the vector-Jacobian product, the gradient of ``sum(cotangent *
        categorical_cross_entropy(...))``: each sample's gradient times its own entry. An
        entry of 0 gives 0 even where that gradient is infinite; NaN propagates.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import categorical_cross_entropy_grad
    >>> categorical_cross_entropy_grad(np.array([[0.5, 0.25, 0.25]]), np.array([[0.0, 1.0, 0.0]]))
    array([[ 0., -4.,  0.]])
    """
    q, ax, t, e = _cce_setup(probs, target, axis, eps, reduction)
    cot = _cotangent(cotangent, q.shape[:-1], reduction)
    scale = _scale(q.shape[:-1], None, reduction)
    with np.errstate(all="ignore"):
        g = np.where((t == 0) & ~np.isnan(q), 0.0, -t / (q + e)) * scale
        g = np.where(g == 0, 0.0, g)
    return np.moveaxis(apply_cotangent(g, cot, -1), -1, ax)

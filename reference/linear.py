"""Large-vocabulary cross entropy: ``linear_cross_entropy`` and its gradient
(spec page: ``docs/spec/large-vocabulary.md``).

The loss of a language model's output layer, softmax cross entropy of the
logits ``input @ linear_weight.T + linear_bias``, without ever holding the
whole ``(N, C)`` logit matrix: the tokens are processed in blocks of
``B = max(1, _LOGIT_BLOCK // C)`` rows, and the logits of one block are formed
``_WEIGHT_CHUNK // H`` classes at a time.  One block of logits goes through
:func:`reference.softmax_cross_entropy` (or its gradient) with
``reduction="none"``, so every rule of that function (infinite logits, masked
samples, smoothing, z-loss, softcap) holds here unchanged; the reduction over
all tokens is done once, at the end.

Accuracy of the logits.  A plain float64 dot product of length ``H`` can be
wrong by ``H u sum_h |x_h w_h|`` (``u = 2**-53``), which is the whole answer
where the sum cancels.  Here each row of ``input`` and of ``linear_weight`` is
split on a grid of its own, ``a = k * step + r`` with integers ``|k| <= 2**b``,
``b = floor((53 - ceil(log2 H)) / 2)`` and ``|r| <= step / 2``: the products
``k_x . k_w`` are integers below ``2**53``, so the BLAS product of the integer
parts is exact, and only the two small correction products ``x_1 . r_w`` and
``r_x . w`` round (a two-term splitting in the manner of Ozaki's error-free
matrix products).  A logit is then within half an ulp of the exact dot product
plus ``2**(1 - b) H gamma_H max|x| max|w|``, where ``gamma_H = H u``; for
``H <= 4096`` that is at most ``32 u max|x| max|w|`` and for typical data a
small fraction of an ulp of ``sum |x_h w_h|``.
"""

from __future__ import annotations

import math

import numpy as np

from .classification import softmax_cross_entropy, softmax_cross_entropy_grad
from .reductions import reduce_loss, reduced_shape, reduced_what, reduction_scale
from .validation import (
    as_float_array,
    as_int_array,
    check_class_indices,
    check_class_weight,
    check_cotangent,
    check_in_range,
    check_reduction,
    check_same_shape,
    check_softcap,
    check_z_loss,
    is_integer_array,
)

__all__ = ["linear_cross_entropy", "linear_cross_entropy_grad"]

#: Logits per block of tokens (elements): a block holds ``max(1, _LOGIT_BLOCK // C)``
#: tokens.  ``tests/test_large_vocabulary.py`` changes it to show that the result
#: does not depend on it.
_LOGIT_BLOCK = 1 << 21
#: Elements of ``linear_weight`` split at a time (``_WEIGHT_CHUNK // H`` classes).
_WEIGHT_CHUNK = 1 << 18

_WRT = ("input", "linear_weight", "linear_bias")


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def _setup(input, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing,
           z_loss, softcap, reduction):
    """Validate every argument (before any arithmetic).

    Returns ``(x, W, b, t, batch, w_n, options)``: ``x`` the input as ``(N, H)``,
    ``t`` the targets as ``(N,)``, ``batch`` the shape of the per-token result,
    ``w_n`` the sample weights of ``"mean"`` (shape ``batch``) and ``options``
    the keywords passed on to :func:`softmax_cross_entropy`.
    """
    x = as_float_array(input, "input")
    if x.ndim == 0:
        raise ValueError("input must have at least one dimension, (..., H), got a scalar")
    h = x.shape[-1]
    w = as_float_array(linear_weight, "linear_weight")
    if w.ndim != 2 or w.shape[1] != h:
        raise ValueError(f"linear_weight must have shape (C, {h}) (one row of the input's H={h} "
                         f"numbers per class), got {w.shape}")
    n_classes = w.shape[0]
    if n_classes == 0:
        raise ValueError(f"linear_weight must have at least one class (row), got shape {w.shape}")
    b = None
    if linear_bias is not None:
        b = as_float_array(linear_bias, "linear_bias")
        if b.shape != (n_classes,):
            raise ValueError(f"linear_bias must have shape ({n_classes},) (one number per class), "
                             f"got {b.shape}")
    check_reduction(reduction)
    eps = check_in_range(label_smoothing, "label_smoothing", 0.0, 1.0)
    cw = check_class_weight(weight, n_classes)
    s = check_z_loss(z_loss)
    cap = check_softcap(softcap)
    if not is_integer_array(target):
        as_float_array(target, "target")  # a TypeError for what is not numeric at all
        raise TypeError("target must be an integer array of class indices for linear_cross_entropy "
                        f"(probability targets are not accepted), got dtype {np.asarray(target).dtype}")
    t = as_int_array(target, "target")
    check_same_shape(t, "target", x.shape[:-1],
                     "integer class indices: the shape of input without its last axis")
    keep = check_class_indices(t, n_classes, ignore_index)
    batch = x.shape[:-1]
    w_sel = np.ones(batch) if cw is None else cw[np.where(keep, t, 0)]
    w_n = np.where(keep, w_sel, 0.0)
    options = dict(weight=cw, ignore_index=ignore_index, label_smoothing=eps, z_loss=s, softcap=cap)
    n = int(np.prod(batch, dtype=np.int64))
    return x.reshape(n, h), w, b, t.reshape(n), batch, w_n, options


# ---------------------------------------------------------------------------
# the logits of one block of tokens
# ---------------------------------------------------------------------------

def _grid_bits(h: int) -> int:
    """``b`` such that ``h`` products of integers ``|k| <= 2**b`` sum exactly in float64."""
    return (53 - max(0, math.ceil(math.log2(h)))) // 2 if h > 1 else 26


def _split(a, bits):
    """``(s, a1, r, e)``: each row of ``a`` scaled by a power of two, ``s = a * 2**-e``
    with ``e`` the row's exponent (so ``|s| < 1``), and ``s = a1 + r`` exactly, where
    ``a1`` is ``s`` rounded to a multiple of ``2**-bits`` and ``|r| <= 2**-(bits + 1)``.
    ``a`` is finite.

    Rump's extraction: ``(sigma + s) - sigma`` with ``sigma = 1.5 * 2**(52 - bits)``
    rounds ``s`` to the multiples of ``ulp(sigma) = 2**-bits``; both operations are
    exact, and so is ``s - a1``.  Scaling each row first keeps every row, however
    large or small its numbers, away from overflow and from the subnormal range
    (only numbers more than ``2**1000`` below their row's largest lose bits).
    """
    top = np.max(np.abs(a), axis=1, keepdims=True) if a.shape[1] else np.zeros((a.shape[0], 1))
    _, e = np.frexp(top)               # top < 2**e
    with np.errstate(under="ignore"):
        scaled = np.ldexp(a, -e)
    sigma = 1.5 * 2.0 ** (52 - bits)
    a1 = scaled + sigma
    a1 -= sigma
    return scaled, a1, scaled - a1, e


def _finite_rows(a):
    ok = np.all(np.isfinite(a), axis=1)
    if np.all(ok):
        return a, None
    return np.where(ok[:, None], a, 0.0), ~ok


def _logits(x, w, b):
    """``x @ w.T + b`` for a block of tokens ``x`` (B, H): accurate dot products
    (see the module's notes), then the bias added with its rounding error kept.

    Non-finite numbers in ``x`` or ``w`` take the floating-point value of the
    sum of the products (NaN for ``inf * 0`` or ``inf - inf``): those rows and
    columns are recomputed element by element.
    """
    n, h = x.shape
    c = w.shape[0]
    out = np.empty((n, c))
    if h == 0:
        out[...] = 0.0
    else:
        bits = _grid_bits(h)
        xf, bad_x = _finite_rows(x)
        _, x1, rx, ex = _split(xf, bits)
        step = max(1, _WEIGHT_CHUNK // h)
        for j in range(0, c, step):
            wc, bad_w = _finite_rows(w[j:j + step])
            ws, w1, rw, ew = _split(wc, bits)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                # x1 . w1: multiples of 2**(-2 bits) below 2**(53 - 2 bits), exact
                acc = x1 @ w1.T
                acc += x1 @ rw.T + rx @ ws.T
                out[:, j:j + step] = np.ldexp(acc, ex + ew.T)
            if bad_w is not None:
                for col in np.flatnonzero(bad_w):
                    out[:, j + col] = _ieee_dot(x, w[j + col][None, :])
        if bad_x is not None:
            for row in np.flatnonzero(bad_x):
                out[row] = _ieee_dot(w, x[row][None, :])
    if b is not None:
        _add_bias(out, b)
    return out


def _ieee_dot(a, v):
    """``sum_h a[:, h] v[0, h]`` with the floating-point rules for ``inf`` and NaN."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sum(a * v, axis=1)


def _add_bias(out, b):
    """``out + b`` in place, adding the rounding error of ``out`` back: the split
    products are summed as ``exact + correction`` already rounded once, so this
    rounds once more (half an ulp) and keeps no worse."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = out + b
        # TwoSum: (out + b) - s exactly, 0 where anything is infinite or NaN
        bv = s - out
        err = (out - (s - bv)) + (b - bv)
        err = np.where(np.isfinite(err), err, 0.0)
        np.add(s, err, out=out)


def _blocks(n, c):
    size = max(1, _LOGIT_BLOCK // c)
    return range(0, n, size), size


# ---------------------------------------------------------------------------
# the loss
# ---------------------------------------------------------------------------

def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         ignore_index=None, label_smoothing=0.0, z_loss=0.0, softcap=None,
                         reduction="mean"):
    r"""Softmax cross entropy of a linear layer's logits, never all held at once.

    .. math::

        z_n = W x_n + b, \qquad
        l_n = \mathrm{sce}(\operatorname{softcap}(z_n), y_n)
              + s\, w_n \operatorname{logsumexp}(\operatorname{softcap}(z_n))^2

    where ``sce`` is :func:`reference.softmax_cross_entropy` with the same
    class weights, ``ignore_index`` and label smoothing, ``softcap(z) = c tanh(z / c)``
    and ``s`` is ``z_loss``.  The logits are the exact dot products, rounded
    (see the notes).

    Parameters
    ----------
    input : array_like
        Hidden states, shape ``(..., H)``: every position of the leading axes is a token.
    linear_weight : array_like
        The output layer, shape ``(C, H)``: one row per class.
    target : array_like of int
        Class indices, shape ``input.shape[:-1]``.  Probability targets are not
        accepted (a floating target is a ``TypeError``): a dense target would be
        the ``(N, C)`` array this function exists to avoid.
    linear_bias : array_like, optional
        ``C`` numbers added to the logits (``-inf`` masks a class).
    weight : array_like, optional
        ``C`` finite non-negative class weights.
    ignore_index : int, optional
        Targets equal to it count for nothing: loss and z-loss 0, ``w_n = 0``.
    label_smoothing : float, optional
        ``eps`` in ``[0, 1]``; the target becomes ``(1 - eps) onehot + eps / C``.
    z_loss : float, optional
        ``s >= 0``, finite.  Adds ``s w_n logsumexp(z_n)**2`` to each counted token's loss.
    softcap : float, optional
        ``c > 0``, finite; ``None`` (the default) applies no cap.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` divides the sum by ``sum(w_n)`` (``w_n = weight[y_n]``, 1
        without class weights, 0 when ignored); the mean of no tokens is NaN.

    Returns
    -------
    numpy.float64 or float64 ndarray
        The reduced loss, or one value per token (shape ``input.shape[:-1]``).

    Raises
    ------
    ValueError
        ``linear_weight`` not ``(C, H)``, ``linear_bias`` not ``(C,)``, a target
        shape other than ``input.shape[:-1]``, a class index outside ``[0, C)``
        and not ``ignore_index``, ``label_smoothing`` outside ``[0, 1]``,
        ``z_loss`` negative or not finite, ``softcap`` not a finite number
        ``> 0``, unknown ``reduction``.
    TypeError
        A floating (probability) ``target``; non-numeric input.

    Notes
    -----
    At most ``max(1, 2**21 // C)`` tokens' logits exist at a time (16 MiB of
    float64 at any ``C`` up to ``2**21``), so ``N = 1024`` tokens over a vocabulary of
    ``C = 128256`` classes never approach the 1 GiB the full logits would take.

    Each logit is a dot product of length ``H``.  A plain float64 dot product
    has an error bound of ``H u sum_h |x_h w_h|`` (``u = 2**-53``), which is the
    whole value where the terms cancel (``sum |x_h w_h| / |z| = 1e16``).  The
    reference splits every row of ``input`` and ``linear_weight`` into an integer
    multiple of a power of two and a remainder, so that the product of the
    integer parts is exact in float64 and only two small correction products
    round: a logit is within half an ulp of the exact dot product plus
    ``2**(1 - b) H**2 u max|x_n| max|w_c|`` with ``b = floor((53 - ceil(log2 H)) / 2)``.

    References
    ----------
    PyTorch ``torch.nn.functional.linear_cross_entropy`` (2.13); Liger-Kernel
    ``LigerFusedLinearCrossEntropyLoss``; Wijmans et al., "Cut Your Losses in
    Large-Vocabulary Language Models" (2024); K. Ozaki, T. Ogita, S. Oishi,
    S. M. Rump, "Error-free transformations of matrix multiplication by using fast
    routines of matrix multiplication and its applications" (2012).

    Examples
    --------
    Two classes whose weight rows are ``±1`` on a 1-d hidden state ``x = 1``:
    the logits are ``[1, -1]`` and the loss of class 0 is ``log1p(exp(-2))``:

    >>> import numpy as np
    >>> from reference import linear_cross_entropy
    >>> x = np.array([[1.0]]); W = np.array([[1.0], [-1.0]])
    >>> float(linear_cross_entropy(x, W, np.array([0]))) == float(np.log1p(np.exp(-2.0)))
    True

    A logit that cancels: ``1e16 + 1 - 1e16`` is 1, but the plain float64 dot
    product gives 0 (the 1 is lost when it is added to ``1e16``).  The logits
    ``[1, 0]`` give the loss ``log1p(exp(-1)) = 0.31326168751822286``:

    >>> x = np.array([[1e16, 1.0, -1e16]]); W = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    >>> float((x @ W.T)[0, 0])
    0.0
    >>> float(linear_cross_entropy(x, W, np.array([0])))
    0.31326168751822286
    """
    x, w, b, t, batch, w_n, options = _setup(input, linear_weight, target, linear_bias, weight,
                                             ignore_index, label_smoothing, z_loss, softcap, reduction)
    values = np.zeros(t.shape)
    starts, size = _blocks(t.shape[0], w.shape[0])
    for i in starts:
        z = _logits(x[i:i + size], w, b)
        values[i:i + size] = softmax_cross_entropy(z, t[i:i + size], reduction="none", **options)
    return reduce_loss(values.reshape(batch), w_n, reduction)


def linear_cross_entropy_grad(input, linear_weight, target, *, linear_bias=None, weight=None,
                              ignore_index=None, label_smoothing=0.0, z_loss=0.0, softcap=None,
                              reduction="mean", wrt="input", cotangent=None):
    r"""Gradient of :func:`linear_cross_entropy` with respect to ``input``,
    ``linear_weight`` or ``linear_bias``.

    With ``G`` the gradient with respect to the logits
    (:func:`reference.softmax_cross_entropy_grad`: ``softmax - target`` times
    the weights, plus ``2 s w_n lse_n softmax`` for the z-loss, times the slope
    ``1 / cosh(z / c)**2`` of the softcap, times the reduction's factor):

    * ``wrt="input"``: ``G @ W``, the shape of ``input``;
    * ``wrt="linear_weight"``: ``G.T @ X`` summed over every token, shape ``(C, H)``;
    * ``wrt="linear_bias"``: ``G`` summed over every token, shape ``(C,)`` (the
      gradient with respect to a bias of zeros when ``linear_bias`` is ``None``).

    Parameters
    ----------
    wrt : {"input", "linear_weight", "linear_bias"}, optional
        The argument the gradient is taken with respect to (default ``"input"``).
    cotangent : float or array_like, optional
        The output gradient, of the result's shape: one value per token with
        ``reduction="none"``, a number for ``"sum"`` and ``"mean"``.  ``None`` (the
        default) means ones.  The function returns the vector-Jacobian product,
        the gradient of ``sum(cotangent * linear_cross_entropy(...))``.

    The other parameters and their errors are those of :func:`linear_cross_entropy`;
    an unknown ``wrt`` is a ``ValueError``.

    Returns
    -------
    float64 ndarray

    Notes
    -----
    ``G`` exists one block of tokens at a time.  The products with ``G`` are
    plain float64 matrix products (error bound ``C u |G| |W|`` for the input's
    gradient, ``N u |G|^T |X|`` for the weight's), accumulated over the blocks.

    Examples
    --------
    Logits ``[0, 0]``: softmax ``[1/2, 1/2]``, so the gradient with respect to the
    logits of target 0 is ``[-1/2, 1/2]``; with respect to the input it is that
    times ``W``, and with respect to the bias it is that itself:

    >>> import numpy as np
    >>> from reference import linear_cross_entropy_grad
    >>> x = np.array([[0.0, 0.0]]); W = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> linear_cross_entropy_grad(x, W, np.array([0]))
    array([[1., 1.]])
    >>> linear_cross_entropy_grad(x, W, np.array([0]), wrt="linear_bias")
    array([-0.5,  0.5])
    """
    if not isinstance(wrt, str) or wrt not in _WRT:
        raise ValueError(f"wrt must be one of 'input', 'linear_weight', 'linear_bias', got {wrt!r}")
    x, w, b, t, batch, w_n, options = _setup(input, linear_weight, target, linear_bias, weight,
                                             ignore_index, label_smoothing, z_loss, softcap, reduction)
    cot = check_cotangent(cotangent, reduced_shape(batch, reduction), reduced_what(reduction))
    n, h = x.shape
    c = w.shape[0]
    # one cotangent per token: the given one (ones by default) times the reduction's factor
    with np.errstate(all="ignore"):
        scale = reduction_scale(batch, w_n, reduction)
        if reduction == "none":
            per = np.ones(n) if cot is None else cot.reshape(-1)
            if scale != 1.0:
                per = per * scale
        else:
            per = np.full(n, (1.0 if cot is None else float(cot)) * scale)
    if wrt == "input":
        out = np.zeros((n, h))
    elif wrt == "linear_weight":
        out = np.zeros((c, h))
    else:
        out = np.zeros(c)
    starts, size = _blocks(n, c)
    for i in starts:
        xb = x[i:i + size]
        z = _logits(xb, w, b)
        g = softmax_cross_entropy_grad(z, t[i:i + size], reduction="none", cotangent=per[i:i + size],
                                       **options)
        with np.errstate(over="ignore", invalid="ignore"):
            if wrt == "input":
                np.matmul(g, w, out=out[i:i + size])
            elif wrt == "linear_weight":
                # class by class in chunks: no temporary of the weight's size
                step = max(1, _WEIGHT_CHUNK // max(h, 1))
                for j in range(0, c, step):
                    out[j:j + step] += g[:, j:j + step].T @ xb
            else:
                out += np.sum(g, axis=0)
    if wrt == "input":
        return out.reshape(batch + (h,))
    return out

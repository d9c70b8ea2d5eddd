"""Adapter: SciPy (``scipy.special``, ``scipy.stats``).

Translation only (see CONTRIBUTING.md and the contract, "Adapters"): SciPy's
functions already take numpy arrays, an ``axis`` and (for ``entropy``) a
``base``; the adapter passes them through and returns what SciPy returns.

* ``softmax``, ``log_softmax``, ``logsumexp``: ``scipy.special`` with ``axis``.
* ``sigmoid``, ``log_sigmoid``: ``scipy.special.expit`` and ``log_expit``.
* ``entropy``: ``scipy.stats.entropy(p, base=base, axis=axis)``.  SciPy divides
  ``p`` by its sum first; the spec does not (a documented deviation for
  unnormalised ``p``).
* ``kl_divergence``: ``scipy.special.rel_entr(p, q)`` summed over ``axis``;
  ``cross_entropy``: ``-sum xlogy(p, q + eps)``.  ``base`` divides by
  ``log(base)`` (SciPy's own ``entropy`` does the same).
* ``huber_loss``: ``scipy.special.huber(delta, pred - target)``, then the
  reduction with ``numpy.sum`` / ``numpy.mean`` of those per-element values
  (``w_n = 1``).
* Nothing else is defined (SciPy has no such losses), and there are no
  gradients: SciPy has no automatic differentiation.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc
import scipy.stats

NAME = "scipy"
_REDUCTIONS = ("none", "sum", "mean")


def _numeric(x):
    """``np.asarray(x)``, refusing None, objects and strings (numpy would turn
    None into an object array and SciPy's ufuncs into a TypeError or NaN)."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"expected a real numeric array, got {type(x).__name__} of dtype {a.dtype}")
    return a


def _out(a):
    a = np.asarray(a)
    return a[()] if a.ndim == 0 else a


def _log_base(base):
    """SciPy's ``rel_entr``/``xlogy`` have no ``base``: the adapter divides by
    ``log(base)`` and so rejects a base without a log, as ``scipy.stats.entropy``'s
    own division would not."""
    b = float(base)
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ValueError(f"base must be a finite number > 0 and != 1, got {base!r}")
    return math.log(b)


def _per_base(value, base):
    return value if base is None else value / _log_base(base)


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def softmax(z, axis=-1):
    return _out(sc.softmax(_numeric(z), axis=axis))


def log_softmax(z, axis=-1):
    return _out(sc.log_softmax(_numeric(z), axis=axis))


def logsumexp(z, axis=-1):
    return _out(sc.logsumexp(_numeric(z), axis=axis))


def sigmoid(x):
    return _out(sc.expit(_numeric(x)))


def log_sigmoid(x):
    return _out(sc.log_expit(_numeric(x)))


# ---------------------------------------------------------------------------
# information theory
# ---------------------------------------------------------------------------

def entropy(p, axis=-1, base=None):
    return _out(scipy.stats.entropy(_numeric(p), base=base, axis=axis))


def _pair(p, q):
    return _numeric(p), _numeric(q)  # shapes: as SciPy's ufuncs broadcast them


def kl_divergence(p, q, axis=-1, base=None):
    P, Q = _pair(p, q)
    return _out(_per_base(np.sum(sc.rel_entr(P, Q), axis=axis), base))


def cross_entropy(p, q, axis=-1, eps=0.0, base=None):
    P, Q = _pair(p, q)
    e = float(eps)
    if not (e >= 0 and math.isfinite(e)):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    return _out(_per_base(-np.sum(sc.xlogy(P, Q + e), axis=axis), base))


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------

def huber_loss(pred, target, *, delta=1.0, reduction="mean"):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    x, y = _pair(pred, target)
    values = sc.huber(delta, x - y)
    if reduction == "sum":
        return _out(np.sum(values))
    if reduction == "mean":
        return _out(np.mean(values))
    return _out(values)

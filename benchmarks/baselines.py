"""The plain vectorised numpy baselines: the textbook stable formulas.

Each is what one would write first, in the input's own dtype: shift by the row
maximum, ``exp``, ``sum``, ``log``; the gradient of softmax cross entropy is
``softmax - onehot``.  They are stable (no overflow) but round ``x - max(x)``
before ``exp`` and lose tiny losses; the reference exists because of that.
They serve as the speed yardstick only.
"""

from __future__ import annotations

import numpy as np


def logsumexp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


def log_softmax(z):
    m = np.max(z, axis=-1, keepdims=True)
    s = z - m
    return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))


def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_cross_entropy(z, y):
    """Mean of ``logsumexp(z_n) - z_n[y_n]`` over the batch (integer targets)."""
    m = np.max(z, axis=-1, keepdims=True)
    s = z - m
    lse = np.log(np.sum(np.exp(s), axis=-1))
    return np.mean(lse - s[np.arange(z.shape[0]), y])


def softmax_cross_entropy_grad(z, y):
    """``(softmax(z) - onehot(y)) / N``."""
    p = softmax(z)
    p[np.arange(z.shape[0]), y] -= 1
    p /= z.shape[0]
    return p


def softmax_cross_entropy_soft(z, t):
    """Mean of ``-sum_c t_c log_softmax(z)_c`` (probability targets)."""
    return np.mean(-np.sum(t * log_softmax(z), axis=-1))


def sigmoid_binary_cross_entropy(x, y):
    """Mean of ``max(x, 0) - x y + log1p(exp(-|x|))``."""
    return np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))


def sigmoid_binary_cross_entropy_grad(x, y):
    """``(sigmoid(x) - y) / n``."""
    return (1.0 / (1.0 + np.exp(-x)) - y) / x.size


def kl_divergence(p, q):
    """``sum_c p_c log(p_c / q_c)`` per row (positive inputs)."""
    return np.sum(p * np.log(p / q), axis=-1)


def focal_loss(z, y, gamma=2.0):
    """Mean of ``-(1 - p_t)**gamma log p_t`` with ``p = softmax(z)``."""
    logp_t = log_softmax(z)[np.arange(z.shape[0]), y]
    return np.mean(-((1 - np.exp(logp_t)) ** gamma) * logp_t)


def sigmoid_focal_loss(x, y, gamma=2.0):
    """Mean of ``(1 - p_t)**gamma ce`` (the torchvision formula)."""
    p = 1.0 / (1.0 + np.exp(-x))
    ce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    p_t = p * y + (1 - p) * (1 - y)
    return np.mean(ce * (1 - p_t) ** gamma)


def mean_squared_error(a, b):
    d = a - b
    return np.mean(d * d)


def mean_squared_error_grad(a, b):
    return (a - b) * (2.0 / a.size)


def huber_loss(a, b, delta=1.0):
    d = a - b
    r = np.abs(d)
    return np.mean(np.where(r <= delta, 0.5 * d * d, delta * (r - 0.5 * delta)))


def huber_loss_grad(a, b, delta=1.0):
    return np.clip(a - b, -delta, delta) / a.size

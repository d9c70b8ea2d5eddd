"""Every invalid input to every reference function, in one table.

The rules (``docs/spec/conventions.md``, "Invalid input"; ``reference/validation.py``):
invalid input raises exactly ``ValueError`` (a wrong value or shape) or exactly
``TypeError`` (a wrong kind of object) -- never an ``IndexError`` or a numpy
``AxisError`` from deep inside numpy -- with a message that names the argument
and says what was expected, and it raises before any arithmetic.

Each row of ``TABLE`` is ``(function, argument, overrides, exception, message)``:
the function is called with ``VALID[function]`` (a valid call) updated by
``overrides``, and must raise ``exception`` with a message that matches
``message`` and contains ``argument``.  Rows are grouped by family; a row written
for a loss usually applies to its gradient too (same signature, same checks).
Two meta-tests keep the table complete: every name in ``reference.__all__``
has a valid base call, and every parameter of every function has a row.

The "wrong kind of object" rows (``None``, strings, dicts, ragged lists,
complex, object, datetime arrays ...) are generated for every array argument of
every function by ``_kind_rows``.  Booleans are *not* in that list: a boolean
array is real data (0 and 1); it is rejected only where an integer is required
(class indices) and as a scalar option (``gamma=True``).
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import reference

# ---------------------------------------------------------------------------
# valid base calls (every name in reference.__all__)
# ---------------------------------------------------------------------------

Z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])      # logits: 2 samples, 3 classes
IDX = np.array([0, 2])                                   # class indices
ONEHOT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])     # rows of probabilities
LOGP = np.log(PROBS)
Y01 = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 1.0]])      # binary targets in [0, 1]
X = np.array([-1.0, 0.0, 3.0])

_LOGITS = {"z": Z}
_X = {"x": X}
_PAIR = {"p": PROBS, "q": PROBS[::-1]}
_SCE = {"logits": Z, "target": IDX}
_BIN = {"target": Y01}
_REG = {"pred": Z, "target": Y01}
_LCE = {"input": np.array([[1.0, -1.0], [0.5, 2.0]]),   # 2 tokens, H = 2
        "linear_weight": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),  # C = 3
        "target": IDX}
LP3 = np.full((2, 4, 3), -np.log(3.0))                   # CTC: N = 2 sequences, T = 4 frames, C = 3
_CTC = {"log_probs": LP3, "targets": np.array([[1, 2], [2, 0]]),  # row 1: one label, then padding
        "input_lengths": np.array([4, 3]), "target_lengths": np.array([2, 1])}

VALID = {
    "softmax": _LOGITS, "log_softmax": _LOGITS, "logsumexp": _LOGITS, "logsumexp_grad": _LOGITS,
    "sigmoid": _X, "log_sigmoid": _X, "softplus": _X,
    "entropy": {"p": PROBS}, "entropy_grad": {"p": PROBS},
    "cross_entropy": _PAIR, "cross_entropy_grad": _PAIR,
    "kl_divergence": _PAIR, "kl_divergence_grad": _PAIR,
    "softmax_cross_entropy": _SCE, "softmax_cross_entropy_grad": _SCE,
    "nll_loss": {"log_probs": LOGP, "target": IDX}, "nll_loss_grad": {"log_probs": LOGP, "target": IDX},
    "categorical_cross_entropy": {"probs": PROBS, "target": ONEHOT},
    "categorical_cross_entropy_grad": {"probs": PROBS, "target": ONEHOT},
    "binary_cross_entropy": {"probs": PROBS, **_BIN}, "binary_cross_entropy_grad": {"probs": PROBS, **_BIN},
    "sigmoid_binary_cross_entropy": {"logits": Z, **_BIN},
    "sigmoid_binary_cross_entropy_grad": {"logits": Z, **_BIN},
    "linear_cross_entropy": _LCE, "linear_cross_entropy_grad": _LCE,
    "focal_loss": _SCE, "focal_loss_grad": _SCE,
    "sigmoid_focal_loss": {"logits": Z, **_BIN}, "sigmoid_focal_loss_grad": {"logits": Z, **_BIN},
    "mean_absolute_error": _REG, "mean_absolute_error_grad": _REG,
    "mean_squared_error": _REG, "mean_squared_error_grad": _REG,
    "root_mean_squared_error": _REG, "root_mean_squared_error_grad": _REG,
    "huber_loss": _REG, "huber_loss_grad": _REG,
    "smooth_l1_loss": _REG, "smooth_l1_loss_grad": _REG,
    "reduce_loss": {"weighted_values": np.array([1.0, 2.0]), "sample_weights": None, "reduction": "mean"},
    "ctc_loss": _CTC, "ctc_loss_grad": _CTC,
    "ctc_collapse": {"path": np.array([1, 1, 0, 2])},
    "ctc_path_probability": {"probs": PROBS, "path": np.array([0, 2])},
}

# the arguments that hold arrays of data (they get the "wrong kind of object" rows)
ARRAY_ARGS = {
    name: [a for a in ("z", "x", "p", "q", "logits", "log_probs", "probs", "pred", "input",
                       "linear_weight", "linear_bias", "target",
                       "weighted_values", "sample_weights", "weight", "pos_weight",
                       "targets", "input_lengths", "target_lengths", "path")
           if a in inspect.signature(getattr(reference, name)).parameters]
    for name in VALID
}

# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------


def _with_grad(*names):
    """Each loss and its gradient (same signature, same validation)."""
    return [n for name in names for n in (name, name + "_grad")]


def rows(names, arg, overrides, exc, message):
    """One row per function name: ``(name, arg, overrides, exc, message)``."""
    if isinstance(names, str):
        names = [names]
    return [(name, arg, overrides, exc, message) for name in names]


SOFTMAX = ["softmax", "log_softmax", "logsumexp", "logsumexp_grad"]
SIGMOID = ["sigmoid", "log_sigmoid", "softplus"]
INFO_ALL = _with_grad("entropy", "cross_entropy", "kl_divergence")
INFO_PAIR = _with_grad("cross_entropy", "kl_divergence")
SCE = _with_grad("softmax_cross_entropy")
NLL = _with_grad("nll_loss")
CCE = _with_grad("categorical_cross_entropy")
BCE = _with_grad("binary_cross_entropy")
SBCE = _with_grad("sigmoid_binary_cross_entropy")
FOCAL = _with_grad("focal_loss")
SFOCAL = _with_grad("sigmoid_focal_loss")
REG_REDUCED = _with_grad("mean_absolute_error", "mean_squared_error", "huber_loss", "smooth_l1_loss")
REG_ALL = REG_REDUCED + _with_grad("root_mean_squared_error")
INDEX_TARGET = SCE + NLL + FOCAL          # integer class indices accepted
CLASS_AXIS = SCE + NLL + CCE + FOCAL      # functions with a class axis and reduction
CTC = _with_grad("ctc_loss")
LCE = _with_grad("linear_cross_entropy")
REDUCED = CLASS_AXIS + LCE + BCE + SBCE + SFOCAL + REG_REDUCED + CTC + ["reduce_loss"]
INTEGER_ARGS = ("targets", "input_lengths", "target_lengths", "path")  # only integer dtypes

NAN, INF = np.nan, np.inf
BAD_AXIS = [  # (axis, exception, message) for a 2-d first argument
    (2, ValueError, r"axis must be in \[-2, 2\) for a 2-d input, got 2"),
    (-3, ValueError, r"axis must be in \[-2, 2\) for a 2-d input, got -3"),
    (1.0, TypeError, r"axis must be an integer, got 1\.0"),
    (True, TypeError, r"axis must be an integer, got True"),
    (None, TypeError, r"axis must be an integer, got None"),
    ("-1", TypeError, r"axis must be an integer, got '-1'"),
]

TABLE = []

# --- softmax and friends ------------------------------------------------------
TABLE += rows(SOFTMAX, "z", {"z": np.float64(1.0)}, ValueError,
              r"z must have at least one dimension, got a scalar \(axis=-1\)")
TABLE += rows(SOFTMAX, "z", {"z": np.zeros((2, 0))}, ValueError,
              r"z must have at least one class along axis -1, got shape \(2, 0\)")
TABLE += rows(SOFTMAX, "z", {"z": np.zeros((0, 2)), "axis": 0}, ValueError,
              r"z must have at least one class along axis 0, got shape \(0, 2\)")
for axis, exc, msg in BAD_AXIS:
    TABLE += rows(SOFTMAX + INFO_ALL + CLASS_AXIS, "axis", {"axis": axis}, exc, msg)

# --- information theory -------------------------------------------------------
TABLE += rows(INFO_ALL, "p", {"p": np.array([[0.5, -0.25, 0.75], [0.2, 0.3, 0.5]])}, ValueError,
              r"p must be non-negative \(probabilities\), found -0\.25")
TABLE += rows(INFO_ALL, "p", {"p": np.array([[-INF, 1.0, 0.0], [0.2, 0.3, 0.5]])}, ValueError,
              r"p must be non-negative \(probabilities\), found -inf")
TABLE += rows(_with_grad("entropy"), "p", {"p": np.float64(0.5)}, ValueError,
              r"p must have at least one dimension, got a scalar \(axis=-1\)")
TABLE += rows(INFO_PAIR, "p", {"p": np.float64(0.5), "q": np.float64(0.5)}, ValueError,
              r"p must have at least one dimension, got a scalar \(axis=-1\)")
TABLE += rows("entropy", "p", {"p": np.zeros((2, 0))}, ValueError,
              r"p must have at least one entry along axis -1, got shape \(2, 0\)")
TABLE += rows(INFO_PAIR, "p", {"p": np.zeros((2, 0)), "q": np.zeros((2, 0))}, ValueError,
              r"p must have at least one entry along axis -1")
TABLE += rows(INFO_PAIR, "q", {"q": np.array([[0.5, 0.5, 0.0], [0.5, 0.5, -1e-300]])}, ValueError,
              r"q must be non-negative \(probabilities\), found -1e-300")
TABLE += rows(INFO_PAIR, "q", {"q": PROBS[:, :2]}, ValueError,
              r"q must have shape \(2, 3\) \(the shape of p\), got \(2, 2\)")
TABLE += rows(INFO_PAIR, "q", {"q": PROBS[:1]}, ValueError,  # no broadcasting
              r"q must have shape \(2, 3\) \(the shape of p\), got \(1, 3\)")
for eps, exc, msg in [
    (-1e-9, ValueError, r"eps must be a finite number >= 0, got -1e-09"),
    (INF, ValueError, r"eps must be a finite number >= 0, got inf"),
    (NAN, ValueError, r"eps must be a real number, got nan"),
    ("1e-9", TypeError, r"eps must be a real number, got '1e-9'"),
    (None, TypeError, r"eps must be a real number, got None"),
    (True, TypeError, r"eps must be a real number, got True"),
    (np.array([1e-9]), TypeError, r"eps must be a real number, got array"),
    (1j, TypeError, r"eps must be a real number, got 1j"),
]:
    TABLE += rows(_with_grad("cross_entropy") + CCE + BCE, "eps", {"eps": eps}, exc, msg)
for base, exc, msg in [
    (1, ValueError, r"base must be a finite number > 0 and != 1, got 1"),
    (1.0, ValueError, r"base must be a finite number > 0 and != 1, got 1\.0"),
    (0, ValueError, r"base must be a finite number > 0 and != 1, got 0"),
    (-2.0, ValueError, r"base must be a finite number > 0 and != 1, got -2\.0"),
    (INF, ValueError, r"base must be a finite number > 0 and != 1, got inf"),
    (NAN, ValueError, r"base must be a real number, got nan"),
    ("2", TypeError, r"base must be a real number, got '2'"),
    (True, TypeError, r"base must be a real number, got True"),
]:
    TABLE += rows(INFO_ALL, "base", {"base": base}, exc, msg)
for wrt in ("x", None, "P", 0):
    TABLE += rows(["cross_entropy_grad", "kl_divergence_grad"], "wrt", {"wrt": wrt}, ValueError,
                  rf"wrt must be 'p' or 'q', got {re.escape(repr(wrt))}")

# --- class indices (softmax cross entropy, nll, focal) -------------------------
for name in INDEX_TARGET:
    pred = "log_probs" if name.startswith("nll") else "logits"
    TABLE += rows(name, pred, {pred: np.float64(1.0), "target": np.int64(0)}, ValueError,
                  rf"{pred} must have at least one dimension, got a scalar")
    TABLE += rows(name, pred, {pred: np.zeros((2, 0))}, ValueError,
                  rf"{pred} must have at least one class along axis -1, got shape \(2, 0\)")
    TABLE += rows(name, "target", {"target": np.array([0, 3])}, ValueError,
                  r"target holds class index 3, expected indices in \[0, 3\)$")
    TABLE += rows(name, "target", {"target": np.array([-1, 0])}, ValueError,
                  r"target holds class index -1, expected indices in \[0, 3\)")
    TABLE += rows(name, "target", {"target": np.array([0, 1, 2])}, ValueError,
                  rf"target must have shape \(2,\) \(integer class indices: the shape of {pred} "
                  r"without the class axis\), got \(3,\)")
    TABLE += rows(name, "target", {"target": IDX, "axis": 0}, ValueError,  # axis 0: 3 samples
                  r"target must have shape \(3,\) \(integer class indices")
    TABLE += rows(name, "target", {"target": np.array([0, 2**64 - 1], dtype=np.uint64)}, ValueError,
                  r"target holds 18446744073709551615, expected integers that fit in int64")
for name in SCE + NLL:
    TABLE += rows(name, "target", {"target": np.array([0, -100]), "ignore_index": -1}, ValueError,
                  r"target holds class index -100, expected indices in \[0, 3\) or ignore_index=-1")
    for value, msg in [(0.5, r"0\.5"), (True, "True"), ("0", "'0'"), (np.float64(1.0), r"np\.float64\(1\.0\)")]:
        TABLE += rows(name, "ignore_index", {"ignore_index": value}, TypeError,
                      rf"ignore_index must be an integer or None, got {msg}")
for name in SCE + FOCAL:  # probability targets: floating, the shape of the logits
    TABLE += rows(name, "target", {"target": ONEHOT[:, :2]}, ValueError,
                  r"target must have shape \(2, 3\) \(class probabilities: the shape of logits\), got \(2, 2\)$")
    TABLE += rows(name, "target", {"target": np.array([0.0, 2.0])}, ValueError,
                  r"got \(2,\); class indices need an integer dtype, got dtype float64")
    TABLE += rows(name, "target", {"target": np.array([True, False])}, ValueError,
                  r"got \(2,\); class indices need an integer dtype, got dtype bool")
    TABLE += rows(name, "target", {"target": np.array([[1.5, 0.0, -0.5], [0.0, 0.0, 1.0]])}, ValueError,
                  r"target must lie in \[0, 1\], found 1\.5")
    TABLE += rows(name, "target", {"target": np.array([[1.0, 0.0, 0.0], [0.0, -INF, 1.0]])}, ValueError,
                  r"target must lie in \[0, 1\], found -inf")
TABLE += rows(SCE + FOCAL, "target", {"target": np.full((3, 2), 0.5), "axis": 0}, ValueError,  # unmoved
              r"target must have shape \(2, 3\) \(class probabilities: the shape of logits\), got \(3, 2\)")

# --- softmax cross entropy -----------------------------------------------------
TABLE += rows(SCE, "ignore_index", {"target": ONEHOT, "ignore_index": 0}, ValueError,
              r"ignore_index applies to integer class targets only; got probability targets")
for eps, exc, msg in [
    (1.5, ValueError, r"label_smoothing must be in \[0\.0, 1\.0\], got 1\.5"),
    (-0.1, ValueError, r"label_smoothing must be in \[0\.0, 1\.0\], got -0\.1"),
    (INF, ValueError, r"label_smoothing must be in \[0\.0, 1\.0\], got inf"),
    (NAN, ValueError, r"label_smoothing must be a real number, got nan"),
    ("0.1", TypeError, r"label_smoothing must be a real number, got '0\.1'"),
    (None, TypeError, r"label_smoothing must be a real number, got None"),
    (False, TypeError, r"label_smoothing must be a real number, got False"),
]:
    TABLE += rows(SCE, "label_smoothing", {"label_smoothing": eps}, exc, msg)
for name in SCE + NLL:  # class weights
    TABLE += rows(name, "weight", {"weight": np.ones(2)}, ValueError,
                  r"weight must have shape \(3,\) \(one weight per class\), got \(2,\)")
    TABLE += rows(name, "weight", {"weight": 2.0}, ValueError,
                  r"weight must have shape \(3,\) \(one weight per class\), got \(\)")
    TABLE += rows(name, "weight", {"weight": np.ones((1, 3))}, ValueError,
                  r"weight must have shape \(3,\) \(one weight per class\), got \(1, 3\)")
    for bad in (-1.0, NAN, INF):
        TABLE += rows(name, "weight", {"weight": np.array([1.0, bad, 1.0])}, ValueError,
                      r"weight must hold finite, non-negative numbers")

# --- z-loss and softcap (softmax and linear cross entropy) ----------------------
for value, exc, msg in [
    (-1e-4, ValueError, r"z_loss must be a finite number >= 0, got -0\.0001"),
    (INF, ValueError, r"z_loss must be a finite number >= 0, got inf"),
    (NAN, ValueError, r"z_loss must be a real number, got nan"),
    ("0.1", TypeError, r"z_loss must be a real number, got '0\.1'"),
    (None, TypeError, r"z_loss must be a real number, got None"),
    (True, TypeError, r"z_loss must be a real number, got True"),
]:
    TABLE += rows(SCE + LCE, "z_loss", {"z_loss": value}, exc, msg)
for value, exc, msg in [
    (0.0, ValueError, r"softcap must be None or a finite number > 0, got 0\.0"),
    (-30.0, ValueError, r"softcap must be None or a finite number > 0, got -30\.0"),
    (INF, ValueError, r"softcap must be None or a finite number > 0, got inf"),
    (NAN, ValueError, r"softcap must be a real number, got nan"),
    ("30", TypeError, r"softcap must be a real number, got '30'"),
    (True, TypeError, r"softcap must be a real number, got True"),
]:
    TABLE += rows(SCE + LCE, "softcap", {"softcap": value}, exc, msg)

# --- linear cross entropy --------------------------------------------------------
TABLE += rows(LCE, "input", {"input": np.float64(1.0)}, ValueError,
              r"input must have at least one dimension, \(\.\.\., H\), got a scalar")
TABLE += rows(LCE, "linear_weight", {"linear_weight": np.ones((3, 3))}, ValueError,
              r"linear_weight must have shape \(C, 2\) \(one row of the input's H=2 numbers per class\), "
              r"got \(3, 3\)")
TABLE += rows(LCE, "linear_weight", {"linear_weight": np.ones(2)}, ValueError,
              r"linear_weight must have shape \(C, 2\) .*got \(2,\)")
TABLE += rows(LCE, "linear_weight", {"linear_weight": np.ones((0, 2))}, ValueError,
              r"linear_weight must have at least one class \(row\), got shape \(0, 2\)")
TABLE += rows(LCE, "linear_bias", {"linear_bias": np.zeros(2)}, ValueError,
              r"linear_bias must have shape \(3,\) \(one number per class\), got \(2,\)")
TABLE += rows(LCE, "linear_bias", {"linear_bias": np.zeros((1, 3))}, ValueError,
              r"linear_bias must have shape \(3,\) \(one number per class\), got \(1, 3\)")
TABLE += rows(LCE, "target", {"target": np.array([0, 3])}, ValueError,
              r"target holds class index 3, expected indices in \[0, 3\)$")
TABLE += rows(LCE, "target", {"target": np.array([0, -100]), "ignore_index": -1}, ValueError,
              r"target holds class index -100, expected indices in \[0, 3\) or ignore_index=-1")
TABLE += rows(LCE, "target", {"target": np.array([0, 1, 2])}, ValueError,
              r"target must have shape \(2,\) \(integer class indices: the shape of input without its "
              r"last axis\), got \(3,\)")
TABLE += rows(LCE, "target", {"target": ONEHOT}, TypeError,
              r"target must be an integer array of class indices for linear_cross_entropy \(probability "
              r"targets are not accepted\), got dtype float64")
TABLE += rows(LCE, "target", {"target": np.array([True, False])}, TypeError,
              r"target must be an integer array of class indices for linear_cross_entropy .*got dtype bool")
for value, msg in [(0.5, r"0\.5"), (True, "True"), ("0", "'0'")]:
    TABLE += rows(LCE, "ignore_index", {"ignore_index": value}, TypeError,
                  rf"ignore_index must be an integer or None, got {msg}")
TABLE += rows(LCE, "label_smoothing", {"label_smoothing": 1.5}, ValueError,
              r"label_smoothing must be in \[0\.0, 1\.0\], got 1\.5")
TABLE += rows(LCE, "label_smoothing", {"label_smoothing": NAN}, ValueError,
              r"label_smoothing must be a real number, got nan")
TABLE += rows(LCE, "weight", {"weight": np.ones(2)}, ValueError,
              r"weight must have shape \(3,\) \(one weight per class\), got \(2,\)")
TABLE += rows(LCE, "weight", {"weight": np.array([1.0, -1.0, 1.0])}, ValueError,
              r"weight must hold finite, non-negative numbers")
for wrt in ("x", None, "bias", 0):
    TABLE += rows("linear_cross_entropy_grad", "wrt", {"wrt": wrt}, ValueError,
                  r"wrt must be one of 'input', 'linear_weight', 'linear_bias', got "
                  + re.escape(repr(wrt)))

# --- negative log-likelihood ---------------------------------------------------
TABLE += rows(NLL, "target", {"target": np.array([0.0, 2.0])}, TypeError,
              r"target must be an integer array of class indices for nll_loss, got dtype float64")
TABLE += rows(NLL, "target", {"target": np.array([True, False])}, TypeError,
              r"target must be an integer array of class indices for nll_loss, got dtype bool")

# --- categorical cross entropy --------------------------------------------------
TABLE += rows(CCE, "probs", {"probs": np.float64(0.5)}, ValueError,
              r"probs must have at least one dimension, got a scalar")
TABLE += rows(CCE, "probs", {"probs": np.zeros((2, 0)), "target": np.zeros((2, 0))}, ValueError,
              r"probs must have at least one class along axis -1")
for bad, shown in [(1.5, r"1\.5"), (-0.5, r"-0\.5"), (INF, "inf"), (-5e-324, "-5e-324")]:
    TABLE += rows(CCE + BCE, "probs", {"probs": np.array([[0.2, 0.3, bad], [0.6, 0.3, 0.1]])}, ValueError,
                  rf"probs must lie in \[0, 1\], found {shown}")
TABLE += rows(CCE, "target", {"target": np.array([[1.0, 0.0, -1.0], [0.0, 0.0, 1.0]])}, ValueError,
              r"target must be non-negative \(probabilities\), found -1\.0")
TABLE += rows(CCE, "target", {"target": ONEHOT[:, :2]}, ValueError,
              r"target must have shape \(2, 3\) \(one-hot or soft targets: the shape of probs\), got \(2, 2\)$")
TABLE += rows(CCE, "target", {"target": IDX}, ValueError,
              r"got \(2,\); class indices are not accepted here, pass one-hot rows")

# --- binary cross entropy ------------------------------------------------------
for name in BCE + SBCE:
    pred = "probs" if name.startswith("binary") else "logits"
    TABLE += rows(name, "target", {"target": Y01[0]}, ValueError,  # no broadcasting
                  rf"target must have shape \(2, 3\) \(the shape of {pred}\), got \(3,\)")
    for bad, shown in [(1.5, r"1\.5"), (-1e-300, "-1e-300"), (-INF, "-inf")]:
        TABLE += rows(name, "target", {"target": np.array([[1.0, 0.0, bad], [0.0, 1.0, 1.0]])}, ValueError,
                      rf"target must lie in \[0, 1\], found {shown}")
    weights = ["weight", "pos_weight"] if name in SBCE else ["weight"]
    for w in weights:
        TABLE += rows(name, w, {w: np.ones(2)}, ValueError,
                      rf"{w} with shape \(2,\) does not broadcast to the shape \(2, 3\)")
        TABLE += rows(name, w, {w: np.ones((3, 3))}, ValueError,
                      rf"{w} with shape \(3, 3\) does not broadcast to the shape \(2, 3\)")
        for bad in (-1.0, NAN, INF):
            TABLE += rows(name, w, {w: np.array([1.0, bad, 1.0])}, ValueError,
                          rf"{w} must hold finite, non-negative numbers")

# --- focal losses --------------------------------------------------------------
for gamma, exc, msg in [
    (-0.5, ValueError, r"gamma must be a finite number >= 0, got -0\.5"),
    (INF, ValueError, r"gamma must be a finite number >= 0, got inf"),
    (10**400, ValueError, r"gamma must be a finite number >= 0, got 1000"),  # a huge int
    (NAN, ValueError, r"gamma must be a real number, got nan"),
    ("2", TypeError, r"gamma must be a real number, got '2'"),
    (None, TypeError, r"gamma must be a real number, got None"),
    (True, TypeError, r"gamma must be a real number, got True"),
    (np.array([2.0]), TypeError, r"gamma must be a real number, got array"),
]:
    TABLE += rows(FOCAL + SFOCAL, "gamma", {"gamma": gamma}, exc, msg)
for alpha, exc, msg in [
    (1.5, ValueError, r"alpha must be in \[0\.0, 1\.0\], got 1\.5"),
    (-0.25, ValueError, r"alpha must be in \[0\.0, 1\.0\], got -0\.25"),
    (np.float64(NAN), ValueError, r"alpha must be a real number, got nan"),
    (np.array(2.0), ValueError, r"alpha must be in \[0\.0, 1\.0\], got array\(2\.\)"),
    (True, TypeError, r"alpha must be a real number, got True"),
    (np.bool_(False), TypeError, r"alpha must be a real number, got np\.False_"),
]:
    TABLE += rows(FOCAL + SFOCAL, "alpha", {"alpha": alpha}, exc, msg)
TABLE += rows(FOCAL, "alpha", {"alpha": np.array([0.25, 0.75])}, ValueError,
              r"alpha must be a number in \[0, 1\] or have shape \(3,\) \(one weight per class\), got shape \(2,\)")
for bad in (-1.0, NAN, INF):
    TABLE += rows(FOCAL, "alpha", {"alpha": np.array([0.25, bad, 0.5])}, ValueError,
                  r"alpha \(one weight per class\) must hold finite, non-negative numbers")
for alpha in ("0.25", [0.25, 0.75, 0.5], np.array([0.25, 0.75, 0.5])):
    TABLE += rows(SFOCAL, "alpha", {"alpha": alpha}, TypeError, r"alpha must be None or a number in \[0, 1\], got")
TABLE += rows(FOCAL, "alpha", {"alpha": "abc"}, TypeError, r"alpha must be a real numeric array, got dtype <U3")
TABLE += rows(SFOCAL, "target", {"target": Y01[0]}, ValueError,
              r"target must have shape \(2, 3\) \(the shape of logits\), got \(3,\)")
TABLE += rows(SFOCAL, "target", {"target": Y01 * 2}, ValueError, r"target must lie in \[0, 1\], found 2\.0")

# --- regression ----------------------------------------------------------------
TABLE += rows(REG_ALL, "target", {"target": Y01[0]}, ValueError,  # no broadcasting
              r"target must have shape \(2, 3\) \(the shape of pred\), got \(3,\)")
TABLE += rows(REG_ALL, "target", {"target": np.float64(0.0)}, ValueError,
              r"target must have shape \(2, 3\) \(the shape of pred\), got \(\)")
for value, exc, msg in [
    (0.0, ValueError, r"delta must be a finite number > 0, got 0\.0"),
    (-1.0, ValueError, r"delta must be a finite number > 0, got -1\.0"),
    (INF, ValueError, r"delta must be a finite number > 0, got inf"),
    (NAN, ValueError, r"delta must be a real number, got nan"),
    ("1", TypeError, r"delta must be a real number, got '1'"),
    (True, TypeError, r"delta must be a real number, got True"),
]:
    TABLE += rows(_with_grad("huber_loss"), "delta", {"delta": value}, exc, msg)
for value, exc, msg in [
    (-1e-300, ValueError, r"beta must be a finite number >= 0, got -1e-300"),
    (INF, ValueError, r"beta must be a finite number >= 0, got inf"),
    (NAN, ValueError, r"beta must be a real number, got nan"),
    (None, TypeError, r"beta must be a real number, got None"),
    (False, TypeError, r"beta must be a real number, got False"),
]:
    TABLE += rows(_with_grad("smooth_l1_loss"), "beta", {"beta": value}, exc, msg)

# --- CTC -----------------------------------------------------------------------
TABLE += rows(CTC, "log_probs", {"log_probs": LP3[0]}, ValueError,
              r"log_probs must be 3-d \(N, T, C\): batch, time, classes; got shape \(4, 3\)")
TABLE += rows(CTC, "log_probs", {"log_probs": LP3[None]}, ValueError,
              r"log_probs must be 3-d \(N, T, C\): batch, time, classes; got shape \(1, 2, 4, 3\)")
_posinf = LP3.copy()
_posinf[1, 2, 1] = INF  # frame 2 < input_lengths[1] = 3
TABLE += rows(CTC, "log_probs", {"log_probs": _posinf}, ValueError,
              r"log_probs holds \+inf at \[1, 2, 1\] within input_lengths\[1\]; "
              r"log-probabilities must be finite or -inf")
TABLE += rows(CTC, "targets", {"targets": np.array([1, 2])}, ValueError,
              r"targets must be a 2-d integer array of shape \(2, S\) \(padded label sequences\), got shape \(2,\)")
TABLE += rows(CTC, "targets", {"targets": np.array([[1, 2], [2, 0], [1, 1]])}, ValueError,
              r"targets must be a 2-d integer array of shape \(2, S\) \(padded label sequences\), got shape \(3, 2\)")
TABLE += rows(CTC, "targets", {"targets": np.array([[1, 3], [2, 0]])}, ValueError,
              r"targets holds class index 3 at \[0, 1\], expected indices in \[0, 3\)")
TABLE += rows(CTC, "targets", {"targets": np.array([[1, 2], [-1, 0]])}, ValueError,
              r"targets holds class index -1 at \[1, 0\], expected indices in \[0, 3\)")
TABLE += rows(CTC, "targets", {"targets": np.array([[0, 2], [2, 0]])}, ValueError,
              r"targets holds the blank index 0 at \[0, 0\] within target_lengths\[0\]; "
              r"a label sequence cannot contain the blank")
TABLE += rows(CTC, "targets", {"targets": np.array([[1, 2], [2, 0]]), "blank": 2}, ValueError,
              r"targets holds the blank index 2 at \[0, 1\] within target_lengths\[0\]")
for arg, limit, what in [("input_lengths", 4, "the number of frames T of log_probs"),
                         ("target_lengths", 2, "the padded length S of targets")]:
    TABLE += rows(CTC, arg, {arg: np.array([1, -1])}, ValueError,
                  rf"{arg} must be non-negative, got -1 for sequence 1")
    TABLE += rows(CTC, arg, {arg: np.array([limit + 1, 1])}, ValueError,
                  rf"{arg} must be at most {limit} \({what}\), got {limit + 1} for sequence 0")
    TABLE += rows(CTC, arg, {arg: np.array([1, 1, 1])}, ValueError,
                  rf"{arg} must be a 1-d integer array of length 2 \(one length per sequence\), got shape \(3,\)")
    TABLE += rows(CTC, arg, {arg: np.int64(1)}, ValueError,
                  rf"{arg} must be a 1-d integer array of length 2 \(one length per sequence\), got shape \(\)")
    TABLE += rows(CTC, arg, {arg: np.array([1.0, 1.0])}, TypeError,
                  rf"{arg} must be an integer array, got dtype float64")
    TABLE += rows(CTC, arg, {arg: np.array([True, True])}, TypeError,
                  rf"{arg} must be an integer array, got dtype bool")
for blank, exc, msg in [
    (3, ValueError, r"blank must be a class index in \[0, 3\), got 3"),
    (-1, ValueError, r"blank must be a class index in \[0, 3\), got -1"),
    (1.0, TypeError, r"blank must be an integer class index, got 1\.0"),
    (True, TypeError, r"blank must be an integer class index, got True"),
    (None, TypeError, r"blank must be an integer class index, got None"),
    ("0", TypeError, r"blank must be an integer class index, got '0'"),
]:
    TABLE += rows(CTC, "blank", {"blank": blank}, exc, msg)
for value in (1, 0, None, "yes", np.array([True])):
    TABLE += rows(CTC, "zero_infinity", {"zero_infinity": value}, TypeError,
                  rf"zero_infinity must be True or False, got {re.escape(repr(value))}")
TABLE += rows("ctc_collapse", "path", {"path": np.array([[1, 0], [0, 2]])}, ValueError,
              r"path must be a 1-d integer array \(one class per frame\), got shape \(2, 2\)")
TABLE += rows("ctc_collapse", "path", {"path": np.int64(1)}, ValueError,
              r"path must be a 1-d integer array \(one class per frame\), got shape \(\)")
TABLE += rows("ctc_collapse", "path", {"path": np.array([1, -1, 0])}, ValueError,
              r"path holds class index -1, expected non-negative indices")
TABLE += rows("ctc_collapse", "path", {"path": np.array([1.0, 0.0])}, TypeError,
              r"path must be an integer array, got dtype float64")
for blank, exc, msg in [
    (-1, ValueError, r"blank must be a non-negative class index, got -1"),
    (1.5, TypeError, r"blank must be an integer class index, got 1\.5"),
    (False, TypeError, r"blank must be an integer class index, got False"),
]:
    TABLE += rows("ctc_collapse", "blank", {"blank": blank}, exc, msg)
TABLE += rows("ctc_path_probability", "probs", {"probs": PROBS[None]}, ValueError,
              r"probs must be 2-d \(T, C\): frames, classes; got shape \(1, 2, 3\)")
TABLE += rows("ctc_path_probability", "probs", {"probs": PROBS[0]}, ValueError,
              r"probs must be 2-d \(T, C\): frames, classes; got shape \(3,\)")
TABLE += rows("ctc_path_probability", "probs", {"probs": np.array([[0.2, 0.3, 1.5], [0.6, 0.3, 0.1]])},
              ValueError, r"probs must lie in \[0, 1\], found 1\.5")
TABLE += rows("ctc_path_probability", "probs", {"probs": -PROBS}, ValueError,
              r"probs must lie in \[0, 1\], found -0\.2")
TABLE += rows("ctc_path_probability", "path", {"path": np.array([0, 1, 2])}, ValueError,
              r"path must have shape \(2,\) \(one class per frame of probs\), got \(3,\)")
TABLE += rows("ctc_path_probability", "path", {"path": np.array([0, 3])}, ValueError,
              r"path holds class index 3, expected indices in \[0, 3\)")
TABLE += rows("ctc_path_probability", "path", {"path": np.array([-1, 0])}, ValueError,
              r"path holds class index -1, expected indices in \[0, 3\)")
TABLE += rows("ctc_path_probability", "path", {"path": np.array([0.0, 2.0])}, TypeError,
              r"path must be an integer array, got dtype float64")

# --- reductions ----------------------------------------------------------------
for value in ("avg", "MEAN", "batchmean", None, 0, ["mean"], b"mean"):
    TABLE += rows(REDUCED, "reduction", {"reduction": value}, ValueError,
                  rf"reduction must be one of 'none', 'sum', 'mean', got {re.escape(repr(value))}")
TABLE += rows("reduce_loss", "sample_weights", {"sample_weights": np.ones(3)}, ValueError,
              r"sample_weights with shape \(3,\) does not broadcast to the shape \(2,\)")
TABLE += rows("reduce_loss", "sample_weights", {"sample_weights": np.array([1.0, -2.0])}, ValueError,
              r"sample_weights must be non-negative \(sample weights\), found -2\.0")


# --- a wrong kind of object, for every array argument --------------------------
class _NotAnArray:
    def __repr__(self):
        return "_NotAnArray()"


WRONG_KINDS = [  # (object, what the message shows after "got")
    (None, "None"),
    ("abc", r"dtype <U3 \(from a str\)"),
    (b"ab", r"dtype \|S2 \(from a bytes\)"),
    (np.array(["a", "b"]), "dtype <U1"),
    ({"a": 1.0}, r"dtype object \(from a dict\)"),
    ({1.0, 2.0}, r"dtype object \(from a set\)"),
    (_NotAnArray(), r"dtype object \(from a _NotAnArray\)"),
    (np.array([1.0, None], dtype=object), "dtype object"),
    ([[1.0, 2.0], [3.0]], "a list numpy cannot convert"),
    (np.array([1 + 2j, 0.5]), "dtype complex128"),
    (np.array(["2024-01-01"], dtype="M8[D]"), r"dtype datetime64\[D\]"),
    (np.array([1, 2], dtype="m8[s]"), r"dtype timedelta64\[s\]"),
]


def _kind_rows():
    out = []
    for name, args in ARRAY_ARGS.items():
        for arg in args:
            if name.startswith("nll_loss") and arg == "target":
                expected = "an integer array of class indices for nll_loss"
            elif arg in INTEGER_ARGS:
                expected = "an integer array"
            elif name.startswith(("softmax_cross_entropy", "focal_loss", "linear_cross_entropy")) \
                    and arg == "target":
                expected = r"(a real numeric array|an integer array)"  # indices or probabilities
            else:
                expected = "a real numeric array"
            for obj, shown in WRONG_KINDS:
                if obj is None and arg in ("weight", "pos_weight", "sample_weights", "linear_bias"):
                    continue  # None means "no weights"
                out += rows(name, arg, {arg: obj}, TypeError, rf"{arg} must be {expected}, got {shown}")
    return out


TABLE += _kind_rows()

# --- cotangent: the shape of the result, real numbers (every gradient) ----------
GRADS = sorted(n for n in VALID if n.endswith("_grad"))
PER_DISTRIBUTION_GRADS = ["entropy_grad", "cross_entropy_grad", "kl_divergence_grad", "logsumexp_grad"]
REDUCED_GRADS = [n for n in GRADS if n in REDUCED]
ELEMENTWISE_GRADS = _with_grad("binary_cross_entropy", "sigmoid_binary_cross_entropy", "sigmoid_focal_loss",
                               "mean_absolute_error", "mean_squared_error", "huber_loss", "smooth_l1_loss")[1::2]
TABLE += rows(REDUCED_GRADS, "cotangent", {"cotangent": np.ones(2)}, ValueError,
              r"cotangent must have the shape of the result, \(\) \(a scalar with reduction='mean'\), "
              r"got shape \(2,\)")
TABLE += rows([n for n in REDUCED_GRADS if n not in ELEMENTWISE_GRADS], "cotangent",
              {"reduction": "none", "cotangent": 1.0}, ValueError,
              r"cotangent must have the shape of the result, \(2,\) \(one value per sample with "
              r"reduction='none'\), got shape \(\)")
TABLE += rows(ELEMENTWISE_GRADS, "cotangent", {"reduction": "none", "cotangent": np.ones(3)}, ValueError,
              r"cotangent must have the shape of the result, \(2, 3\) .*got shape \(3,\)")
TABLE += rows(PER_DISTRIBUTION_GRADS, "cotangent", {"cotangent": np.ones((2, 1))}, ValueError,
              r"cotangent must have the shape of the result, \(2,\) \(one value per (distribution|row)\), "
              r"got shape \(2, 1\)")
TABLE += rows("root_mean_squared_error_grad", "cotangent", {"cotangent": np.ones(1)}, ValueError,
              r"cotangent must have the shape of the result, \(\) .*got shape \(1,\)")
for _obj, _shown in WRONG_KINDS[1:]:  # None means ones
    TABLE += rows(GRADS, "cotangent", {"cotangent": _obj}, TypeError,
                  rf"cotangent must be a real numeric array, got {_shown}")


def _row_id(row):
    name, arg, overrides, exc, _ = row
    shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    shown = re.sub(r"\s+", " ", shown)
    return f"{name}-{arg}-{exc.__name__}-{shown[:60]}"


# ---------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, arg, overrides, exc, message", TABLE, ids=[_row_id(r) for r in TABLE])
def test_invalid_input(name, arg, overrides, exc, message):
    fn = getattr(reference, name)
    kwargs = {**VALID[name], **overrides}
    # Floating-point errors raise here: a check that ran after some arithmetic on
    # the valid arguments could surface as a FloatingPointError instead.
    with np.errstate(all="raise"), pytest.raises(Exception) as info:
        fn(**kwargs)
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"  # not a subclass
    text = str(info.value)
    assert re.search(message, text), f"message {text!r} does not match {message!r}"
    assert arg in text, f"the message {text!r} does not name {arg!r}"


def test_every_public_function_has_a_valid_base_call():
    assert set(VALID) == set(reference.__all__)
    for name, kwargs in VALID.items():
        out = getattr(reference, name)(**kwargs)
        assert np.asarray(out).dtype == (np.int64 if name == "ctc_collapse" else np.float64)


def test_the_table_names_every_argument_of_every_function():
    covered = {(name, arg) for name, arg, *_ in TABLE}
    missing = [(name, param) for name in reference.__all__
               for param in inspect.signature(getattr(reference, name)).parameters
               if (name, param) not in covered]
    assert not missing, missing


# ---------------------------------------------------------------------------
# what is *not* an error
# ---------------------------------------------------------------------------

# (function, argument): the gradient does not read that argument's value
NAN_NOT_READ = {
    ("nll_loss_grad", "log_probs"),   # -weight[y_n] at the target entry, whatever log q is
    ("cross_entropy_grad", "p"),      # d/dp of -sum p log q is -log q
}


def _float_data_args(name):
    kwargs = VALID[name]
    return [a for a in ARRAY_ARGS[name] if a in kwargs and a not in ("weight", "pos_weight", "sample_weights")
            and np.asarray(kwargs[a]).dtype.kind == "f"]


# Known gap, reported to the lead: ctc_loss lets NaN log-probabilities warn in
# np.logaddexp (reference/ctc.py was written at the same time as this module).
@pytest.mark.parametrize("name", [n for n in sorted(VALID) if _float_data_args(n)])
def test_nan_in_data_is_not_an_error(name):
    """NaN passes every range check (NaN in, NaN out); only scalar options reject it."""
    fn = getattr(reference, name)
    kwargs = dict(VALID[name])
    for arg in _float_data_args(name):
        poisoned = np.array(kwargs[arg], dtype=np.float64)
        poisoned.flat[0] = np.nan
        out = np.asarray(fn(**{**kwargs, arg: poisoned}))
        assert np.isnan(out).any() != ((name, arg) in NAN_NOT_READ), (name, arg, out)


BOOL_ONE_HOT = np.eye(3, dtype=bool)[[0, 2]]


@pytest.mark.parametrize("name, arg", [
    ("softmax_cross_entropy", "target"), ("focal_loss", "target"), ("categorical_cross_entropy", "target"),
    ("binary_cross_entropy", "target"), ("sigmoid_binary_cross_entropy", "target"),
    ("sigmoid_focal_loss", "target"), ("mean_squared_error", "target"), ("entropy", "p"),
    ("softmax", "z"), ("sigmoid_binary_cross_entropy", "weight"),
])
def test_booleans_are_real_data(name, arg):
    """A boolean array is 0 and 1 (a mask, a one-hot row, a binary label):
    the same result as the float array.  (As class indices it is rejected.)"""
    fn = getattr(reference, name)
    kwargs = dict(VALID[name])
    got = fn(**{**kwargs, arg: BOOL_ONE_HOT})
    want = fn(**{**kwargs, arg: BOOL_ONE_HOT.astype(np.float64)})
    assert np.array_equal(got, want, equal_nan=True)


SCALAR_OPTIONS = [("focal_loss", "gamma"), ("focal_loss", "alpha"), ("sigmoid_focal_loss", "gamma"),
                  ("sigmoid_focal_loss", "alpha"), ("huber_loss", "delta"), ("smooth_l1_loss", "beta"),
                  ("softmax_cross_entropy", "label_smoothing"), ("cross_entropy", "eps"),
                  ("binary_cross_entropy", "eps"), ("entropy", "base")]


@pytest.mark.parametrize("name, option", SCALAR_OPTIONS)
@pytest.mark.parametrize("value", [np.float32(0.5), np.float16(0.5), np.array(0.5), 0.5,
                                   np.int64(1), np.uint8(1), np.array(1), 1])
def test_scalar_options_accept_any_real_number(name, option, value):
    """Python and numpy numbers and 0-d arrays all mean the same float."""
    if option == "base" and value == 1:
        value = value * 2  # base 1 is invalid; 2 keeps the type
    fn = getattr(reference, name)
    got = fn(**VALID[name], **{option: value})
    want = fn(**VALID[name], **{option: float(value)})
    assert np.array_equal(got, want)


def test_integer_options_accept_numpy_integers():
    assert reference.softmax(Z, axis=np.int64(0)).shape == Z.shape
    out = reference.nll_loss(LOGP, np.array([0, -100]), ignore_index=np.int32(-100), reduction="none")
    assert out[1] == 0.0


def test_wide_and_narrow_floats_are_accepted():
    """float16/float32/longdouble are real data; beyond float64 a longdouble rounds to inf."""
    huge = np.array([np.longdouble("1e4000"), 0.0], dtype=np.longdouble)
    assert reference.logsumexp(huge) == np.inf  # no overflow warning from the conversion
    assert reference.softmax(np.array([0.0, 0.0], dtype=np.float16)).dtype == np.float64

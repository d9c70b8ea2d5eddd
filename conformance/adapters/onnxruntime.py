"""Adapter: ONNX operators run by onnxruntime's CPU execution provider.

Translation only (see CONTRIBUTING.md, "Adapters").  Each function builds a
one-node ONNX model (opset 18) with ``onnx.helper`` and runs it with
onnxruntime; sessions are cached per (operator, dtype, attributes, optional
inputs), and the graph leaves every dimension symbolic, so one session serves
every shape of a rank.

* Float64 input runs the operators' double kernels (the CPU provider has them
  for every operator used here); float32 input runs the float kernels.
* ``SoftmaxCrossEntropyLoss`` and ``NegativeLogLikelihoodLoss`` want the class
  axis at position 1 and ``int64`` labels: the class axis is moved there, a
  single distribution ``(C,)`` becomes a batch of one.  Their ``reduction``
  attribute is the spec's (``none`` / ``sum`` / ``mean``, the mean dividing by
  the summed weights of the samples that count), ``ignore_index`` and the
  optional class ``weights`` input likewise.  Probability targets and label
  smoothing have no operator option: ``NotImplementedError``.
* Provided: ``softmax`` (Softmax), ``log_softmax`` (LogSoftmax), ``logsumexp``
  (ReduceLogSumExp), ``sigmoid`` (Sigmoid), ``softmax_cross_entropy``
  (SoftmaxCrossEntropyLoss), ``nll_loss`` (NegativeLogLikelihoodLoss).  ONNX
  has no single operator for the other functions (``log_sigmoid`` would be a
  composition), and onnxruntime has no gradients: those are not defined.
"""

from __future__ import annotations

import functools

from conformance.adapters._options import refuse_lm_options
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

NAME = "onnxruntime"
OPSET = 18
_REDUCTIONS = ("none", "sum", "mean")
_ONNX_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}

ort.set_default_logger_severity(4)  # failures are raised as exceptions; keep stderr quiet

_SESSIONS: dict = {}
_OPTIONS = ort.SessionOptions()
_OPTIONS.intra_op_num_threads = 1
_OPTIONS.inter_op_num_threads = 1
_OPTIONS.log_severity_level = 4


def _session(op, dtype, inputs, attrs, extra_key=()):
    """A cached one-node session: ``inputs`` is a list of (name, onnx type | None);
    ``None`` means "the float type ``dtype``".  ``extra_key`` holds the input
    ranks (one session per rank; the graph's dimensions are symbolic)."""
    key = (op, dtype, tuple(inputs), tuple(sorted(attrs.items())), extra_key)
    sess = _SESSIONS.get(key)
    if sess is None:
        ftype = _ONNX_TYPE[dtype]
        vi = [helper.make_tensor_value_info(n, ftype if t is None else t, None) for n, t in inputs]
        node = helper.make_node(op, [n for n, _ in inputs], ["y"], **attrs)
        graph = helper.make_graph([node], op, vi, [helper.make_tensor_value_info("y", ftype, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        sess = ort.InferenceSession(model.SerializeToString(), _OPTIONS,
                                    providers=["CPUExecutionProvider"])
        _SESSIONS[key] = sess
    return sess


def _float(x, name):
    a = np.asarray(x)
    if a.dtype.kind in "iub":
        a = a.astype(np.float64)
    if a.dtype not in _ONNX_TYPE:
        raise TypeError(f"{name} must be a float32 or float64 array, got dtype {a.dtype}")
    return _contiguous(a)


def _contiguous(a):
    # np.ascontiguousarray would turn a 0-d array into shape (1,).
    return np.require(a, requirements="C")


def _out(y):
    a = np.asarray(y)
    return a[()] if a.ndim == 0 else a


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------

def _unary(op, x, attrs):
    sess = _session(op, x.dtype, [("x", None)], attrs, (x.ndim,))
    return _out(sess.run(None, {"x": x})[0])


def softmax(z, axis=-1):
    return _unary("Softmax", _float(z, "z"), {"axis": int(axis)})


def log_softmax(z, axis=-1):
    return _unary("LogSoftmax", _float(z, "z"), {"axis": int(axis)})


def logsumexp(z, axis=-1):
    z = _float(z, "z")
    sess = _session("ReduceLogSumExp", z.dtype, [("x", None), ("axes", TensorProto.INT64)],
                    {"keepdims": 0}, (z.ndim,))
    return _out(sess.run(None, {"x": z, "axes": np.array([int(axis)], dtype=np.int64)})[0])


def sigmoid(x):
    return _unary("Sigmoid", _float(x, "x"), {})


# ---------------------------------------------------------------------------
# classification: SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss
# ---------------------------------------------------------------------------

def _loss_op(op, pred, target, axis, weight, ignore_index, reduction, pred_name):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    x = _float(pred, pred_name)
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise NotImplementedError(f"onnx {op} takes integer class labels only, not probabilities")
    single = x.ndim == 1
    if single:
        # One distribution: a batch of one.
        x, t = x[None, :], t.reshape(1)
    elif x.ndim >= 2:
        # The operator's class axis is axis 1; the batch axes keep their order.
        x = _contiguous(np.moveaxis(x, axis, 1))
    attrs = {"reduction": reduction}
    if ignore_index is not None:
        attrs["ignore_index"] = int(ignore_index)
    inputs = [("x", None), ("t", TensorProto.INT64)]
    feed = {"x": x, "t": _contiguous(t.astype(np.int64))}
    if weight is not None:
        inputs.append(("w", None))
        feed["w"] = _contiguous(np.asarray(weight, dtype=x.dtype))
    sess = _session(op, x.dtype, inputs, attrs, (x.ndim, t.ndim))
    out = sess.run(None, feed)[0]
    if single and reduction == "none":
        out = out.reshape(())
    return _out(out)


_no_lm_options = functools.partial(refuse_lm_options, library="onnx SoftmaxCrossEntropyLoss")


def softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None,
                          label_smoothing=0.0, z_loss=0.0, softcap=None, reduction="mean"):
    _no_lm_options(z_loss, softcap)
    if label_smoothing:
        raise NotImplementedError("onnx SoftmaxCrossEntropyLoss has no label smoothing")
    return _loss_op("SoftmaxCrossEntropyLoss", logits, target, axis, weight, ignore_index,
                    reduction, "logits")


def nll_loss(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction="mean"):
    return _loss_op("NegativeLogLikelihoodLoss", log_probs, target, axis, weight, ignore_index,
                    reduction, "log_probs")

"""Modules that take and return torch tensors or jax arrays (``--arrays torch|jax``,
``--device cpu|cuda|cuda:N``).

:func:`wrap` turns such a module into one the suite can call with numpy
arrays: every array argument becomes a tensor (array) of the same dtype on the
chosen device (bfloat16 included), every result comes back as a numpy array
of the dtype the module returned.  A list of numbers (the suite passes class
indices and lengths as lists too) becomes a tensor as well, and so does a
number given as ``cotangent``: the module sees tensors only.  Other scalars
(options such as ``label_smoothing``) stay numbers.  A module that has a loss but not its gradient gets one from
autograd through the loss (``torch.autograd.grad`` with the cotangent as the
output gradient, or ``jax.vjp``); :data:`GRADIENTS` of the wrapped module says,
per gradient, which it is, and the report quotes it.
"""

from __future__ import annotations

import types

import numpy as np

from .lowp import EXTRA_FLOATS
from .spec import FUNCTIONS

ARRAYS = ("numpy", "torch", "jax")

#: Gradients with a ``wrt`` of ``"p"`` (the first argument, the default) or ``"q"``.
_WRT = ("cross_entropy_grad", "kl_divergence_grad")


class DeviceUnavailable(RuntimeError):
    """The requested device does not exist here (a usage error for the command)."""


# ---------------------------------------------------------------------------
# torch
# ---------------------------------------------------------------------------

class _Torch:
    def __init__(self, device: str):
        import torch

        self.torch = torch
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise DeviceUnavailable(f"--device {device}: torch sees no CUDA device here")
        self.device = torch.device(device)

    def to(self, value):
        torch = self.torch
        if isinstance(value, np.ndarray):
            if value.dtype in EXTRA_FLOATS.values() and value.dtype.name == "bfloat16":
                bits = torch.from_numpy(np.ascontiguousarray(value).view(np.int16).copy())
                return bits.view(torch.bfloat16).to(self.device)
            return torch.from_numpy(np.array(value, copy=True)).to(self.device)
        return value

    def back(self, value):
        torch = self.torch
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
            if value.dtype == torch.bfloat16:
                return value.contiguous().view(torch.int16).numpy().view(EXTRA_FLOATS["bfloat16"])
            return value.numpy()
        if isinstance(value, (tuple, list)):
            return type(value)(self.back(v) for v in value)
        return value

    def vjp(self, loss, args, kwargs, position, cotangent):
        torch = self.torch
        args = list(args)
        args[position] = args[position].detach().clone().requires_grad_(True)
        out = loss(*args, **kwargs)
        grad_out = torch.ones_like(out) if cotangent is None else self.to(
            np.asarray(cotangent, dtype=np.float64)).to(out.dtype).reshape(out.shape)
        (g,) = torch.autograd.grad(out, args[position], grad_outputs=grad_out)
        return g


# ---------------------------------------------------------------------------
# jax
# ---------------------------------------------------------------------------

class _Jax:
    def __init__(self, device: str):
        import jax

        self.jax = jax
        kind, _, index = device.partition(":")
        platform = {"cuda": "gpu"}.get(kind, kind)
        try:
            devices = jax.devices(platform)
        except RuntimeError:
            raise DeviceUnavailable(f"--device {device}: jax sees no {platform} device here") from None
        i = int(index or 0)
        if i >= len(devices):
            raise DeviceUnavailable(f"--device {device}: jax sees {len(devices)} {platform} device(s)")
        self.device = devices[i]

    def to(self, value):
        if isinstance(value, np.ndarray):
            return self.jax.device_put(value, self.device)
        return value

    def back(self, value):
        if isinstance(value, self.jax.Array):
            return np.asarray(value)
        if isinstance(value, (tuple, list)):
            return type(value)(self.back(v) for v in value)
        return value

    def vjp(self, loss, args, kwargs, position, cotangent):
        import jax.numpy as jnp

        def f(x):
            full = list(args)
            full[position] = x
            return loss(*full, **kwargs)

        out, pull = self.jax.vjp(f, args[position])
        ct = jnp.ones_like(out) if cotangent is None else jnp.asarray(
            np.asarray(cotangent, dtype=np.float64), dtype=out.dtype).reshape(out.shape)
        (g,) = pull(ct)
        return g


def _backend(arrays: str, device: str):
    if arrays == "torch":
        return _Torch(device)
    if arrays == "jax":
        return _Jax(device)
    raise ValueError(f"--arrays must be one of {', '.join(ARRAYS)}, got {arrays!r}")


# ---------------------------------------------------------------------------
# wrapping a module
# ---------------------------------------------------------------------------

def wrap(module, arrays: str, device: str = "cpu"):
    """A namespace with ``module``'s contract functions taking and returning numpy.

    ``arrays="numpy"`` returns ``module`` itself.  Raises
    :class:`DeviceUnavailable` when ``device`` does not exist here.
    """
    if arrays == "numpy":
        return module
    backend = _backend(arrays, device)
    ns = types.SimpleNamespace(__name__=getattr(module, "__name__", "module"), GRADIENTS={})
    for name in FUNCTIONS:
        fn = getattr(module, name, None)
        if callable(fn):
            setattr(ns, name, _converted(fn, backend))
            if name.endswith("_grad"):
                ns.GRADIENTS[name] = f"{name} of the module"
    for name in FUNCTIONS:
        if not name.endswith("_grad") or callable(getattr(ns, name, None)):
            continue
        loss = getattr(module, name[: -len("_grad")], None)
        if callable(loss):
            setattr(ns, name, _autograd(name, loss, backend))
            ns.GRADIENTS[name] = f"autograd ({arrays}) through {name[: -len('_grad')]}"
    return ns


def _as_array(value, key=None):
    """What becomes a tensor: arrays, lists of numbers, a number given as the cotangent."""
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in value):
        return np.asarray(value)
    if key == "cotangent" and isinstance(value, (int, float, np.integer, np.floating)) \
            and not isinstance(value, bool):
        return np.asarray(value, dtype=np.float64)
    return value


def _converted(fn, backend):
    def call(*args, **kwargs):
        out = fn(*(backend.to(_as_array(a)) for a in args),
                 **{k: backend.to(_as_array(v, k)) for k, v in kwargs.items()})
        return backend.back(out)

    call.__name__ = getattr(fn, "__name__", "function")
    return call


def _autograd(name, loss, backend):
    def grad(*args, cotangent=None, wrt=None, **kwargs):
        position = 0
        if name in _WRT:
            wrt = wrt or "p"
            if wrt not in ("p", "q"):
                raise ValueError(f"wrt must be 'p' or 'q', got {wrt!r}")
            position = 1 if wrt == "q" else 0
        elif wrt is not None:
            raise TypeError(f"{name}() got an unexpected keyword argument 'wrt'")
        tensors = [backend.to(_as_array(a)) for a in args]
        kw = {k: backend.to(_as_array(v, k)) for k, v in kwargs.items()}
        return backend.back(backend.vjp(loss, tensors, kw, position, cotangent))

    grad.__name__ = name
    return grad

"""PyTorch and JAX contenders, built from the same numpy inputs as the reference.

Inputs are converted once, outside the timing: ``torch.from_numpy`` shares the
numpy buffers, JAX copies them to its device (the CPU) in advance.  PyTorch
runs once on one thread (``torch.set_num_threads(1)``, before each sample) and
once with its default thread count; JAX runs jitted with 64-bit types enabled,
each call waiting for its result (``block_until_ready``).  A gradient is what
each framework needs to produce it: PyTorch's forward and backward
(``torch.autograd.grad``), JAX's ``jit(grad(f))``.
"""

from __future__ import annotations

import importlib.util

from .timing import Contender

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_JAX = importlib.util.find_spec("jax") is not None and importlib.util.find_spec("optax") is not None

if HAVE_TORCH:
    import torch

    #: PyTorch's own default, read before anything changes it.
    TORCH_THREADS = torch.get_num_threads()
else:  # pragma: no cover - the benchmarks run with the frameworks extra
    TORCH_THREADS = 0

if HAVE_JAX:
    import jax

    jax.config.update("jax_enable_x64", True)


def versions() -> dict[str, str]:
    out = {}
    if HAVE_TORCH:
        out["torch"] = torch.__version__
    if HAVE_JAX:
        import optax

        out["jax"] = jax.__version__
        out["optax"] = optax.__version__
    return out


def torch_contenders(fn, inputs: dict, wrt: str | None = None) -> list[Contender]:
    """``fn(tensors)`` on one thread and on the default number of threads.

    With ``wrt``, the contender computes the gradient of the scalar
    ``fn(tensors)`` with respect to ``tensors[wrt]``.
    """
    if not HAVE_TORCH:
        return []
    tensors = {k: torch.from_numpy(v) for k, v in inputs.items()}
    if wrt is None:
        def call():
            with torch.no_grad():
                return fn(tensors)
    else:
        def call():
            x = tensors[wrt].detach().requires_grad_(True)
            (g,) = torch.autograd.grad(fn({**tensors, wrt: x}), x)
            return g
    one = Contender("torch-1", call, prepare=lambda: torch.set_num_threads(1))
    default = Contender("torch", call, prepare=lambda: torch.set_num_threads(TORCH_THREADS))
    return [one, default]


def jax_contender(fn, inputs: dict, wrt: str | None = None) -> list[Contender]:
    """``jit(fn)`` (or ``jit(grad(fn))`` with respect to ``inputs[wrt]``) as a
    contender that waits for its result."""
    if not HAVE_JAX:
        return []
    keys = sorted(inputs, key=lambda k: k != wrt)  # the differentiated input first
    arrays = [jax.device_put(inputs[k]) for k in keys]

    def as_dict(*args):
        return fn(dict(zip(keys, args)))

    f = jax.jit(jax.grad(as_dict) if wrt is not None else as_dict)
    return [Contender("jax", lambda: jax.block_until_ready(f(*arrays)))]


def restore_torch_threads() -> None:
    if HAVE_TORCH:
        torch.set_num_threads(TORCH_THREADS)

"""Adapter: PyTorch's chunked ``linear_cross_entropy`` (``--impl torch_chunked``).

``torch.nn.functional.linear_cross_entropy`` with
``options=torch.nn.LinearCrossEntropyOptions()``: the batch-chunked op, with the
options a user who opts in gets by default (on the CPU, chunks of
``next_pow2(ceil(N / ceil(C / H))) / 2`` tokens, ``acc_policy="compact"`` for
float32 and float64).  It provides ``linear_cross_entropy`` and its gradient only;
every other function is PyTorch's default path, checked by the ``torch`` adapter.
The translation is :mod:`conformance.adapters._torch_lce`; with ``options`` set
PyTorch supports neither label smoothing nor probability targets (it warns and
runs its reference path), so those raise ``NotImplementedError`` here.
"""

from __future__ import annotations

import torch

from conformance.adapters import _torch_lce

NAME = "torch_chunked"


def use_device(device: str) -> None:
    """Run on ``device`` (``cuda``, ``cuda:1``); ``RuntimeError`` if torch has none."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"--device {device}: torch sees no CUDA device here")
    _torch_lce.DEVICE = torch.device(device)


linear_cross_entropy, linear_cross_entropy_grad = _torch_lce.contract_functions(chunked=True, module=__name__)

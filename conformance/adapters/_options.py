"""What the built-in adapters share about options their frameworks lack and
about libraries that need a GPU.  Imports nothing heavy: any adapter may use it."""

from __future__ import annotations

import importlib.util


def refuse_lm_options(z_loss, softcap, library: str) -> None:
    """``library`` has no z-loss and no softcap (docs/spec/large-vocabulary.md):
    composing them in the adapter would test the adapter, so a case that needs
    either is reported as not supported (``NotImplementedError``)."""
    if z_loss:
        raise NotImplementedError(f"{library} has no z-loss")
    if softcap is not None:
        raise NotImplementedError(f"{library} has no softcap")


def cuda_package_available(package: str) -> bool:
    """``package`` and torch import and torch sees a CUDA device (anything
    missing means: the adapter provides nothing, never an import error)."""
    try:
        if importlib.util.find_spec(package) is None or importlib.util.find_spec("torch") is None:
            return False
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - anything missing means: not provided
        return False

"""JAX set-up shared by the ``jax`` and ``keras`` adapters: CPU only, 64-bit
mode (without it float64 input cannot exist at all), and a persistent
compilation cache.

Import this module before ``jax.numpy``, ``optax`` or ``keras``.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)


def _persistent_compilation_cache():
    """Keep compiled executables on disk between runs (the checks compile one
    small program per input shape; a warm cache halves a run's time).  A cache
    directory the user configured (``JAX_COMPILATION_CACHE_DIR``) is used as
    given; either way every program is cached, however quick its compilation
    (JAX's default keeps only those that took a second or more)."""
    if not jax.config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", os.path.join(tempfile.gettempdir(), "loss-spec-jax-cache"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


_persistent_compilation_cache()

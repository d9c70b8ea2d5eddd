"""``jax.jit`` whose executables are kept on disk by the call's signature, so
that a run with a warm cache neither traces nor lowers (used by the ``jax`` and
``keras`` adapters).

Why: the checks call each function at a few thousand distinct shapes, and
``jax.jit`` finds a program in JAX's persistent compilation cache only after
tracing the Python function and lowering it to StableHLO, because the cache is
keyed by the lowered module.  That costs about 30 ms a program on the 2-core
machine the budgets are measured on, more than half of a warm run.  Here the key
is what the traced program depends on instead:

* the program's ``name`` (unique in the process, given by the adapter, with
  every static option the function closes over) and its static arguments;
* the abstract signature of the call: the pytree structure of the arguments
  and, for every leaf, shape, dtype and weak type, the three things ``jax.jit``
  itself traces with;
* a fingerprint of everything else tracing reads (:func:`fingerprint`): the
  source of the adapters, the versions and the files of JAX, jaxlib, optax,
  Keras, numpy and ml_dtypes, JAX's configuration, Keras' (``floatx``,
  ``epsilon``), the environment variables of JAX, XLA and Keras, and the CPU.

The executable stored is the one ``jit(fn).lower(*args).compile()`` produced on
the first run, the same compilation ``jit(fn)(*args)`` performs (a test compares
the results bit for bit), serialized with
``jax.experimental.serialize_executable``.  Loading it takes about 4 ms.  These
compilations bypass JAX's own cache: an executable JAX read back from that cache
serializes without its kernels, and a later process that runs it fails with
"Function ... not found" (a test keeps this).  Files are written whole under a
temporary name, then renamed, so processes that run side by side never read half
a file; a file that does not load, or whose program fails on its first call, is
removed and the program compiled again.  Only the CPU is stored; with another ``--device``
(or with JAX's compilation cache disabled: ``JAX_ENABLE_COMPILATION_CACHE=false``,
or ``LOSS_SPEC_STORED_JIT=0``) this is plain ``jax.jit``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import pathlib
import pickle
import platform
import tempfile

import jax
from jax.experimental import serialize_executable

try:  # a thread-local switch; ``jax.config.update`` would change every thread
    from jax._src.config import enable_compilation_cache as _jax_cache_switch
except ImportError:  # pragma: no cover - another JAX: store nothing
    _jax_cache_switch = None

#: Names given so far in this process: one program per name.
_NAMES: dict[str, object] = {}
_FINGERPRINT: list[str] = []
#: Packages whose Python source is traced, and binary packages known by version.
_TRACED_PACKAGES = ("jax", "optax", "keras", "numpy", "ml_dtypes")
_VERSIONED = ("jax", "jaxlib", "optax", "keras", "numpy", "ml_dtypes")
_ENV_PREFIXES = ("JAX_", "XLA_", "KERAS_", "TF_")


def _package_state(name: str) -> str:
    """Path, size and modification time of every ``.py`` file of a package (an
    edited installation changes the fingerprint even at the same version)."""
    spec = importlib.util.find_spec(name)  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        return f"{name}: absent"
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(".py"):
                st = os.stat(os.path.join(dirpath, f))
                h.update(f"{os.path.relpath(os.path.join(dirpath, f), root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return f"{name}: {root} {h.hexdigest()}"


def _source_digests(directory: pathlib.Path) -> str:
    """The content of every module of ``directory`` (the adapters: what they
    trace is their code)."""
    return "; ".join(f"{path.name}: {hashlib.sha256(path.read_bytes()).hexdigest()}"
                     for path in sorted(directory.glob("*.py")))


def _cpu() -> str:
    """The CPU's model and features: XLA compiles for the host's instruction set."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    first = text.split("\n\n", 1)[0]
    return "\n".join(line for line in first.splitlines() if line.startswith(("model name", "flags", "vendor_id")))


def _keras_config() -> str:
    import sys

    keras = sys.modules.get("keras")
    if keras is None:
        return "keras: not imported"
    return f"keras: {keras.backend.backend()} {keras.config.floatx()} {keras.config.epsilon()!r}"


def fingerprint() -> str:
    """A digest of everything a traced program depends on besides its name,
    static arguments and input signature (computed once per process)."""
    if not _FINGERPRINT:
        parts = []
        for name in _VERSIONED:
            try:
                parts.append(f"{name}=={importlib.metadata.version(name)}")
            except importlib.metadata.PackageNotFoundError:
                parts.append(f"{name}: not installed")
        parts += [_package_state(name) for name in _TRACED_PACKAGES]
        parts.append(_source_digests(pathlib.Path(__file__).parent))
        parts += [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith(_ENV_PREFIXES)]
        parts += [f"{k}={v!r}" for k, v in sorted(jax.config.values.items())
                  if not k.startswith(("jax_compilation_cache", "jax_persistent_cache"))]
        parts += [_keras_config(), _cpu(), platform.python_version()]
        _FINGERPRINT.append(hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24])
    return _FINGERPRINT[0]


def _enabled() -> bool:
    return (os.environ.get("LOSS_SPEC_STORED_JIT", "1") != "0"
            and _jax_cache_switch is not None
            and bool(jax.config.jax_enable_compilation_cache)
            and bool(jax.config.jax_compilation_cache_dir))


def _store() -> pathlib.Path:
    return pathlib.Path(jax.config.jax_compilation_cache_dir) / "loss-spec-executables" / fingerprint()


def _leaf_signature(x) -> tuple:
    aval = jax.api_util.shaped_abstractify(x)
    return tuple(aval.shape), str(aval.dtype), bool(getattr(aval, "weak_type", False))


class StoredJit:
    """``jax.jit(fn, static_argnames=...)`` with its executables stored on disk
    (see the module's docstring); called exactly like the jitted function.

    Parameters
    ----------
    fn : callable
        A function of jax arrays, Python scalars and ``None``.
    name : str
        Unique in the process; with ``fn``'s static arguments it must determine
        the program (give a closure's options in the name).
    static_argnames : str or tuple of str
        As for ``jax.jit``; they must be passed by keyword.
    """

    def __init__(self, fn, name: str, static_argnames=()):
        if name in _NAMES:
            raise ValueError(f"a stored program named {name!r} exists already")
        _NAMES[name] = fn
        self.name = name
        self._static = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        self._jit = jax.jit(fn, static_argnames=self._static)
        self._loaded: dict = {}

    def __call__(self, *args, **kwargs):
        static = tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k in self._static))
        dynamic = {k: v for k, v in kwargs.items() if k not in self._static}
        leaves, tree = jax.tree.flatten((args, dynamic), is_leaf=lambda x: x is None)
        signature = (self.name, static, str(tree),
                     tuple(None if x is None else _leaf_signature(x) for x in leaves))
        executable = self._loaded.get(signature)
        if executable is None:
            executable, stored = self._load_or_compile(signature, args, kwargs)
            self._loaded[signature] = executable
            if stored:
                try:
                    return executable(*args, **dynamic)
                except Exception:  # noqa: BLE001 - a stored program that does not run: compile it again
                    executable, _ = self._load_or_compile(signature, args, kwargs, reload=False)
                    self._loaded[signature] = executable
        return executable(*args, **dynamic)

    def _load_or_compile(self, signature, args, kwargs, reload=True):
        """The executable for ``signature`` and whether it was read from disk."""
        if not _enabled() or jax.default_backend() != "cpu" or _on_other_device(args, kwargs):
            return _bound(self._jit, kwargs, self._static), False
        path = _store() / (hashlib.sha256(repr(signature).encode()).hexdigest() + ".pkl")
        try:
            if reload:
                stored_signature, payload = pickle.loads(path.read_bytes())
                if stored_signature == signature:
                    return serialize_executable.deserialize_and_load(*payload), True
        except FileNotFoundError:
            pass
        except Exception:  # noqa: BLE001 - a damaged or foreign file: compile again
            pass
        path.unlink(missing_ok=True)
        # Compiled past JAX's own cache: an executable JAX read back from its
        # cache serializes without its kernels ("Function ... not found" when a
        # later process runs it), and two of our signatures may lower to one
        # module (softmax with axis=0 and axis=-2 of a matrix).
        with _jax_cache_switch(False):
            compiled = self._jit.lower(*args, **kwargs).compile()
        try:
            data = pickle.dumps((signature, serialize_executable.serialize(compiled)))
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except Exception:  # noqa: BLE001 - not storable: this run still has it
            pass
        return compiled, False


def _on_other_device(args, kwargs) -> bool:
    """Whether an argument lives on a device other than JAX's default."""
    default = jax.devices()[0]
    for x in jax.tree.leaves((args, kwargs)):
        devices = getattr(x, "devices", None)
        if callable(devices) and devices() != {default}:
            return True
    return False


def _bound(jitted, kwargs, static_names):
    """The plain jitted function with the call's static arguments bound."""
    static = {k: v for k, v in kwargs.items() if k in static_names}

    def call(*args, **dynamic):
        return jitted(*args, **dynamic, **static)

    return call

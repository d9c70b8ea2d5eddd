"""Built-in adapters: ``--impl NAME`` for NAME in :data:`BUILTIN` (and :data:`OPTIONAL`).

An adapter is a module whose attributes are named after the contract's
functions (:data:`conformance.spec.FUNCTIONS`), with the contract's signatures,
taking numpy arrays and returning numpy arrays (or anything ``numpy.asarray``
accepts).  It translates calling conventions only: names, argument order,
layout, log or linear space, and which option of the framework claims the
spec's meaning.  It never repairs results (no clamping, no NaN patching, no
re-normalising): what then differs from the spec is what the suite reports.
An option the framework cannot express raises ``NotImplementedError``, which
the suite reports as skipped; a function the framework lacks is simply absent
(reported as not provided).

Each built-in adapter may ship ``conformance/known_deviations/<name>.toml``,
its framework's known deviations grouped by reason (see
:mod:`conformance.deviations`); the command loads it automatically.
"""

BUILTIN = ("reference", "scipy", "torch", "torch_chunked", "jax", "keras", "sklearn", "onnxruntime", "tensorflow")

#: Adapters resolvable by name (``--impl liger``) and with known-deviation files
#: like the built-ins, but not in the matrix: they need a CUDA GPU and packages
#: the pinned environment does not install.  Without them each loads and
#: provides no function (every function is reported as not provided).
OPTIONAL = ("liger", "cce")

#: Every name ``--impl`` resolves to a module of this package.
NAMED = BUILTIN + OPTIONAL

"""Built-in adapters.

An adapter is a module whose attributes are named after the contract's functions,
take numpy arrays and return numpy arrays.  It translates calling conventions only
(names, argument order, layout, log or linear space, which framework option claims
the spec's meaning) and never repairs results.  An option the framework cannot
express raises ``NotImplementedError``, which the suite reports as skipped.
"""

BUILTIN = ("reference", "scipy", "torch", "jax", "keras", "sklearn", "onnxruntime")

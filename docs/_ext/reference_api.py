"""Sphinx extension: resolve ``reference.NAME`` to where ``NAME`` is documented.

Every public function lives in a family module (``reference.softmax.log_softmax``)
and is re-exported by the package (``reference.log_softmax``), the name users
import.  Docstrings and pages may cite either; the API pages document the
family module, so a cross-reference to the short name is redirected there.
"""

from __future__ import annotations

import importlib


def canonical_name(target: str):
    """``reference.NAME`` -> ``reference.<family>.NAME`` for a re-exported function, else None."""
    package, _, name = target.partition(".")
    if package != "reference" or not name or "." in name:
        return None
    obj = getattr(importlib.import_module("reference"), name, None)
    module = getattr(obj, "__module__", None)
    if not module or module == "reference" or not hasattr(obj, "__name__"):
        return None
    return f"{module}.{obj.__name__}"


def resolve_public_name(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = canonical_name(node.get("reftarget", ""))
    if target is None:
        return None
    return env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                            target, node, contnode)


def setup(app):
    app.connect("missing-reference", resolve_public_name)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

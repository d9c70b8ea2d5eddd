"""What the mutant self-tests share: run every check of one clause on the
reference with one function replaced by a mutant."""

import types

import reference as ref
from conformance.registry import load_all_checks
from conformance.run_check import run_check

CHECKS = load_all_checks()


def reference_with(function, replacement):
    """A module with the reference's functions and ``function`` replaced (``None``: none)."""
    impl = types.SimpleNamespace(**{n: getattr(ref, n) for n in ref.__all__})
    if replacement is not None:
        setattr(impl, function, replacement)
    return impl


def statuses(function, replacement, clause):
    """``(check, status, message)`` of every check of ``function`` enforcing ``clause``."""
    impl = reference_with(function, replacement)
    rows = [run_check(c, impl, max_examples=10) for c in CHECKS.values()
            if c.function == function and c.clause == clause]
    assert rows, f"no check of {function} enforces {clause}"
    return [(r.check, r.status, r.message) for r in rows]

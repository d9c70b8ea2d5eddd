"""The registry of conformance checks.

A check is a plain function ``body(fn, ctx)`` registered with :func:`check`.
``fn`` is the implementation's function under test; ``ctx`` is a
:class:`conformance.context.Context`.  The body returns normally when the
clause holds and raises :class:`Failure` when it does not (``ctx.assert_close``
and ``ctx.property`` raise it for you), or :class:`Skip` when the check does
not apply (for example a property that needs a second function the
implementation does not provide).

Every check names exactly one spec clause (``clause``), an id of the form
``family.topic.detail`` defined on a spec page with the ``{clause}`` role.  The
docs build fails when a clause has no check or a check cites an unknown clause.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

KINDS = (
    "example",     # the source documents' worked examples
    "value",       # values against the reference over generated inputs
    "golden",      # committed hard cases with mpmath expectations
    "special",     # special values stated on the spec pages
    "property",    # identities and properties
    "gradient",    # closed-form / autograd gradients
    "dtype",       # float32 / float64 accuracy budgets
    "invalid",     # invalid input must raise or give NaN
)


@dataclasses.dataclass(frozen=True)
class Check:
    id: str
    function: str
    clause: str
    kind: str
    body: Callable
    description: str
    needs: tuple = ()
    #: The input dtype the check is about (``None``: every run); a run with
    #: ``--dtypes`` runs only the checks of the dtypes it names.
    dtype: str | None = None

    @property
    def title(self) -> str:
        return self.description or self.id


CHECKS: dict[str, Check] = {}


def check(id: str, *, function: str, clause: str, kind: str, description: str = "", needs=(), dtype=None):
    """Register ``body(fn, ctx)`` as the check ``id`` of ``function`` enforcing ``clause``.

    ``needs`` lists other functions of the implementation that the check calls
    through ``ctx.impl(name)``; when one is missing the check is skipped.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected one of {KINDS}")

    def register(body):
        if id in CHECKS:
            raise ValueError(f"duplicate check id {id!r}")
        doc = description or (body.__doc__ or "").strip().splitlines()[0:1]
        CHECKS[id] = Check(
            id=id,
            function=function,
            clause=clause,
            kind=kind,
            body=body,
            description=doc if isinstance(doc, str) else (doc[0] if doc else ""),
            needs=tuple(needs),
            dtype=dtype if dtype is not None else _implied_dtype(id, kind),
        )
        return body

    return register


def _implied_dtype(id: str, kind: str):
    """The float32 accuracy checks (kind ``dtype``, ids ``*.float32``) are about float32."""
    return "float32" if kind == "dtype" and id.endswith("float32") else None


#: The input dtypes ``--dtypes`` can name, and the default selection.
DTYPES = ("float64", "float32", "float16", "bfloat16")
DEFAULT_DTYPES = ("float64", "float32")
LOW_PRECISION_DTYPES = ("float16", "bfloat16")


class Failure(AssertionError):
    """A clause does not hold.  Carries what the report shows."""

    def __init__(self, message, *, expected=None, got=None, counterexample=None,
                 max_abs_error=None, max_ulp_error=None):
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.got = got
        self.counterexample = counterexample
        self.max_abs_error = max_abs_error
        self.max_ulp_error = max_ulp_error
        self.reasons = []

    def as_dict(self) -> dict:
        return {"message": str(self.message), "expected": self.expected, "got": self.got,
                "counterexample": self.counterexample, "max_abs_error": self.max_abs_error,
                "max_ulp_error": self.max_ulp_error}

    @classmethod
    def combine(cls, failures) -> "Failure":
        """One failure for several: the first one's details, every one in ``reasons``."""
        failures = list(failures)
        if len(failures) == 1:
            return failures[0]
        first = failures[0]
        ulps = [f.max_ulp_error for f in failures if f.max_ulp_error is not None]
        errs = [f.max_abs_error for f in failures if f.max_abs_error is not None]
        combined = cls(f"{len(failures)} cases failed; the first: {first.message}",
                       expected=first.expected, got=first.got, counterexample=first.counterexample,
                       max_abs_error=max(errs) if errs else None, max_ulp_error=max(ulps) if ulps else None)
        combined.reasons = [f.as_dict() for f in failures]
        return combined


class Skip(Exception):
    """The check does not apply to this implementation."""


def load_all_checks() -> dict[str, Check]:
    """Import every check module so that the registry is complete."""
    from . import checks  # noqa: F401  (the package imports its modules)

    return CHECKS


def checks_for(function: str | None = None) -> list[Check]:
    load_all_checks()
    return [c for c in CHECKS.values() if function is None or c.function == function]

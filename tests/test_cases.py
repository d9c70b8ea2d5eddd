"""The reference against every row of the case tables (conformance/cases/).

The same rows the conformance suite runs against other implementations and the
spec pages show under their clauses.  A value row must hold within the
reference's own target, 2 ulps times (1 + the function's condition) in the
budget rule of ``conformance.budgets``; a refused input must raise exactly the
row's exception, naming what its ``match`` says, before any arithmetic.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest

import reference as ref
from conformance import budgets
from conformance.cases import all_cases, by_clause, load, FAMILIES
from conformance.context import ulp_errors
from conformance.registry import load_all_checks
from conformance.spec import FUNCTIONS

load_all_checks()  # registers every function's budget

CASES = all_cases()
REFERENCE_ULPS = 2.0


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_meets_the_row(case):
    fn = getattr(ref, case.function)
    args = [_copy(a) for a in case.args]
    kwargs = {k: _copy(v) for k, v in case.kwargs.items()}
    if case.refuses:
        with pytest.raises(getattr(builtins, case.raises), match=case.match or ""):
            fn(*args, **kwargs)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = np.asarray(fn(*args, **kwargs))
    exp = np.asarray(case.expected, dtype=np.float64)
    assert got.shape == exp.shape, f"shape {got.shape}, expected {exp.shape}"
    if case.decimals is not None:
        assert np.all(np.abs(got - exp) <= 0.5 * 10.0 ** -case.decimals * (1 + 1e-9)), (got, exp)
        return
    floor, cond = budgets.judge(case.function, case.args, case.kwargs, exp)
    _, ulps = ulp_errors(got, budgets.allow_underflow(got, exp), floor=floor)
    budget = REFERENCE_ULPS * (1.0 + cond)
    assert np.all(ulps <= budget), f"{np.max(ulps):.3g} ulps over a budget of {np.max(budget):.3g}: {got!r} vs {exp!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_row_leaves_its_arguments_alone(case):
    """The table's arrays are shared by every reader: a call must not change them."""
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
    fn = getattr(ref, case.function)
    try:
        fn(*case.args, **case.kwargs)
    except (ValueError, TypeError):
        pass
    for a, b in zip(case.args, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def test_every_row_names_a_contract_function_and_a_known_kind():
    for case in CASES:
        assert case.function in FUNCTIONS, case.id
        assert case.kind in ("example", "special", "invalid", "golden"), case.id
        assert case.clause.split(".")[0], case.id


def test_every_row_clause_is_defined_on_a_spec_page():
    from conformance import clauses

    known = clauses.all_clauses()
    if not known:
        pytest.skip("the spec pages are not beside the package")
    missing = sorted({c.clause for c in CASES} - set(known))
    assert not missing, f"rows cite clauses no page defines: {missing}"


def test_every_function_with_rows_has_a_budget():
    missing = sorted({c.function for c in CASES if not c.refuses} - set(budgets.CONDITIONS))
    assert not missing, f"no budget registered for {missing}"


def test_ids_are_unique_per_table_and_across_tables():
    ids = [c.id for f in FAMILIES for c in load(f)]
    assert len(ids) == len(set(ids))
    assert sum(len(v) for v in by_clause().values()) == len(CASES)


@pytest.mark.parametrize("text, value", [
    ("log1p(exp(-50))", 1.9287498479639178e-22),
    ("-log(0.25)", 1.3862943611198906),
    ("log(2)", 0.6931471805599453),
])
def test_closed_forms_are_evaluated_by_mpmath(text, value):
    from conformance.cases import closed_form

    assert closed_form(text) == value

"""The conformance checks as pytest items (collected with ``--pyargs conformance``)."""

import pytest

from conformance import deviations
from conformance.registry import load_all_checks
from conformance.runner import run_check


def test_check(conformance_check, conformance_target, request):
    implementation, entries = conformance_target
    check = load_all_checks()[conformance_check]
    if not callable(getattr(implementation, check.function, None)):
        pytest.skip(f"{check.function} not provided")
    row = run_check(check, implementation,
                    max_examples=request.config.getoption("--conformance-max-examples"),
                    seed=request.config.getoption("--conformance-seed"))
    if row["status"] == "skipped":
        pytest.skip(row["message"])
    if row["status"] in ("fail", "error"):
        entry = deviations.match(entries, check.id)
        if entry is not None:
            pytest.xfail(f"known deviation: {entry['reason']}")
        pytest.fail(f"[clause {check.clause}] {row['message']}\ncall: {row.get('counterexample')}",
                    pytrace=False)

"""The conformance checks as pytest items.

Collected by ``pytest --pyargs conformance --impl TARGET`` (see
:mod:`conformance.pytest_plugin`); without ``--impl`` there is nothing to run.
"""

import pytest

from conformance import clauses, deviations
from conformance.pytest_plugin import dtypes
from conformance.registry import load_all_checks
from conformance.run_check import run_check


def test_check(conformance_check, conformance_target, request):
    implementation, entries = conformance_target
    check = load_all_checks()[conformance_check]
    config = request.config
    if not callable(getattr(implementation, check.function, None)):
        pytest.skip(f"not provided: {config.getoption('--impl')} has no {check.function}")
    row = run_check(check, implementation,
                    max_examples=config.getoption("--conformance-max-examples"),
                    seed=config.getoption("--conformance-seed"),
                    timeout=config.getoption("--conformance-timeout"), dtypes=dtypes(config))
    for key in ("clause", "kind", "max_abs_error", "max_ulp_error"):
        request.node.user_properties.append((key, row.get(key)))
    if row["status"] == "skipped":
        pytest.skip(row["message"])
    if row["status"] in ("fail", "error"):
        matching = deviations.match_all(entries, check.id)
        if matching:  # every reason that applies, not only the first
            listed = "; ".join(f"{e['reason']} ({e['why']})" for e in matching)
            pytest.xfail(f"known deviation: {listed} [{row['message'][:300]}]")
        lines = [f"{row['status']}: {check.id} [clause {check.clause}]", row["message"]]
        text = clauses.readable_text(check.clause)
        if text:
            lines.append(f"clause: {text}")
        if row.get("expected") is not None or row.get("got") is not None:
            lines.append(f"expected {row.get('expected')!s:.300}")
            lines.append(f"got      {row.get('got')!s:.300}")
        if row.get("counterexample"):
            lines.append(f"call: {row['counterexample']}")
        for i, case in enumerate(row["reasons"], 1):
            lines.append(f"case {i} of {len(row['reasons'])}: {case.get('message')}")
            if case.get("counterexample"):
                lines.append(f"  call: {case['counterexample']}")
        pytest.fail("\n".join(lines), pytrace=False)

"""pytest plugin: ``pytest --pyargs conformance --impl TARGET`` runs the suite as tests.

Inert unless ``--impl`` is given.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "loss-spec conformance suite")
    group.addoption("--impl", default=None, help="implementation to check (adapter, module or .py file)")
    group.addoption("--conformance-only", default=None, help="comma-separated function names")
    group.addoption("--conformance-max-examples", type=int, default=50)
    group.addoption("--conformance-seed", type=int, default=0)
    group.addoption("--conformance-known-deviations", action="append", default=[])


def pytest_generate_tests(metafunc):
    if "conformance_check" not in metafunc.fixturenames:
        return
    target = metafunc.config.getoption("--impl")
    ids = []
    if target:
        from .registry import load_all_checks
        from .spec import FUNCTIONS

        only = metafunc.config.getoption("--conformance-only")
        wanted = set(only.split(",")) if only else set(FUNCTIONS)
        ids = sorted(c.id for c in load_all_checks().values() if c.function in wanted)
    metafunc.parametrize("conformance_check", ids)


@pytest.fixture(scope="session")
def conformance_target(request):
    from . import deviations
    from .adapters import BUILTIN
    from .runner import resolve

    target = request.config.getoption("--impl")
    if not target:
        pytest.skip("no --impl given")
    entries = deviations.builtin(target) if target in BUILTIN else []
    for path in request.config.getoption("--conformance-known-deviations"):
        entries += deviations.load(path)
    return resolve(target), entries

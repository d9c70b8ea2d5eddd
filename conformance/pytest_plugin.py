"""pytest plugin: ``pytest --pyargs conformance --impl TARGET`` runs the suite as tests.

Registered as the ``pytest11`` entry point ``conformance``.  It is inert unless
``--impl`` is given: without it, it adds its options and nothing else (the
project's own tests never see it).  With ``--impl``, ``conformance/test_suite.py``
gets one test per check (in contract order), run in the pytest process:

* a passing check passes;
* a failing or erroring check fails with its clause, message and smallest input,
  unless a known deviation matches: then it is an expected failure (xfail);
* a skipped check, and every check of a function the target does not provide,
  is skipped.

Options: ``--impl TARGET``, ``--conformance-only NAME[,NAME...]``,
``--conformance-max-examples N`` (50), ``--conformance-seed N`` (0),
``--conformance-known-deviations FILE`` (repeatable; a built-in adapter's own
file is always loaded), ``--conformance-timeout S`` (30, per check, best effort
in-process), ``--conformance-dtypes LIST`` (as ``--dtypes`` of the command).
"""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

from conformance import DEFAULT_TIMEOUT

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "loss-spec conformance suite")
    group.addoption("--impl", default=None, metavar="TARGET",
                    help="check this implementation against loss-spec (built-in adapter, module or .py file); "
                         "run with --pyargs conformance")
    group.addoption("--conformance-only", default=None, metavar="NAMES",
                    help="comma-separated contract function names to check")
    group.addoption("--conformance-max-examples", type=int, default=50, metavar="N",
                    help="hypothesis examples per property check (default 50)")
    group.addoption("--conformance-seed", type=int, default=0, metavar="N",
                    help="0 derandomises hypothesis (default)")
    group.addoption("--conformance-known-deviations", action="append", default=[], metavar="FILE",
                    help="TOML file of known deviations (repeatable)")
    group.addoption("--conformance-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                    help=f"seconds one check may take (default {DEFAULT_TIMEOUT:g})")
    group.addoption("--conformance-dtypes", default=None, metavar="LIST",
                    help="input dtypes to check, from float64,float32,float16,bfloat16, or 'all'")


def _active(config) -> bool:
    return bool(config.getoption("--impl", default=None))


def _only(config):
    from .spec import FUNCTIONS

    only = config.getoption("--conformance-only")
    if not only:
        return list(FUNCTIONS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in FUNCTIONS]
    if unknown or not names:
        raise pytest.UsageError(f"--conformance-only: unknown function name(s): {', '.join(unknown) or '(none)'}")
    return names


def dtypes(config):
    """The ``--conformance-dtypes`` names (``None``: the default); a usage error for an unknown one."""
    from .registry import DTYPES

    text = config.getoption("--conformance-dtypes", default=None)
    if not text:
        return None
    names = list(DTYPES) if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DTYPES]
    if unknown or not names:
        raise pytest.UsageError(f"--conformance-dtypes: unknown dtype(s) {', '.join(unknown) or '(none)'}; "
                                f"expected names from {','.join(DTYPES)} or 'all'")
    return names


def pytest_configure(config):
    if _active(config):
        _only(config)  # a usage error before collection
        dtypes(config)
        config.addinivalue_line("markers", "conformance: a loss-spec conformance check")


def pytest_ignore_collect(collection_path, config):
    """With ``--impl``, collect only ``test_suite.py`` inside this package (not its
    modules' doctests, which ``--doctest-modules`` would otherwise pick up)."""
    if not _active(config):
        return None
    path = pathlib.Path(collection_path).resolve()
    if path.is_file() and _PACKAGE_DIR in path.parents and path.name != "test_suite.py":
        return True
    return None


def pytest_generate_tests(metafunc):
    if "conformance_check" not in metafunc.fixturenames:
        return
    ids = []
    if _active(metafunc.config):
        from .session import selected_checks

        ids = [c.id for c in selected_checks(_only(metafunc.config), dtypes(metafunc.config))]
    metafunc.parametrize("conformance_check", ids)


@pytest.fixture(scope="session")
def conformance_target(request):
    """``(implementation module, known-deviation entries)`` for the session."""
    from .run_check import ImportFailure, resolve
    from .session import load_deviations

    target = request.config.getoption("--impl")
    if not target:
        pytest.skip("no --impl given")
    # A module path names a module of the project pytest runs in, as it does for
    # `python -m conformance` (the `pytest` script alone does not put it on sys.path).
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        implementation = resolve(target)
    except ImportFailure as exc:
        raise pytest.UsageError(str(exc)) from None
    entries = load_deviations(target, request.config.getoption("--conformance-known-deviations"))
    return implementation, entries

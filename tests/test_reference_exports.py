"""The reference package exports exactly its families' public names, and every
function of the contract is among them."""

import importlib
import re
from pathlib import Path

import reference
from conformance.spec import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent


def _family_all(family):
    # importlib: ``reference.softmax`` is the function once the package is imported
    return importlib.import_module(f"reference.{family}").__all__


def test_all_is_the_union_of_the_families():
    union = {"reduce_loss"}
    for family in reference.FAMILIES:
        union |= set(_family_all(family))
    assert len(reference.__all__) == len(set(reference.__all__)), "a name is listed twice"
    assert set(reference.__all__) == union


def test_every_exported_name_is_the_family_function():
    for family in reference.FAMILIES:
        module = importlib.import_module(f"reference.{family}")
        for name in module.__all__:
            assert getattr(reference, name) is getattr(module, name), name


def test_every_contract_function_is_exported():
    missing = [name for name in FUNCTIONS if name not in reference.__all__]
    assert missing == []


def test_no_family_imports_another_familys_private_names():
    """Shared private helpers live in ``reference/_eft.py`` only."""
    pattern = re.compile(r"^from \.([a-z]\w*) import (.*)$")
    offenders = []
    for path in sorted((ROOT / "reference").glob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            m = pattern.match(line)
            if m and any(name.strip(" (").startswith("_") for name in m.group(2).split(",")):
                offenders.append(f"{path.name}:{lineno}: {line}")
    assert offenders == []

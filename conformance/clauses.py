"""Clause texts parsed from the spec pages, for the terminal report."""

from __future__ import annotations

import functools
import pathlib
import re

SPEC_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs" / "spec"
_ITEM = re.compile(r"^\s*[-*]\s+\{clause\}`([^`]+)`\s*(.*)$")


@functools.lru_cache(maxsize=1)
def all_clauses() -> dict[str, str]:
    """Map clause id to the first line of its text (empty when the docs are absent)."""
    found = {}
    if SPEC_DIR.is_dir():
        for page in sorted(SPEC_DIR.glob("*.md")):
            for line in page.read_text(encoding="utf-8").splitlines():
                m = _ITEM.match(line)
                if m:
                    found[m.group(1).strip()] = m.group(2).strip()
    return found


def text(clause_id: str) -> str | None:
    return all_clauses().get(clause_id)

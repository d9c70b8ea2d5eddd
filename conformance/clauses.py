"""Clause texts parsed from the spec pages, for the terminal report.

A clause is a list item of a page under ``docs/spec/`` that starts with
``{clause}`id```; its text runs over the item's continuation lines (indented
lines, blank lines inside the item included).  When the docs are not beside the
package (an installed wheel), every text is unknown and the report omits it.
"""

from __future__ import annotations

import functools
import pathlib
import re

SPEC_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs" / "spec"
_ITEM = re.compile(r"^(\s*)[-*]\s+\{clause\}`([^`]+)`\s*(.*)$")
_ROLE = re.compile(r"\{[a-z-]+\}`([^`]*)`")


def parse(text: str) -> dict[str, str]:
    """Map each clause id in the Markdown ``text`` to its text (one line, whitespace collapsed)."""
    found = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _ITEM.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        clause_id, parts = m.group(2).strip(), [m.group(3)]
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.strip() == "":
                # a blank line continues the item only if an indented line follows
                j = i
                while j < len(lines) and lines[j].strip() == "":
                    j += 1
                if j < len(lines) and _indent(lines[j]) > indent and not _ITEM.match(lines[j]):
                    i = j
                    continue
                break
            if _indent(line) <= indent or _ITEM.match(line):
                break
            parts.append(line.strip())
            i += 1
        body = " ".join(p for p in parts if p)
        body = _ROLE.sub(lambda r: r.group(1), body)
        found[clause_id] = re.sub(r"\s+", " ", body).strip()
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


@functools.lru_cache(maxsize=1)
def all_clauses() -> dict[str, str]:
    """Every clause of the spec pages (empty when the docs are absent)."""
    found = {}
    if SPEC_DIR.is_dir():
        for page in sorted(SPEC_DIR.glob("*.md")):
            found.update(parse(page.read_text(encoding="utf-8")))
    return found


def text(clause_id: str) -> str | None:
    """The text of ``clause_id``, or ``None`` when unknown."""
    return all_clauses().get(clause_id)

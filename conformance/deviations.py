"""Known-deviation files: TOML lists of ``[[deviation]]`` tables.

Each table has ``reason`` (entries sharing it form a group), ``checks`` (fnmatch
patterns over check ids), ``clause`` and ``why``.  A failing check that matches
becomes ``known_deviation``; an entry that matches no failing check is stale.
"""

from __future__ import annotations

import fnmatch
import pathlib
import tomllib

HERE = pathlib.Path(__file__).parent / "known_deviations"


def load(path) -> list[dict]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    entries = data.get("deviation", [])
    for i, entry in enumerate(entries):
        for key in ("reason", "checks", "clause", "why"):
            if key not in entry:
                raise ValueError(f"{path}: deviation #{i + 1} has no {key!r}")
        if isinstance(entry["checks"], str):
            entry["checks"] = [entry["checks"]]
        entry["source"] = str(path)
    return entries


def builtin(name: str) -> list[dict]:
    path = HERE / f"{name}.toml"
    return load(path) if path.exists() else []


def match(entries: list[dict], check_id: str):
    for entry in entries:
        if any(fnmatch.fnmatchcase(check_id, pat) for pat in entry["checks"]):
            return entry
    return None

"""Known-deviation files: TOML lists of ``[[deviation]]`` tables.

::

    [[deviation]]
    reason = "BCELoss clamps log(p) at -100"          # entries sharing a reason form a group
    checks = ["bce.golden.*", "bce.special.zero-one"]  # fnmatch patterns over check ids
    clause = "bce.special.zero-one"                   # the spec clause it breaks
    why = "p = 0 with y = 1 costs 100 instead of +inf"

A failing or erroring check whose id matches an entry becomes
``known_deviation``; an entry that matches no failing check is *stale* (the
report lists it, the exit status does not change).  A built-in adapter's file is
``conformance/known_deviations/<adapter>.toml``.
"""

from __future__ import annotations

import fnmatch
import pathlib
import tomllib

HERE = pathlib.Path(__file__).parent / "known_deviations"
KEYS = ("reason", "checks", "clause", "why")


def load(path) -> list[dict]:
    """The entries of one file; ``ValueError`` naming the file for a malformed one."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    entries = data.get("deviation", [])
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected [[deviation]] tables")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: deviation #{i + 1} is not a table")
        for key in KEYS:
            if key not in entry:
                raise ValueError(f"{path}: deviation #{i + 1} has no {key!r}")
        entry = dict(entry)
        if isinstance(entry["checks"], str):
            entry["checks"] = [entry["checks"]]
        if not all(isinstance(p, str) for p in entry["checks"]):
            raise ValueError(f"{path}: deviation #{i + 1}: 'checks' must be strings (fnmatch patterns)")
        entry["source"] = str(path)
        out.append(entry)
    return out


def builtin(name: str) -> list[dict]:
    """The known deviations shipped for the built-in adapter ``name`` (may be none)."""
    path = HERE / f"{name}.toml"
    return load(path) if path.exists() else []


def matches(entry: dict, check_id: str) -> bool:
    return any(fnmatch.fnmatchcase(check_id, pat) for pat in entry["checks"])


def match_all(entries: list[dict], check_id: str) -> list[dict]:
    """Every entry whose patterns match ``check_id``, in file order."""
    return [e for e in entries if matches(e, check_id)]


def match(entries: list[dict], check_id: str):
    """The first entry matching ``check_id``, or ``None``."""
    found = match_all(entries, check_id)
    return found[0] if found else None


def groups(entries: list[dict]) -> dict[str, list[dict]]:
    """Entries grouped by ``reason``, in the order the reasons first appear."""
    out: dict[str, list[dict]] = {}
    for e in entries:
        out.setdefault(e["reason"], []).append(e)
    return out

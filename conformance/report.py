"""Report writers: JSON (atomic), JUnit XML, and the terminal summary."""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import xml.etree.ElementTree as ET

from . import clauses


def _atomic_write(path, text: str) -> None:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def write_json(report: dict, path) -> None:
    rows = [{k: _jsonable(v) for k, v in row.items()} for row in report["results"]]
    _atomic_write(path, json.dumps({**report, "results": rows}, indent=1, allow_nan=True) + "\n")


def write_junit(report: dict, path) -> None:
    suite = ET.Element("testsuite", name=f"conformance[{report['implementation']}]",
                       tests=str(len(report["results"])))
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for row in report["results"]:
        case = ET.SubElement(suite, "testcase", classname=row["function"], name=row["check"],
                             time=str(row.get("duration_s", 0)))
        status = row["status"]
        if status == "fail":
            counts["failures"] += 1
            el = ET.SubElement(case, "failure", message=row["message"][:500])
            el.text = f"clause {row['clause']}\ncall: {row.get('counterexample')}"
        elif status == "error":
            counts["errors"] += 1
            ET.SubElement(case, "error", message=row["message"][:500])
        elif status in ("skipped", "not_provided", "known_deviation"):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=f"{status}: {row['message']}"[:500])
    for k, v in counts.items():
        suite.set(k, str(v))
    _atomic_write(path, ET.tostring(suite, encoding="unicode"))


STATUSES = ("pass", "fail", "error", "known_deviation", "skipped", "not_provided")


def function_line(function: str, rows: list[dict]) -> str:
    if rows and rows[0]["status"] == "not_provided":
        return f"{function:<36} not provided"
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    parts = [f"{counts['pass']} passed"]
    for s, label in (("fail", "failed"), ("error", "errors"), ("known_deviation", "known deviations"),
                     ("skipped", "skipped")):
        if counts[s]:
            parts.append(f"{counts[s]} {label}")
    worst = max((r["max_ulp_error"] or 0.0 for r in rows if r["status"] == "pass"), default=0.0)
    grade = f"  (max {worst:.3g} ulps)" if worst else ""
    return f"{function:<36} " + ", ".join(parts) + grade


def failure_block(row: dict) -> str:
    lines = [f"FAIL {row['check']}  [clause {row['clause']}]" if row["status"] == "fail"
             else f"ERROR {row['check']}  [clause {row['clause']}]"]
    text = clauses.text(row["clause"]) if row.get("clause") else None
    if text:
        lines.append(f"  clause: {text}")
    lines.append(f"  {_short(row['message'], 400)}")
    if row.get("expected") is not None or row.get("got") is not None:
        lines.append(f"  expected {_short(row.get('expected'))}  got {_short(row.get('got'))}")
    if row.get("max_ulp_error") is not None:
        lines.append(f"  error: {row['max_ulp_error']:.3g} ulps (abs {row.get('max_abs_error') or 0:.3g})")
    if row.get("counterexample"):
        lines.append(f"  smallest failing input: {_short(row['counterexample'], 600)}")
    return "\n".join(lines)


def _short(value, limit=160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

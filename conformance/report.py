"""Report writers: JSON (atomic), JUnit XML, and the terminal summary.

The JSON report::

    {"implementation": "torch", "spec_version": "0.1.0",
     "started": "...", "finished": "...", "duration_s": 12.3, "interrupted": false,
     "options": {...},
     "summary": {"pass": 250, "fail": 0, "error": 0, "known_deviation": 12,
                 "skipped": 3, "not_provided": 4},
     "results": [{"check", "function", "clause", "kind", "status", "message",
                  "max_abs_error", "max_ulp_error", "counterexample", "expected",
                  "got", "duration_s", ["deviation"]}, ...],
     "stale_deviations": [{"reason", "checks", "clause", "why", "source", "note"}, ...]}

Non-finite numbers (an error of ``inf`` ulps, a ``NaN`` that was returned) are
written as ``Infinity`` and ``NaN``, as Python's :mod:`json` reads and writes them.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
import tempfile
import xml.etree.ElementTree as ET

from . import clauses
from .runner import STATUSES


def atomic_write(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(value):
    try:
        json.dumps(value, allow_nan=True)
        return value
    except (TypeError, ValueError):
        return repr(value)


def to_json(report: dict) -> str:
    rows = [{k: _jsonable(v) for k, v in row.items()} for row in report["results"]]
    return json.dumps({**report, "results": rows}, indent=1, allow_nan=True) + "\n"


def write_json(report: dict, path) -> None:
    atomic_write(path, to_json(report))


def write_junit(report: dict, path) -> None:
    """One ``testcase`` per check (``classname`` = function); known deviations,
    skipped checks and functions not provided are ``skipped``."""
    suite = ET.Element("testsuite", name=f"conformance[{report['implementation']}]",
                       tests=str(len(report["results"])), timestamp=str(report.get("started") or ""),
                       time=f"{report.get('duration_s') or 0:.3f}")
    props = ET.SubElement(suite, "properties")
    for key in ("implementation", "spec_version", "interrupted"):
        ET.SubElement(props, "property", name=key, value=str(report.get(key)))
    counts = {"failures": 0, "errors": 0, "skipped": 0}
    for row in report["results"]:
        case = ET.SubElement(suite, "testcase", classname=row["function"], name=row["check"],
                             time=f"{row.get('duration_s') or 0:.4f}")
        status = row["status"]
        detail = _detail(row)
        if status == "fail":
            counts["failures"] += 1
            el = ET.SubElement(case, "failure", message=_clean(row["message"])[:1000], type="fail")
            el.text = _clean(detail)
        elif status == "error":
            counts["errors"] += 1
            el = ET.SubElement(case, "error", message=_clean(row["message"])[:1000], type="error")
            el.text = _clean(detail)
        elif status in ("skipped", "not_provided", "known_deviation"):
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=_clean(f"{status}: {row['message']}")[:1000])
    for k, v in counts.items():
        suite.set(k, str(v))
    atomic_write(path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n")


def _clean(text) -> str:
    """Drop characters XML 1.0 cannot carry."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 0x20)


def _detail(row: dict) -> str:
    lines = [f"clause {row.get('clause')}"]
    if row.get("expected") is not None or row.get("got") is not None:
        lines.append(f"expected {_short(row.get('expected'), 2000)}")
        lines.append(f"got      {_short(row.get('got'), 2000)}")
    if row.get("max_ulp_error") is not None:
        lines.append(f"error {_ulps(row['max_ulp_error'])} ulps")
    if row.get("counterexample"):
        lines.append(f"call: {row['counterexample']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# terminal
# ---------------------------------------------------------------------------

def counts(rows) -> dict:
    return {s: sum(r["status"] == s for r in rows) for s in STATUSES}


def function_line(function: str, rows: list[dict]) -> str:
    """One summary line for a function."""
    if rows and all(r["status"] == "not_provided" for r in rows):
        return f"     {function:<34} not provided"
    n = counts(rows)
    parts = [f"{n['pass']} passed"]
    for s, label in (("fail", "failed"), ("error", "errors"), ("known_deviation", "known deviations"),
                     ("skipped", "skipped")):
        if n[s]:
            parts.append(f"{n[s]} {label}")
    if not rows:
        parts = ["no checks"]
    worst = max((r["max_ulp_error"] or 0.0 for r in rows if r["status"] == "pass"), default=0.0)
    grade = f"  (max {_ulps(worst)} ulps)" if worst else ""
    mark = "FAIL " if n["fail"] or n["error"] else "ok   "
    return f"{mark}{function:<34} " + ", ".join(parts) + grade


def failure_block(row: dict) -> str:
    """What a user needs to reproduce one failure."""
    head = "FAIL " if row["status"] == "fail" else "ERROR"
    lines = [f"{head} {row['check']}  ({row['function']}, clause {row['clause']})"]
    text = clauses.text(row["clause"]) if row.get("clause") else None
    if text:
        lines.append(f"  clause:   {_short(text, 240)}")
    lines.append(f"  message:  {_short(one_line(row['message']), 200 if row.get('counterexample') else 400)}")
    if row.get("expected") is not None or row.get("got") is not None:
        lines.append(f"  expected: {_short(row.get('expected'))}")
        lines.append(f"  got:      {_short(row.get('got'))}")
    if row.get("max_ulp_error") is not None:
        lines.append(f"  error:    {_ulps(row['max_ulp_error'])} ulps (absolute {_num(row.get('max_abs_error'))})")
    if row.get("counterexample"):
        lines.append(f"  input:    {_short(one_line(row['counterexample']), 600)}")
    return "\n".join(lines)


#: At most this many failure blocks are printed; the JSON report has them all.
MAX_BLOCKS = 30


def summary_lines(report: dict) -> list[str]:
    """The end of the terminal output: failures, deviations, stale entries, totals.

    Failures of one function with the same message (a function that raises on
    every input, or hangs) are shown once, with the ids of the others.
    """
    out = []
    failures = [r for r in report["results"] if r["status"] in ("fail", "error")]
    if failures:
        groups: dict[tuple, list[dict]] = {}
        for row in failures:
            groups.setdefault((row["function"], row["status"], row["message"]), []).append(row)
        out.append("")
        out.append(f"{len(failures)} check(s) failed or raised:")
        for n, rows in enumerate(groups.values()):
            if n == MAX_BLOCKS:
                rest = sum(len(r) for r in list(groups.values())[n:])
                out.append("")
                out.append(f"... and {rest} more; the JSON report (--report) lists every one.")
                break
            out.append("")
            out.append(failure_block(rows[0]))
            if len(rows) > 1:
                others = ", ".join(r["check"] for r in rows[1:])
                out.append(f"  (the same message for {len(rows) - 1} more: {_short(others, 300)})")
    deviations = [r for r in report["results"] if r["status"] == "known_deviation"]
    if deviations:
        out.append("")
        out.append(f"{len(deviations)} known deviation(s), by reason:")
        by_reason: dict[str, list[str]] = {}
        for row in deviations:
            by_reason.setdefault(row["deviation"]["reason"], []).append(row["check"])
        for reason, ids in by_reason.items():
            out.append(f"  {_short(reason, 120)}: {_short(', '.join(ids), 200)}")
    if report.get("stale_deviations"):
        out.append("")
        out.append(f"{len(report['stale_deviations'])} stale known deviation(s) (no failing check matches; "
                   "remove them):")
        for entry in report["stale_deviations"]:
            out.append(f"  stale: {_short(entry['reason'], 100)}  checks {entry['checks']}  "
                       f"[{entry.get('note', '')}; {entry.get('source', '')}]")
    n = report["summary"]
    labels = (("pass", "passed"), ("fail", "failed"), ("error", "errors"), ("known_deviation", "known deviations"),
              ("skipped", "skipped"), ("not_provided", "not provided"))
    parts = [f"{n.get(k, 0)} {label}" for k, label in labels if k == "pass" or n.get(k)]
    out.append("")
    out.append(f"{report['implementation']}: " + ", ".join(parts)
               + f" in {report.get('duration_s', 0):.1f} s"
               + ("  (INTERRUPTED: the report covers the checks run so far)" if report.get("interrupted") else ""))
    return out


def one_line(text) -> str:
    """Join the lines of a multi-line call (numpy prints rows on lines of their own)."""
    return re.sub(r"\s*\n\s*", " ", str(text))


def _ulps(x) -> str:
    if x is None:
        return "?"
    x = float(x)
    return "inf" if math.isinf(x) else ("nan" if math.isnan(x) else f"{x:.3g}")


def _num(x) -> str:
    return "?" if x is None else f"{float(x):.3g}"


def _short(value, limit=160) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

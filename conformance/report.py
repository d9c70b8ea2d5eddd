"""Report writers: JSON (atomic), JUnit XML, and the terminal summary.

The JSON report::

    {"implementation": "torch", "spec_version": "0.1.0",
     "started": "...", "finished": "...", "duration_s": 12.3, "interrupted": false,
     "options": {...},
     "summary": {"pass": 250, "fail": 0, "error": 0, "known_deviation": 12,
                 "skipped": 3, "not_provided": 4},
     "results": [{"check", "function", "clause", "kind", "status", "message",
                  "max_abs_error", "max_ulp_error", "counterexample", "expected",
                  "got", "duration_s", "reasons", ["lost"], ["blocked_by"],
                  ["deviation"]}, ...],
     "stale_deviations": [{"reason", "checks", "clause", "why", "source", "note"}, ...]}

``reasons`` lists every failing case of a check that judged several (each with
``message``, ``expected``, ``got``, ``counterexample``, ``max_ulp_error``);
``deviation`` (known deviations only) has the first matching entry's ``reason``,
``clause``, ``why``, ``source``, the ``measured_status`` and every matching
entry in ``entries``; ``lost`` is ``"timeout"`` or ``"died"`` for a check whose
process was lost, ``blocked_by`` the function whose loss kept a check from running.

Report files are written with the permissions of any file the user creates
(``0666`` less the umask, so ``0644`` under the usual umask ``022``); an
existing file keeps its mode.

Non-finite numbers (an error of ``inf`` ulps, a ``NaN`` that was returned) are
written as ``Infinity`` and ``NaN``, as Python's :mod:`json` reads and writes them.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import re
import stat
import tempfile
import textwrap
import xml.etree.ElementTree as ET

from . import clauses
from .run_check import STATUSES, plain


def atomic_write(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory.

    The file gets the mode an ordinary ``open(path, "w")`` would give it (the
    existing file's mode, or ``0666`` less the umask), not the ``0600`` of a
    temporary file: a report is for others to read too.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _mode_for(path: pathlib.Path) -> int:
    """The permission bits ``path`` keeps (if it exists) or gets from the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        pass
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def _jsonable(value):
    try:
        json.dumps(value, allow_nan=True)
        return value
    except (TypeError, ValueError):
        return plain(value)  # numpy values in a row made in this process


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
    text = clauses.readable_text(row["clause"]) if row.get("clause") else None
    if text:
        lines.append(text)
    lines += _case_lines(row, lambda label, value: f"{label} {value}", limit=2000)
    for i, case in enumerate(row.get("reasons") or [], 1):
        lines.append(f"case {i} of {len(row['reasons'])}: {case.get('message')}")
        lines += _case_lines(case, lambda label, value: f"  {label} {value}", limit=2000)
    return "\n".join(lines)


def _case_lines(case: dict, fmt, *, limit: int) -> list[str]:
    """expected/got/error/input lines of one failing case (a row or one of its ``reasons``)."""
    lines = []
    if case.get("expected") is not None or case.get("got") is not None:
        lines.append(fmt("expected:", _short(case.get("expected"), limit)))
        lines.append(fmt("got:     ", _short(case.get("got"), limit)))
    if case.get("max_ulp_error") is not None:
        absolute = f" (absolute {_num(case['max_abs_error'])})" if case.get("max_abs_error") is not None else ""
        lines.append(fmt("error:   ", f"{_ulps(case['max_ulp_error'])} ulps{absolute}"))
    if case.get("counterexample"):
        lines.append(fmt("input:   ", _short(one_line(case["counterexample"]), max(limit, 600))))
    return lines


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
    """What a user needs to reproduce one failure: the clause's text, every failing case."""
    head = "FAIL " if row["status"] == "fail" else "ERROR"
    lines = [f"{head} {row['check']}  ({row['function']}, clause {row['clause']})"]
    text = clauses.readable_text(row["clause"]) if row.get("clause") else None
    if text:
        wrapped = textwrap.wrap(text, width=96) or [""]
        lines.append(f"  clause:   {wrapped[0]}")
        lines += [f"            {ln}" for ln in wrapped[1:]]
    lines.append(f"  message:  {_short(one_line(row['message']), 200 if row.get('counterexample') else 400)}")
    lines += _case_lines(row, lambda label, value: f"  {label} {value}", limit=160)
    reasons = row.get("reasons") or []
    for i, case in enumerate(reasons, 1):
        lines.append(f"  case {i} of {len(reasons)}: {_short(one_line(case.get('message', '')), 300)}")
        lines += _case_lines(case, lambda label, value: f"    {label} {value}", limit=160)
    return "\n".join(lines)


#: At most this many failure blocks are printed; the summary then says how many
#: more there are and where the full list is.
MAX_BLOCKS = 30


def _listing(ids, limit: int = 12) -> str:
    """``a, b, c`` with at most ``limit`` names, then how many more (never cut silently)."""
    ids = list(ids)
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more"


def summary_lines(report: dict, report_path=None) -> list[str]:
    """The end of the terminal output: failures, deviations, stale entries, totals.

    Failures of one function with the same message (a function that raises on
    every input, or hangs) are shown once, with the ids of the others.  When
    more than :data:`MAX_BLOCKS` blocks are due, the rest are counted and the
    line says where they are: ``report_path`` (the ``--report`` file) when one
    was written, else how to get one.
    """
    out = []
    failures = [r for r in report["results"] if r["status"] in ("fail", "error")]
    if failures:
        groups: dict[tuple, list[dict]] = {}
        for row in failures:
            groups.setdefault((row["function"], row["status"], row["message"]), []).append(row)
        out.append("")
        out.append(f"{len(failures)} check(s) failed or raised:")
        blocks = list(groups.values())
        for rows in blocks[:MAX_BLOCKS]:
            out.append("")
            out.append(failure_block(rows[0]))
            if len(rows) > 1:
                out.append(f"  (the same message for {len(rows) - 1} more: {_listing(r['check'] for r in rows[1:])})")
        if len(blocks) > MAX_BLOCKS:
            rest = blocks[MAX_BLOCKS:]
            n_checks = sum(len(r) for r in rest)
            where = (f"every one is in {report_path}" if report_path else
                     "run again with --report PATH to get every one (or --only to narrow the run)")
            out.append("")
            out.append(f"... and {n_checks} more failing check(s) in {len(rest)} more block(s), not shown "
                       f"(the first {MAX_BLOCKS} blocks are): {where}.")
            out.append(f"  not shown: {_listing((r[0]['check'] for r in rest), 20)}")
    deviations = [r for r in report["results"] if r["status"] == "known_deviation"]
    if deviations:
        out.append("")
        out.append(f"{len(deviations)} known deviation(s), by reason:")
        by_reason: dict[str, list[str]] = {}
        for row in deviations:
            dev = row["deviation"]
            for entry in dev.get("entries") or [dev]:  # a check several reasons apply to is under each
                by_reason.setdefault(entry["reason"], []).append(row["check"])
        for reason, ids in by_reason.items():
            out.append(f"  {_short(reason, 120)}: {_listing(ids)}")
    compared = [r for r in report["results"] if r.get("baseline")]
    if compared:
        name = compared[0]["baseline"]["implementation"]
        worse = [r for r in compared if r["baseline"]["worse_cases"]]
        out.append("")
        out.append(f"low precision against the baseline ({name}, same inputs, same dtype): "
                   f"{len(compared) - len(worse)} of {len(compared)} check(s) at least as accurate at every input")
        for row in worse:
            out.append(f"  {row['check']}: {row['baseline']['verdict']}")
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

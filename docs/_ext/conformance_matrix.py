"""Sphinx extension: the ``conformance-matrix`` and ``conformance-matrix-measured`` directives.

Both read the committed matrix data that ``make matrix``
(:mod:`conformance.matrix`) writes into ``docs/conformance/matrix``; nothing is
run while the site builds.

* ``conformance-matrix`` renders functions × built-in adapters, then every
  known deviation and failure with its clause, measured error and smallest input.
* ``conformance-matrix-measured`` says when and with which versions each
  adapter was measured.

An adapter of :data:`conformance.adapters.BUILTIN` without a result file is
shown as *not measured*; one whose fingerprint no longer matches the suite is
shown as *stale* (its verdicts are not rendered as if they were current).
``tests/test_matrix_data.py`` fails in both cases, so neither reaches a release.
"""

from __future__ import annotations

import json
import re

from docutils import nodes
from docutils.parsers.rst import Directive

from doc_tables import table

from conformance import matrix
from conformance.adapters import BUILTIN

DATA = matrix.ROOT / matrix.DATA
#: Framework distributions named on the page, by adapter (the rest are common pins).
SHOWN_VERSIONS = ("numpy", "hypothesis")


def load(adapter: str, data_dir=DATA):
    """``(data, state, changes)`` for one adapter.

    ``state`` is ``"current"``, ``"stale"`` (``changes`` says what differs
    from the inputs it was measured with) or ``"missing"`` (``data`` is None).
    """
    path = data_dir / f"{adapter}.json"
    if not path.is_file():
        return None, "missing", []
    data = json.loads(path.read_text())
    inputs = matrix.fingerprint_inputs(adapter)
    if data.get("fingerprint") == matrix.fingerprint_of(inputs):
        return data, "current", []
    return data, "stale", matrix.changed_inputs(data.get("inputs", {}), inputs)


LOW_DTYPES = ("float16", "bfloat16")


def is_low_precision(row) -> bool:
    """A check of float16 or bfloat16 input (``<function>.dtype.bfloat16``)."""
    return row["check"].rsplit(".", 1)[-1] in LOW_DTYPES and ".dtype." in row["check"]


def status_of(rows):
    """The cell's text and its kind (pass, deviation, fail, absent, skipped)."""
    if not rows:
        return "·", "absent"
    statuses = [r["status"] for r in rows]
    if statuses == ["not_provided"]:
        return "—", "absent"  # not provided
    n = {s: statuses.count(s) for s in set(statuses)}
    if n.get("fail") or n.get("error"):
        return f"FAIL ({n.get('fail', 0) + n.get('error', 0)})", "fail"
    if n.get("known_deviation"):
        return f"deviation ({n['known_deviation']})", "deviation"
    if n.get("pass"):
        return "pass", "pass"
    return "skipped", "skipped"


def column_header(adapter: str, data, state: str) -> str:
    """``torch (21 s)``, ``tensorflow (not measured)`` or ``jax (stale)``."""
    # "onnxruntime" may break after "onnx" (a zero-width space), so that all
    # columns fit a desktop window.
    name = adapter.replace("onnx", "onnx" + chr(0x200B), 1)
    if state == "missing":
        return f"{name} (not measured)"
    if state == "stale":
        return f"{name} (stale)"
    return f"{name} ({data.get('wall_time_s') or data.get('duration_s') or 0:.0f} s)"


def cell(adapter_rows, state: str):
    """One cell: the function's verdict, or why there is none."""
    if state == "missing":
        text, kind = "not measured", "absent"
    elif state == "stale":
        text, kind = "stale", "absent"
    else:
        text, kind = status_of(adapter_rows)
    return nodes.inline(text, text, classes=[f"matrix-{kind}"])


def _paragraph(*parts) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += part
    return para


def _states(env):
    out = {}
    for name in BUILTIN:
        env.note_dependency(str(DATA / f"{name}.json"))
        # a changed check makes the data stale: rebuild the page then too
        for path in matrix.verdict_files(name):
            env.note_dependency(str(path))
        out[name] = load(name)
    return out


class ConformanceMatrix(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        states = _states(env)
        from conformance.spec import FUNCTIONS

        header = ["function"] + [column_header(a, *states[a][:2]) for a in BUILTIN]
        rows = []
        for function in FUNCTIONS:
            cells = [nodes.literal(function, function)]
            for a in BUILTIN:
                data, state, _ = states[a]
                results = [r for r in (data or {}).get("results", [])
                           if r["function"] == function and not is_low_precision(r)]
                cells.append(cell(results, state))
            rows.append(cells)
        out = []
        out.extend(self._notes(states))
        out.append(table(header, rows, [24] + [10] * len(BUILTIN), classes=["conformance-matrix"]))
        for a in BUILTIN:
            data, state, _ = states[a]
            if state == "current":
                section = self._details(a, data)
                if section is not None:
                    out.append(section)
        return out

    @staticmethod
    def _notes(states):
        out = []
        missing = [a for a in BUILTIN if states[a][1] == "missing"]
        if missing:
            out.append(_paragraph(
                nodes.strong(text="Not measured: "), nodes.Text(f"{', '.join(missing)}. These built-in "
                                                               "adapters have no result file yet ("),
                nodes.literal("make matrix", "make matrix"),
                nodes.Text(" writes one), so the table says nothing about them.")))
        for a in BUILTIN:
            data, state, changes = states[a]
            if state == "stale":
                shown = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
                out.append(_paragraph(
                    nodes.strong(text="Stale: "),
                    nodes.Text(f"the results of {a} were measured on {when(data.get('measured'))} by a suite "
                               f"that has changed since ({shown or 'a different fingerprint'}); they are "
                               "not shown. "),
                    nodes.literal("make matrix", "make matrix"), nodes.Text(" measures them again.")))
        return out

    @staticmethod
    def _details(adapter, data):
        rows = [r for r in data.get("results", []) if r["status"] in matrix.DETAILED]
        if not rows:
            return None
        section = nodes.section(ids=[f"matrix-{adapter}"])
        section += nodes.title(text=f"{adapter}: deviations and failures")
        lst = nodes.bullet_list()
        for r in rows:
            item = nodes.list_item()
            para = nodes.paragraph()
            para += nodes.strong(text=f"{r['status']} ")
            para += nodes.literal(r["check"], r["check"])
            para += nodes.Text(" — clause ")
            ref = nodes.reference("", "", internal=True, refuri=f"#clause-{r['clause']}")
            ref["clause_id"] = r["clause"]
            ref += nodes.literal(r["clause"], r["clause"])
            para += ref
            para += nodes.Text(f": {r.get('message', '')}")
            if r.get("max_ulp_error") is not None:
                para += nodes.Text(f" Error {r['max_ulp_error']:.3g} ulps.")
            if r.get("counterexample"):
                para += nodes.Text(" Smallest input: ")
                para += nodes.literal(r["counterexample"], r["counterexample"])
            item += para
            lst += item
        section += lst
        return section


def when(stamp) -> str:
    """``2026-12-03T08:06:57+0000`` as ``2026-12-03 08:06 UTC`` (anything else as given)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d\+0000", str(stamp))
    return f"{m.group(1)} {m.group(2)} UTC" if m else str(stamp)


def versions_text(data) -> str:
    """``torch 2.13.0, numpy 2.4.6, hypothesis 6.170.15, Python 3.11.7``."""
    versions = dict(data.get("versions", {}))
    python = versions.pop("python", "?")
    framework = [f"{d} {v}" for d, v in versions.items() if d not in matrix.COMMON_PINS]
    common = [f"{d} {versions[d]}" for d in SHOWN_VERSIONS if d in versions]
    return ", ".join(framework + common + [f"Python {python}"])


class ConformanceMatrixMeasured(Directive):
    """When, with which versions and how fast each adapter was measured."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        states = _states(env)
        summary_path = DATA / matrix.SUMMARY
        env.note_dependency(str(summary_path))
        summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
        out = []
        if summary:
            opts = summary.get("options", {})
            out.append(nodes.paragraph(text=(
                f"Suite {summary.get('suite_version')} (spec {summary.get('spec_version')}), "
                f"{opts.get('max_examples')} hypothesis examples per property, seed {opts.get('seed')} "
                f"(derandomised), {summary.get('jobs')} adapter at a time on "
                f"{summary.get('machine', {}).get('cpus')} CPUs; data last written {when(summary.get('updated'))}.")))
        header = ["adapter", "measured", "versions", "exit status", "wall time", "checks"]
        rows = []
        for a in BUILTIN:
            data, state, _ = states[a]
            if state == "missing":
                rows.append([nodes.literal(a, a), "not measured", "—", "—", "—", "—"])
                continue
            counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in data.get("summary", {}).items() if v)
            rows.append([nodes.literal(a, a), when(data.get("measured")) + (" (stale)" if state == "stale" else ""),
                         versions_text(data), data.get("exit_status", "?"),
                         f"{data.get('wall_time_s', 0):.1f} s", counts])
        out.append(table(header, rows, [12, 14, 30, 6, 8, 30], classes=["conformance-measured"]))
        return out


class ConformanceMatrixLowPrecision(Directive):
    """float16 and bfloat16: one column per adapter that ran them and dtype."""

    has_content = False

    def run(self):
        env = self.state.document.settings.env
        states = _states(env)
        from conformance.spec import FUNCTIONS

        ran = [a for a in BUILTIN if a in matrix.OPTIONS["low_precision"]]
        columns = [(a, d) for a in ran for d in LOW_DTYPES]
        header = ["function"] + [f"{column_header(a, *states[a][:2]).split(' (')[0]} {d}" for a, d in columns]
        rows = []
        for function in FUNCTIONS:
            cells = [nodes.literal(function, function)]
            for a, d in columns:
                data, state, _ = states[a]
                results = [r for r in (data or {}).get("results", [])
                           if r["function"] == function and r["check"].endswith(f".dtype.{d}")]
                if not results and state == "current" and any(
                        r["function"] == function and r["status"] == "not_provided" for r in data["results"]):
                    results = [{"status": "not_provided"}]
                cells.append(cell(results, state))
            rows.append(cells)
        others = [a for a in BUILTIN if a not in ran]
        return [
            table(header, rows, [24] + [9] * len(columns), classes=["conformance-matrix"]),
            _paragraph(nodes.Text(
                f"Not run in float16 and bfloat16: {', '.join(others)}. Their adapters hand numpy "
                "arrays to libraries without those dtypes, or convert them to float32 first, so the "
                "checks would judge the conversion, not the library.")),
        ]


def setup(app):
    app.add_directive("conformance-matrix", ConformanceMatrix)
    app.add_directive("conformance-matrix-low-precision", ConformanceMatrixLowPrecision)
    app.add_directive("conformance-matrix-measured", ConformanceMatrixMeasured)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}

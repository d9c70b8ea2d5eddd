"""Sphinx extension: the ``conformance-matrix`` directive.

Reads the JSON reports that ``python -m conformance.matrix`` writes into
``docs/_generated/matrix`` and renders functions × frameworks, then every known
deviation and failure with its clause, measured error and smallest input.
"""

from __future__ import annotations

import json
import pathlib

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

from doc_tables import table

logger = logging.getLogger(__name__)

ADAPTERS = ("reference", "scipy", "torch", "jax", "keras", "sklearn", "onnxruntime")
REPORTS = pathlib.Path(__file__).resolve().parent.parent / "_generated" / "matrix"


def _status(rows):
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


def _cell(rows):
    text, kind = _status(rows)
    return nodes.inline(text, text, classes=[f"matrix-{kind}"])


class ConformanceMatrix(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        reports = {}
        for name in ADAPTERS:
            path = REPORTS / f"{name}.json"
            env.note_dependency(str(path))
            if path.exists():
                reports[name] = json.loads(path.read_text())
            else:
                logger.warning(f"conformance matrix: no report for {name} ({path}); run `make matrix`",
                               location=env.docname)
        from conformance.spec import FUNCTIONS

        # "onnxruntime" may break after "onnx" (a zero-width space), so that
        # eight columns fit a desktop window.
        header = ["function"] + [
            f"{a.replace('onnx', 'onnx' + chr(0x200B), 1)} ({reports[a].get('duration_s', 0):.0f} s)"
            if a in reports else f"{a} (no report)"
            for a in ADAPTERS]
        rows = []
        for function in FUNCTIONS:
            cells = [nodes.literal(function, function)]
            for a in ADAPTERS:
                results = [r for r in reports.get(a, {}).get("results", []) if r["function"] == function]
                cells.append(_cell(results) if a in reports else "no report")
            rows.append(cells)
        matrix = table(header, rows, [24] + [10] * len(ADAPTERS), classes=["conformance-matrix"])
        out = [matrix]
        for a in ADAPTERS:
            rows = [r for r in reports.get(a, {}).get("results", [])
                    if r["status"] in ("known_deviation", "fail", "error")]
            if not rows:
                continue
            section = nodes.section(ids=[f"matrix-{a}"])
            section += nodes.title(text=f"{a}: deviations and failures")
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
                para += nodes.Text(f": {r['message'][:400]}")
                if r.get("max_ulp_error") is not None:
                    para += nodes.Text(f" Error {r['max_ulp_error']:.3g} ulps.")
                if r.get("counterexample"):
                    para += nodes.Text(" Smallest input: ")
                    ce = r["counterexample"]
                    para += nodes.literal(ce, ce if len(ce) < 300 else ce[:297] + "...")
                item += para
                lst += item
            section += lst
            out.append(section)
        return out


def setup(app):
    app.add_directive("conformance-matrix", ConformanceMatrix)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

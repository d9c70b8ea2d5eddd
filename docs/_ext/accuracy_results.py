"""Sphinx extension: the ``accuracy-results`` directive.

Renders ``docs/accuracy/results.json``, which ``make accuracy``
(``python -m accuracy``) writes.  One directive, one part of the results::

    ```{accuracy-results} summary
    ```

Parts:

* ``summary``: functions x implementations, the largest and the median error
  in ulps, special values that do not match, cases an implementation could not
  run;
* ``reference``: the reference's largest error per group of the corpus, for
  every function;
* ``over-target``: the functions and groups where the reference exceeds the
  2-ulp target, with the worst element;
* ``corpus``: the groups, what each holds and how many values each function
  is measured on;
* ``environment``: where and with which versions the figures were measured.
"""

from __future__ import annotations

import json
import pathlib

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

from doc_tables import table

logger = logging.getLogger(__name__)

RESULTS = pathlib.Path(__file__).resolve().parent.parent / "accuracy" / "results.json"
ADAPTERS = ("reference", "scipy", "torch", "jax", "keras", "sklearn", "onnxruntime")
TARGET_ULPS = 2.0
PARTS = ("summary", "reference", "over-target", "corpus", "environment")


def _fmt(x) -> str:
    """An error in ulps for a table cell."""
    if x is None:
        return "–"
    if x == "inf":
        return "inf"
    x = float(x)
    if x < 10:
        return f"{x:.2f}"
    if x < 1e5:
        return f"{x:.0f}"
    return f"{x:.1e}".replace("e+", "e")


def _exceeds(x) -> bool:
    return x == "inf" or (x is not None and float(x) > TARGET_ULPS)


def _table(header, rows, widths, classes=()):
    return table(header, rows, widths, classes=["accuracy-results", *classes])


def _cell(res):
    """The paragraphs of one summary cell."""
    if res is None or res["status"] == "not provided":
        return "not provided"
    if res["status"] == "error":
        return "error"
    out = [nodes.paragraph(text=f"{_fmt(res['max_ulp'])} / {_fmt(res['median_ulp'])}")]
    notes = []
    if res.get("mismatches"):
        notes.append(f"{res['mismatches']} special mismatched")
    if res.get("cases_provided", 0) < res.get("cases", 0):
        notes.append(f"{res['cases_provided']} of {res['cases']} cases")
    if res.get("cases_failed"):
        notes.append(f"{res['cases_failed']} raised")
    if notes:
        para = nodes.paragraph()
        para += nodes.emphasis(text="; ".join(notes))
        out.append(para)
    return out


def _summary(doc):
    from conformance.spec import FUNCTIONS

    adapters = [a for a in ADAPTERS if a in doc.get("adapters", {})]
    rows = []
    for fn in FUNCTIONS:
        per = doc["functions"].get(fn)
        if per is None:
            continue
        rows.append([nodes.literal(fn, fn)] + [_cell(per.get(a)) for a in adapters])
    header = ["function"] + [a if doc["adapters"][a]["status"] == "ran" else f"{a} (did not run)"
                             for a in adapters]
    return [_table(header, rows, [26] + [12] * len(adapters))]


def _reference(doc):
    rows = []
    for fn, per in doc["functions"].items():
        res = per.get("reference")
        if not res or res["status"] != "measured":
            continue
        para = nodes.paragraph()
        for i, (g, gr) in enumerate(res["groups"].items()):
            if i:
                para += nodes.Text(" · ")
            text = f"{g} {_fmt(gr['max_ulp']) if gr['values'] else '–'}"
            if gr.get("mismatches"):
                text += f" ({gr['mismatches']} mismatched)"
            para += nodes.strong(text=text) if _exceeds(gr["max_ulp"]) or gr.get("mismatches") else nodes.Text(text)
        rows.append([nodes.literal(fn, fn), para])
    return [_table(["function", "largest error per group, ulps"], rows, [26, 74], classes=["accuracy-by-group"])]


def _over_target(doc):
    items = nodes.bullet_list()
    for fn, per in doc["functions"].items():
        res = per.get("reference")
        if not res or res["status"] != "measured":
            continue
        over = [(g, gr) for g, gr in res["groups"].items() if _exceeds(gr["max_ulp"])]
        bad = [(g, gr) for g, gr in res["groups"].items() if gr.get("mismatches")]
        if not over and not bad:
            continue
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.literal(fn, fn)
        para += nodes.Text(": " + ", ".join(f"{g} {_fmt(gr['max_ulp'])} ulps" for g, gr in over))
        if bad:
            para += nodes.Text("; special values mismatched in " + ", ".join(g for g, _ in bad))
        w = res.get("worst")
        if w and _exceeds(w["ulps"]):
            para += nodes.Text(f". Worst: {w['group']} / {w['case']}, expected {w['expected']}, got {w['got']}.")
        item += para
        items += item
    if not len(items):
        return [nodes.paragraph(text="None: the reference is within 2 ulps on every group of the corpus.")]
    return [items]


def _corpus(doc):
    rows = []
    for g, text in doc["groups"].items():
        fns = sorted(fn for fn, groups in doc["corpus"].items() if g in groups)
        if not fns:
            continue
        n = sum(doc["corpus"][fn][g]["values"] for fn in fns)
        rows.append([nodes.strong(text=g), text, f"{len(fns)} functions, {n} values"])
    return [_table(["group", "inputs", "measured"], rows, [12, 60, 16], classes=["accuracy-corpus"])]


def _environment(doc):
    env = doc.get("environment", {})
    runs = ", ".join(f"{a} {info.get('version', '')}".strip() + f" ({info.get('seconds', '?')} s)"
                     if info["status"] == "ran" else f"{a}: {info.get('message', 'did not run')}"
                     for a, info in doc.get("adapters", {}).items())
    text = (f"Measured with Python {env.get('python')} and numpy {env.get('numpy')} on {env.get('system')} "
            f"{env.get('machine')} (np.longdouble: {env.get('longdouble_mantissa_bits')}-bit significand); "
            f"exact values from mpmath at {env.get('mpmath_dps')} digits; corpus '{doc.get('corpus_size')}'; "
            f"{doc.get('total_seconds')} s in all. Implementations: {runs}.")
    return [nodes.paragraph(text=text)]


class AccuracyResults(Directive):
    required_arguments = 1
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        part = self.arguments[0]
        if part not in PARTS:
            raise self.error(f"accuracy-results: unknown part {part!r}; expected one of {', '.join(PARTS)}")
        env.note_dependency(str(RESULTS))
        if not RESULTS.exists():
            logger.warning(f"accuracy results: {RESULTS} is missing; run `make accuracy`",
                           location=env.docname)
            return []
        doc = json.loads(RESULTS.read_text())
        return {"summary": _summary, "reference": _reference, "over-target": _over_target,
                "corpus": _corpus, "environment": _environment}[part](doc)


def setup(app):
    app.add_directive("accuracy-results", AccuracyResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

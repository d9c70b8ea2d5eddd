"""Sphinx extension: numbered spec clauses tied to the conformance checks.

* ``{clause}`sce.special.posinf-target``` defines a clause where it stands: an
  anchor ``clause-<id>`` and the id in a badge.  Each id may be defined once.
* ``{clauseref}`sce.special.posinf-target``` links to a clause from anywhere.
* The ``conformance-checks`` directive renders a table of every hand-written
  check that enforces a clause defined on the current page.
* Under each clause the rows of the case tables (``conformance/cases/``) that
  illustrate it are rendered as a table of calls and spec values: the same rows
  the suite runs and the reference's tests run, written once.

At the end of reading, the build warns (an error under ``-W``) for every clause
that no check enforces and for every check that cites a clause no page defines.
"""

from __future__ import annotations

import collections

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

from doc_tables import table

logger = logging.getLogger(__name__)


class clause_def(nodes.inline):
    pass


class checks_table(nodes.General, nodes.Element):
    pass


def clause_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    cid = text.strip()
    store = _clauses(env)
    if cid in store and store[cid][0] != env.docname:
        logger.warning(f"clause {cid!r} is defined twice ({store[cid][0]} and {env.docname})",
                       location=(env.docname, lineno))
    store[cid] = (env.docname, lineno)
    node = clause_def("", "", classes=["spec-clause"])
    node["ids"].append(f"clause-{cid}")
    node += nodes.literal(cid, cid, classes=["spec-clause-id"])
    return [node], []


def clauseref_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    cid = text.strip()
    ref = nodes.reference("", "", internal=True, refuri=f"#clause-{cid}", classes=["spec-clauseref"])
    ref["clause_id"] = cid
    ref += nodes.literal(cid, cid)
    return [ref], []


class ConformanceChecks(Directive):
    has_content = False

    def run(self):
        node = checks_table()
        node["docname"] = self.state.document.settings.env.docname
        return [node]


def _clauses(env):
    if not hasattr(env, "spec_clauses"):
        env.spec_clauses = {}
    return env.spec_clauses


def purge(app, env, docname):
    store = _clauses(env)
    for cid in [c for c, (d, _) in store.items() if d == docname]:
        del store[cid]


def merge(app, env, docnames, other):
    _clauses(env).update(getattr(other, "spec_clauses", {}))


def _checks():
    from conformance.registry import load_all_checks

    return load_all_checks()


def check_consistency(app, env):
    store = _clauses(env)
    checks = _checks()
    enforced = collections.Counter(c.clause for c in checks.values())
    for cid, (docname, lineno) in sorted(store.items()):
        if not enforced[cid]:
            logger.warning(f"spec clause {cid!r} has no conformance check", location=(docname, lineno))
    for check in sorted(checks.values(), key=lambda c: c.id):
        if check.clause not in store:
            logger.warning(f"conformance check {check.id!r} cites unknown clause {check.clause!r}")


def resolve(app, doctree, docname):
    store = _clauses(app.env)
    builder = app.builder
    # Clause references may point to another page.
    for ref in doctree.findall(nodes.reference):
        cid = ref.get("clause_id")
        if cid is None:
            continue
        if cid not in store:
            logger.warning(f"reference to unknown clause {cid!r}", location=docname)
            continue
        target_doc = store[cid][0]
        ref["refuri"] = builder.get_relative_uri(docname, target_doc) + f"#clause-{cid}"
    rows_of = _rows_by_clause()
    for clause in list(doctree.findall(clause_def)):
        cid = clause["ids"][0][len("clause-"):] if clause["ids"] else None
        item = clause.parent
        while item is not None and not isinstance(item, nodes.list_item):
            item = item.parent
        if cid in rows_of and item is not None:
            item += _render_rows(rows_of[cid])
    row_ids = {c.id for cases in rows_of.values() for c in cases}
    for placeholder in list(doctree.findall(checks_table)):
        here = {cid for cid, (d, _) in store.items() if d == docname}
        rows = sorted((c for c in _checks().values() if c.clause in here and c.id not in row_ids),
                      key=lambda c: (c.clause, c.id))
        counts = {cid: len(rows_of[cid]) for cid in sorted(here) if cid in rows_of}
        placeholder.replace_self(_render_table(rows, counts))


def _rows_by_clause():
    from conformance.cases import by_clause

    return by_clause()


def _render_rows(cases):
    from conformance.cases import show_call, show_outcome

    cells = [[nodes.literal(c.id, c.id), nodes.literal(show_call(c), show_call(c)), show_outcome(c)]
             for c in cases]
    tbl = table(["row", "call", "spec value"], cells, (22, 58, 20), classes=["spec-cases"])
    wrapper = nodes.container(classes=["table-wrapper", "spec-cases-wrapper"])
    wrapper += tbl
    return wrapper


def _render_table(rows, counts=None):
    cells = [[nodes.literal(c.id, c.id), _clause_link(c.clause), c.kind, c.description] for c in rows]
    # Table rows are checks too, one each; they are listed under their clauses.
    cells += [["(case table)", _clause_link(cid), "rows", f"{n} row{'s' if n != 1 else ''}, shown under the clause"]
              for cid, n in (counts or {}).items()]
    tbl = table(["check", "clause", "kind", "what it asserts"], cells or [["(none)", "", "", ""]],
                (30, 25, 10, 35), classes=["conformance-checks"])
    # The theme wraps tables in a sideways-scrolling box before this event runs.
    wrapper = nodes.container(classes=["table-wrapper"])
    wrapper += tbl
    return wrapper


def _clause_link(cid):
    ref = nodes.reference("", "", internal=True, refuri=f"#clause-{cid}")
    ref += nodes.literal(cid, cid)
    return ref


def visit_clause_html(self, node):
    self.body.append(self.starttag(node, "span", ""))


def depart_clause_html(self, node):
    self.body.append("</span>")


def setup(app):
    app.add_node(clause_def, html=(visit_clause_html, depart_clause_html),
                 text=(lambda s, n: None, lambda s, n: None),
                 latex=(lambda s, n: None, lambda s, n: None))
    app.add_node(checks_table)
    app.add_role("clause", clause_role)
    app.add_role("clauseref", clauseref_role)
    app.add_directive("conformance-checks", ConformanceChecks)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-check-consistency", check_consistency)
    app.connect("doctree-resolved", resolve)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: the ``contract-functions`` directive of the contract page.

Renders :func:`conformance.spec.contract` -- every contract function with its
signature (read from ``reference`` by ``inspect.signature``), the spec page of
its family, each parameter's kind and default, what it takes (the type line and
first sentence of the reference's numpydoc description) and whether the
conformance suite exercises it, then the gradient ``NAME_grad`` with the
parameters it adds.  Nothing on the generated part of the page is written by
hand, so it cannot drift from the reference.
"""

from __future__ import annotations

import re
import textwrap

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes

from doc_tables import table

#: ``literal``, :role:`target` (``~`` shortens) or `default role`, as the docstrings write them.
_INLINE = re.compile(r"``(.+?)``|:[a-z:]+:`~?([^`]+)`|`([^`]+)`")


def inline(text: str) -> list:
    """Docstring text as docutils nodes: code spans and roles become literals."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(nodes.Text(text[pos:m.start()]))
        code = next(g for g in m.groups() if g is not None)
        out.append(nodes.literal(code, code.split(".")[-1] if m.group(2) else code))
        pos = m.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def first_sentence(text: str) -> str:
    """Up to the first full stop followed by a space (or all of ``text``)."""
    m = re.search(r"(?<![.\w]\.\w)\.\s", text)
    return text[: m.start() + 1] if m else text


def parameter_docs(function) -> dict:
    """``{name: (type, description)}`` from a numpydoc ``Parameters`` section."""
    from numpydoc.docscrape import FunctionDoc

    doc = FunctionDoc(function)
    out = {}
    for p in doc["Parameters"]:
        for name in p.name.split(","):
            out[name.strip()] = (p.type, " ".join(line.strip() for line in p.desc))
    return out


def summary_of(function) -> str:
    from numpydoc.docscrape import FunctionDoc

    return " ".join(FunctionDoc(function)["Summary"])


def _paragraph(parts) -> nodes.paragraph:
    para = nodes.paragraph()
    for part in parts:
        para += part
    return para


def _doc_link(page: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{page}", refexplicit=False)
    ref += nodes.inline(page, page)
    return ref


def parameter_rows(fn, docs, skip=()):
    """One table row per parameter: name, kind, default, what it takes, exercised."""
    rows = []
    for p in fn.parameters:
        if p.name in skip:
            continue
        type_, desc = docs.get(p.name, ("", ""))
        takes = inline(type_ + (": " if type_ and desc else "") + first_sentence(desc)) or [nodes.Text("—")]
        default = "required" if p.required else repr(p.default)
        exercised = "yes" if p.name in fn.options else ("—" if p.required else "no")
        rows.append([nodes.literal(p.name, p.name), p.kind, nodes.literal(default, default)
                     if not p.required else default, takes, exercised])
    return rows


def display_signature(fn, width: int = 72) -> str:
    """The signature on one line, or its parameters wrapped under it when longer than ``width``."""
    sig = fn.signature()
    if len(sig) <= width:
        return sig
    inner = sig[len(fn.name) + 1:-1]
    body = textwrap.fill(inner, width=width, initial_indent="    ", subsequent_indent="    ",
                         break_long_words=False, break_on_hyphens=False)
    return f"{fn.name}(\n{body}\n)"


HEADER = ["parameter", "kind", "default", "takes", "suite exercises"]
WIDTHS = [14, 10, 10, 52, 8]


class ContractFunctions(Directive):
    has_content = False

    def run(self):
        import reference
        from conformance.spec import contract

        registry = contract()
        families = list(dict.fromkeys(f.family for f in registry.values()))
        out = []
        for family in families:
            section = nodes.section(ids=[f"contract-family-{family}"])
            section += nodes.title(text=f"{family}")
            page = next(f.page for f in registry.values() if f.family == family)
            section += _paragraph([nodes.Text("Defined on the spec page "), _doc_link(page),
                                   nodes.Text(".")])
            for fn in registry.values():
                if fn.family != family or fn.gradient_of:
                    continue
                section += self._function(fn, registry, reference)
            out.append(section)
        return out

    @staticmethod
    def _function(fn, registry, reference):
        impl = getattr(reference, fn.name)
        sub = nodes.section(ids=[f"contract-{fn.name.replace('_', '-')}"])
        sub += nodes.title(fn.name, "", nodes.literal(fn.name, fn.name))
        sig = display_signature(fn)
        sub += nodes.literal_block(sig, sig, language="python")
        sub += _paragraph(inline(summary_of(impl)))
        docs = parameter_docs(impl)
        sub += table(HEADER, parameter_rows(fn, docs), WIDTHS, classes=["contract-parameters"])
        grad = registry.get(f"{fn.name}_grad")
        if grad is not None:
            own = {p.name for p in fn.parameters}
            added = [p.name for p in grad.parameters if p.name not in own]
            gsig = display_signature(grad)
            sub += _paragraph([nodes.strong(text="Gradient: "), nodes.literal(grad.name, grad.name),
                               nodes.Text(", the same arguments" + (" plus " if added else "") +
                                          ", ".join(added) + ":")])
            sub += nodes.literal_block(gsig, gsig, language="python")
            if added:
                gdocs = parameter_docs(getattr(reference, grad.name))
                sub += table(HEADER, parameter_rows(grad, gdocs, skip=own), WIDTHS,
                             classes=["contract-parameters"])
        return sub


def setup(app):
    app.add_directive("contract-functions", ContractFunctions)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

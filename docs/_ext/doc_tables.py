"""Docutils tables for the site's generated pages (matrix, checks, accuracy, speed).

Each cell is text, a node, or a list of nodes that share one table entry.
"""

from docutils import nodes


def row(cells):
    """One table row; a list cell puts its nodes in the entry one after another."""
    out = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, list):
            for part in cell:
                entry += part
        else:
            para = nodes.paragraph()
            para += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            entry += para
        out += entry
    return out


def table(header, rows, widths, classes=()):
    """A table with a header row, the given rows and relative column widths."""
    out = nodes.table(classes=list(classes))
    group = nodes.tgroup(cols=len(header))
    out += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += row(header)
    body = nodes.tbody()
    group += body
    for r in rows:
        body += row(r)
    return out

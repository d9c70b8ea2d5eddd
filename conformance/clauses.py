"""Clause texts of the spec pages, for the reports, readable as plain text.

A clause is a list item of a page under ``docs/spec/`` that starts with
``{clause}`id```; its text runs over the item's continuation lines (indented
lines, blank lines inside the item included).

The spec pages are the one source of the texts.  In a checkout they are read
from ``docs/spec`` beside the package.  An installed wheel has no docs: its
build writes ``conformance/clauses.json`` (``setup.py`` runs :func:`write_json`
on ``docs/spec`` when it builds the package), so an installed suite quotes
every clause too.  The file is never written into the source tree, so it cannot
go stale there.

:func:`readable` turns a clause's MyST and LaTeX into text a terminal shows as
it is (``$\\infty$`` becomes ``inf``, ``\\le`` becomes ``<=``, ``\\frac{a}{b}``
becomes ``a/b``).  This module imports nothing but the standard library, so the
build step can load it without the package's dependencies.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
SPEC_DIR = PACKAGE_DIR.parent / "docs" / "spec"
#: Where an installed package keeps the clause texts (written by the wheel build).
CLAUSES_JSON = PACKAGE_DIR / "clauses.json"
_ITEM = re.compile(r"^(\s*)[-*]\s+\{clause\}`([^`]+)`\s*(.*)$")
_ROLE = re.compile(r"\{[a-z-]+\}`([^`]*)`")


def parse(text: str) -> dict[str, str]:
    """Map each clause id in the Markdown ``text`` to its text (one line, whitespace collapsed)."""
    found = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _ITEM.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        clause_id, parts = m.group(2).strip(), [m.group(3)]
        i += 1
        while i < len(lines):
            line = lines[i]
            if line.strip() == "":
                # a blank line continues the item only if an indented line follows
                j = i
                while j < len(lines) and lines[j].strip() == "":
                    j += 1
                if j < len(lines) and _indent(lines[j]) > indent and not _ITEM.match(lines[j]):
                    i = j
                    continue
                break
            if _indent(line) <= indent or _ITEM.match(line):
                break
            parts.append(line.strip())
            i += 1
        body = " ".join(p for p in parts if p)
        body = _ROLE.sub(lambda r: r.group(1), body)
        found[clause_id] = re.sub(r"\s+", " ", body).strip()
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def parse_dir(spec_dir) -> dict[str, str]:
    """Every clause of the pages ``spec_dir/*.md``, in page order."""
    found = {}
    for page in sorted(pathlib.Path(spec_dir).glob("*.md")):
        found.update(parse(page.read_text(encoding="utf-8")))
    return found


def write_json(spec_dir, path) -> int:
    """Write the clauses of ``spec_dir`` to ``path`` as JSON; return how many.

    Raises ``FileNotFoundError`` when ``spec_dir`` has no clause at all (a
    package built without its spec pages would quote nothing).
    """
    found = parse_dir(spec_dir)
    if not found:
        raise FileNotFoundError(f"no spec clauses under {spec_dir}: the package would quote none")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(found)


@functools.lru_cache(maxsize=1)
def all_clauses() -> dict[str, str]:
    """Every clause: from the spec pages beside the package, else from the installed JSON.

    Empty when neither is there.
    """
    if SPEC_DIR.is_dir():
        return parse_dir(SPEC_DIR)
    if CLAUSES_JSON.is_file():
        return json.loads(CLAUSES_JSON.read_text(encoding="utf-8"))
    return {}


def text(clause_id: str) -> str | None:
    """The text of ``clause_id`` as the page writes it (MyST, LaTeX), or ``None`` when unknown."""
    return all_clauses().get(clause_id)


def readable_text(clause_id: str) -> str | None:
    """The text of ``clause_id`` as plain text (see :func:`readable`), or ``None`` when unknown."""
    raw = text(clause_id)
    return None if raw is None else readable(raw)


# ---------------------------------------------------------------------------
# MyST and LaTeX to plain text
# ---------------------------------------------------------------------------

#: Commands that stand for a word or a symbol.
_SYMBOLS = {
    "infty": "inf", "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "ne": "!=", "neq": "!=",
    "lt": "<", "gt": ">", "approx": "~", "to": "->", "in": "in", "notin": "not in", "mid": "|",
    "cdot": "*", "times": "*", "pm": "+/-", "dots": "...", "ldots": "...", "cdots": "...",
    "varnothing": "{}", "emptyset": "{}", "partial": "d", "nabla": "grad", "varepsilon": "eps",
    "epsilon": "eps", "lvert": "|", "rvert": "|", "vert": "|", "lVert": "||", "rVert": "||",
    "langle": "<", "rangle": ">",
}
#: Commands that only size or space what follows: dropped (spacing becomes one space).
_SIZING = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle"}
_SPACING = {"quad", "qquad", "enspace", "thinspace"}
#: Commands whose one argument is shown as it is.
_WRAPPERS = {"mathrm", "operatorname", "text", "texttt", "textrm", "textit", "mathit", "mathcal",
             "mathbf", "mathbb", "boldsymbol", "mathsf", "emph"}
_FRACTIONS = {"frac", "dfrac", "tfrac"}
_ESCAPES = {",": " ", "!": "", " ": " ", ";": " ", ":": " ", "{": "{", "}": "}", "|": "||",
            "#": "#", "_": "_", "%": "%", "&": "&", "$": "$", "\\": "; "}
_ATOM = re.compile(r"^-?[A-Za-z0-9.']+$")
#: A fraction's part that needs no parentheses (``p_i/q_i``).
_FRACTION_ATOM = re.compile(r"^-?[A-Za-z0-9.'_]+$")
#: Relations and operators written with a space on each side.
_SPACED = {"in", "notin", "le", "leq", "ge", "geq", "ne", "neq", "approx", "to", "cdot", "times", "mid"}


def readable(text: str) -> str:
    """``text`` (a clause's MyST with ``$...$`` and ``$$...$$`` LaTeX) as plain ASCII text.

    Markdown marks go (``**not**`` is ``not``, code loses its backticks, a link
    keeps its text); each formula becomes its reading: ``$p_n \\in [0, 1]$`` is
    ``p_n in [0, 1]``, ``$\\frac{1}{N} \\sum_{n=1}^{N} x_n$`` is
    ``1/N sum_(n=1)^N x_n``, ``$\\log\\operatorname{sigmoid}(\\infty) = 0$`` is
    ``log sigmoid(inf) = 0``.  Subscripts and exponents of more than one
    symbol are parenthesised.

    Examples
    --------
    >>> readable(r"If the target class has logit $+\\infty$, $l \\le 10^{-4}$.")
    'If the target class has logit +inf, l <= 10^-4.'
    """
    parts = re.split(r"(\$\$.+?\$\$|\$[^$]+\$)", text, flags=re.S)
    out = []
    for part in parts:
        if part.startswith("$$") and part.endswith("$$") and len(part) >= 4:
            out.append(" " + _tex(part[2:-2]) + " ")
        elif part.startswith("$") and part.endswith("$") and len(part) >= 2:
            out.append(_tex(part[1:-1]))
        else:
            out.append(_markdown(part))
    joined = re.sub(r"\s+", " ", "".join(out)).strip()
    joined = re.sub(r"\s+([,;)\]]|\.(?!\.))", r"\1", joined)
    joined = re.sub(r",\s*;", ";", joined)
    return re.sub(r"([(\[])\s+", r"\1", joined)


def _markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)      # [text](url)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)              # **bold**
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\1", text)  # *emphasis*
    return text.replace("`", "")


def _tex(src: str) -> str:
    """One formula as text (recursive over groups and arguments)."""
    out, i, env = [], 0, []
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            m = re.match(r"[A-Za-z]+", src[i + 1:])
            if not m:
                nxt = src[i + 1:i + 2]
                out.append(_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            name, i = m.group(0), i + 1 + len(m.group(0))
            if name in _FRACTIONS:
                num, i = _argument(src, i)
                den, i = _argument(src, i)
                out.append(f"{_paren(_tex(num))}/{_paren(_tex(den))}")
                if src[i:i + 1].isalnum() or src[i:i + 1] == "\\":
                    out.append(" ")  # "\\tfrac12\\delta" reads "1/2 delta"
            elif name == "sqrt":
                arg, i = _argument(src, i)
                out.append(f"sqrt({_tex(arg)})")
            elif name in ("hat", "bar", "tilde", "vec"):
                arg, i = _argument(src, i)
                out.append(f"{name}({_tex(arg)})")
            elif name in _WRAPPERS:
                arg, i = _argument(src, i)
                out.append(_tex(arg))
            elif name in ("begin", "end"):
                arg, i = _argument(src, i)
                if name == "begin":
                    env.append(arg)
                elif env:
                    env.pop()
                out.append(" ")
            elif name in _SIZING:
                out.append("")
            elif name in _SPACING:
                out.append(" ")
            else:
                word = _SYMBOLS.get(name, name)
                out.append(word)
                # a word command runs into a following letter ("\\log\\sigma"): keep them apart
                if word[-1:].isalpha() and (src[i:i + 1].isalpha() or src[i:i + 1] == "\\"):
                    out.append(" ")
                elif name in _SPACED:
                    out[-1] = f" {word} "
        elif ch == "{":
            group, i = _argument(src, i)
            out.append(_tex(group))
        elif ch in "_^":
            arg, i = _argument(src, i + 1)
            body = _tex(arg).strip()
            out.append(ch + (body if _ATOM.match(body) else f"({body})"))
        elif ch == "&":
            out.append(" if " if env and env[-1] == "cases" else " ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _argument(src: str, i: int) -> tuple[str, int]:
    """The argument starting at ``src[i]`` (a braced group, a command or one character)."""
    while i < len(src) and src[i] == " ":
        i += 1
    if i >= len(src):
        return "", i
    if src[i] == "{":
        depth, j = 0, i
        while j < len(src):
            if src[j] == "\\":
                j += 2
                continue
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            if depth == 0:
                return src[i + 1:j], j + 1
            j += 1
        return src[i + 1:], len(src)
    if src[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", src[i:])
        return m.group(0), i + len(m.group(0))
    return src[i], i + 1


def _paren(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if _FRACTION_ATOM.match(text) else f"({text})"

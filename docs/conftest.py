"""Run the ```python doctest blocks of the Markdown pages with sybil."""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.parsers.myst import DocTestDirectiveParser, PythonCodeBlockParser

collect_ignore = ["conf.py", "_ext", "_build", "_generated"]

pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
        DocTestDirectiveParser(optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
    ],
    patterns=["*.md"],
    excludes=["_build/*", "_generated/*"],
).pytest()

"""Sphinx configuration for the loss-spec site (builds offline)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
sys.path.insert(0, os.path.dirname(HERE))

project = "loss-spec"
author = "loss-spec developers"
copyright = "2026, loss-spec developers"
release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "matplotlib.sphinxext.plot_directive",
    "spec_clauses",
    "conformance_matrix",
    # the contract page (docs/conformance/contract.md) from conformance.spec.contract()
    "contract_page",
    # API pages from the reference's numpydoc docstrings, with [source] links.
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "numpydoc",
    "reference_api",
    # tables of docs/performance/results.json, written by `make bench`
    "benchmark_results",
    # tables of docs/accuracy/results.json, written by `make accuracy`
    "accuracy_results",
]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated", "README.md", "conftest.py"]

html_theme = "furo"
html_title = "loss-spec"
html_static_path = ["_static"]
html_css_files = ["site.css"]  # narrow-window fixes
html_js_files = ["site.js"]  # marks inline formulas wider than their line
html_favicon = "_static/favicon.svg"  # also spares every page a 404 for /favicon.ico

# API pages (docs/api): numpydoc renders the sections; no class member tables,
# no cross-reference guessing in parameter types (plain text, as written).
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
autodoc_typehints = "none"  # the numpydoc sections state the types
autosummary_generate = False  # numpydoc loads autosummary; nothing to generate
# numpy's own docs are not reachable offline: its names stay unlinked code.
nitpick_ignore_regex = [(r"py:.*", r"(numpy|np)\..*")]
add_module_names = False

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": True}

"""The contract registry (conformance.spec.contract) and the contract page.

The registry reads every signature from ``reference``; these tests hold it to
the contract as published (../shared/CONTRACT.md, restated here for a few
functions), to the spec pages, and to what the suite really passes: a
recording target runs a few functions' checks and logs every optional
argument it receives.
"""

from __future__ import annotations

import inspect
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

import reference
from conformance import spec

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import contract_page  # noqa: E402  (the site's directive, docs/_ext)


def test_registry_lists_every_contract_function_in_order():
    assert tuple(spec.contract()) == spec.FUNCTIONS


@pytest.mark.parametrize("name", spec.FUNCTIONS)
def test_registry_agrees_with_the_reference_signature(name):
    entry = spec.contract()[name]
    params = list(inspect.signature(getattr(reference, name)).parameters.values())
    assert [p.name for p in entry.parameters] == [p.name for p in params]
    for mine, theirs in zip(entry.parameters, params):
        assert mine.default is theirs.default or mine.default == theirs.default, (name, mine.name)
        expected = "keyword-only" if theirs.kind is inspect.Parameter.KEYWORD_ONLY else "positional"
        assert mine.kind == expected, (name, mine.name)


# Signatures as the published contract states them (CONTRACT.md, "The
# reference namespace"), written out independently of the code.
PUBLISHED = [
    "softmax(z, axis=-1)",
    "sigmoid(x)",
    "entropy(p, axis=-1, base=None)",
    "cross_entropy(p, q, axis=-1, eps=0.0, base=None)",
    "kl_divergence(p, q, axis=-1, base=None)",
    "softmax_cross_entropy(logits, target, *, axis=-1, weight=None, ignore_index=None, "
    "label_smoothing=0.0, z_loss=0.0, softcap=None, reduction='mean')",
    "linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, "
    "ignore_index=None, label_smoothing=0.0, z_loss=0.0, softcap=None, reduction='mean')",
    "nll_loss(log_probs, target, *, axis=-1, weight=None, ignore_index=None, reduction='mean')",
    "categorical_cross_entropy(probs, target, *, axis=-1, eps=0.0, reduction='mean')",
    "binary_cross_entropy(probs, target, *, weight=None, eps=0.0, reduction='mean')",
    "sigmoid_binary_cross_entropy(logits, target, *, weight=None, pos_weight=None, reduction='mean')",
    "focal_loss(logits, target, *, axis=-1, gamma=2.0, alpha=None, reduction='mean')",
    "sigmoid_focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction='mean')",
    "root_mean_squared_error(pred, target)",
    "huber_loss(pred, target, *, delta=1.0, reduction='mean')",
    "smooth_l1_loss(pred, target, *, beta=1.0, reduction='mean')",
    "ctc_loss(log_probs, targets, input_lengths, target_lengths, *, blank=0, reduction='mean', "
    "zero_infinity=False)",
    "ctc_collapse(path, blank=0)",
    "ctc_path_probability(probs, path)",
]


@pytest.mark.parametrize("published", PUBLISHED)
def test_registry_signature_is_the_published_one(published):
    name = published.split("(", 1)[0]
    assert spec.contract()[name].signature() == published


@pytest.mark.parametrize("name", [n for n in spec.FUNCTIONS if n.endswith("_grad")])
def test_gradient_takes_its_function_arguments_plus_cotangent(name):
    registry = spec.contract()
    grad, of = registry[name], registry[name[: -len("_grad")]]
    assert grad.gradient_of == of.name
    names = [p.name for p in grad.parameters]
    assert names[: len(of.parameters)] == [p.name for p in of.parameters]
    extra = names[len(of.parameters):]
    takes_wrt = ("cross_entropy", "kl_divergence", "linear_cross_entropy")
    allowed = {"cotangent", "wrt"} if of.name in takes_wrt else {"cotangent"}
    assert "cotangent" in extra and set(extra) <= allowed, extra
    cot = next(p for p in grad.parameters if p.name == "cotangent")
    assert cot.default is None


@pytest.mark.parametrize("name", spec.FUNCTIONS)
def test_family_page_exists_and_options_are_optional_parameters(name):
    entry = spec.contract()[name]
    assert (ROOT / "docs" / f"{entry.page}.md").is_file(), f"{name}: no spec page {entry.page}.md"
    optional = {p.name for p in entry.parameters if not p.required}
    assert set(entry.options) <= optional, (name, set(entry.options) - optional)


def test_exercised_lists_every_contract_function():
    assert set(spec.EXERCISED) == set(spec.FUNCTIONS)


def test_unknown_function_is_named():
    with pytest.raises(TypeError, match=r"reference\.odd has a variadic positional parameter 'args'"):
        spec._describe("odd", lambda *args: None)


# ---------------------------------------------------------------------------
# what the suite really passes
# ---------------------------------------------------------------------------

RECORDER = textwrap.dedent('''
    """Reference functions that log the optional arguments each call binds."""
    import functools, inspect, json, os
    import reference
    from conformance.spec import FUNCTIONS

    LOG = os.environ["CONTRACT_RECORD_LOG"]

    def _recording(name, fn):
        sig = inspect.signature(fn)
        required = {p.name for p in sig.parameters.values() if p.default is inspect.Parameter.empty}

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                bound = sorted(set(sig.bind(*args, **kwargs).arguments) - required)
            except TypeError:
                bound = sorted(set(kwargs) - required)
            with open(LOG, "a") as fh:
                fh.write(json.dumps([name, bound]) + "\\n")
            return fn(*args, **kwargs)
        return call

    for _name in FUNCTIONS:
        globals()[_name] = _recording(_name, getattr(reference, _name))
''')

#: Functions with many options, from four families, and one that leaves an
#: option (``axis``) at its default; their checks take a few seconds.
RECORDED = ("softmax_cross_entropy", "nll_loss", "cross_entropy_grad", "huber_loss", "ctc_collapse")


def test_registry_options_are_what_the_suite_passes(tmp_path):
    target = tmp_path / "recording_target.py"
    target.write_text(RECORDER)
    log = tmp_path / "calls.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", str(target), "--only", ",".join(RECORDED),
         "--max-examples", "5"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**__import__("os").environ, "CONTRACT_RECORD_LOG": str(log)})
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    passed = {name: set() for name in RECORDED}
    for line in log.read_text().splitlines():
        name, bound = json.loads(line)
        if name in passed:
            passed[name].update(bound)
    for name in RECORDED:
        assert passed[name] == set(spec.contract()[name].options), \
            f"{name}: the suite passes {sorted(passed[name])}, the registry says {spec.contract()[name].options}"


# ---------------------------------------------------------------------------
# the directive
# ---------------------------------------------------------------------------

def test_inline_turns_code_and_roles_into_literals():
    parts = contract_page.inline("shape ``(N, C)``, see :func:`reference.softmax` or `x`.")
    assert [type(p).__name__ for p in parts] == ["Text", "literal", "Text", "literal", "Text", "literal", "Text"]
    assert [p.astext() for p in parts if type(p).__name__ == "literal"] == ["(N, C)", "softmax", "x"]


@pytest.mark.parametrize("name", ["softmax", "ctc_loss_grad", "softmax_cross_entropy"])
def test_displayed_signature_is_the_signature_wrapped(name):
    fn = spec.contract()[name]
    shown = contract_page.display_signature(fn)
    assert all(len(line) <= 76 for line in shown.splitlines()), shown
    assert " ".join(shown.split()).replace("( ", "(").replace(" )", ")") == fn.signature()


def test_first_sentence_keeps_abbreviations():
    assert contract_page.first_sentence("Weights, e.g. (1, 3). More.") == "Weights, e.g. (1, 3)."
    assert contract_page.first_sentence("No full stop") == "No full stop"


def test_contract_page_renders_every_function(tmp_path):
    """A one-page Sphinx build of the directive: every function gets its
    section with the signature the registry gives, and its spec page link resolves."""
    src = tmp_path / "src"
    (src / "spec").mkdir(parents=True)
    pages = {f.page for f in spec.contract().values()}
    for page in pages:
        (src / f"{page}.md").write_text(f"# {page} page\n")
    (src / "index.md").write_text("# Contract\n\n```{contract-functions}\n```\n\n```{toctree}\n:glob:\n\nspec/*\n```\n")
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "extensions = ['myst_parser', 'contract_page']\n"
        "source_suffix = {'.md': 'markdown'}\n")
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (out / "index.html").read_text()
    for fn in spec.contract().values():
        if not fn.gradient_of:
            assert f'id="contract-{fn.name.replace("_", "-")}"' in html, fn.name
        assert fn.name in html
    for page in pages:
        assert f'href="{page}.html"' in html, page

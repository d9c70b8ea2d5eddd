"""The committed conformance matrix (docs/conformance/matrix/) is current.

``make matrix`` writes one result file per built-in adapter and a summary;
``make docs`` only renders them.  These tests recompute each file's fingerprint
from today's sources and fail -- telling you to run ``make matrix`` -- when a
check, a case table, a golden vector, the reference, an adapter, a deviation
file, a pin or the spec version changed since it was measured, or when a
built-in adapter has no data at all.  Nothing stale is tolerated.

The second half checks the fingerprint itself on a small fake checkout: each
kind of input that decides a verdict changes it, and what cannot (the docs,
another adapter's files) does not.
"""

from __future__ import annotations

import json
import pathlib
import sys

import pytest

from conformance import matrix
from conformance.adapters import BUILTIN

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / matrix.DATA
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import conformance_matrix  # noqa: E402  (the site's directive, docs/_ext)

#: Keys a trimmed result row may carry (what the page renders).
ROW_KEYS = {"check", "function", "clause", "status", "message", "max_ulp_error", "counterexample", "got"}
#: A result file stays small: no logs, no full arrays (about 125 bytes per
#: passing check; a known deviation keeps its message and counterexample, up
#: to about 700 bytes, and keras lists some 350 of its 930 checks so).
MAX_FILE_BYTES = 400_000


def _load(adapter):
    path = DATA / f"{adapter}.json"
    if not path.is_file():
        pytest.fail(f"no matrix data for {adapter} ({path.relative_to(ROOT)}): run `make matrix`")
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------
# the committed data
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("adapter", BUILTIN)
def test_matrix_data_is_current(adapter):
    data = _load(adapter)
    inputs = matrix.fingerprint_inputs(adapter)
    if data.get("fingerprint") != matrix.fingerprint_of(inputs):
        changes = matrix.changed_inputs(data.get("inputs", {}), inputs)
        pytest.fail(f"the matrix data of {adapter} (measured {data.get('measured')}) is stale: "
                    f"{'; '.join(changes) or 'its fingerprint differs'}. Run `make matrix` "
                    f"(or `.venv/bin/python -m conformance.matrix --adapters {adapter}`).")


@pytest.mark.parametrize("adapter", BUILTIN)
def test_matrix_data_is_trimmed_and_consistent(adapter):
    path = DATA / f"{adapter}.json"
    data = _load(adapter)
    assert path.stat().st_size <= MAX_FILE_BYTES, f"{path} is {path.stat().st_size} bytes: trim it"
    assert data["adapter"] == adapter == data["implementation"]
    assert not data["interrupted"], f"the {adapter} run was interrupted: run `make matrix`"
    statuses = [r["status"] for r in data["results"]]
    assert {s: statuses.count(s) for s in set(statuses)} == {k: v for k, v in data["summary"].items() if v}
    for row in data["results"]:
        assert set(row) <= ROW_KEYS, (row["check"], sorted(set(row) - ROW_KEYS))
        assert len(row.get("message", "")) <= matrix.MESSAGE_CHARS
        assert len(row.get("counterexample", "")) <= matrix.COUNTEREXAMPLE_CHARS
    assert str(ROOT) not in path.read_text(), "an absolute path of this machine is in the data"


@pytest.mark.parametrize("adapter", BUILTIN)
def test_each_builtin_adapter_names_its_pinned_framework(adapter):
    """Its fingerprint then follows exactly its own framework's pins."""
    assert adapter in matrix.FRAMEWORK_PINS, f"add {adapter} to FRAMEWORK_PINS in conformance/matrix.py"
    pins = matrix.pinned_for(adapter)
    unpinned = sorted(d for d, v in pins.items() if v == "unpinned")
    assert not unpinned, f"{adapter}: {unpinned} not pinned in constraints.txt"


def test_no_data_for_adapters_that_are_not_built_in():
    stray = sorted(p.stem for p in DATA.glob("*.json") if p.name != matrix.SUMMARY and p.stem not in BUILTIN)
    assert not stray, f"matrix data for adapters not in BUILTIN: {stray}; delete them"


def test_summary_agrees_with_each_result_file():
    path = DATA / matrix.SUMMARY
    if not path.is_file():
        pytest.fail(f"no {path.relative_to(ROOT)}: run `make matrix`")
    summary = json.loads(path.read_text())
    entries = {e["adapter"]: e for e in summary["adapters"]}
    assert summary["options"] == matrix.OPTIONS
    for adapter in BUILTIN:
        data = _load(adapter)
        entry = entries.get(adapter)
        assert entry is not None, f"summary.json has no entry for {adapter}: run `make matrix`"
        for key in ("fingerprint", "measured", "wall_time_s", "exit_status", "versions"):
            assert entry[key] == data[key], (adapter, key, entry[key], data[key])


# ---------------------------------------------------------------------------
# the fingerprint, on a fake checkout
# ---------------------------------------------------------------------------

FAKE = {
    "constraints.txt": "# pins\nnumpy==2.0.0\nscipy==1.0.0\nhypothesis==6.0.0\nmpmath==1.3.0\n"
                       "torch==2.0.0\njax==0.4.0\njaxlib==0.4.0\noptax==0.2.0\n",
    "conformance/__init__.py": 'SPEC_VERSION = "0.1.0"\n',
    "conformance/checks/softmax.py": "from reference import softmax\n",
    "conformance/golden/softmax.jsonl": '{"row": 1}\n',
    "conformance/golden/gen_ctc.py": "from accuracy.exact import ctc\n",
    "conformance/adapters/__init__.py": 'BUILTIN = ("torch", "jax")\n',
    "conformance/adapters/torch.py": "import torch\n",
    "conformance/adapters/jax.py": "from conformance.adapters import _jax_setup\n",
    "conformance/adapters/_jax_setup.py": "import jax\n",
    "conformance/known_deviations/torch.toml": "[[deviation]]\n",
    "conformance/known_deviations/jax.toml": "[[deviation]]\n",
    "reference/__init__.py": "from .softmax import softmax\n",
    "reference/softmax.py": "def softmax(z): return z\n",
    "accuracy/__init__.py": "",
    "accuracy/exact.py": "def ctc(): pass\n",
    "accuracy/measure.py": "def measure(): pass\n",
    "docs/spec/softmax.md": "# Softmax\n",
    "tests/test_softmax.py": "def test(): pass\n",
}


@pytest.fixture
def fake(tmp_path):
    for rel, text in FAKE.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _edit(root, rel, text="# edited\n"):
    path = root / rel
    if rel == "constraints.txt":
        path.write_text(path.read_text().replace(text[0], text[1]))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((path.read_text() if path.exists() else "") + text)


# (adapter, what is edited, how): each decides a verdict on that adapter.
CHANGES_VERDICT = [
    ("torch", "conformance/checks/softmax.py", "# edited\n"),
    ("torch", "conformance/golden/softmax.jsonl", '{"row": 2}\n'),
    ("torch", "conformance/cases/softmax.toml", "[[case]]\n"),  # a new case table
    ("torch", "reference/softmax.py", "# edited\n"),
    ("torch", "conformance/adapters/torch.py", "# edited\n"),
    ("torch", "conformance/known_deviations/torch.toml", "[[deviation]]\n"),
    ("torch", "accuracy/exact.py", "# edited\n"),  # imported by the golden generator
    ("torch", "constraints.txt", ("torch==2.0.0", "torch==2.1.0")),
    ("torch", "constraints.txt", ("hypothesis==6.0.0", "hypothesis==6.1.0")),
    ("torch", "conformance/__init__.py", 'SPEC_VERSION = "0.2.0"\n'),
    ("jax", "conformance/adapters/_jax_setup.py", "# edited\n"),  # the helper jax imports
]

# Edits that cannot change a verdict on that adapter.
KEEPS_VERDICT = [
    ("torch", "docs/spec/softmax.md", "more prose\n"),
    ("torch", "tests/test_softmax.py", "# edited\n"),
    ("torch", "conformance/adapters/jax.py", "# edited\n"),
    ("torch", "conformance/adapters/_jax_setup.py", "# edited\n"),
    ("torch", "conformance/known_deviations/jax.toml", "[[deviation]]\n"),
    ("torch", "conformance/adapters/__init__.py", 'BUILTIN = ("torch", "jax", "tensorflow")\n'),
    ("torch", "constraints.txt", ("jax==0.4.0", "jax==0.5.0")),
    ("torch", "accuracy/measure.py", "# edited\n"),  # not imported by the suite
    ("torch", "conformance/checks/__pycache__/softmax.cpython-311.pyc", "bytes"),
]


@pytest.mark.parametrize("adapter, rel, text", CHANGES_VERDICT)
def test_fingerprint_changes_with_what_decides_a_verdict(fake, adapter, rel, text):
    before = matrix.fingerprint_inputs(adapter, fake)
    _edit(fake, rel, text)
    after = matrix.fingerprint_inputs(adapter, fake)
    assert matrix.fingerprint_of(before) != matrix.fingerprint_of(after)
    changes = matrix.changed_inputs(matrix.short_inputs(before), after)
    assert changes, "the change is not named"
    if rel != "constraints.txt":
        assert any(rel in c for c in changes) or any("SPEC_VERSION" in c for c in changes), changes


@pytest.mark.parametrize("adapter, rel, text", KEEPS_VERDICT)
def test_fingerprint_ignores_what_cannot_change_a_verdict(fake, adapter, rel, text):
    before = matrix.fingerprint_of(matrix.fingerprint_inputs(adapter, fake))
    _edit(fake, rel, text)
    assert matrix.fingerprint_of(matrix.fingerprint_inputs(adapter, fake)) == before


def test_fingerprint_covers_the_suite_options(fake):
    default = matrix.fingerprint_inputs("torch", fake)
    fewer = matrix.fingerprint_inputs("torch", fake, options={**matrix.OPTIONS, "max_examples": 5})
    assert matrix.fingerprint_of(default) != matrix.fingerprint_of(fewer)
    assert matrix.changed_inputs(matrix.short_inputs(default), fewer) == ["option max_examples: 50 -> 5"]


def test_an_unknown_adapter_depends_on_every_pin(fake):
    assert set(matrix.pinned_for("newframework", fake)) == set(matrix.read_pins(fake))


# ---------------------------------------------------------------------------
# what the page shows for missing and stale data
# ---------------------------------------------------------------------------

def test_page_says_not_measured_for_an_adapter_without_data(tmp_path):
    data, state, _ = conformance_matrix.load("tensorflow", data_dir=tmp_path)
    assert (data, state) == (None, "missing")
    assert conformance_matrix.column_header("tensorflow", None, "missing") == "tensorflow (not measured)"
    assert conformance_matrix.cell([], "missing").astext() == "not measured"


def test_page_shows_stale_data_as_stale_not_as_verdicts(tmp_path):
    stale = {"adapter": "reference", "fingerprint": "0" * 64, "measured": "2020-01-01T00:00:00+0000",
             "inputs": {"files": {}, "pins": {}, "options": {}, "spec_version": "0.0.0"},
             "results": [{"check": "softmax.x", "function": "softmax", "clause": "softmax.x", "status": "pass"}]}
    (tmp_path / "reference.json").write_text(json.dumps(stale))
    data, state, changes = conformance_matrix.load("reference", data_dir=tmp_path)
    assert state == "stale"
    assert "SPEC_VERSION 0.0.0 -> " + matrix.spec_version() in changes
    assert any(c == "reference/softmax.py added" for c in changes), changes
    assert conformance_matrix.cell(data["results"], state).astext() == "stale"
    assert conformance_matrix.column_header("reference", data, state) == "reference (stale)"

"""The committed results file that ``make bench`` writes and the site renders."""

from __future__ import annotations

import json
from pathlib import Path

#: ``docs/performance/results.json`` in this checkout.
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "performance" / "results.json"


def load_results(path=RESULTS) -> dict:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}


def update_results(path, sections: dict) -> None:
    """Replace the top-level ``sections`` of the JSON file at ``path``, keeping the others."""
    path = Path(path)
    data = load_results(path)
    data.update(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


#: The speed targets of the project (issue 4): the reference's median time over
#: the contender's, at most ``ratio``.  CE is held to the numpy baseline in
#: float64 (with float32 input the baseline computes in float32 while the
#: reference, by the spec, computes in float64: those rows are informative).
TARGETS = (
    {"function": "softmax_cross_entropy", "op": "value", "dtype": "float64", "against": "numpy", "ratio": 1.5},
    {"function": "softmax_cross_entropy", "op": "gradient", "dtype": "float64", "against": "numpy", "ratio": 2.0},
    {"function": "ctc_loss", "op": "value", "dtype": "float64", "against": "torch-1", "ratio": 2.0},
    {"function": "ctc_loss", "op": "gradient", "dtype": "float64", "against": "torch-1", "ratio": 2.0},
)

#: A full conformance run per adapter, seconds.
CONFORMANCE_TARGET = 60.0


def target_for(rec: dict):
    """The target that applies to a speed record, or ``None``."""
    for t in TARGETS:
        if all(rec[k] == t[k] for k in ("function", "op", "dtype")):
            return t
    return None


def ratio(rec: dict, other: str):
    """The reference's median time over ``other``'s, or ``None`` when ``other`` did not run."""
    t = rec["times"]
    if other not in t or "reference" not in t:
        return None
    return t["reference"]["median"] / t[other]["median"]

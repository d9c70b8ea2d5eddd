"""The scaling plots of the performance page, drawn from the committed results.

The page calls :func:`plot_scaling` from a ``.. plot::`` directive, so the
figures are rendered at build time by matplotlib from
``docs/performance/results.json``; nothing is measured during the build.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .results import RESULTS, load_results

STYLE = {
    "reference": {"label": "reference", "marker": "o", "color": "C0"},
    "numpy": {"label": "numpy baseline", "marker": "s", "color": "C1"},
    "torch-1": {"label": "PyTorch, 1 thread", "marker": "^", "color": "C2"},
}
AXIS_LABEL = {"C": "number of classes C", "N": "batch size N", "T": "number of frames T"}


def plot_scaling(axis: str, path=RESULTS):
    """Median time against ``axis`` (``"C"``, ``"N"`` or ``"T"``), the value
    on the left and the gradient on the right, log-log, one line per contender."""
    sweep = load_results(path)["speed"]["scaling"][axis]
    x = sweep["values"]
    fig, panels = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    for panel, op in zip(panels, ("value", "gradient")):
        for name, style in STYLE.items():
            times = sweep["times"].get(op, {}).get(name)
            if times:
                panel.loglog(x, [1e3 * t for t in times], marker=style["marker"], color=style["color"],
                             label=style["label"])
        panel.set_title(f"{sweep['function']}: {op} ({sweep['fixed']})", fontsize=9)
        panel.set_xlabel(AXIS_LABEL[axis])
        panel.grid(True, which="major", alpha=0.3)
    panels[0].set_ylabel("median time (ms)")
    panels[0].legend(fontsize=8)
    return fig

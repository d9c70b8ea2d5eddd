"""Sphinx extension: the ``benchmark-results`` directive.

Renders the figures that ``make bench`` writes into
``docs/performance/results.json`` (see ``benchmarks/``):

* ``speed``: median times per contender and the reference's ratios, with the
  project's targets;
* ``memory``: the peak memory each reference function allocates, in input sizes;
* ``conformance``: the wall time of a full conformance run per adapter;
* ``machine``: where and with which versions the figures were measured.
"""

from __future__ import annotations

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

from doc_tables import table

from benchmarks.results import (
    CONFORMANCE_TARGET,
    RESULTS,
    load_results,
    ratio,
    target_for,
)

logger = logging.getLogger(__name__)

CONTENDERS = (("reference", "reference"), ("numpy", "numpy"), ("torch-1", "PyTorch, 1 thread"),
              ("torch", "PyTorch, {threads} threads"), ("jax", "JAX (jit)"))


def _table(header, rows, widths, classes=()):
    return table(header, rows, widths, classes=["benchmark-results", *classes])


def _ms(rec, name):
    t = rec["times"].get(name)
    if t is None:
        return "—"
    ms = 1e3 * t["median"]
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _x(value):
    return "—" if value is None else f"{value:.2f}×"


AGAINST = {"numpy": "numpy", "torch-1": "PyTorch, 1 thread"}


def _verdict(rec):
    target = target_for(rec)
    if target is None:
        return ""
    r = ratio(rec, target["against"])
    bound = f"≤ {target['ratio']:g}× {AGAINST[target['against']]}"
    if r is None:
        return f"{bound}: not measured"
    return f"{bound}: {'met' if r <= target['ratio'] else 'missed'}"


def _function_cell(rec):
    name = rec["function"]
    base, _, rest = name.partition(" ")
    para = nodes.inline()
    para += nodes.literal(base, base)
    if rest:
        para += nodes.Text(" " + rest)
    return para


def speed_table(data):
    speed = data["speed"]
    threads = speed["machine"].get("torch_threads", "default")
    header = (["function", "op", "shape", "input dtype"]
              + [label.format(threads=threads) for _, label in CONTENDERS]
              + ["reference / numpy", "reference / PyTorch 1 thread", "target"])
    rows = [[_function_cell(rec), rec["op"], rec["shape"], rec["dtype"]]
            + [_ms(rec, name) for name, _ in CONTENDERS]
            + [_x(ratio(rec, "numpy")), _x(ratio(rec, "torch-1")), _verdict(rec)]
            for rec in speed["cases"]]
    return [_table(header, rows, [22, 8, 14, 8] + [9] * len(CONTENDERS) + [9, 9, 14])]


def memory_table(data):
    header = ["function", "op", "shape", "input dtype", "reference: peak / input",
              "numpy baseline: peak / input"]
    rows = []
    for rec in data["speed"]["cases"]:
        mem = rec["memory"]
        unit = mem["unit"]
        rows.append([_function_cell(rec), rec["op"], rec["shape"], rec["dtype"],
                     f"{mem['reference'] / unit:.2f}",
                     f"{mem['numpy'] / unit:.2f}" if "numpy" in mem else "—"])
    return [_table(header, rows, [22, 8, 14, 8, 12, 12])]


def conformance_table(data):
    header = ["adapter", "exit status", "processes", "warm run", f"≤ {CONFORMANCE_TARGET:.0f} s",
              "first run (empty caches)", f"≤ {CONFORMANCE_TARGET:.0f} s", "checks"]

    def verdict(seconds):
        return "met" if seconds <= CONFORMANCE_TARGET else "missed"

    rows = []
    for rec in data["conformance"]:
        if "not_run" in rec:
            counts = f"not run: {rec['not_run']}"
        else:
            counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in rec["counts"].items())
        cold = rec.get("wall_cold")
        rows.append([nodes.literal(rec["adapter"], rec["adapter"]), rec["exit"], str(rec.get("jobs", 1)),
                     f"{rec['wall']:.1f} s", verdict(rec["wall"]),
                     f"{cold:.1f} s" if cold is not None else "—", verdict(cold) if cold is not None else "—",
                     counts])
    return [_table(header, rows, [12, 6, 6, 9, 6, 10, 6, 40])]


def machine_paragraph(data):
    m = data["speed"]["machine"]
    s = data["speed"]["settings"]
    text = (f"Measured on {m['date']}: {m['cpus']} CPUs ({m['processor']}, {m['platform']}), "
            f"Python {m['python']}, numpy {m['numpy']}, SciPy {m['scipy']}, "
            f"PyTorch {m.get('torch', '—')} ({m.get('torch_threads', '?')} threads by default), "
            f"JAX {m.get('jax', '—')} with optax {m.get('optax', '—')}; "
            f"each figure is the median of {s['repeats']} rounds, a round lasting at least "
            f"{1e3 * s['min_sample']:.0f} ms per contender.")
    return [nodes.paragraph(text=text)]


def large_vocabulary_table(data):
    header = ["N", "C", "H", "call", "seconds", "peak MiB", "float64 logits MiB", "peak / logits"]
    rows = []
    for rec in data["large_vocabulary"]["cases"]:
        rows.append([str(rec["N"]), str(rec["C"]), str(rec["H"]), rec["call"], f"{rec['seconds']:.1f}",
                     f"{rec['peak_bytes'] / 2**20:.0f}", f"{rec['logits_bytes'] / 2**20:.0f}",
                     f"{rec['peak_bytes'] / rec['logits_bytes']:.2f}"])
    out = [_table(header, rows, [6, 8, 5, 22, 8, 8, 10, 8])]
    if data["large_vocabulary"].get("measured"):
        out.append(nodes.paragraph(text=f"Measured {data['large_vocabulary']['measured']}."))
    return out


RENDERERS = {"speed": speed_table, "large-vocabulary": large_vocabulary_table, "memory": memory_table, "conformance": conformance_table,
             "machine": machine_paragraph}


class BenchmarkResults(Directive):
    required_arguments = 1
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(RESULTS))
        what = self.arguments[0]
        if what not in RENDERERS:
            raise self.error(f"benchmark-results: unknown part {what!r}, expected one of {sorted(RENDERERS)}")
        data = load_results()
        section = {"conformance": "conformance", "large-vocabulary": "large_vocabulary"}.get(what, "speed")
        if section not in data:
            logger.warning(f"benchmark-results: no {section!r} figures in {RESULTS}; run `make bench`",
                           location=env.docname)
            return [nodes.paragraph(text="(no figures: run make bench)")]
        return RENDERERS[what](data)


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Measure the reference and the built-in adapters against the exact values.

For every case of :mod:`accuracy.corpus` the exact result comes from
:mod:`accuracy.exact` (mpmath); every implementation is called with the same
arguments and its result is compared element by element with
:func:`accuracy.ulp.ulp_errors`.  Per function and implementation the summary
holds the largest and the median error in ulps over every measured element,
the number of elements whose special value (infinity, NaN, underflow) does not
match, and the worst element with its group.

Each adapter runs in a child process (``python -m accuracy.measure --worker``):
a framework that crashes or hangs costs its own column only, and the parent
computes the exact values meanwhile.  A function an adapter does not define,
or a case whose options it refuses with ``NotImplementedError``, is "not
provided"; any other exception counts as an error of that case.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import corpus as corpus_mod
from . import exact as exact_mod
from .ulp import ulp_errors

ADAPTERS = ("reference", "scipy", "torch", "jax", "keras", "sklearn", "onnxruntime")
#: Functions without a numeric result to measure (``ctc_collapse`` returns labels).
NOT_MEASURED = ("ctc_collapse",)
TIMEOUT_S = 900
ROOT = pathlib.Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------
# running one implementation
# ---------------------------------------------------------------------------

def _call(fn, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*case.args, **case.kwargs)


def evaluate(implementation, cases):
    """Call ``implementation`` on every case.

    Returns a list with, per case, ``("ok", float64 array)``,
    ``("not provided", reason)`` or ``("error", message)``.
    """
    out = []
    for case in cases:
        fn = getattr(implementation, case.function, None)
        if fn is None or not callable(fn):
            out.append(("not provided", "function not defined"))
            continue
        try:
            got = _call(fn, case)
        except NotImplementedError as exc:
            out.append(("not provided", f"NotImplementedError: {exc}"[:200]))
            continue
        except Exception as exc:  # noqa: BLE001 - any failure is this case's error
            out.append(("error", f"{type(exc).__name__}: {exc}"[:300]))
            continue
        try:
            out.append(("ok", np.asarray(got, dtype=np.float64)))
        except Exception as exc:  # noqa: BLE001
            out.append(("error", f"result is not numeric: {type(exc).__name__}: {exc}"[:300]))
    return out


def _worker(name: str, size: str, out: str) -> int:
    """Child process: evaluate adapter ``name`` on the corpus, save to ``out`` (npz)."""
    from conformance.run_check import resolve

    start = time.perf_counter()
    implementation = resolve(name)
    cases = corpus_mod.build(size)
    results = evaluate(implementation, cases)
    arrays = {f"c{i}": r[1] for i, r in enumerate(results) if r[0] == "ok"}
    status = [[r[0], r[1] if r[0] != "ok" else ""] for r in results]
    meta = {"status": status, "seconds": round(time.perf_counter() - start, 2),
            "version": _framework_version(name)}
    np.savez(out, meta=np.array(json.dumps(meta)), **arrays)
    return 0


def _framework_version(name: str) -> str:
    if name == "reference":
        return f"numpy {np.__version__}"
    return _module_version(name)


def _module_version(name: str) -> str:
    module = {"reference": "numpy", "scipy": "scipy", "torch": "torch", "jax": "jax", "keras": "keras",
              "sklearn": "sklearn", "onnxruntime": "onnxruntime"}.get(name, name)
    try:
        return str(sys.modules[module].__version__) if module in sys.modules else ""
    except AttributeError:
        return ""


def run_adapter(name: str, size: str, workdir: pathlib.Path):
    """Run adapter ``name`` in a child process; ``(meta, arrays)`` or ``(error, None)``."""
    path = workdir / f"{name}.npz"
    start = time.perf_counter()
    try:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
        proc = subprocess.run([sys.executable, "-m", "accuracy.measure", "--worker", name, "--size", size,
                               "--out", str(path)], capture_output=True, text=True, timeout=TIMEOUT_S,
                              cwd=str(ROOT), env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S} s"}, None
    if proc.returncode != 0 or not path.exists():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit status {proc.returncode}: {tail}"}, None
    data = np.load(path, allow_pickle=False)
    meta = json.loads(str(data["meta"]))
    meta["wall_s"] = round(time.perf_counter() - start, 2)
    return meta, {k: data[k] for k in data.files if k != "meta"}


# ---------------------------------------------------------------------------
# exact values
# ---------------------------------------------------------------------------

def exact_values(cases):
    """``(hi, lo)`` double-doubles of the exact result of every case (``None``
    where :mod:`accuracy.exact` has no such function)."""
    out = []
    for case in cases:
        fn = getattr(exact_mod, case.function, None)
        if fn is None:
            out.append(None)
            continue
        out.append(exact_mod.to_double_double(fn(*case.args, **case.kwargs)))
    return out


# ---------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------

def _num(x):
    """A float for JSON: ``"inf"`` for infinity, 4 significant digits."""
    if x is None:
        return None
    x = float(x)
    if math.isinf(x):
        return "inf"
    if math.isnan(x):
        return None
    return float(f"{x:.4g}")


def _stats(errors):
    if errors.size == 0:
        return None, None
    return float(np.max(errors)), float(np.median(errors))


def compare_case(got, expected):
    """``(errors, mismatch, category)`` for one case, or an error message when
    the shapes differ."""
    hi, lo = expected
    got = np.asarray(got, dtype=np.float64)
    if got.shape != hi.shape:
        if got.size == hi.size and got.size == 1:
            got = got.reshape(hi.shape)
        else:
            return f"result shape {got.shape}, expected {hi.shape}"
    return ulp_errors(got, hi, lo)


def summarize(cases, expected, results):
    """Per function: the summary of one implementation's results (see the
    module docstring)."""
    by_fn = {}
    for i, case in enumerate(cases):
        if expected[i] is None:
            continue
        entry = by_fn.setdefault(case.function, {"cases": 0, "provided": 0, "errors": 0, "error_messages": [],
                                                 "errs": [], "mismatches": 0, "special": 0, "worst": None,
                                                 "groups": {}})
        entry["cases"] += 1
        status, payload = results[i]
        if status == "not provided":
            continue
        entry["provided"] += 1
        if status == "error":
            entry["errors"] += 1
            if len(entry["error_messages"]) < 3:
                entry["error_messages"].append(f"{case.group} / {case.label}: {payload}")
            continue
        cmp = compare_case(payload, expected[i])
        if isinstance(cmp, str):
            entry["errors"] += 1
            if len(entry["error_messages"]) < 3:
                entry["error_messages"].append(f"{case.group} / {case.label}: {cmp}")
            continue
        err, bad, cat = cmp
        measured = err[~np.isnan(err)]
        g = entry["groups"].setdefault(case.group, {"errs": [], "mismatches": 0})
        g["errs"].append(measured)
        g["mismatches"] += int(np.sum(bad))
        entry["errs"].append(measured)
        entry["mismatches"] += int(np.sum(bad))
        entry["special"] += int(np.sum(cat != "finite"))
        if measured.size:
            j = int(np.nanargmax(np.where(np.isnan(err), -1.0, err)))
            worst = float(err.reshape(-1)[j])
            if entry["worst"] is None or worst > entry["worst"]["ulps"]:
                hi = expected[i][0]
                entry["worst"] = {"ulps": worst, "group": case.group, "case": case.label,
                                  "index": [int(k) for k in np.unravel_index(j, err.shape)] if err.ndim else [],
                                  "expected": repr(float(hi.reshape(-1)[j])),
                                  "got": repr(float(np.asarray(payload, dtype=np.float64).reshape(-1)[j]))}
        if np.any(bad):
            entry.setdefault("first_mismatch", None)
            if entry["first_mismatch"] is None:
                j = int(np.argmax(bad.reshape(-1)))
                entry["first_mismatch"] = {
                    "group": case.group, "case": case.label,
                    "expected": repr(float(expected[i][0].reshape(-1)[j])),
                    "got": repr(float(np.asarray(payload, dtype=np.float64).reshape(-1)[j]))}
    out = {}
    for fn, e in by_fn.items():
        errs = np.concatenate(e["errs"]) if e["errs"] else np.zeros(0)
        mx, med = _stats(errs)
        status = "not provided" if e["provided"] == 0 else ("error" if e["errors"] == e["provided"] else "measured")
        res = {"status": status, "cases": e["cases"], "cases_provided": e["provided"],
               "cases_failed": e["errors"], "values": int(errs.size),
               "max_ulp": _num(mx), "median_ulp": _num(med),
               "special_values": e["special"], "mismatches": e["mismatches"]}
        if e["worst"]:
            res["worst"] = {**e["worst"], "ulps": _num(e["worst"]["ulps"])}
        if e.get("first_mismatch"):
            res["first_mismatch"] = e["first_mismatch"]
        if e["error_messages"]:
            res["error_messages"] = e["error_messages"]
        groups = {}
        for name, g in e["groups"].items():
            ge = np.concatenate(g["errs"]) if g["errs"] else np.zeros(0)
            gmx, gmed = _stats(ge)
            groups[name] = {"values": int(ge.size), "max_ulp": _num(gmx), "median_ulp": _num(gmed),
                            "mismatches": g["mismatches"]}
        res["groups"] = groups
        out[fn] = res
    return out


def corpus_summary(cases, expected):
    """Per function: its groups with the number of cases and result values."""
    out = {}
    for case, ex in zip(cases, expected):
        if ex is None:
            continue
        fn = out.setdefault(case.function, {})
        g = fn.setdefault(case.group, {"cases": 0, "values": 0})
        g["cases"] += 1
        g["values"] += int(ex[0].size)
    return out


# ---------------------------------------------------------------------------
# the whole run
# ---------------------------------------------------------------------------

def _environment():
    ld = np.finfo(np.longdouble)
    return {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
            "system": platform.system(), "longdouble_mantissa_bits": int(ld.nmant) + 1,
            "mpmath_dps": exact_mod.DPS}


def measure(adapters=ADAPTERS, size="full", jobs=2, log=print):
    """Run the corpus through ``adapters``; return the results document."""
    cases = corpus_mod.build(size)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="loss-spec-accuracy-") as tmp:
        workdir = pathlib.Path(tmp)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {name: pool.submit(run_adapter, name, size, workdir) for name in adapters}
            t0 = time.perf_counter()
            expected = exact_values(cases)
            log(f"exact values: {len(cases)} cases in {time.perf_counter() - t0:.1f} s")
            runs = {}
            for name, fut in futures.items():
                runs[name] = fut.result()
                meta = runs[name][0]
                log(f"{name:<12} " + (f"error: {meta['error']}" if "error" in meta
                                      else f"{meta['wall_s']:6.1f} s"))
    doc = {"generated_by": "make accuracy (python -m accuracy)", "corpus_size": size,
           "environment": _environment(), "groups": corpus_mod.GROUPS,
           "corpus": corpus_summary(cases, expected), "adapters": {}, "functions": {}}
    for name, (meta, arrays) in runs.items():
        if arrays is None:
            doc["adapters"][name] = {"status": "error", "message": meta["error"]}
            continue
        doc["adapters"][name] = {"status": "ran", "version": meta.get("version", ""), "seconds": meta["seconds"]}
        results = []
        for i, (status, message) in enumerate(meta["status"]):
            results.append(("ok", arrays[f"c{i}"]) if status == "ok" else (status, message))
        for fn, res in summarize(cases, expected, results).items():
            doc["functions"].setdefault(fn, {})[name] = res
    doc["total_seconds"] = round(time.perf_counter() - start, 1)
    return doc


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m accuracy",
                                description="Measure accuracy in ulps against mpmath over the stress corpus.")
    p.add_argument("--out", default="docs/accuracy/results.json", help="where to write the results (JSON)")
    p.add_argument("--adapters", default=",".join(ADAPTERS), help="comma-separated built-in adapters")
    p.add_argument("--size", choices=corpus_mod.SIZES, default="full")
    p.add_argument("--jobs", type=int, default=2, help="adapters run at the same time")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return _worker(args.worker, args.size, args.out)
    names = [n for n in args.adapters.split(",") if n]
    unknown = [n for n in names if n not in ADAPTERS]
    if unknown:
        p.error(f"unknown adapter(s): {', '.join(unknown)}; expected some of {', '.join(ADAPTERS)}")
    doc = measure(names, args.size, args.jobs)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, out)
    _print_table(doc, names)
    print(f"wrote {out} ({doc['total_seconds']} s)")
    return 0 if all(doc["adapters"][n]["status"] == "ran" for n in names) else 1


def _print_table(doc, names):
    print(f"{'function':<36}" + "".join(f"{n:>16}" for n in names))
    for fn, per in doc["functions"].items():
        cells = []
        for n in names:
            r = per.get(n)
            if r is None or r["status"] == "not provided":
                cells.append("-")
            elif r["status"] == "error":
                cells.append("error")
            else:
                cell = f"{r['max_ulp']}/{r['median_ulp']}"
                if r["mismatches"]:
                    cell += f" !{r['mismatches']}"
                cells.append(cell)
        print(f"{fn:<36}" + "".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    sys.exit(main())

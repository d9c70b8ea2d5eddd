"""The conformance matrix as data: one trimmed result file per built-in adapter.

``python -m conformance.matrix [--out DIR] [--adapters a,b] [--jobs N]`` runs
the whole suite against each built-in adapter (``make matrix``), each from a
fresh copy of the suite and the reference (edits made meanwhile do not mix
in), and writes

* ``DIR/<adapter>.json``: what the matrix page renders (every check's id,
  function, clause and status; for failures and known deviations the message,
  the error in ulps, the smallest input and a short ``got``), the measured
  versions and wall time, and the *fingerprint* of everything that determines
  the verdicts;
* ``DIR/summary.json``: when each adapter was measured, with which suite and
  framework versions, its exit status and wall time (adapters not run this time
  keep their entries).

``DIR`` defaults to ``docs/conformance/matrix``, which is committed: ``make
docs`` only renders it, and ``tests/test_matrix_data.py`` recomputes every
fingerprint, so results made by an older suite, older deviation files or other
framework pins fail ``make test`` instead of being shown as current.

What the fingerprint covers (:func:`fingerprint_inputs`): every file of the
``conformance`` package (checks, case tables, golden vectors, budgets, runner)
except the modules and deviation files of *other* adapters (and the list of
built-ins); every file of ``reference``; every other module of the checkout
that these import, transitively (``accuracy/exact.py`` today); the suite's
options; ``SPEC_VERSION``; and the
``constraints.txt`` pins of numpy, SciPy, hypothesis and mpmath and of the
adapter's own framework.  The docs, tests and benchmarks cannot change a verdict
and are left out.  The command exits 0 when every report was written, whatever
the adapters' verdicts (the matrix shows them), 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import importlib.metadata
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from .adapters import BUILTIN

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Where ``make matrix`` writes and the site reads (relative to the checkout).
DATA = pathlib.Path("docs") / "conformance" / "matrix"
SUMMARY = "summary.json"

#: The options of a matrix run: the suite's defaults, spelled out so that a
#: change of those defaults shows in the fingerprint.  The adapters under
#: ``low_precision`` run with ``--dtypes all`` (their frameworks compute in
#: float16 and bfloat16); the others pass numpy arrays to libraries that have
#: no such dtypes and run with the default float64 and float32.
OPTIONS = {"max_examples": 50, "seed": 0, "low_precision": ["reference", "torch", "jax"]}

#: Pins every verdict depends on: the arrays, the reference's special
#: functions, hypothesis' exploration (which counterexample a derandomised run
#: finds) and the golden vectors' oracle.
COMMON_PINS = ("numpy", "scipy", "hypothesis", "mpmath")
#: The distributions each built-in adapter drives.  An adapter missing here
#: depends, to be safe, on every pin of ``constraints.txt``.
FRAMEWORK_PINS = {
    "reference": (),
    "scipy": (),
    "torch": ("torch",),
    "torch_chunked": ("torch",),
    "jax": ("jax", "jaxlib", "optax"),
    "keras": ("keras", "jax", "jaxlib"),
    "sklearn": ("scikit-learn",),
    "onnxruntime": ("onnx", "onnxruntime"),
    "tensorflow": ("tensorflow-cpu",),
}

#: How much of a failure the page shows (and so the data keeps).
MESSAGE_CHARS = 400
COUNTEREXAMPLE_CHARS = 300
GOT_CHARS = 200
#: Statuses whose rows keep their details.
DETAILED = ("fail", "error", "known_deviation")


# ---------------------------------------------------------------------------
# the fingerprint
# ---------------------------------------------------------------------------

def _normalise(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def read_pins(root=ROOT) -> dict[str, str]:
    """``{distribution: version}`` for every ``name==version`` line of ``constraints.txt``."""
    path = pathlib.Path(root) / "constraints.txt"
    pins = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalise(name.strip())] = version.strip()
    return pins


def pinned_for(adapter: str, root=ROOT) -> dict[str, str]:
    """The pins a verdict on ``adapter`` depends on (``"unpinned"`` for a distribution without one)."""
    pins = read_pins(root)
    if adapter in FRAMEWORK_PINS:
        names = [*COMMON_PINS, *FRAMEWORK_PINS[adapter]]
    else:
        names = [*COMMON_PINS, *pins]
    return {_normalise(n): pins.get(_normalise(n), "unpinned") for n in dict.fromkeys(names)}


def spec_version(root=ROOT) -> str:
    """``SPEC_VERSION`` as ``conformance/__init__.py`` states it (read, not imported)."""
    tree = ast.parse((pathlib.Path(root) / "conformance" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SPEC_VERSION" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{root}/conformance/__init__.py does not set SPEC_VERSION")


def _package_files(package: pathlib.Path):
    """Every file of a package directory that ships: no caches, no hidden files."""
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if not path.is_file() or path.suffix in (".pyc", ".pyo"):
            continue
        if any(part == "__pycache__" or part.startswith(".") for part in rel.parts):
            continue
        yield path


def _module_files(root: pathlib.Path, dotted: str) -> list[pathlib.Path]:
    """The files that importing ``dotted`` runs inside the checkout: each
    package's ``__init__.py`` on the way and the module itself."""
    parts = dotted.split(".")
    out = []
    for i in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:i])
        if (base / "__init__.py").is_file():
            out.append(base / "__init__.py")
        elif base.with_suffix(".py").is_file():
            out.append(base.with_suffix(".py"))
            break
        else:
            break
    return out


def _imported_modules(path: pathlib.Path, root: pathlib.Path) -> set[str]:
    """Dotted names of the modules a Python file imports (relative ones resolved
    against its package), including ``from package import module`` forms."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return set()  # a file that does not parse is still hashed; it imports nothing we can see
    package = path.relative_to(root).parent.parts
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            if module:
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def verdict_files(adapter: str, root=ROOT) -> list[pathlib.Path]:
    """The files whose content determines the verdicts on ``adapter``, sorted.

    The ``conformance`` package without other adapters' modules and deviation
    files (``adapters/__init__.py``, the list of built-ins, is left out too:
    adding an adapter does not change another's verdicts), all of ``reference``,
    and every other module of the checkout that these import, transitively.
    """
    root = pathlib.Path(root)
    conformance = root / "conformance"
    adapters_dir = conformance / "adapters"
    own = {adapters_dir / f"{adapter}.py", conformance / "known_deviations" / f"{adapter}.toml"}
    if (adapters_dir / f"{adapter}.py").is_file():
        # the private helpers it imports (``_jax_setup`` for jax and keras)
        own |= {p for m in _imported_modules(adapters_dir / f"{adapter}.py", root)
                if m.startswith("conformance.adapters._") for p in _module_files(root, m)
                if p.parent == adapters_dir and p.name != "__init__.py"}
    files = []
    for path in _package_files(conformance):
        in_adapters = path.parent == adapters_dir
        in_deviations = path.parent == conformance / "known_deviations"
        if (in_adapters or in_deviations) and path not in own:
            continue
        files.append(path)
    # The modules outside the package that it imports, transitively; all of
    # ``reference`` (its whole source decides the expected values).
    local = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()} - {"conformance"}
    extra = set(_package_files(root / "reference")) if (root / "reference").is_dir() else set()
    todo = [p for p in [*files, *extra] if p.suffix == ".py"]
    seen = set(todo)
    while todo:
        path = todo.pop()
        for dotted in _imported_modules(path, root):
            if dotted.split(".")[0] not in local:
                continue
            for found in _module_files(root, dotted):
                if found not in seen:
                    seen.add(found)
                    extra.add(found)
                    todo.append(found)
    files.extend(extra)
    return sorted(set(files))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint_inputs(adapter: str, root=ROOT, options=None) -> dict:
    """Everything a verdict on ``adapter`` depends on, as plain data.

    ``{"files": {relative path: sha256}, "pins": {...}, "spec_version": ...,
    "options": {...}}``.
    """
    root = pathlib.Path(root)
    return {
        "files": {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in verdict_files(adapter, root)},
        "pins": pinned_for(adapter, root),
        "spec_version": spec_version(root),
        "options": dict(OPTIONS if options is None else options),
    }


def fingerprint_of(inputs: dict) -> str:
    """One sha256 over :func:`fingerprint_inputs` (canonical JSON)."""
    return _sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode())


def short_inputs(inputs: dict) -> dict:
    """The inputs as stored in a result file: file hashes cut to 12 hex digits,
    enough to name what changed when the fingerprint no longer matches."""
    return {**inputs, "files": {k: v[:12] for k, v in inputs["files"].items()}}


def changed_inputs(stored: dict, current: dict) -> list[str]:
    """What differs between a result file's stored inputs and today's, one phrase each."""
    out = []
    old_files, new_files = stored.get("files", {}), current["files"]
    for path in sorted(set(old_files) | set(new_files)):
        if path not in new_files:
            out.append(f"{path} removed")
        elif path not in old_files:
            out.append(f"{path} added")
        elif not new_files[path].startswith(old_files[path]):
            out.append(f"{path} changed")
    for key in ("pins", "options"):
        old, new = stored.get(key, {}), current[key]
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                out.append(f"{key[:-1]} {name}: {old.get(name)} -> {new.get(name)}")
    if stored.get("spec_version") != current["spec_version"]:
        out.append(f"SPEC_VERSION {stored.get('spec_version')} -> {current['spec_version']}")
    return out


# ---------------------------------------------------------------------------
# trimming a report to what the page shows
# ---------------------------------------------------------------------------

def _cut(text, limit):
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def trim_row(row: dict) -> dict:
    """One result row as the matrix page needs it."""
    out = {k: row.get(k) for k in ("check", "function", "clause", "status")}
    if row["status"] not in DETAILED:
        return out
    out["message"] = _cut(row.get("message"), MESSAGE_CHARS)
    if row.get("max_ulp_error") is not None:
        out["max_ulp_error"] = row["max_ulp_error"]
    if row.get("counterexample"):
        out["counterexample"] = _cut(row["counterexample"], COUNTEREXAMPLE_CHARS)
    got = row.get("got")
    if got is not None and len(json.dumps(got, allow_nan=True)) <= GOT_CHARS:
        out["got"] = got  # a short value the landing page quotes (0 for a confident prediction)
    return out


def trim_report(report: dict) -> dict:
    """The parts of a JSON report that the matrix page renders (no logs, no absolute paths)."""
    return {
        "implementation": report.get("implementation"),
        "spec_version": report.get("spec_version"),
        "started": report.get("started"),
        "duration_s": report.get("duration_s"),
        "interrupted": report.get("interrupted", False),
        "summary": report.get("summary", {}),
        "stale_deviations": [{k: d.get(k) for k in ("reason", "checks", "clause")}
                             for d in report.get("stale_deviations", [])],
        "results": [trim_row(r) for r in report.get("results", [])],
    }


def installed_versions(adapter: str) -> dict[str, str]:
    """The versions the run used: Python and each pinned distribution installed."""
    versions = {"python": platform.python_version()}
    for dist in pinned_for(adapter):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def pin_mismatches(adapter: str) -> list[str]:
    """Installed distributions whose version is not their pin (the data would describe the pin)."""
    versions = installed_versions(adapter)
    # A local version label (torch's "2.13.0+cpu") satisfies the pin "==2.13.0" (PEP 440).
    return [f"{d} {versions[d]} is installed, constraints.txt pins {v}"
            for d, v in pinned_for(adapter).items()
            if v != "unpinned" and versions.get(d) != "not installed"
            and versions.get(d, "").split("+", 1)[0] != v]


def dumps(data: dict) -> str:
    """JSON with one result row per line: small, and a re-run's diff shows which verdicts moved."""
    head = {k: v for k, v in data.items() if k != "results"}
    text = json.dumps(head, indent=1, sort_keys=True, allow_nan=True)
    if "results" not in data:
        return text + "\n"
    rows = ",\n  ".join(json.dumps(r, sort_keys=True, allow_nan=True) for r in data["results"])
    return text[:-2] + ',\n "results": [\n  ' + rows + "\n ]\n}\n"


def _write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------

def snapshot(adapter: str, dest: pathlib.Path, root=ROOT) -> pathlib.Path:
    """Copy what a run against ``adapter`` imports into ``dest``: the whole
    ``conformance`` and ``reference`` packages, the other modules the
    fingerprint covers, and ``constraints.txt``.

    The suite then runs from the copy, so edits made in the checkout while it
    runs neither mix into its verdicts nor into its fingerprint."""
    root = pathlib.Path(root)
    files = set(verdict_files(adapter, root))
    for package in ("conformance", "reference"):
        files.update(_package_files(root / package))
    files.add(root / "constraints.txt")
    for path in files:
        target = dest / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            target.write_bytes(path.read_bytes())
    return dest


def measure(adapter: str, out: pathlib.Path) -> dict:
    """Run the suite against one adapter and write its trimmed result file.

    The suite runs from a :func:`snapshot` of the checkout; the fingerprint is
    that snapshot's.  Returns the adapter's summary entry (``"written": False``
    with a ``"why"`` when no result file could be made)."""
    entry = {"adapter": adapter, "written": False}
    mismatches = pin_mismatches(adapter)
    if mismatches:
        return {**entry, "why": "; ".join(mismatches) + " (pip install -c constraints.txt ...)"}
    with tempfile.TemporaryDirectory() as tmp:
        copy = snapshot(adapter, pathlib.Path(tmp) / "checkout")
        inputs = fingerprint_inputs(adapter, copy)
        report_path = pathlib.Path(tmp) / "report.json"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH")])))
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "conformance", "--impl", adapter, "--report", str(report_path),
             "--max-examples", str(OPTIONS["max_examples"]), "--seed", str(OPTIONS["seed"]),
             *dtype_options(adapter)],
            capture_output=True, text=True, cwd=copy, env=env)
        wall = round(time.perf_counter() - start, 1)
        if not report_path.exists():
            tail = (proc.stderr.strip().splitlines() or ["no report written"])[-1]
            return {**entry, "exit_status": proc.returncode, "why": tail}
        report = json.loads(report_path.read_text())
        # A message may quote where the copy lived; the data names no machine.
        text = json.dumps(report, allow_nan=True).replace(str(copy) + os.sep, "").replace(str(copy), ".")
        report = json.loads(text)
    data = {
        "adapter": adapter,
        "fingerprint": fingerprint_of(inputs),
        "inputs": short_inputs(inputs),
        "measured": report.get("started"),
        "versions": installed_versions(adapter),
        "exit_status": proc.returncode,
        "wall_time_s": wall,
        **trim_report(report),
    }
    _write(out / f"{adapter}.json", dumps(data))
    return {"adapter": adapter, "written": True, "fingerprint": data["fingerprint"],
            "measured": data["measured"], "exit_status": proc.returncode, "wall_time_s": wall,
            "versions": data["versions"], "summary": data["summary"]}


def dtype_options(adapter: str) -> list[str]:
    """The command-line options that choose the dtypes of ``adapter``'s run."""
    if adapter in OPTIONS["low_precision"]:
        return ["--dtypes", "all", "--baseline", "none"]
    return []


def suite_version() -> str:
    try:
        return importlib.metadata.version("loss-spec")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_summary(out: pathlib.Path, entries: list[dict], jobs: int) -> dict:
    """Merge fresh entries into ``summary.json``; adapters not run keep theirs."""
    path = out / SUMMARY
    old = json.loads(path.read_text()) if path.exists() else {}
    by_name = {e["adapter"]: e for e in old.get("adapters", [])}
    by_name.update({e["adapter"]: {k: v for k, v in e.items() if k != "written"}
                    for e in entries if e["written"]})
    order = {name: i for i, name in enumerate(BUILTIN)}
    summary = {
        "updated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "suite_version": suite_version(),
        "spec_version": spec_version(),
        "options": dict(OPTIONS),
        "jobs": jobs,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(terse=True)},
        "adapters": sorted((e for e in by_name.values() if e["adapter"] in order),
                           key=lambda e: order[e["adapter"]]),
    }
    _write(path, dumps(summary))
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m conformance.matrix",
                                description="Run the suite against built-in adapters and write the matrix data.")
    p.add_argument("--out", default=str(ROOT / DATA), help=f"directory of the result files (default {DATA})")
    p.add_argument("--adapters", default=",".join(BUILTIN), help="comma-separated built-in adapters (default: all)")
    p.add_argument("--jobs", type=int, default=1,
                   help="adapters run at once (default 1: the wall times are then each adapter's own)")
    args = p.parse_args(argv)
    names = [n for n in args.adapters.split(",") if n]
    unknown = [n for n in names if n not in BUILTIN]
    if unknown:
        p.error(f"--adapters: {', '.join(unknown)} not built in; expected names from {', '.join(BUILTIN)}")
    if args.jobs < 1:
        p.error(f"--jobs: expected a positive number of parallel runs, got {args.jobs}")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        entries = list(pool.map(lambda n: measure(n, out), names))
    for e in entries:
        if e["written"]:
            counts = ", ".join(f"{v} {k}" for k, v in sorted(e["summary"].items()) if v)
            print(f"{e['adapter']:<12} exit {e['exit_status']}  {e['wall_time_s']:6.1f} s  {counts}")
        else:
            print(f"{e['adapter']:<12} NOT WRITTEN: {e['why']}", file=sys.stderr)
    write_summary(out, entries, args.jobs)
    print(f"written to {out}")
    return 0 if all(e["written"] for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())

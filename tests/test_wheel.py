"""The suite as an installed package: a wheel, a fresh virtual environment, no checkout.

Builds a wheel from a copy of the checkout, installs it with its declared
dependencies only (no extras) into a new virtual environment without system
site-packages, and runs the ``loss-spec`` command and the pytest plugin from a
directory outside the checkout.  So a dependency missing from ``dependencies``,
package data missing from the wheel (clause texts, case tables, golden vectors,
known deviations) or an import of the checkout's files fails here.

It takes about half a minute on a quiet machine (most of it installing numpy
and scipy from the pip cache).  ``LOSS_SPEC_SKIP_WHEEL=1`` skips it for quick
local runs; ``make test`` runs it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import clauses

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.environ.get("LOSS_SPEC_SKIP_WHEEL") == "1",
                                reason="LOSS_SPEC_SKIP_WHEEL=1: the installed-package test is skipped")

#: What the copy of the checkout leaves out: environments, build outputs, VCS data.
_NOT_COPIED = shutil.ignore_patterns(".venv", ".git", "build", "dist", "_build", "_generated", "__pycache__",
                                     "*.egg-info", ".hypothesis", ".pytest_cache", "node_modules")


def _run(cmd, *, cwd, timeout=300, env=None):
    out = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout)
    return out


def _clean_env(venv: Path) -> dict:
    """An environment in which nothing points back at the checkout or its .venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv, workdir, source)``: the wheel installed in a fresh venv; ``workdir`` is outside the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build would write build/ into the checkout, and
    # a stale build/lib there would slip deleted modules into the wheel.
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_NOT_COPIED)
    dist = base / "dist"
    out = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, source],
               cwd=base)
    assert out.returncode == 0, out.stdout + out.stderr
    wheels = list(dist.glob("loss_spec-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    out = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert out.returncode == 0, out.stderr
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    # This interpreter's pip installs into the new environment (it needs no pip of its
    # own); the pins keep the versions the pip cache holds.
    out = _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", "--no-compile",
                "-c", ROOT / "constraints.txt", wheels[0]], cwd=base, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    work = base / "work"
    work.mkdir()
    return venv, work, source


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    venv, work, _ = installed
    out = _run([venv / "bin" / "python", "-c",
                "import conformance, reference, sys; print(conformance.__file__); print(reference.__file__)"],
               cwd=work, env=_clean_env(venv))
    assert out.returncode == 0, out.stderr
    for line in out.stdout.split():
        assert Path(line).resolve().is_relative_to(venv.resolve()), line
    # package data: every kind of file the suite reads at run time
    out = _run([venv / "bin" / "python", "-c",
                "import pathlib, conformance; d = pathlib.Path(conformance.__file__).parent; "
                "print(sorted(str(p.relative_to(d)) for p in d.rglob('*') if p.suffix in "
                "('.json', '.jsonl', '.toml')))"], cwd=work, env=_clean_env(venv))
    files = eval(out.stdout)  # noqa: S307 - a list of strings printed by the line above
    assert "clauses.json" in files
    for folder, suffix in (("golden", ".jsonl"), ("known_deviations", ".toml"), ("cases", ".toml")):
        here = sorted(p.name for p in (ROOT / "conformance" / folder).glob(f"*{suffix}"))
        shipped = sorted(Path(f).name for f in files if f.startswith(folder + "/"))
        assert shipped == here, folder


def test_the_installed_suite_quotes_every_clause_of_the_spec(installed):
    venv, work, source = installed
    out = _run([venv / "bin" / "python", "-c",
                "import json; from conformance import clauses; print(json.dumps(clauses.all_clauses()))"],
               cwd=work, env=_clean_env(venv))
    assert out.returncode == 0, out.stderr
    shipped = json.loads(out.stdout)
    assert shipped == clauses.parse_dir(source / "docs" / "spec")
    assert len(shipped) > 100


def test_loss_spec_passes_the_reference_outside_the_checkout(installed, tmp_path):
    venv, work, _ = installed
    report = tmp_path / "r.json"
    out = _run([venv / "bin" / "loss-spec", "--impl", "reference", "--only", "softmax,log_softmax",
                "--max-examples", "5", "--report", report], cwd=work, env=_clean_env(venv))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(report.read_text())
    assert {r["function"] for r in data["results"]} == {"softmax", "log_softmax"}
    # every check passes, but one of an input dtype the run leaves out (--dtypes) skips itself
    assert "pass" in {r["status"] for r in data["results"]}
    assert all(r["status"] == "pass" or (r["status"] == "skipped" and "dtype" in r["message"])
               for r in data["results"]), data["results"]
    assert oct(report.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    out = _run([venv / "bin" / "loss-spec", "--only", "softmax"], cwd=work, env=_clean_env(venv))
    assert out.returncode == 2 and out.stderr.strip().endswith("loss-spec: error: --impl is required (or --list)")


def test_loss_spec_fails_a_faulty_module_and_quotes_its_clause(installed):
    venv, work, _ = installed
    shutil.copy(ROOT / "tests" / "faulty" / "misbehaving.py", work / "faulty_losses.py")
    # a module path: found in the current directory, as with `python -m conformance`
    out = _run([venv / "bin" / "loss-spec", "--impl", "faulty_losses", "--only", "entropy", "--max-examples", "3"],
               cwd=work, env=_clean_env(venv))
    assert out.returncode == 1, out.stdout + out.stderr
    block = out.stdout[out.stdout.index("FAIL  entropy.example.coin"):]
    quoted = clauses.readable_text("info.example.coin")
    assert quoted and quoted.split()[:6] == block.split("clause:", 1)[1].split()[:6]


def test_the_pytest_plugin_runs_from_the_installed_package(installed):
    """The README's command, ``python -m pytest --pyargs conformance --impl mypkg.losses``,
    and the docs' ``pytest --pyargs conformance --impl mypkg.losses``."""
    venv, work, _ = installed
    out = _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q", "--no-compile",
                "-c", ROOT / "constraints.txt", "pytest"], cwd=work, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    (work / "mypkg").mkdir(exist_ok=True)
    (work / "mypkg" / "__init__.py").write_text("")
    (work / "mypkg" / "losses.py").write_text("from reference import sigmoid  # noqa: F401\n")
    out = _run([venv / "bin" / "python", "-m", "pytest", "--pyargs", "conformance", "--impl", "mypkg.losses"],
               cwd=work, env=_clean_env(venv))
    assert out.returncode == 0, out.stdout + out.stderr
    last = out.stdout.strip().splitlines()[-1]
    assert " passed" in last and " skipped" in last and "failed" not in last, last
    out = _run([venv / "bin" / "pytest", "--pyargs", "conformance", "--impl", "mypkg.losses"],
               cwd=work, env=_clean_env(venv))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1].split(" in ")[0] == last.split(" in ")[0]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

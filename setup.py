"""Build step of the package: the spec's clause texts become package data.

Everything else about the package is in ``pyproject.toml``.  The clause texts
have one source, the spec pages under ``docs/spec``; an installed wheel has no
docs, so building the package writes ``conformance/clauses.json`` into the
build directory (never into the source tree, where it could go stale) with
:func:`conformance.clauses.write_json`.  The build fails when the pages are not
there (an sdist carries them: see ``MANIFEST.in``).
"""

import importlib.util
import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


def _clauses_module():
    # Loaded by path: the package's __init__ and dependencies are not needed (or
    # installed) when the wheel is built; clauses.py uses the standard library only.
    spec = importlib.util.spec_from_file_location("_loss_spec_clauses", HERE / "conformance" / "clauses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class build_py_with_clauses(build_py):  # noqa: N801 - setuptools' command naming
    """``build_py``, then ``conformance/clauses.json`` from ``docs/spec``."""

    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "conformance" / "clauses.json"
        count = _clauses_module().write_json(HERE / "docs" / "spec", target)
        self.announce(f"wrote {count} clause texts to {target}", level=2)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode),
                str(pathlib.Path(self.build_lib) / "conformance" / "clauses.json")]


setup(cmdclass={"build_py": build_py_with_clauses})

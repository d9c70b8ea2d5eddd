"""Every command of the tutorial page runs, prints what the page shows, and
exits with the status the page shows.

The page ``docs/tutorial.md`` is the single source: each ```` ```console ````
block holds commands (lines starting with ``$ ``) followed by their output. The
commands run in order, with bash, in a fresh copy of ``docs/tutorial/`` (the
files the page includes), with this environment's ``python`` first on ``PATH``.
The output shown must match the real output line by line, as in a doctest: a
line ``...`` stands for any number of lines, ``...`` inside a line for any
text, and runs of spaces for any whitespace.  ``echo $?`` prints the exit
status of the command before it.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tutorial.md"
FILES = ROOT / "docs" / "tutorial"
FENCE = re.compile(r"^```console\n(.*?)^```$", re.S | re.M)


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """The page's console blocks, each a list of ``(command, expected output lines)``."""
    blocks = []
    for body in FENCE.findall(text):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
            elif line.strip():
                raise AssertionError(f"output before any command in a console block: {line!r}")
        blocks.append(steps)
    return blocks


def _line_pattern(expected: str) -> re.Pattern:
    """``...`` matches any text, a run of spaces any whitespace; the rest literally."""
    pieces = [r"\s+".join(re.escape(word) for word in piece.split()) for piece in expected.split("...")]
    return re.compile(".*".join(pieces) + r"\Z")


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Doctest-style match of ``expected`` (with ``...`` lines) against ``actual``."""
    actual = [a.rstrip() for a in actual]

    def match(i: int, j: int) -> bool:
        if i == len(expected):
            return j == len(actual)
        if expected[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        if j < len(actual) and _line_pattern(expected[i]).match(actual[j].strip()):
            return match(i + 1, j + 1)
        return False

    return match(0, 0)


def test_output_matching_follows_doctest_rules():
    assert output_matches(["a", "...", "c  d"], ["a", "b", "b", "c d"])
    assert output_matches(["x ... z"], ["x yyy z"])
    assert not output_matches(["a", "c"], ["a", "b", "c"])       # no gap without ...
    assert not output_matches(["a"], ["a", "b"])                 # nothing left over
    assert not output_matches(["1"], ["10"])
    assert output_matches(["...", "last"], ["first", "last"])


def test_the_page_shows_commands():
    blocks = console_blocks(PAGE.read_text())
    commands = [c for block in blocks for c, _ in block]
    assert any(c.startswith("python -m conformance --impl tinyloss_adapter.py") for c in commands)
    assert any("--known-deviations" in c for c in commands)
    assert "bash conformance-ci.sh" in commands
    assert commands.count("echo $?") >= 3


def _environment() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_every_command_of_the_tutorial(tmp_path):
    work = tmp_path / "tutorial"
    shutil.copytree(FILES, work, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis",
                                                               ".pytest_cache"))
    env = _environment()
    status = None
    ran = 0
    for block in console_blocks(PAGE.read_text()):
        for command, expected in block:
            if command == "echo $?":
                assert status is not None, "echo $? before any command"
                lines = [str(status)]
            else:
                proc = subprocess.run(["bash", "-c", command], cwd=work, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
                status, lines = proc.returncode, proc.stdout.splitlines()
                ran += 1
            assert output_matches(expected, lines), (
                f"$ {command}\n--- the page shows:\n" + "\n".join(expected)
                + f"\n--- it printed (exit status {status}):\n" + "\n".join(lines))
    assert ran >= 6


@pytest.mark.parametrize("name", ["tinyloss.py", "tinyloss_adapter.py", "tinyloss-deviations.toml",
                                  "conformance-ci.sh"])
def test_the_page_includes_each_file(name):
    assert f"tutorial/{name}" in PAGE.read_text()

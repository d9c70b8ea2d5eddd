"""The conformance command as a user runs it: exit status, reports, faulty targets."""

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_list_names_every_check_with_its_clause():
    out = cli("--list")
    assert out.returncode == 0
    assert "sce.special.posinf-target" in out.stdout and "clause" in out.stdout


def test_reference_passes_and_writes_the_contract_report(tmp_path):
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    out = cli("--impl", "reference", "--only", "softmax,softmax_cross_entropy", "--max-examples", "5",
              "--report", str(report), "--junitxml", str(junit))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(report.read_text())
    assert data["implementation"] == "reference" and data["spec_version"]
    assert data["results"] and not data["interrupted"]
    for row in data["results"]:
        assert {"check", "function", "clause", "status", "message", "max_abs_error",
                "max_ulp_error", "counterexample"} <= set(row)
        assert row["status"] == "pass"
    assert {r["function"] for r in data["results"]} == {"softmax", "softmax_cross_entropy"}
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(data["results"])


def test_partial_module_gets_the_rest_reported_not_provided(tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.partial", "--only", "softmax,log_softmax", "--max-examples", "5",
              "--report", str(report))
    assert out.returncode == 0, out.stdout + out.stderr
    status = {r["function"]: r["status"] for r in json.loads(report.read_text())["results"]}
    assert status["softmax"] == "pass" and status["log_softmax"] == "not_provided"


def test_unimportable_module_is_one_line_and_exit_2():
    out = cli("--impl", "tests.faulty.broken_import")
    assert out.returncode == 2
    assert "a_module_that_does_not_exist" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_unknown_function_in_only_is_a_usage_error():
    out = cli("--impl", "reference", "--only", "softmaxx")
    assert out.returncode == 2 and "softmaxx" in out.stderr


def test_faulty_functions_are_reported_and_the_others_still_checked(tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.misbehaving", "--max-examples", "3", "--timeout", "2",
              "--only", "softmax,log_softmax,logsumexp,sigmoid,log_sigmoid,entropy", "--report", str(report))
    assert out.returncode == 1
    rows = json.loads(report.read_text())["results"]
    by_fn = {}
    for r in rows:
        by_fn.setdefault(r["function"], []).append(r)
    assert any("RuntimeError" in r["message"] for r in by_fn["softmax"])          # raises
    assert any("timed out" in r["message"] for r in by_fn["log_softmax"])        # hangs
    assert any("None" in r["message"] for r in by_fn["logsumexp"])               # returns None
    assert any("shape" in r["message"] for r in by_fn["log_sigmoid"])            # wrong shape
    assert any(r["status"] == "fail" for r in by_fn["entropy"])                  # NaN
    # still checked (its cross-function properties may blame the faulty log_sigmoid)
    assert all(r["status"] == "pass" for r in by_fn["sigmoid"] if ".property." not in r["check"])


def test_known_deviation_file_and_stale_entries(tmp_path):
    dev = tmp_path / "dev.toml"
    dev.write_text(
        '[[deviation]]\nreason = "kernel missing"\nchecks = ["softmax.*", "sigmoid.property.*"]\nclause = "softmax.definition"\n'
        'why = "softmax raises"\n\n'
        '[[deviation]]\nreason = "fixed long ago"\nchecks = ["sigmoid.special.*"]\nclause = "sigmoid.definition"\n'
        'why = "no longer happens"\n')
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.misbehaving", "--only", "softmax,sigmoid", "--max-examples", "3",
              "--known-deviations", str(dev), "--report", str(report))
    assert out.returncode == 0, out.stdout
    data = json.loads(report.read_text())
    softmax_rows = [r["status"] for r in data["results"] if r["function"] == "softmax"]
    assert "known_deviation" in softmax_rows and not {"fail", "error"} & set(softmax_rows)
    assert [s["reason"] for s in data["stale_deviations"]] == ["fixed long ago"]
    assert "stale" in out.stdout


def test_interrupted_run_still_writes_its_report(tmp_path):
    report = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "--impl", "tests.faulty.misbehaving",
                             "--only", "softmax,log_softmax", "--timeout", "60", "--report", str(report)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until softmax is done and log_softmax hangs
        time.sleep(0.5)
        if proc.poll() is not None:
            break
        if time.time() > deadline - 50:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    data = json.loads(report.read_text())
    assert data["interrupted"] is True
    assert any(r["function"] == "softmax" for r in data["results"])


@pytest.mark.parametrize("target", ["reference"])
def test_pytest_plugin_runs_the_suite(target):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance",
                          "--impl", target, "--conformance-only", "sigmoid", "--conformance-max-examples", "3"],
                         cwd="/", env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " passed" in out.stdout

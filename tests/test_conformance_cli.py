"""The conformance command as a user runs it: options, exit status, reports, plugin."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.session import selected_checks

from conformance import SPEC_VERSION, clauses, report as reporting
from conformance.registry import load_all_checks
from conformance.spec import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
RESULT_FIELDS = {"check", "function", "clause", "kind", "status", "message", "max_abs_error",
                 "max_ulp_error", "counterexample", "expected", "got", "duration_s"}
STATUSES = {"pass", "fail", "error", "not_provided", "known_deviation", "skipped"}


def cli(*args, timeout=240, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _self_skipped(row):
    """A check that skipped itself (an input dtype the run leaves out), not a missing function."""
    return row["status"] == "skipped" and "provide" not in row["message"] and not row.get("blocked_by")


def _results(path):
    return json.loads(Path(path).read_text())["results"]


def test_spec_lists_every_function_and_its_gradient():
    assert FUNCTIONS[:5] == ("softmax", "log_softmax", "logsumexp", "sigmoid", "log_sigmoid")
    assert len(FUNCTIONS) == len(set(FUNCTIONS)) == 24 + 18
    for loss in ("softmax_cross_entropy", "focal_loss", "root_mean_squared_error", "ctc_loss"):
        assert f"{loss}_grad" in FUNCTIONS
    assert "softmax_grad" not in FUNCTIONS and "ctc_collapse_grad" not in FUNCTIONS


def test_list_names_every_check_with_its_clause_and_kind():
    out = cli("--list")
    assert out.returncode == 0, out.stderr
    checks = load_all_checks()
    for c in checks.values():
        line = next(ln for ln in out.stdout.splitlines() if ln.split()[:1] == [c.id])
        assert c.kind in line.split() and line.endswith(f"clause {c.clause}")
    # grouped by function, in contract order
    headers = [ln.split()[0] for ln in out.stdout.splitlines() if ln and not ln.startswith(" ")][:-1]
    assert headers == [f for f in FUNCTIONS if f in headers]


def test_reference_passes_and_writes_the_contract_report(tmp_path):
    report, junit = tmp_path / "sub" / "r.json", tmp_path / "r.xml"
    out = cli("--impl", "reference", "--only", "softmax,sigmoid", "--max-examples", "5",
              "--report", str(report), "--junitxml", str(junit))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(report.read_text())
    assert data["implementation"] == "reference" and data["spec_version"] == SPEC_VERSION
    assert data["interrupted"] is False and data["stale_deviations"] == []
    assert data["started"] <= data["finished"]
    assert {r["function"] for r in data["results"]} == {"softmax", "sigmoid"}
    assert len(data["results"]) == len(selected_checks(["softmax", "sigmoid"]))
    for row in data["results"]:
        assert RESULT_FIELDS <= set(row)
        # a check of an input dtype this run leaves out (--dtypes) skips itself
        assert row["status"] == "pass" or (row["status"] == "skipped" and _self_skipped(row)), row
        assert row["clause"] and row["duration_s"] >= 0
        assert row["max_ulp_error"] is not None or row["status"] == "skipped"
    assert data["summary"]["pass"] == sum(r["status"] == "pass" for r in data["results"]) > 0
    assert data["summary"]["pass"] + data["summary"]["skipped"] == len(data["results"])
    assert not list(report.parent.glob(".*.tmp"))  # the atomic write left no temporary file
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(data["results"])
    assert {c.get("classname") for c in suite.iter("testcase")} == {"softmax", "sigmoid"}
    # one summary line per function on the terminal
    assert any(ln.split()[1:2] == ["softmax"] and "passed" in ln for ln in out.stdout.splitlines())


def test_partial_module_gets_the_rest_reported_not_provided(tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.partial", "--only", "softmax,log_softmax,softmax_cross_entropy_grad",
              "--max-examples", "5", "--report", str(report))
    assert out.returncode == 0, out.stdout + out.stderr
    rows = _results(report)
    assert {r["status"] for r in rows if r["function"] == "softmax" and not _self_skipped(r)} == {"pass"}
    for name in ("log_softmax", "softmax_cross_entropy_grad"):
        assert [r["status"] for r in rows if r["function"] == name] == ["not_provided"]
    assert "not provided" in out.stdout


def test_a_py_file_is_a_target(tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", "tests/faulty/standalone_losses.py", "--only", "sigmoid,softmax", "--max-examples", "5",
              "--report", str(report))
    assert out.returncode in (0, 1), out.stderr
    rows = _results(report)
    assert any(r["function"] == "sigmoid" and r["status"] == "pass" for r in rows)
    assert [r["status"] for r in rows if r["function"] == "softmax"] == ["not_provided"]


@pytest.mark.parametrize("target, needle", [
    ("tests.faulty.broken_import", "a_module_that_does_not_exist"),
    ("no_such_package.losses", "no_such_package"),
    ("tests/faulty/no_such_file.py", "no such file"),
])
def test_unimportable_target_is_one_line_and_exit_2(target, needle, tmp_path):
    report = tmp_path / "r.json"
    out = cli("--impl", target, "--report", str(report))
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr + out.stdout and len(out.stderr.strip().splitlines()) == 1
    assert not report.exists()


@pytest.mark.parametrize("args, needle", [
    (["--impl", "reference", "--only", "softmaxx"], "softmaxx"),
    (["--impl", "reference", "--only", "softmax,logsoftmax"], "logsoftmax"),
    (["--impl", "reference", "--max-examples", "0"], "--max-examples"),
    (["--impl", "reference", "--timeout", "0"], "--timeout"),
    (["--impl", "reference", "--dtypes", "float32,float8"], "float8"),
    (["--impl", "reference", "--known-deviations", "no/such.toml"], "no/such.toml"),
    (["--impl", "reference", "--only", "softmax", "--dtypes", "bfloat16", "--baseline", "no_such_baseline"],
     "--baseline no_such_baseline"),
    (["--only", "softmax"], "--impl"),
    (["--impl", "reference", "--no-such-option"], "--no-such-option"),
])
def test_usage_errors_exit_2(args, needle):
    out = cli(*args)
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_malformed_known_deviations_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[deviation]]\nreason = "no checks key"\nclause = "softmax.definition"\nwhy = "x"\n')
    out = cli("--impl", "reference", "--only", "softmax", "--known-deviations", str(bad))
    assert out.returncode == 2 and "checks" in out.stderr and "Traceback" not in out.stderr
    bad.write_text("[[deviation]\n")
    out = cli("--impl", "reference", "--only", "softmax", "--known-deviations", str(bad))
    assert out.returncode == 2 and "TOML" in out.stderr


def test_known_deviation_file_and_stale_entries(tmp_path):
    dev = tmp_path / "dev.toml"
    dev.write_text(
        '[[deviation]]\nreason = "kernel missing"\nchecks = ["softmax.*"]\nclause = "softmax.definition"\n'
        'why = "softmax raises"\n\n'
        '[[deviation]]\nreason = "log_sigmoid is wrong"\nchecks = ["sigmoid.property.symmetry"]\n'
        'clause = "sigmoid.prop.symmetry"\nwhy = "the property calls the faulty log_sigmoid"\n\n'
        '[[deviation]]\nreason = "fixed long ago"\nchecks = ["sigmoid.dtype.*", "sigmoid.special.*"]\nclause = "sigmoid.definition"\n'
        'why = "no longer happens"\n\n'
        '[[deviation]]\nreason = "renamed check"\nchecks = ["sigmoid.no-such-check"]\nclause = "sigmoid.definition"\n'
        'why = "the pattern matches nothing"\n\n'
        '[[deviation]]\nreason = "not run this time"\nchecks = ["bce.*"]\nclause = "bce.definition"\n'
        'why = "--only leaves it out, so it is not judged"\n')
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    out = cli("--impl", "tests.faulty.misbehaving", "--only", "softmax,sigmoid", "--max-examples", "3",
              "--known-deviations", str(dev), "--report", str(report), "--junitxml", str(junit))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(report.read_text())
    softmax_rows = [r for r in data["results"] if r["function"] == "softmax"]
    statuses = {r["status"] for r in softmax_rows}
    assert "known_deviation" in statuses and not {"fail", "error"} & statuses
    dev_row = next(r for r in softmax_rows if r["status"] == "known_deviation")
    assert "RuntimeError" in dev_row["message"] and "kernel missing" in dev_row["message"]
    assert dev_row["deviation"]["reason"] == "kernel missing" and dev_row["deviation"]["measured_status"] == "error"
    assert sorted(s["reason"] for s in data["stale_deviations"]) == ["fixed long ago", "renamed check"]
    assert "stale" in out.stdout and "fixed long ago" in out.stdout
    assert data["summary"]["known_deviation"] == sum(r["status"] == "known_deviation" for r in data["results"])
    suite = ET.parse(junit).getroot()
    assert int(suite.get("failures")) == int(suite.get("errors")) == 0
    assert int(suite.get("skipped")) == data["summary"]["known_deviation"] + data["summary"]["skipped"]


def test_builtin_adapter_loads_its_known_deviations(tmp_path):
    """The torch adapter's deviations file is applied without being named."""
    pytest.importorskip("torch")
    report = tmp_path / "r.json"
    out = cli("--impl", "torch", "--only", "binary_cross_entropy", "--max-examples", "3", "--report", str(report))
    rows = _results(report)
    devs = [r for r in rows if r["status"] == "known_deviation"]
    assert devs and all(r["deviation"]["source"].endswith("known_deviations/torch.toml") for r in devs)
    assert out.returncode == (1 if any(r["status"] in ("fail", "error") for r in rows) else 0)


def test_junit_xml_reports_failures_and_errors(tmp_path):
    junit, report = tmp_path / "r.xml", tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.misbehaving", "--only", "softmax,logsumexp,sigmoid", "--max-examples", "3",
              "--junitxml", str(junit), "--report", str(report))
    assert out.returncode == 1
    data = json.loads(report.read_text())
    suite = ET.parse(junit).getroot()
    cases = list(suite.iter("testcase"))
    assert len(cases) == len(data["results"])
    assert int(suite.get("errors")) == data["summary"]["error"] == len(suite.findall("testcase/error")) > 0
    assert int(suite.get("failures")) == data["summary"]["fail"] == len(suite.findall("testcase/failure")) > 0
    assert {r["status"] for r in data["results"]} <= STATUSES


def test_terminal_shows_clause_expected_got_ulps_and_the_input(tmp_path):
    out = cli("--impl", "tests.faulty.misbehaving", "--only", "entropy", "--max-examples", "3")
    assert out.returncode == 1
    block = out.stdout[out.stdout.index("FAIL  entropy.example.coin"):]
    block = block[:block.index("\n\n")] if "\n\n" in block else block
    assert "clause info.example.coin" in block
    assert "clause:" in block and "fair coin" in block  # the clause text from docs/spec
    assert "expected: 0.6931471805599453" in block and "got:      nan" in block
    assert "error:    inf ulps" in block
    assert "input:    entropy(np.array([0.5, 0.5], dtype=np.float64))" in block


def test_clause_texts_are_parsed_from_list_items():
    text = ("- {clause}`a.b` First line\n  continues $x$ here.\n\n  $$\n  y = 1\n  $$\n"
            "- {clause}`a.c` Second {clauseref}`a.b`.\n\nParagraph.\n")
    assert clauses.parse(text) == {"a.b": "First line continues $x$ here. $$ y = 1 $$", "a.c": "Second a.b."}
    if clauses.SPEC_DIR.is_dir():
        assert "logit" in clauses.text("sce.special.posinf-target")


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")
    reporting.atomic_write(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_pytest_plugin_runs_the_suite(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    dev = tmp_path / "dev.toml"
    dev.write_text('[[deviation]]\nreason = "r"\nchecks = ["softmax.*"]\nclause = "softmax.definition"\nwhy = "w"\n')
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance",
                          "--impl", "tests.faulty.misbehaving", "--conformance-only", "softmax,sigmoid,ctc_loss",
                          "--conformance-max-examples", "3", "--conformance-known-deviations", str(dev), "-rs"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    # softmax raises everywhere: a known deviation, so xfail (its invalid-input check
    # passes: raising is right there); sigmoid is correct, but its symmetry property
    # calls the faulty log_sigmoid and fails; ctc_loss is not provided: skipped.
    last = out.stdout.strip().splitlines()[-1]
    assert "1 failed" in last and " passed" in last and " skipped" in last, out.stdout + out.stderr
    assert "not provided: tests.faulty.misbehaving has no ctc_loss" in out.stdout
    n_softmax = len([c for c in load_all_checks().values() if c.function == "softmax"])
    n_xfailed = int(last.split(" xfailed")[0].split()[-1])
    assert 0 < n_xfailed <= n_softmax
    assert "sigmoid.property.symmetry" in out.stdout and "call: log_sigmoid(" in out.stdout
    assert out.returncode == 1


def test_pytest_plugin_passes_the_reference_and_is_inert_without_impl(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance",
                          "--impl", "reference", "--conformance-only", "sigmoid", "--conformance-max-examples", "3"],
                         cwd="/", env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    n = len(selected_checks(["sigmoid"]))
    last = out.stdout.strip().splitlines()[-1]
    passed = int(last.split(" passed")[0].split()[-1])
    skipped = int(last.split(" skipped")[0].split()[-1]) if " skipped" in last else 0
    assert passed + skipped == n and passed > n // 2 and "failed" not in last, last
    (tmp_path / "test_plain.py").write_text("def test_one():\n    assert True\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr


# ---------------------------------------------------------------------------
# every reason, nothing cut silently, readable clauses, readable files
# ---------------------------------------------------------------------------

def _row(check, function="softmax", status="fail", message="m", **extra):
    return {"check": check, "function": function, "clause": "softmax.definition", "kind": "value",
            "status": status, "message": message, "max_abs_error": None, "max_ulp_error": None,
            "counterexample": None, "expected": None, "got": None, "duration_s": 0.0, "reasons": [], **extra}


def _report(rows):
    from conformance.session import summarize

    return {"implementation": "x", "results": rows, "summary": summarize(rows), "stale_deviations": [],
            "duration_s": 0.0}


def test_several_matching_deviation_entries_are_all_listed(tmp_path):
    dev = tmp_path / "dev.toml"
    dev.write_text(
        '[[deviation]]\nreason = "kernel missing"\nchecks = ["softmax.*"]\nclause = "softmax.definition"\n'
        'why = "softmax raises"\n\n'
        '[[deviation]]\nreason = "no special values either"\nchecks = ["softmax.special.*"]\n'
        'clause = "softmax.special.huge"\nwhy = "raises on inf too"\n')
    report = tmp_path / "r.json"
    out = cli("--impl", "tests.faulty.misbehaving", "--only", "softmax", "--max-examples", "3",
              "--known-deviations", str(dev), "--report", str(report))
    assert out.returncode == 0, out.stdout + out.stderr
    rows = _results(report)
    both = [r for r in rows if r["check"].startswith("softmax.special.") and r["status"] == "known_deviation"]
    assert both
    for r in both:
        assert [e["reason"] for e in r["deviation"]["entries"]] == ["kernel missing", "no special values either"]
        assert "kernel missing" in r["message"] and "no special values either" in r["message"]
    one = [r for r in rows if r["status"] == "known_deviation" and not r["check"].startswith("softmax.special.")]
    assert one and all(len(r["deviation"]["entries"]) == 1 for r in one)
    # the terminal lists a check under each reason that applies to it
    lines = out.stdout.splitlines()
    first = next(ln for ln in lines if ln.startswith("  kernel missing:"))
    second = next(ln for ln in lines if ln.startswith("  no special values either:"))
    assert both[0]["check"] in second and (both[0]["check"] in first or "more" in first)


def test_a_check_missing_several_functions_names_them_all():
    import types

    import reference as ref
    from conformance.run_check import run_check

    check = load_all_checks()["sce.identity.nll-log-softmax"]
    assert set(check.needs) == {"nll_loss", "log_softmax"}
    row = run_check(check, types.SimpleNamespace(softmax_cross_entropy=ref.softmax_cross_entropy))
    assert row.status == "skipped"
    assert row.message == "needs nll_loss, log_softmax, which the implementation do not provide"
    row = run_check(check, types.SimpleNamespace(softmax_cross_entropy=ref.softmax_cross_entropy,
                                                 nll_loss=ref.nll_loss))
    assert row.status == "skipped" and row.message == "needs log_softmax, which the implementation does not provide"


def test_a_failure_with_several_cases_keeps_them_all():
    from conformance.registry import Check, Failure
    from conformance.run_check import run_check

    def body(fn, ctx):
        cases = [{"message": f"case {i} wrong", "expected": float(i), "got": -1.0,
                  "counterexample": f"softmax(np.array([{i}.0]))", "max_ulp_error": float("inf")} for i in range(3)]
        f = Failure("case 0 wrong", expected=0.0, got=-1.0, counterexample=cases[0]["counterexample"])
        f.reasons = cases
        raise f

    check = Check(id="softmax.rows.test", function="softmax", clause="softmax.definition", kind="value",
                  body=body, description="")
    row = run_check(check, object())
    assert row.status == "fail" and len(row.reasons) == 3
    assert row.message.startswith("3 cases failed; the first: case 0 wrong")
    data = row.to_dict()
    assert [r["message"] for r in data["reasons"]] == ["case 0 wrong", "case 1 wrong", "case 2 wrong"]
    text = "\n".join(reporting.summary_lines(_report([data])))
    for i in range(3):
        assert f"case {i + 1} of 3: case {i} wrong" in text and f"softmax(np.array([{i}.0]))" in text
    assert json.loads(reporting.to_json(_report([data])))["results"][0]["reasons"][2]["expected"] == 2.0


def test_the_failure_list_says_how_many_more_and_where():
    rows = [_row(f"softmax.c{i:02d}", message=f"distinct {i}") for i in range(reporting.MAX_BLOCKS + 5)]
    rows += [_row(f"log_softmax.same{i:02d}", function="log_softmax", message="same") for i in range(20)]
    report = _report(rows)
    text = "\n".join(reporting.summary_lines(report, report_path="out/r.json"))
    shown = [r["check"] for r in rows if f"FAIL  {r['check']} " in text]
    assert len(shown) == reporting.MAX_BLOCKS
    # not shown: 5 distinct messages and the block of 20 checks sharing one
    assert "... and 25 more failing check(s) in 6 more block(s)" in text
    assert "every one is in out/r.json" in text and "softmax.c34" in text and "log_softmax.same00" in text
    no_path = "\n".join(reporting.summary_lines(report))
    assert "--report PATH" in no_path
    # ids sharing a message are listed up to a count, then how many more
    few = _report([_row(f"softmax.same{i:02d}", message="same") for i in range(20)])
    text = "\n".join(reporting.summary_lines(few))
    assert "(the same message for 19 more: softmax.same01" in text and "and 7 more)" in text


def test_report_files_are_readable_by_others_and_respect_the_umask(tmp_path):
    report = _report([_row("softmax.a")])
    old = os.umask(0o022)
    try:
        reporting.write_json(report, tmp_path / "r.json")
        reporting.write_junit(report, tmp_path / "r.xml")
        assert oct((tmp_path / "r.json").stat().st_mode & 0o777) == oct(0o644)
        assert oct((tmp_path / "r.xml").stat().st_mode & 0o777) == oct(0o644)
        os.umask(0o077)
        reporting.write_json(report, tmp_path / "private.json")
        assert oct((tmp_path / "private.json").stat().st_mode & 0o777) == oct(0o600)
        # an existing file keeps its mode, as open(path, "w") would
        os.chmod(tmp_path / "r.json", 0o640)
        reporting.write_json(report, tmp_path / "r.json")
        assert oct((tmp_path / "r.json").stat().st_mode & 0o777) == oct(0o640)
    finally:
        os.umask(old)


@pytest.mark.parametrize("tex, text", [
    (r"$+\infty$ and $-\infty$", "+inf and -inf"),
    (r"$a \le b$, $c \ge d$, $e \ne f$", "a <= b, c >= d, e != f"),
    (r"$\log p_n$ and $\ln 2$", "log p_n and ln 2"),
    (r"$t_{nc}$, $x_{j \ne k}$, $e^{-l_n}$, $10^{308}$, $d_n^2$", "t_nc, x_(j != k), e^(-l_n), 10^308, d_n^2"),
    (r"$\frac{1}{N} \sum_{n=1}^{N} l_n$", "1/N sum_(n=1)^N l_n"),
    (r"$\frac{\partial l}{\partial z}$ and $\tfrac12\delta^2$", "(d l)/(d z) and 1/2 delta^2"),
    (r"$\log\operatorname{sigmoid}(x)$", "log sigmoid(x)"),
    (r"$$ H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0 . $$", "H(p) = -sum_i p_i log p_i, 0 log 0 = 0."),
    (r"$\mathrm{weight}_c$, $\varepsilon$, $\pm 10^4$, $\sqrt{x + 1}$", "weight_c, eps, +/- 10^4, sqrt(x + 1)"),
    (r"$\lvert d \rvert \le \delta$", "| d | <= delta"),
    (r"`eps` is **not** clamped; see [errata](../errata.md)", "eps is not clamped; see errata"),
    (r"$l = \begin{cases} a & x < 1, \\ b & x \ge 1 \end{cases}$", "l = a if x < 1; b if x >= 1"),
])
def test_clause_latex_reads_as_text(tex, text):
    assert clauses.readable(tex) == text


def test_every_clause_reads_as_plain_ascii_text():
    if not clauses.all_clauses():
        pytest.skip("no spec pages beside the package")
    for clause_id in clauses.all_clauses():
        text = clauses.readable_text(clause_id)
        assert text and "$" not in text and "\\" not in text and "{clause" not in text, (clause_id, text)


def test_the_readme_pytest_command_works_as_written_from_the_checkout(tmp_path):
    """``.venv/bin/python -m pytest --pyargs conformance --impl mypkg.losses`` in the checkout,
    with the project's own pytest options (addopts, testpaths) in force."""
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/python -m pytest --pyargs conformance --impl mypkg.losses" in readme
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "losses.py").write_text("from reference import sigmoid, softmax  # noqa: F401\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    out = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance", "--impl", "mypkg.losses"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    checks = load_all_checks().values()
    n_run = len([c for c in checks if c.function in ("sigmoid", "softmax")])
    last = out.stdout.strip().splitlines()[-1]
    passed = int(last.split(" passed")[0].split()[-1])
    skipped = int(last.split(" skipped")[0].split()[-1])
    assert "failed" not in last and passed > n_run // 2, last  # a check may skip itself (--dtypes)
    assert skipped > 0, last  # every other function: not provided, skipped


def test_baseline_verdict_in_the_report_and_the_terminal(tmp_path):
    """--baseline: a low-precision row says how it compares with the baseline at the
    same inputs; here the baseline is the reference itself, so nothing is worse."""
    report = tmp_path / "r.json"
    out = cli("--impl", "reference", "--only", "log_softmax", "--dtypes", "bfloat16",
              "--baseline", "reference", "--report", str(report))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    rows = {r["check"]: r for r in _results(report)}
    verdict = rows["log_softmax.dtype.bfloat16"]["baseline"]
    assert verdict["implementation"] == "reference" and verdict["cases"] > 0
    assert verdict["worse_cases"] == 0 and verdict["verdict"].startswith("at least as accurate")
    assert "low precision against the baseline (reference" in out.stdout
    assert all("baseline" not in r for c, r in rows.items() if not c.endswith(".dtype.bfloat16"))

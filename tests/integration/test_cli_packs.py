"""``compliance packs list|show|test``, ``controls list``, pack errors and compliance.yaml
through the CLI, and the BPI example's control statuses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from compliance.cli.main import cli
from compliance.inputs import load_paths
from compliance.policy.packs import load_library
from tests.unit.test_packs import DEMO_CHECK, GOOD, PACK_NAMES, catalog

ROOT = Path(__file__).resolve().parents[2]
NOW = ["--now", "2026-11-27T00:00:00Z"]

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    """A policies root with one check (DEMO-01) and one pack, plus main.rego."""
    root = tmp_path / "policies"
    (root / "checks").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "checks" / "main.rego", root / "checks" / "main.rego")
    (root / "checks" / "demo.rego").write_text(DEMO_CHECK)
    (root / "demo").mkdir()
    (root / "demo" / "pack.yaml").write_text(GOOD)
    return root


def env_for(root: Path) -> dict[str, str]:
    return {"COMPLIANCE_POLICIES": str(root)}


# listing -------------------------------------------------------------------------------


def test_packs_list_json_names_every_pack_with_version_and_digest() -> None:
    result = run("packs", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == PACK_NAMES
    cat = catalog()
    for r in rows:
        assert r["version"] == "1.0.0"
        assert r["digest"].startswith("sha256:") and len(r["digest"]) == 71
        assert r["controls"] == len(cat[r["name"]])


def test_packs_list_table_is_readable() -> None:
    result = run("packs", "list")
    assert result.exit_code == 0
    for name in PACK_NAMES:
        assert name in result.stdout
    assert "TSC 2017" in result.stdout and "sha256:" in result.stdout


def test_packs_show_gdpr() -> None:
    data = json.loads(run("packs", "show", "gdpr", "--format", "json").stdout)
    assert data["framework_version"] == "Regulation (EU) 2016/679"
    assert data["parameters"]["log_retention_max_days"] == 730
    assert data["parameter_declarations"]["tls_min_version"]["allowed"] == [
        "1.0",
        "1.1",
        "1.2",
        "1.3",
    ]
    ids = [c["control_id"] for c in data["controls"]]
    assert "Art.32(1)(a)" in ids and "Art.5(1)(e)" in ids
    table = run("packs", "show", "hipaa").stdout
    assert "164.312(e)(1)" in table and "tls_min_version" in table and "manual" in table


def test_packs_show_unknown_pack_exits_2() -> None:
    result = run("packs", "show", "pci")
    assert result.exit_code == 2
    assert "unknown pack 'pci'" in result.stderr and "soc2" in result.stderr


def test_controls_list_for_one_pack() -> None:
    rows = json.loads(run("controls", "list", "--pack", "soc2", "--format", "json").stdout)
    assert {r["pack"] for r in rows} == {"soc2"}
    by_id = {r["control_id"]: r for r in rows}
    assert by_id["A1.3"]["evidence"] == "manual" and by_id["A1.3"]["checks"] == []
    assert by_id["A1.3"]["evidence_hint"].startswith("Dated records of recovery tests")
    assert by_id["CC6.6"]["evidence_hint"] is None
    assert by_id["CC6.6"]["evidence"] == "partial"
    assert "NET-02" in by_id["CC6.6"]["checks"]
    table = run("controls", "list", "--pack", "iso27001").stdout
    assert "A.8.24" in table and "automated" in table


# pack errors through the CLI ----------------------------------------------------------


@pytest.mark.parametrize("command", [["packs", "list"], ["evaluate", "."]])
def test_unknown_check_in_a_pack_exits_3_naming_file_and_line(
    demo_root: Path, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "app.yaml").write_text(DEPLOYMENT)
    monkeypatch.chdir(tmp_path / "in")  # `evaluate .` reads (and caches) here
    (demo_root / "demo" / "pack.yaml").write_text(GOOD.replace("[DEMO-01]", "[DEMO-01, TLS-99]"))
    result = run(*command, env=env_for(demo_root))
    assert result.exit_code == 3
    assert "demo/pack.yaml:8: control D.1 names unknown check 'TLS-99'" in result.stderr
    assert "Traceback" not in result.output


def test_malformed_manifest_exits_3_naming_file_and_line(demo_root: Path) -> None:
    (demo_root / "demo" / "pack.yaml").write_text(GOOD.replace("controls:", "controls: [\n"))
    result = run("packs", "show", "demo", env=env_for(demo_root))
    assert result.exit_code == 3
    assert result.stderr.startswith("error: demo/pack.yaml:")
    assert "invalid YAML" in result.stderr


def test_rego_compile_error_exits_3_naming_the_module(demo_root: Path, tmp_path: Path) -> None:
    (demo_root / "demo" / "extra.rego").write_text(
        "package compliance.policy.packs.demo\n\nimport rego.v1\n\nviolations contains v if {\n\tv := \n}\n"
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "web.yaml").write_text(DEPLOYMENT)
    for command in (
        ["evaluate", str(tmp_path / "in"), *NOW],
        ["packs", "test", "--cases", str(tmp_path)],
    ):
        result = run(*command, env=env_for(demo_root))
        assert result.exit_code == 3, (command, result.output)
        assert "demo/extra.rego" in result.stderr and "Rego compile error" in result.stderr
        assert "Traceback" not in result.output


# packs test -----------------------------------------------------------------------------


def write_case(cases: Path, name: str, expected: str) -> None:
    folder = cases / "DEMO-01" / name
    (folder / "input").mkdir(parents=True)
    (folder / "input" / "web.yaml").write_text(DEPLOYMENT)
    (folder / "expected.yaml").write_text(expected)


def test_packs_test_passes_and_fails_per_case(demo_root: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    write_case(
        cases,
        "flags-web",
        "check: DEMO-01\nfindings:\n  - {resource: 'k8s:apps/v1/Deployment:shop/web', severity: high, message: demo}\n",
    )
    result = run("packs", "test", "--cases", str(cases), env=env_for(demo_root))
    assert result.exit_code == 0, result.output
    assert (
        "PASS  DEMO-01/flags-web" in result.stdout
        and "1 cases, 1 passed, 0 failed" in result.stdout
    )

    write_case(cases, "wrongly-clean", "check: DEMO-01\nfindings: []\n")
    result = run("packs", "test", "--cases", str(cases), env=env_for(demo_root))
    assert result.exit_code == 1
    assert "FAIL  DEMO-01/wrongly-clean" in result.stdout
    assert "unexpected: high k8s:apps/v1/Deployment:shop/web: demo" in result.stdout

    data = json.loads(
        run(
            "packs", "test", "--cases", str(cases), "--format", "json", env=env_for(demo_root)
        ).stdout
    )
    assert (data["passed"], data["failed"]) == (1, 1)
    failed = next(r for r in data["results"] if not r["passed"])
    assert failed["unexpected"] == [["k8s:apps/v1/Deployment:shop/web", "high", "demo"]]


def test_packs_test_reports_a_malformed_expected_file(demo_root: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    write_case(cases, "bad", "check: DEMO-01\nfindings:\n  - {resource: x}\n")
    result = run("packs", "test", "--cases", str(cases), env=env_for(demo_root))
    assert result.exit_code == 3
    assert "expected.yaml:3: findings[0] needs severity, message" in result.stderr


def test_packs_test_without_cases_is_a_usage_error(demo_root: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("packs", "test", "--cases", str(tmp_path / "empty"), env=env_for(demo_root))
    assert result.exit_code == 2 and "no cases found" in result.stderr


def test_packs_test_runs_the_repository_cases_of_one_check() -> None:
    result = run("packs", "test", "--check", "CTR-01", "--format", "json")
    data = json.loads(result.stdout)
    assert data["cases"] >= 2
    assert {r["check"] for r in data["results"]} == {"CTR-01"}
    assert result.exit_code == (1 if data["failed"] else 0)


# compliance.yaml and --param through evaluate ------------------------------------------


def evaluate_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run("evaluate", str(ROOT / "examples" / "bpi"), "--format", "json", *NOW, *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def params_of(report: dict, pack: str) -> dict:  # type: ignore[type-arg]
    return next(p["parameters"] for p in report["packs"] if p["name"] == pack)


def test_project_file_parameters_and_cli_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compliance.yaml").write_text(
        "packs: [gdpr, soc2]\nfail_on: none\nparameters:\n  log_retention_min_days: 90\n  gdpr: {log_retention_max_days: 365, log_retention_min_days: 30}\n"
    )
    code, report = evaluate_json()
    assert code == 0  # fail_on: none from the file
    assert [p["name"] for p in report["packs"]] == ["gdpr", "soc2"]
    assert params_of(report, "gdpr")["log_retention_min_days"] == 30
    assert params_of(report, "gdpr")["log_retention_max_days"] == 365
    assert params_of(report, "soc2")["log_retention_min_days"] == 90
    # the BPI log group keeps 90 days: with a 90-day minimum from the file, no LOG-03 "less than" finding
    assert not [
        f for f in report["findings"] if f["check_id"] == "LOG-03" and "less than" in f["message"]
    ]

    code, report = evaluate_json(
        "--param",
        "log_retention_min_days=400",
        "--param",
        "tls_min_version=1.3",
        "--fail-on",
        "critical",
        "--pack",
        "soc2",
    )
    assert [p["name"] for p in report["packs"]] == ["soc2"]
    assert params_of(report, "soc2")["log_retention_min_days"] == 400
    assert (
        params_of(report, "soc2")["tls_min_version"] == "1.3"
    )  # a string, though 1.3 parses as a float
    assert code == 1  # --fail-on critical beats the file's none; the example has critical findings
    assert any(
        f["check_id"] == "LOG-03" and "less than the required 400" in f["message"]
        for f in report["findings"]
    )


def test_config_option_and_bad_parameters_in_the_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "ci" / "policy.yaml"
    config.parent.mkdir()
    config.write_text("parameters:\n  tls_min_version: '1.2'\n  rsa_min_bitz: 4096\n")
    result = run("evaluate", str(ROOT / "examples" / "bpi"), "--config", str(config), *NOW)
    assert result.exit_code == 2
    assert f"{config}:3: unknown parameter rsa_min_bitz" in result.stderr
    config.write_text("parameters:\n  gdpr:\n    log_retention_max_days: forever\n")
    result = run("evaluate", str(ROOT / "examples" / "bpi"), "--config", str(config), *NOW)
    assert result.exit_code == 2
    assert (
        f"{config}:3: parameter gdpr.log_retention_max_days: 'forever' is not allowed; "
        "allowed: an integer >= 1 or null" in result.stderr
    )
    config.write_text("packs: [hipaa]\nparameters:\n  tls_min_version: banana\n")
    result = run("evaluate", str(ROOT / "examples" / "bpi"), "--config", str(config), *NOW)
    assert result.exit_code == 2
    assert (
        f"{config}:3: parameter tls_min_version: 'banana' is not allowed; "
        "allowed: one of 1.0, 1.1, 1.2, 1.3" in result.stderr
    )
    result = run(
        "evaluate", str(ROOT / "examples" / "bpi"), "--config", str(tmp_path / "nope.yaml"), *NOW
    )
    assert result.exit_code == 2 and "project file not found" in result.stderr


# the BPI example: every catalog control, statuses consistent with findings ---------------


def test_bpi_report_has_every_control_with_consistent_statuses(examples_cwd: Path) -> None:
    result = run("evaluate", "examples/bpi", "--format", "json", *NOW)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert not report["errors"]
    assert sorted(p["name"] for p in report["packs"]) == PACK_NAMES
    for p in report["packs"]:
        assert p["version"] == "1.0.0" and p["digest"].startswith("sha256:")
        assert p["parameters"]["tls_min_version"] == "1.2"

    cat = catalog()
    controls = {(c["pack"], c["control_id"]): c for c in report["controls"]}
    assert set(controls) == {(p, cid) for p, ids in cat.items() for cid in ids}

    library = load_library()
    kinds = {r.kind for r in load_paths(["examples/bpi"]).resources}
    open_by_control: dict[str, int] = {}
    for f in report["findings"]:
        if f["status"] == "fail":
            for key in f["controls"]:
                if key not in (f.get("waived_controls") or []):
                    open_by_control[key] = open_by_control.get(key, 0) + 1
    for (pack, cid), c in controls.items():
        key = f"{pack}:{cid}"
        if c["evidence"] == "manual":
            assert c["status"] == "manual", key
            continue
        applies = any(kinds & set(library.checks[check].kinds) for check in c["checks"])
        assert (c["status"] == "fail") == (key in open_by_control), key
        if c["status"] == "pass":
            assert applies, f"{key} passes but none of its checks applies to a resource"
            assert c["assessed"], f"{key} passes but none of its checks assessed a resource"
        if c["status"] == "not_assessed":
            assert not c["assessed"], key
        assert c["status"] != "not_applicable", key  # only by a scoping decision
        assert c["finding_count"] == open_by_control.get(key, 0), key
    statuses = {c["status"] for c in controls.values()}
    assert {"fail", "manual"} <= statuses
    # the known gaps of the example fail where an auditor would look for them
    assert controls[("soc2", "CC6.1")]["status"] == "fail"
    assert controls[("hipaa", "164.312(b)")]["status"] == "fail"

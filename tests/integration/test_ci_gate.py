"""The CI gate end to end through click's CliRunner: SARIF/JUnit output, --waivers,
compliance.yaml waivers, --baseline and --fail-on-control-status exit codes."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from compliance.cli.main import cli
from tests.schemas import sarif_schema

ROOT = Path(__file__).resolve().parents[2]
NOW = ["--now", "2026-11-27T00:00:00Z"]

PRIVILEGED = """apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
"""
CLEAN = """apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: ops}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: c
      image: busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
        runAsNonRoot: true
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["evaluate", *args, *NOW], catch_exceptions=False)


def report_of(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "debug.yaml").write_text(PRIVILEGED)
    return tmp_path


def waiver_file(path: Path, *entries: dict[str, Any]) -> Path:
    lines = ["waivers:"]
    for e in entries:
        first = True
        for key, value in {
            "reason": "accepted",
            "approved_by": "sec@example.com",
            "expires": "2027-06-30",
            **e,
        }.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {json.dumps(value)}")
            first = False
    path.write_text("\n".join(lines) + "\n")
    return path


def test_sarif_output_is_schema_valid(examples_cwd: Path) -> None:
    result = run("examples/bpi", "--format", "sarif")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(data)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in data["runs"][0]["results"]
    }
    assert uris and all(u.startswith("examples/bpi/") for u in uris)


def test_junit_output_parses(examples_cwd: Path) -> None:
    result = run("examples/bpi", "--format", "junit", "--fail-on", "none")
    assert result.exit_code == 0
    root = ET.fromstring(result.stdout.encode())
    assert {s.get("name") for s in root.findall("testsuite")} == {
        "soc2",
        "iso27001",
        "gdpr",
        "hipaa",
    }
    assert int(root.get("failures", "0")) > 0


def test_waivers_clear_the_gate_and_are_reported(workdir: Path) -> None:
    before = run("k8s", "--format", "json")
    assert before.exit_code == 1
    checks = sorted({f["check_id"] for f in report_of(before)["findings"]})
    path = waiver_file(
        workdir / "waivers.yaml",
        *({"check": c, "resource": "*"} for c in checks),
        {"check": "TLS-01", "resource": "*"},
        {"check": checks[0], "resource": "*", "expires": "2026-01-01"},
    )
    result = run("k8s", "--format", "json", "--waivers", str(path), "--fail-on", "info")
    assert result.exit_code == 0, result.output
    report = report_of(result)
    assert report["findings"] and all(
        f["status"] == "waived" and f["waiver"] for f in report["findings"]
    )
    assert report["summary"]["findings"] == 0
    assert all(
        c["status"] in ("waived", "pass", "not_applicable", "manual") for c in report["controls"]
    )
    summary = report["extra"]["waivers"]
    assert len(summary["applied"]) == len(checks)
    assert [s["check"] for s in summary["stale"]] == ["TLS-01"]
    assert [e["expires"] for e in summary["expired"]] == ["2026-01-01"]
    assert "matches no finding (stale)" in result.stderr
    assert "expired on 2026-01-01" in result.stderr


def test_expired_waiver_fails_the_gate(workdir: Path) -> None:
    checks = {f["check_id"] for f in report_of(run("k8s", "--format", "json"))["findings"]}
    path = waiver_file(
        workdir / "w.yaml",
        *({"check": c, "resource": "*", "expires": "2026-11-26"} for c in checks),
    )
    result = run("k8s", "--format", "json", "--waivers", str(path))
    assert result.exit_code == 1
    assert all(f["status"] == "fail" for f in report_of(result)["findings"])


def test_scoped_waiver_keeps_other_controls_failing(workdir: Path) -> None:
    findings = report_of(run("k8s", "--format", "json"))["findings"]
    target = next(f for f in findings if len(f["controls"]) > 1)
    scope = target["controls"][0]
    path = waiver_file(
        workdir / "w.yaml", {"check": target["check_id"], "resource": "*", "controls": [scope]}
    )
    result = run("k8s", "--format", "json", "--waivers", str(path), "--fail-on", "none")
    report = report_of(result)
    same = next(f for f in report["findings"] if f["fingerprint"] == target["fingerprint"])
    assert same["status"] == "fail" and same["waived_controls"] == [scope]
    other = next(
        c for c in report["controls"] if f"{c['pack']}:{c['control_id']}" == target["controls"][1]
    )
    assert other["status"] == "fail"


def test_malformed_waiver_file_exits_2_naming_the_entry(workdir: Path) -> None:
    path = workdir / "w.yaml"
    path.write_text(
        "waivers:\n  - check: CTR-01\n    resource: '*'\n    reason: r\n    approved_by: a\n    expires: soon\n"
    )
    result = run("k8s", "--waivers", str(path))
    assert result.exit_code == 2
    assert f"{path}:6" in result.stderr and "waivers[0].expires" in result.stderr
    assert "Traceback" not in result.output


def test_project_file_waivers_and_the_override(workdir: Path) -> None:
    checks = {f["check_id"] for f in report_of(run("k8s", "--format", "json"))["findings"]}
    waiver_file(workdir / "compliance.yaml", *({"check": c, "resource": "*"} for c in checks))
    result = run("k8s", "--format", "json")
    assert result.exit_code == 0, result.output
    assert report_of(result)["extra"]["waivers"]["applied"][0]["source"].startswith(
        "compliance.yaml:"
    )
    # --waivers replaces the project's waivers.
    empty = workdir / "none.yaml"
    empty.write_text("waivers: []\n")
    assert run("k8s", "--format", "json", "--waivers", str(empty)).exit_code == 1


def test_baseline_new_unchanged_fixed_and_exit_codes(workdir: Path) -> None:
    first = run("k8s", "--format", "json", "-o", "baseline.json")
    assert first.exit_code == 1
    known = len(json.loads(Path("baseline.json").read_text())["findings"])

    same = run("k8s", "--format", "json", "--baseline", "baseline.json", "--fail-on", "info")
    assert same.exit_code == 0, same.output
    counts = report_of(same)["extra"]["baseline"]
    assert (counts["new"], counts["unchanged"], counts["fixed"]) == (0, known, 0)

    # A line inserted above the resource: still the same findings, still exit 0.
    debug = Path("k8s/debug.yaml")
    debug.write_text("# moved down\n\n\n" + PRIVILEGED)
    shifted = run("k8s", "--format", "json", "--baseline", "baseline.json", "--fail-on", "info")
    assert shifted.exit_code == 0
    assert all(f["baseline"] == "unchanged" for f in report_of(shifted)["findings"])

    # A new bad resource: exit 1, only its findings are new.
    shutil.copy(debug, "k8s/debug2.yaml")
    Path("k8s/debug2.yaml").write_text(PRIVILEGED.replace("name: debug", "name: debug2"))
    grown = run("k8s", "--format", "json", "--baseline", "baseline.json")
    assert grown.exit_code == 1
    report = report_of(grown)
    new = [f for f in report["findings"] if f["baseline"] == "new"]
    assert new and {f["resource"]["name"] for f in new} == {"debug2"}
    assert report["extra"]["baseline"]["unchanged"] == known

    # The original resource fixed: its findings count as fixed.
    debug.write_text(CLEAN)
    fixed = run("k8s", "--format", "json", "--baseline", "baseline.json", "--fail-on", "none")
    baseline = json.loads(Path("baseline.json").read_text())["findings"]
    of_debug = sum(1 for f in baseline if f["resource"]["name"] == "debug")
    assert of_debug and report_of(fixed)["extra"]["baseline"]["fixed"] == of_debug


def test_bad_baseline_exits_2(workdir: Path) -> None:
    Path("old.json").write_text("{}")
    result = run("k8s", "--baseline", "old.json")
    assert result.exit_code == 2
    assert "old.json" in result.stderr and "not a compliance JSON report" in result.stderr


@pytest.mark.parametrize(
    ("statuses", "fail_on", "code"),
    [("fail", "none", 1), ("fail,error", "none", 1), ("error", "none", 0), ("waived", "none", 0)],
)
def test_fail_on_control_status(workdir: Path, statuses: str, fail_on: str, code: int) -> None:
    result = run(
        "k8s", "--format", "json", "--fail-on", fail_on, "--fail-on-control-status", statuses
    )
    assert result.exit_code == code, result.output
    report = report_of(result)
    assert any(c["status"] in statuses.split(",") for c in report["controls"]) == (code == 1)


def test_fail_on_control_status_waived(workdir: Path) -> None:
    checks = {f["check_id"] for f in report_of(run("k8s", "--format", "json"))["findings"]}
    path = waiver_file(workdir / "w.yaml", *({"check": c, "resource": "*"} for c in checks))
    args = ["k8s", "--format", "json", "--waivers", str(path), "--fail-on", "info"]
    assert run(*args).exit_code == 0
    assert run(*args, "--fail-on-control-status", "fail,error").exit_code == 0
    result = run(*args, "--fail-on-control-status", "waived")
    assert result.exit_code == 1
    assert any(c["status"] == "waived" for c in report_of(result)["controls"])


def test_unknown_control_status_is_a_usage_error(workdir: Path) -> None:
    result = run("k8s", "--fail-on-control-status", "fail,broken")
    assert result.exit_code == 2
    assert "broken" in result.output

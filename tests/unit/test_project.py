"""compliance.yaml: lookup, validation errors with file and line, waivers kept raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.project import PROJECT_FILE, find_project, parse_project

FULL = """packs: [soc2, gdpr]
fail_on: medium
parameters:
  tls_min_version: "1.3"
  gdpr:
    log_retention_max_days: 365
waivers:
  - check: LOG-03
    resource: "tf:aws_cloudwatch_log_group.*"
    reason: archived to S3 Glacier for 400 days
    approved_by: security@example.com
    expires: 2027-01-31
"""


def test_a_full_project_file_parses() -> None:
    project = parse_project(FULL, "compliance.yaml")
    assert project.config.packs == ["soc2", "gdpr"]
    assert project.config.fail_on == "medium"
    assert project.config.parameters == {
        "tls_min_version": "1.3",
        "gdpr": {"log_retention_max_days": 365},
    }
    assert project.config.waivers[0]["check"] == "LOG-03"  # kept raw
    assert project.lines["parameters.gdpr.log_retention_max_days"] == 6
    waivers = project.loaded_waivers()
    assert [w.waiver.check for w in waivers] == ["LOG-03"]
    assert waivers[0].source == "compliance.yaml:8"


def test_an_empty_file_is_an_empty_project() -> None:
    project = parse_project("# nothing yet\n", "compliance.yaml")
    assert project.config.packs is None and project.config.parameters == {}
    assert project.loaded_waivers() == []


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("packs: [soc2]\nfail-on: high\n", "unknown key 'fail-on'", 2),
        ("fail_on: severe\n", "invalid fail_on", 1),
        ("packs: []\n", "invalid packs", 1),
        ("parameters: [a]\n", "invalid parameters", 1),
        ("packs: [soc2\n", "invalid YAML", 2),
        ("- soc2\n", "one YAML mapping", 1),
        ("packs: [a]\npacks: [b]\n", "duplicate key 'packs'", 2),
        ("waivers:\n  - check: LOG-03\n    resource: x\n", "invalid waiver at waivers[0]", 2),
    ],
)
def test_bad_project_files_name_file_and_line(text: str, message: str, line: int) -> None:
    with pytest.raises(UsageError) as info:
        parse_project(text, "compliance.yaml")
    assert message in info.value.message
    assert info.value.file == "compliance.yaml"
    assert info.value.line == line


def test_found_in_the_current_directory_or_given_explicitly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_project().file is None
    (tmp_path / PROJECT_FILE).write_text("fail_on: low\n")
    assert find_project().config.fail_on == "low"
    assert find_project().file == PROJECT_FILE
    other = tmp_path / "ci.yaml"
    other.write_text("fail_on: critical\n")
    assert find_project(other).config.fail_on == "critical"
    with pytest.raises(UsageError, match="project file not found") as info:
        find_project(tmp_path / "missing.yaml")
    assert info.value.file == str(tmp_path / "missing.yaml")


def test_non_utf8_project_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"packs: [\xff]\n")
    with pytest.raises(UsageError, match="not valid UTF-8"):
        find_project(path)

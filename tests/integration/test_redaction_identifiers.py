"""16.5: redaction touches only secret values. A compose file under a folder whose name
holds the password (``gitea-postgres/``, password ``gitea``) keeps its path in every
format, and a finding naming a variable like ``API_TOKEN`` keeps its words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli

COMPOSE = """services:
  gitea:
    image: gitea/gitea:1.22.3
    environment:
      - DB_TYPE=postgres
      - DB_PASSWD=gitea
  db:
    image: postgres:16.4
    environment:
      POSTGRES_PASSWORD: gitea
"""
DOCKERFILE = "FROM python:3.12-slim\nENV API_TOKEN=Fixture-api-token-4410\nUSER 10001\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "gitea-postgres").mkdir()
    (tmp_path / "gitea-postgres" / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "api-token-service").mkdir()
    (tmp_path / "api-token-service" / "Dockerfile").write_text(DOCKERFILE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> str:
    result = CliRunner().invoke(
        cli,
        ["evaluate", ".", "--no-cache", "--fail-on", "none", *args],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_paths_ids_and_messages_survive_redaction_in_json(project: Path) -> None:
    report = json.loads(run("--format", "json"))
    files = {f["file"] for f in report["findings"]}
    assert "gitea-postgres/compose.yaml" in files
    assert "api-token-service/Dockerfile" in files
    ids = {f["resource"]["id"] for f in report["findings"]}
    assert "compose:gitea-postgres/compose.yaml#gitea" in ids
    messages = {f["message"] for f in report["findings"]}
    assert "ENV API_TOKEN bakes a secret value into the image" in messages
    assert "compose service gitea sets DB_PASSWD to a literal secret value" in messages
    assert {i["file"] for i in report["inputs"]} >= {
        "gitea-postgres/compose.yaml",
        "api-token-service/Dockerfile",
    }
    text = json.dumps(report)
    assert "[REDACTED]-postgres" not in text
    assert "Fixture-api-token-4410" not in text


@pytest.mark.parametrize("fmt", ["sarif", "table", "markdown", "junit"])
def test_paths_survive_in_every_format(project: Path, fmt: str) -> None:
    out = run("--format", fmt)
    assert "gitea-postgres/compose.yaml" in out
    assert "[REDACTED]-postgres" not in out
    assert "Fixture-api-token-4410" not in out


def test_the_bundle_report_keeps_paths_and_masks_the_inputs(project: Path) -> None:
    import tarfile

    keys = project / "keys"
    CliRunner().invoke(cli, ["keys", "generate", "--out", str(keys)], catch_exceptions=False)
    run("--format", "json", "--bundle", "b.tar.gz", "--sign-key", str(keys / "signing.key"))
    with tarfile.open(project / "b.tar.gz") as tar:
        report = json.loads(tar.extractfile("report.json").read())  # type: ignore[union-attr]
        compose = tar.extractfile("inputs/gitea-postgres/compose.yaml").read().decode()  # type: ignore[union-attr]
        docker = tar.extractfile("inputs/api-token-service/Dockerfile").read().decode()  # type: ignore[union-attr]
    assert "gitea-postgres/compose.yaml" in {f["file"] for f in report["findings"]}
    assert (
        "POSTGRES_PASSWORD: [REDACTED]" in compose or 'POSTGRES_PASSWORD: "[REDACTED]"' in compose
    )
    assert "Fixture-api-token-4410" not in docker

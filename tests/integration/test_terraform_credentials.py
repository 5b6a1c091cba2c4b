"""AWS Terraform credentials are reported by name and line, never with their values."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from compliance.cli.main import cli

CASE = (
    Path(__file__).resolve().parents[1] / "packs" / "cases" / "SEC-01" / "terraform-aws-credentials"
)
VALUES = [
    "EXAMPLEACCESSKEYID00",
    "example/secret/key/for/a/test/only/000000",
    "hunter2-but-longer",
    "example0secret0value0for0tests",
    "example-token-value",
    "example-local-secret",
    "example-module-password",
]


def test_every_output_format_names_the_setting_not_the_value(tmp_path: Path) -> None:
    text = (CASE / "input" / "main.tf").read_text()
    assert all(value in text for value in VALUES)  # the fixture holds them all
    (tmp_path / "main.tf").write_text(text)
    for fmt in ("json", "sarif", "markdown", "junit"):
        result = CliRunner().invoke(
            cli,
            ["evaluate", str(tmp_path), "--no-cache", "--format", fmt, "--fail-on", "none"],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        leaked = [value for value in VALUES if value in result.output]
        assert leaked == [], (fmt, leaked)
        if fmt == "json":
            sec = [f for f in json.loads(result.output)["findings"] if f["check_id"] == "SEC-01"]
            assert len(sec) == 6

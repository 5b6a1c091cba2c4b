"""The examples/bpi report, byte for byte, against a reviewed golden file.

Any change to a check, a pack, a loader or the report shape shows up here as a diff to
review. After reviewing, rewrite it with ``pytest tests/integration/test_golden.py
--update-golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "bpi-report.json"


def _report(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "examples/bpi",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--now",
            "2026-11-27T00:00:00Z",
            "--no-cache",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_bpi_report_matches_golden(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = _report(monkeypatch)
    if request.config.getoption("--update-golden"):
        GOLDEN.write_text(got, encoding="utf-8")
    want = GOLDEN.read_text(encoding="utf-8")
    if got != want:
        g, w = json.loads(got), json.loads(want)
        for key in w:
            assert g.get(key) == w[key], f"report field {key!r} differs from the golden file"
    assert got == want


def test_golden_is_a_real_report() -> None:
    report = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert report["schema_version"] == 1
    assert report["errors"] == []
    assert {p["name"] for p in report["packs"]} == {"soc2", "iso27001", "gdpr", "hipaa"}
    assert report["summary"]["findings"] == len(
        [f for f in report["findings"] if f["status"] == "fail"]
    )
    assert report["summary"]["findings"] > 20

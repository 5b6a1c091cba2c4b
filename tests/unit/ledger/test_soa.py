"""The ISO/IEC 27001:2022 Statement of Applicability."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.errors import UsageError
from compliance.ledger.annex_a import ANNEX_A
from compliance.ledger.record import record_run
from compliance.ledger.soa import build_soa, exclusions, render_csv, render_html, render_markdown
from compliance.ledger.store import Ledger
from compliance.policy.packs import load_library, load_pack
from tests.unit.ledger.reports import report

EXPECTED_IDS = (
    [f"A.5.{n}" for n in range(1, 38)]
    + [f"A.6.{n}" for n in range(1, 9)]
    + [f"A.7.{n}" for n in range(1, 15)]
    + [f"A.8.{n}" for n in range(1, 35)]
)


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack("iso27001", load_library())


def test_all_93_annex_a_controls_with_our_titles() -> None:
    assert [cid for cid, _, _ in ANNEX_A] == EXPECTED_IDS and len(ANNEX_A) == 93
    titles = [t for _, _, t in ANNEX_A]
    assert all(t.strip() for t in titles) and len(set(titles)) == 93


def test_how_assessed_follows_the_pack(pack) -> None:  # type: ignore[no-untyped-def]
    soa = build_soa(pack, {})
    rows = {r["control_id"]: r for r in soa["controls"]}
    assert len(soa["controls"]) == 93
    assert rows["A.8.20"]["assessment"] == "automated" and "NET-02" in rows["A.8.20"]["checks"]
    assert rows["A.8.5"]["assessment"] == "partial"
    assert rows["A.5.1"]["how_assessed"] == "organisational/manual: not assessed by this tool"
    assert (
        rows["A.5.1"]["status"] == "not_assessed_by_tool"
        and rows["A.8.20"]["status"] == "no_evidence"
    )
    mapped = {c.id for c in pack.controls}
    assert soa["summary"]["automated"] + soa["summary"]["partial"] == len(
        [c for c in pack.controls if c.evidence != "manual"]
    ) and mapped <= set(EXPECTED_IDS)


def test_exclusions_need_a_reason() -> None:
    scope = {
        "name": "prod",
        "exclude": [
            {"control": "A.7.1", "reason": "no premises: fully remote"},
            {"control": "soc2:CC6.4", "reason": "other pack"},
            {"control": "iso27001:A.7.2", "reason": "same"},
        ],
    }
    assert exclusions(scope, "compliance.yaml") == {
        "A.7.1": "no premises: fully remote",
        "A.7.2": "same",
    }
    with pytest.raises(UsageError, match="needs a reason"):
        exclusions({"exclude": [{"control": "A.7.1"}]}, "compliance.yaml")
    with pytest.raises(UsageError, match="not an ISO/IEC 27001:2022 Annex A control"):
        exclusions({"exclude": [{"control": "iso27001:A.9.1", "reason": "x"}]}, "compliance.yaml")
    assert exclusions("prod", "compliance.yaml") == {}


def test_statuses_and_evidence_from_the_ledger(pack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Ledger(f"sqlite:///{tmp_path / 'l.db'}") as led:
        record_run(
            led, report("2026-11-01"), scope="prod", bundle={"sha256": "ab" * 32, "path": None}
        )
        record_run(led, report("2026-11-02", ("tls",)), scope="prod")
        runs = led.entries("run", "prod")
        soa = build_soa(pack, {"A.7.1": "remote"}, led, runs, "period")
    rows = {r["control_id"]: r for r in soa["controls"]}
    assert rows["A.8.20"]["status"] == "pass"
    assert rows["A.8.20"]["evidence"] == {"runs": ["run-1", "run-2"], "bundles": ["ab" * 32]}
    assert (
        rows["A.7.1"]["status"] == "not_applicable" and rows["A.7.1"]["justification"] == "remote"
    )
    assert soa["summary"]["excluded"] == 1
    table = list(csv.DictReader(io.StringIO(render_csv(soa))))
    assert len(table) == 93 and table[0]["control_id"] == "A.5.1"
    assert "| A.7.1 | Secure perimeters | no | remote |" in render_markdown(soa)
    assert render_html(soa).count("<tr>") == 94


def test_cli_reads_scoping_from_the_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("compliance.yaml").write_text(
        "scope:\n  name: prod\n  exclude:\n    - control: A.7.4\n      reason: hosted in a cloud region, no own premises\n"
    )
    result = CliRunner().invoke(
        cli, ["report", "soa", "--pack", "iso27001"], env={"COMPLIANCE_LEDGER": ""}
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["controls"]) == 93
    assert next(r for r in data["controls"] if r["control_id"] == "A.7.4")["applicable"] is False
    bad = CliRunner().invoke(cli, ["report", "soa", "--pack", "soc2"])
    assert bad.exit_code == 2 and "ISO/IEC 27001:2022" in bad.output

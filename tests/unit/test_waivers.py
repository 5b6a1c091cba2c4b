"""Waivers: the file model (errors name the file, line and entry) and every matching rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.evaluation.evaluator import Evaluator
from compliance.model import CheckMeta, Control, Pack, Resource, Source
from compliance.model.report import Report
from compliance.policy.packs import CheckLibrary
from compliance.project import find_project
from compliance.waivers import (
    LoadedWaiver,
    Waiver,
    WaiverSet,
    load_waivers,
    parse_waivers,
)
from tests.conftest import FakeEngine

NOW = datetime(2026, 11, 27, tzinfo=UTC)
TODAY = NOW.date()
LIB = CheckLibrary(
    modules={"checks/x.rego": "package compliance.checks.x"},
    checks={
        "CTR-02": CheckMeta(
            id="CTR-02", title="pinned images", severity="high", kinds=["StatefulSet"]
        ),
        "NET-02": CheckMeta(
            id="NET-02", title="no open ports", severity="critical", kinds=["StatefulSet"]
        ),
    },
)
SOC2 = Pack(
    name="soc2",
    framework="TSC",
    version="1.0.0",
    controls=[
        Control(id="CC6.8", title="malicious software", checks=["CTR-02"]),
        Control(id="CC6.6", title="boundaries", checks=["NET-02"]),
    ],
)
ISO = Pack(
    name="iso27001",
    framework="ISO",
    version="1.0.0",
    controls=[Control(id="A.8.19", title="software installation", checks=["CTR-02"])],
)


def statefulset(name: str) -> Resource:
    return Resource(
        id=f"k8s:apps/v1/StatefulSet:bpi/{name}",
        kind="StatefulSet",
        name=name,
        namespace="bpi",
        source=Source(file="k8s/ss.yaml", line=1, format="k8s"),
        body={},
    )


LEDGER = statefulset("bpi-ledger-node")
GATEWAY = statefulset("gateway")
VIOLATIONS = [
    {"check": "CTR-02", "resource": LEDGER.id, "message": "image not pinned"},
    {"check": "CTR-02", "resource": GATEWAY.id, "message": "image not pinned"},
    {"check": "NET-02", "resource": LEDGER.id, "message": "port 22 open"},
]


def waiver(check: str = "CTR-02", resource: str = "*ledger-node*", **kw: object) -> LoadedWaiver:
    fields: dict[str, object] = {
        "reason": "pinned by the release pipeline",
        "approved_by": "security@example.com",
        "expires": date(2026, 12, 31),
        **kw,
    }
    return LoadedWaiver(Waiver(check=check, resource=resource, **fields), f"w.yaml:{len(check)}")  # type: ignore[arg-type]


def run(*waivers: LoadedWaiver, today: date = TODAY) -> tuple[Report, WaiverSet]:
    ws = WaiverSet(list(waivers), today)
    report = Evaluator(FakeEngine(VIOLATIONS), LIB, [SOC2, ISO]).evaluate(
        [LEDGER, GATEWAY], now=NOW, waive=ws.waive
    )
    return ws.annotate(report), ws


def status(report: Report, control: str) -> str:
    return next(c.status for c in report.controls if f"{c.pack}:{c.control_id}" == control)


def finding(report: Report, check: str, resource: Resource) -> object:
    return next(f for f in report.findings if f.check_id == check and f.resource.id == resource.id)


VALID = """\
# reviewed quarterly
waivers:
  - check: CTR-02                # required
    resource: "*ledger-node*"
    controls: ["soc2:CC6.8"]
    reason: "pinned by the release pipeline"
    approved_by: "security@example.com"
    expires: 2026-12-31
  - check: NET-02
    resource: k8s:apps/v1/StatefulSet:bpi/*
    reason: bastion only
    approved_by: ciso@example.com
    expires: "2027-03-01"
"""


def test_valid_file_parses_with_entry_lines(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(VALID)
    first, second = load_waivers(path)
    assert first.waiver.controls == ["soc2:CC6.8"] and first.waiver.expires == date(2026, 12, 31)
    assert second.waiver.controls is None and second.waiver.expires == date(2027, 3, 1)
    assert (first.source, second.source) == (f"{path}:3", f"{path}:9")
    assert first.as_dict()["expires"] == "2026-12-31"


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        (
            VALID.replace('    reason: "pinned by the release pipeline"\n', ""),
            "waivers[0].reason: Field required",
            3,
        ),
        (VALID.replace("expires: 2026-12-31", "expires: someday"), "waivers[0].expires", 8),
        (VALID.replace("    expires: 2026-12-31\n", ""), "waivers[0].expires: Field required", 3),
        (VALID.replace('["soc2:CC6.8"]', '["CC6.8"]'), "waivers[0].controls", 5),
        (VALID.replace('["soc2:CC6.8"]', "[]"), "waivers[0].controls", 5),
        (
            VALID.replace(
                "    approved_by: ciso@example.com\n", "    aproved_by: ciso@example.com\n"
            ),
            "waivers[1].aproved_by: Extra inputs are not permitted",
            9,
        ),
        (VALID.replace("reason: bastion only", "reason: '  '"), "waivers[1].reason", 11),
        (
            VALID.replace("    resource: k8s:apps/v1/StatefulSet:bpi/*\n", ""),
            "waivers[1].resource: Field required",
            9,
        ),
        ("waivers:\n  - just a string\n", "waivers[0]", 2),
        ("waivers: {check: CTR-02}\n", "waivers", 1),
    ],
)
def test_malformed_entries_name_file_entry_and_line(
    tmp_path: Path, text: str, where: str, line: int
) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        load_waivers(path)
    err = info.value
    assert err.exit_code == 2
    assert err.file == str(path)
    assert where in err.message
    assert err.line == line
    assert str(path) in err.diagnostics()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checks: []\n", "no `waivers:` list"),
        ("- check: CTR-02\n", "one YAML mapping"),
        ("waivers: [\n", "invalid YAML"),
        ("waivers: []\nwaivers: []\n", "duplicate key"),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message) as info:
        load_waivers(path)
    assert info.value.file == str(path)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read waiver file") as info:
        load_waivers(tmp_path / "nope.yaml")
    assert info.value.exit_code == 2


def test_valid_waiver_waives_matching_findings_only() -> None:
    report, _ = run(waiver())
    ledger = finding(report, "CTR-02", LEDGER)
    assert ledger.status == "waived"  # type: ignore[attr-defined]
    assert ledger.waiver["reason"] == "pinned by the release pipeline"  # type: ignore[attr-defined]
    assert finding(report, "CTR-02", GATEWAY).status == "fail"  # type: ignore[attr-defined]
    assert finding(report, "NET-02", LEDGER).status == "fail"  # type: ignore[attr-defined]
    assert status(report, "soc2:CC6.8") == "fail"  # the gateway finding is still open
    assert report.summary.waived == 1
    applied = report.extra["waivers"]["applied"]
    assert [a["findings"] for a in applied] == [[ledger.fingerprint]]  # type: ignore[attr-defined]


def test_control_with_all_findings_waived_is_waived_and_does_not_fail_the_gate() -> None:
    report, _ = run(waiver(resource="*"), waiver(check="NET-02", resource="bpi-ledger-node"))
    assert status(report, "soc2:CC6.8") == "waived"
    assert status(report, "soc2:CC6.6") == "waived"
    assert status(report, "iso27001:A.8.19") == "waived"
    assert report.summary.findings == 0
    assert report.exit_code("low") == 0
    unwaived, _ = run()
    assert unwaived.exit_code("low") == 1


def test_glob_matches_resource_id_or_name() -> None:
    by_id, _ = run(waiver(resource="k8s:apps/v1/StatefulSet:bpi/gate*"))
    by_name, _ = run(waiver(resource="gateway"))
    for report in (by_id, by_name):
        assert finding(report, "CTR-02", GATEWAY).status == "waived"  # type: ignore[attr-defined]
        assert finding(report, "CTR-02", LEDGER).status == "fail"  # type: ignore[attr-defined]
    case_sensitive, ws = run(waiver(resource="GATEWAY"))
    assert finding(case_sensitive, "CTR-02", GATEWAY).status == "fail"  # type: ignore[attr-defined]
    assert len(case_sensitive.extra["waivers"]["stale"]) == 1


def test_expired_waiver_does_not_apply_and_is_reported() -> None:
    report, _ = run(waiver(expires=date(2026, 11, 26)))
    assert finding(report, "CTR-02", LEDGER).status == "fail"  # type: ignore[attr-defined]
    summary = report.extra["waivers"]
    assert summary["applied"] == [] and summary["stale"] == []
    (expired,) = summary["expired"]
    assert (expired["expires"], expired["would_match"]) == ("2026-11-26", 1)
    assert report.exit_code("high") == 1


def test_waiver_applies_through_its_expiry_day() -> None:
    report, _ = run(waiver(expires=TODAY))
    assert finding(report, "CTR-02", LEDGER).status == "waived"  # type: ignore[attr-defined]
    assert report.extra["waivers"]["expired"] == []


def test_unmatched_waiver_is_stale() -> None:
    report, _ = run(waiver(), waiver(check="TLS-01", resource="*"), waiver(resource="no-such-*"))
    stale = report.extra["waivers"]["stale"]
    assert [(s["check"], s["resource"]) for s in stale] == [
        ("TLS-01", "*"),
        ("CTR-02", "no-such-*"),
    ]
    assert len(report.extra["waivers"]["applied"]) == 1


def test_scoped_waiver_waives_only_its_controls() -> None:
    report, _ = run(waiver(controls=["soc2:CC6.8"]))
    ledger = finding(report, "CTR-02", LEDGER)
    # Still open for iso27001:A.8.19, so it stays "fail" and counts for --fail-on.
    assert ledger.status == "fail"  # type: ignore[attr-defined]
    assert ledger.waived_controls == ["soc2:CC6.8"]  # type: ignore[attr-defined]
    assert ledger.waiver["controls"] == ["soc2:CC6.8"]  # type: ignore[attr-defined]
    cc68 = next(c for c in report.controls if c.control_id == "CC6.8")
    a819 = next(c for c in report.controls if c.control_id == "A.8.19")
    assert (cc68.finding_count, cc68.waived_count) == (1, 1)  # gateway still open
    assert (a819.finding_count, a819.waived_count) == (2, 0)
    # Only the ledger resource in CC6.8: scoped waiver makes that control waived.
    single, _ = run(waiver(resource="*", controls=["soc2:CC6.8"]))
    assert status(single, "soc2:CC6.8") == "waived"
    assert status(single, "iso27001:A.8.19") == "fail"
    assert single.exit_code("high") == 1


def test_scope_covering_every_control_waives_the_finding() -> None:
    report, _ = run(waiver(controls=["soc2:CC6.8", "iso27001:A.8.19"]))
    ledger = finding(report, "CTR-02", LEDGER)
    assert ledger.status == "waived"  # type: ignore[attr-defined]
    assert status(report, "iso27001:A.8.19") == "fail"  # gateway


def test_scope_outside_the_findings_controls_does_not_match() -> None:
    report, _ = run(waiver(controls=["hipaa:164.312(c)(1)"]))
    assert finding(report, "CTR-02", LEDGER).status == "fail"  # type: ignore[attr-defined]
    assert finding(report, "CTR-02", LEDGER).waiver is None  # type: ignore[attr-defined]
    assert len(report.extra["waivers"]["stale"]) == 1


def test_several_waivers_unscoped_wins_and_scopes_merge() -> None:
    report, _ = run(waiver(controls=["soc2:CC6.8"]), waiver(resource="bpi-*"))
    assert finding(report, "CTR-02", LEDGER).status == "waived"  # type: ignore[attr-defined]
    assert len(report.extra["waivers"]["applied"]) == 2
    merged, _ = run(
        waiver(controls=["soc2:CC6.8"]), waiver(resource="bpi-*", controls=["iso27001:A.8.19"])
    )
    ledger = finding(merged, "CTR-02", LEDGER)
    assert ledger.status == "waived"  # type: ignore[attr-defined]
    assert ledger.waiver["controls"] == ["iso27001:A.8.19", "soc2:CC6.8"]  # type: ignore[attr-defined]


def test_project_file_waivers(tmp_path: Path) -> None:
    assert find_project(directory=tmp_path).loaded_waivers() == []
    (tmp_path / "compliance.yaml").write_text("parameters:\n  log_retention_days: 400\n")
    assert find_project(directory=tmp_path).loaded_waivers() == []
    (tmp_path / "compliance.yaml").write_text("parameters: {}\n" + VALID.split("\n", 1)[1])
    loaded = find_project(directory=tmp_path).loaded_waivers()
    assert [w.waiver.check for w in loaded] == ["CTR-02", "NET-02"]
    assert loaded[0].source == "compliance.yaml:3"
    (tmp_path / "compliance.yaml").write_text("waivers:\n  - check: X\n")
    with pytest.raises(UsageError, match=r"waivers\[0\]") as info:
        find_project(directory=tmp_path)
    assert info.value.file == "compliance.yaml"


def test_parse_waivers_reports_the_value_it_rejected() -> None:
    with pytest.raises(UsageError, match="someday"):
        parse_waivers(VALID.replace("expires: 2026-12-31", "expires: someday"), "w.yaml")

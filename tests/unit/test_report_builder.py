"""compliance.evaluation.report: the one report builder, used without an Evaluator: finding
rows from several queries' seeds, their order, severities and controls, waivers, and the
JSON it serialises to."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from compliance.assess import Assessor, members
from compliance.evaluation.report import ReportBuilder, Row, RunFacts, Seed, fingerprint
from compliance.formats.json import encode
from compliance.model import Control, Pack
from compliance.model.notes import BuildNotice, SharedIdentity, Skipped
from compliance.model.report import Finding
from tests.conftest import FakeEngine, applied
from tests.unit.test_assess import LIB, NOW, PACK, deployment

OTHER = Pack(
    name="q",
    framework="G",
    version="1.0.0",
    controls=[Control(id="LIMITS", title="limits", checks=["R-01"])],
)


@dataclass(frozen=True)
class Outcome:
    packs: Sequence[Pack]
    seeds: Sequence[Seed] | None


def seed(check: str, name: str, message: str, severity: str | None = None) -> Seed:
    resource = deployment(name)
    return {
        "check": check,
        "severity": severity,
        "message": message,
        "path": "spec",
        "file": resource.source.file,
        "line": resource.source.line,
        "resource": {"id": resource.id, "kind": "Deployment", "name": name, "namespace": "ns"},
    }


def builder() -> ReportBuilder:
    packs = [PACK, OTHER]
    assessor = Assessor(LIB.checks, {c for p in packs for c in p.check_ids()})
    return ReportBuilder(FakeEngine([]), LIB, packs, assessor, lambda kind: False)


def facts(builder: ReportBuilder) -> RunFacts:
    resources = [deployment("a"), deployment("b")]
    return RunFacts(
        now=NOW,
        population=members(resources, builder.assessor),
        duplicates=[],
        parameters=None,
        errors=[],
        inputs=[],
        skipped=[],
        failed_packs=set(),
        exclusions={},
    )


def test_rows_join_the_controls_of_every_query_that_reported_a_finding() -> None:
    b = builder()
    limits = seed("R-01", "a", "no limits")
    rows = b.rows(
        [
            Outcome([PACK], [limits, seed("T-01", "b", "old tls", severity="critical")]),
            Outcome([OTHER], [limits]),
            Outcome([OTHER], None),  # a failed query adds no rows
        ]
    )
    by_check = {r["check"]: r for r in rows}
    assert sorted(by_check) == ["R-01", "T-01"]
    assert by_check["R-01"]["controls"] == ["p:BOTH", "p:RES", "q:LIMITS"]
    assert by_check["R-01"]["severity"] == "medium"  # the check's, when the seed has none
    assert by_check["T-01"]["severity"] == "critical"  # the violation's own
    assert by_check["R-01"]["fingerprint"] == fingerprint(
        "R-01", limits["resource"]["id"], "spec", "no limits"
    )


def test_the_report_orders_findings_and_counts_them_per_control() -> None:
    b = builder()
    rows: list[Row] = b.rows(
        [Outcome([PACK, OTHER], [seed("R-01", "a", "no limits"), seed("T-01", "b", "old tls")])]
    )
    report = b.report(list(reversed(rows)), facts(b))
    assert [f.check_id for f in report.findings] == ["T-01", "R-01"]  # high before medium
    assert all(type(f) is Finding for f in report.findings)
    counts = {f"{c.pack}:{c.control_id}": c.finding_count for c in report.controls}
    assert counts == {"p:TLS": 1, "p:RES": 1, "p:BOTH": 2, "q:LIMITS": 1}
    assert report.summary.findings == 2 and report.summary.by_severity["high"] == 1
    assert report.exit_code("high") == 1 and report.exit_code("critical") == 0
    assert b.report(rows, facts(b)) == report  # whatever order the rows came in
    assert encode(report).decode() == report.model_dump_json(indent=2) + "\n"


def test_a_waiver_scoped_to_some_controls_leaves_the_finding_open_for_the_others() -> None:
    b = builder()
    rows = b.rows([Outcome([PACK, OTHER], [seed("R-01", "a", "no limits")])])
    waiver = applied("R-01", "accepted", ("q:LIMITS",))
    report = b.report(rows, facts(b), waive=lambda finding: waiver)
    (finding,) = report.findings
    assert finding.status == "fail" and finding.waived_controls == ["q:LIMITS"]
    assert finding.waiver == {
        "check": "R-01",
        "resource": "*",
        "controls": ["q:LIMITS"],
        "reason": "accepted",
        "approved_by": "a@b.c",
        "expires": "2099-12-31",
        "source": "waivers.yaml:2",
    }
    status = {f"{c.pack}:{c.control_id}": c.status for c in report.controls}
    assert status["q:LIMITS"] == "waived" and status["p:RES"] == "fail"
    unscoped = b.report(rows, facts(b), waive=lambda finding: applied("R-01", "x"))
    assert unscoped.findings[0].status == "waived" and unscoped.summary.waived == 1
    assert unscoped.exit_code("info") == 0


def test_shared_identities_skipped_files_and_notices_become_the_report_s_models() -> None:
    b = builder()
    noted = dataclasses.replace(
        facts(b),
        duplicates=[
            SharedIdentity(
                "k8s:v1/Pod:ns/p", ("k8s:v1/Pod:ns/p@a.yaml#1", "k8s:v1/Pod:ns/p@b.yaml#1")
            )
        ],
        skipped=[Skipped("README.md", "not a recognised input kind")],
        notices=[
            BuildNotice("ov", "kustomize build ov | compliance evaluate -", "ov is an overlay")
        ],
    )
    data = orjson.loads(encode(b.report([], noted)))
    assert data["summary"]["duplicates"] == 2
    assert data["duplicates"] == [
        {
            "id": "k8s:v1/Pod:ns/p",
            "resources": ["k8s:v1/Pod:ns/p@a.yaml#1", "k8s:v1/Pod:ns/p@b.yaml#1"],
        }
    ]
    assert data["skipped"] == [{"file": "README.md", "reason": "not a recognised input kind"}]
    assert data["notices"] == [
        {
            "folder": "ov",
            "command": "kustomize build ov | compliance evaluate -",
            "message": "ov is an overlay",
        }
    ]

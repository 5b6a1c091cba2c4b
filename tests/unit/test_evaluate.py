"""Evaluator status rules (DESIGN.md section 4) with a fake engine."""

from __future__ import annotations

from datetime import UTC, datetime

from compliance.evaluation.evaluator import Evaluator
from compliance.evaluation.report import fingerprint
from compliance.model import CheckMeta, Control, Pack, Resource, Source
from compliance.policy.packs import CheckLibrary
from tests.conftest import FakeEngine, applied

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LIB = CheckLibrary(
    modules={"checks/x.rego": "package compliance.checks.x"},
    checks={
        "A-01": CheckMeta(id="A-01", title="a", severity="high", kinds=["Deployment"]),
        "B-01": CheckMeta(id="B-01", title="b", severity="medium", kinds=["SecurityConfig"]),
    },
)
PACK = Pack(
    name="p",
    framework="F",
    version="1.0.0",
    parameters={"x": 1},
    controls=[
        Control(id="C1", title="uses A", checks=["A-01"]),
        Control(id="C2", title="uses B", checks=["B-01"]),
        Control(id="C3", title="manual", evidence="manual"),
        Control(id="C4", title="partial A", checks=["A-01"], evidence="partial"),
    ],
)


def deployment(name: str = "web", line: int = 1) -> Resource:
    return Resource(
        id=f"k8s:apps/v1/Deployment:ns/{name}",
        kind="Deployment",
        name=name,
        namespace="ns",
        source=Source(file="d.yaml", line=line, format="k8s"),
        body={},
        lines={"spec.replicas": line + 5},
    )


def statuses(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.control_id: c.status for c in report.controls}


def test_fail_not_assessed_manual() -> None:
    engine = FakeEngine(
        [{"check": "A-01", "resource": deployment().id, "message": "bad", "path": "spec.replicas"}]
    )
    report = Evaluator(engine, LIB, [PACK]).evaluate([deployment()], now=NOW)
    assert statuses(report) == {"C1": "fail", "C2": "not_assessed", "C3": "manual", "C4": "fail"}
    (f,) = report.findings
    assert (f.severity, f.line, f.controls) == ("high", 6, ["p:C1", "p:C4"])
    assert f.fingerprint == fingerprint("A-01", deployment().id, "spec.replicas", "bad")
    assert report.summary.controls["fail"] == 2
    assert report.exit_code("high") == 1
    assert report.exit_code("critical") == 0


def test_pass_requires_an_applicable_resource() -> None:
    report = Evaluator(FakeEngine([]), LIB, [PACK]).evaluate([deployment()], now=NOW)
    assert statuses(report)["C1"] == "pass"
    assert statuses(report)["C2"] == "not_assessed"
    empty = Evaluator(FakeEngine([]), LIB, [PACK]).evaluate([], now=NOW)
    assert "pass" not in statuses(empty).values()


def test_engine_error_is_error_never_pass() -> None:
    report = Evaluator(FakeEngine(fail="boom"), LIB, [PACK]).evaluate([deployment()], now=NOW)
    assert statuses(report) == {"C1": "error", "C2": "error", "C3": "manual", "C4": "error"}
    assert report.errors[0].message == "boom"
    assert report.exit_code("high") == 3


def test_waived_when_all_findings_waived() -> None:
    engine = FakeEngine([{"check": "A-01", "resource": deployment().id, "message": "bad"}])
    report = Evaluator(engine, LIB, [PACK]).evaluate(
        [deployment()], now=NOW, waive=lambda f: applied(f.check_id, "ok")
    )
    assert statuses(report)["C1"] == "waived"
    assert report.findings[0].status == "waived"
    assert report.summary.findings == 0 and report.summary.waived == 1
    assert report.exit_code("low") == 0


def test_severity_override_and_line_override() -> None:
    engine = FakeEngine(
        [
            {
                "check": "A-01",
                "resource": deployment().id,
                "message": "worse",
                "severity": "critical",
                "line": 42,
            }
        ]
    )
    (f,) = Evaluator(engine, LIB, [PACK]).evaluate([deployment()], now=NOW).findings
    assert (f.severity, f.line) == ("critical", 42)


def test_invalid_violations_are_errors_not_findings() -> None:
    engine = FakeEngine(
        [
            {"check": "NOPE", "resource": deployment().id, "message": "x"},
            {"check": "A-01", "resource": "k8s:missing", "message": "x"},
            {"check": "A-01", "resource": deployment().id, "message": "x", "severity": "urgent"},
        ]
    )
    report = Evaluator(engine, LIB, [PACK]).evaluate([deployment()], now=NOW)
    assert report.findings == []
    assert len(report.errors) == 3
    assert report.exit_code() == 3


def test_one_query_per_parameter_set() -> None:
    other = PACK.model_copy(update={"name": "q"})
    engine = FakeEngine([])
    Evaluator(engine, LIB, [PACK, other]).evaluate([deployment()], now=NOW)
    assert len(engine.inputs) == 1
    engine2 = FakeEngine([])
    Evaluator(engine2, LIB, [PACK, other.model_copy(update={"parameters": {"x": 2}})]).evaluate(
        [deployment()], now=NOW
    )
    assert len(engine2.inputs) == 2
    assert engine.inputs[0]["kinds"]["Deployment"][0]["id"] == deployment().id
    assert engine.inputs[0]["now"] == "2026-11-27T00:00:00Z"


def test_parameter_overrides_apply_to_packs_that_have_them() -> None:
    engine = FakeEngine([])
    report = Evaluator(engine, LIB, [PACK]).evaluate(
        [deployment()], now=NOW, parameters={"x": 5, "y": 1}
    )
    assert report.packs[0].parameters == {"x": 5}
    assert engine.inputs[0]["params"] == {"x": 5}

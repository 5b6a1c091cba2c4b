"""JUnit XML: a suite per pack, a case per control; parsed back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from compliance.evaluation.evaluator import Evaluator
from compliance.formats import renderer
from compliance.model import CheckMeta, Control, Pack, Resource, Source
from compliance.policy.packs import CheckLibrary
from tests.conftest import FakeEngine, applied
from tests.unit.formats.conftest import ROOT, Evaluate

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
    controls=[
        Control(id="C1", title="uses A", checks=["A-01"]),
        Control(id="C2", title="uses B", checks=["B-01"]),
        Control(id="C3", title="manual", evidence="manual"),
    ],
)
DEPLOYMENT = Resource(
    id="k8s:apps/v1/Deployment:ns/web",
    kind="Deployment",
    name="web",
    namespace="ns",
    source=Source(file="d.yaml", line=4, format="k8s"),
    body={},
)


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode())


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", "").split(" ")[0]: c for c in root.iter("testcase")}


def test_bpi_suites_per_pack_cases_per_control(
    evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    report = evaluate("examples/bpi")
    root = parse(renderer("junit")(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [p.name for p in report.packs]
    for suite in suites:
        controls = [c for c in report.controls if c.pack == suite.get("name")]
        testcases = suite.findall("testcase")
        assert [c.get("name", "").split(" ")[0] for c in testcases] == [
            c.control_id for c in controls
        ]
        failed = [c for c in controls if c.status == "fail"]
        assert (
            int(suite.get("failures", "-1"))
            == len(failed)
            == len(suite.findall("testcase/failure"))
        )
        assert int(suite.get("tests", "-1")) == len(controls)
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        pack = next(p for p in report.packs if p.name == suite.get("name"))
        assert props["digest"] == pack.digest
    assert int(root.get("tests", "-1")) == len(report.controls)
    # Every open finding of a failed control is listed with its location.
    control = next(c for c in report.controls if c.status == "fail")
    suite = next(s for s in suites if s.get("name") == control.pack)
    failure = cases(suite)[control.control_id].find("failure")
    assert failure is not None and failure.text
    key = f"{control.pack}:{control.control_id}"
    mine = [f for f in report.findings if key in f.controls]
    assert len(failure.text.splitlines()) == len(mine) == control.finding_count
    for f in mine:
        assert f"{f.check_id} {f.file}:{f.line}" in failure.text


def test_skipped_for_not_assessed_not_applicable_and_manual() -> None:
    engine = FakeEngine([{"check": "A-01", "resource": DEPLOYMENT.id, "message": "bad"}])
    report = Evaluator(engine, LIB, [PACK]).evaluate([DEPLOYMENT], now=NOW)
    root = parse(renderer("junit")(report))
    by_id = cases(root)
    assert by_id["C1"].find("failure") is not None
    assert "not assessed" in by_id["C2"].find("skipped").get("message", "")  # type: ignore[union-attr]
    scoped = Evaluator(engine, LIB, [PACK]).evaluate(
        [DEPLOYMENT], now=NOW, exclusions={"p:C2": "out of scope"}
    )
    skipped = cases(parse(renderer("junit")(scoped)))["C2"].find("skipped")
    assert skipped is not None and "not applicable" in skipped.get("message", "")
    assert "manual" in by_id["C3"].find("skipped").get("message", "")  # type: ignore[union-attr]
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("skipped"),
        suite.get("errors"),
    ) == ("3", "1", "2", "0")


def test_error_when_a_check_failed_to_run() -> None:
    report = Evaluator(FakeEngine(fail="rego exploded"), LIB, [PACK]).evaluate(
        [DEPLOYMENT], now=NOW
    )
    root = parse(renderer("junit")(report))
    error = cases(root)["C1"].find("error")
    assert error is not None and "rego exploded" in (error.text or "")
    assert root.get("errors") == "2"  # C1 and C2; C3 is manual


def test_waived_control_passes_and_lists_its_waived_findings() -> None:
    engine = FakeEngine([{"check": "A-01", "resource": DEPLOYMENT.id, "message": "bad"}])
    waiver = applied("A-01", "accepted risk")
    report = Evaluator(engine, LIB, [PACK]).evaluate([DEPLOYMENT], now=NOW, waive=lambda f: waiver)
    case = cases(parse(renderer("junit")(report)))["C1"]
    assert case.find("failure") is None and case.find("skipped") is None
    out = case.find("system-out")
    assert (
        out is not None
        and "accepted risk" in (out.text or "")
        and "A-01 d.yaml:4" in (out.text or "")
    )


def test_control_characters_in_messages_still_parse() -> None:
    engine = FakeEngine(
        [{"check": "A-01", "resource": DEPLOYMENT.id, "message": "bad\x01value <&>"}]
    )
    report = Evaluator(engine, LIB, [PACK]).evaluate([DEPLOYMENT], now=NOW)
    failure = cases(parse(renderer("junit")(report)))["C1"].find("failure")
    assert failure is not None and "bad\ufffdvalue <&>" in (failure.text or "")

"""OSCAL assessment-results: valid against compliance-trestle's OSCAL 1.2.1 models (the
version we emit) and against NIST's OSCAL 1.0.6 JSON schema (structure, independently; read
from ../shared/schemas, as no package ships it, and skipped saying so where it is absent).

The schema's Token pattern uses ``\\p{L}``/``\\p{N}``, which Python's ``re`` lacks; the test
rewrites them to ``[^\\W\\d_]`` (Unicode letters) and ``\\d`` (Unicode digits), which accepts a
subset of what the schema accepts, so a pass here is a pass there.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from compliance.formats import oscal
from compliance.model import Report
from compliance.model.waiver import AppliedWaiver
from tests.conftest import applied
from tests.shared import OSCAL_AR_SCHEMA, require
from tests.unit.formats.conftest import ROOT, Evaluate


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    text = require(OSCAL_AR_SCHEMA, "NIST's OSCAL 1.0.6 schema").read_text(encoding="utf-8")
    text = text.replace(r"\\p{L}", r"[^\\W\\d_]").replace(r"\\p{N}", r"\\d")
    schema = json.loads(text)
    assert schema["$id"] == "http://csrc.nist.gov/ns/oscal/1.0.6/oscal-ar-schema.json"
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def waive_ctr(f: Any) -> AppliedWaiver | None:
    return (
        applied("CTR-01", "accepted until the base image moves") if f.check_id == "CTR-01" else None
    )


@pytest.fixture
def report(evaluate: Evaluate, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(ROOT)
    return evaluate("examples/bpi", waive=waive_ctr)


def errors(validator: jsonschema.Draft7Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_bpi_report_is_schema_valid(validator: jsonschema.Draft7Validator, report: Report) -> None:
    doc = json.loads(oscal.render(report))
    assert errors(validator, doc) == []
    ar = doc["assessment-results"]
    assert ar["metadata"]["oscal-version"] == "1.2.1"
    assert len(ar["results"]) == 1


def test_bpi_report_is_valid_oscal_1_2_1(report: Report) -> None:
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.assessment_results import Model

    assert OSCAL_VERSION == oscal.OSCAL_VERSION
    doc = json.loads(oscal.render(report))
    parsed = Model.model_validate(doc)
    verdicts = [c for c in report.controls if c.status in oscal.STATE]
    assert len(parsed.assessment_results.results[0].findings or []) == len(verdicts)


def test_trestle_models_reject_what_they_should(report: Report) -> None:
    """The 1.2.1 validation above is meaningful: the models refuse bad documents."""
    from pydantic import ValidationError
    from trestle.oscal.assessment_results import Model

    doc = json.loads(oscal.render(report))
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "maybe"
    with pytest.raises(ValidationError):
        Model.model_validate(doc)
    doc = json.loads(oscal.render(report))
    doc["assessment-results"]["unexpected"] = True
    with pytest.raises(ValidationError):
        Model.model_validate(doc)


def test_one_observation_per_finding_one_finding_per_control_with_a_verdict(
    report: Report,
) -> None:
    result = oscal.build(report)["assessment-results"]["results"][0]
    verdicts = [c for c in report.controls if c.status in oscal.STATE]
    others = [c for c in report.controls if c.status not in oscal.STATE]
    assert others, "the BPI example has manual controls"
    assert len(result["observations"]) == len(report.findings) + len(others)
    assert len(result["findings"]) == len(verdicts)
    observation_ids = {o["uuid"] for o in result["observations"]}
    for finding, control in zip(result["findings"], verdicts, strict=True):
        props = {p["name"]: p["value"] for p in finding["target"]["props"]}
        assert props["control-status"] == control.status
        expected = "satisfied" if control.status == "pass" else "not-satisfied"
        assert finding["target"]["status"]["state"] == expected
        related = {r["observation-uuid"] for r in finding.get("related-observations", [])}
        assert related <= observation_ids
        assert len(related) == control.finding_count + control.waived_count


def test_waived_findings_carry_the_justification(report: Report) -> None:
    observations = oscal.build(report)["assessment-results"]["results"][0]["observations"]
    waived = [
        o
        for o in observations
        if {"name": "finding-status", "ns": oscal.NS, "value": "waived"} in o["props"]
    ]
    assert waived
    assert all(o["remarks"] == "Waived: accepted until the base image moves" for o in waived)


def test_control_ids_become_valid_tokens() -> None:
    assert oscal.control_token("hipaa", "164.312(e)(1)") == "hipaa_164.312-e-1"
    assert oscal.control_token("gdpr", "Art.32(1)(a)") == "gdpr_art.32-1-a"
    assert oscal.control_token("soc2", "CC6.1") == "soc2_cc6.1"


def test_the_schema_rejects_what_it_should(
    validator: jsonschema.Draft7Validator, report: Report
) -> None:
    doc = oscal.build(report)
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "164.312(e)(1)"
    assert errors(validator, doc)
    doc = oscal.build(report)
    del doc["assessment-results"]["metadata"]["oscal-version"]
    assert errors(validator, doc)


def test_same_run_same_document(report: Report) -> None:
    assert oscal.render(report) == oscal.render(report)

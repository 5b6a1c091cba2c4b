"""``trusted`` builds what validation builds, for every model it is used on."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from compliance.model import Resource, Source
from compliance.model.construct import trusted
from compliance.model.report import (
    ControlResult,
    Duplicate,
    Finding,
    InputRef,
    ResourceEntry,
    ResourceRef,
)

REF = {
    "id": "k8s:apps/v1/Deployment:ns/web",
    "kind": "Deployment",
    "name": "web",
    "namespace": "ns",
}
CASES: list[tuple[type[pydantic.BaseModel], dict[str, Any]]] = [
    (ResourceRef, REF),
    (ResourceRef, {**REF, "namespace": None}),
    (
        ResourceEntry,
        {
            **REF,
            "file": "k8s/web.yaml",
            "line": 1,
            "format": "k8s",
            "assessed_by": ["CTR-01"],
        },
    ),
    (Duplicate, {"id": REF["id"], "resources": [f"{REF['id']}@a.yaml#1", f"{REF['id']}@b.yaml#1"]}),
    (
        ControlResult,
        {
            "pack": "soc2",
            "control_id": "CC6.8",
            "title": "Software is controlled",
            "status": "not_applicable",
            "evidence": "automated",
            "checks": ["CTR-01", "CTR-02"],
            "finding_count": 0,
            "waived_count": 0,
            "assessed": {"CTR-01": [REF["id"]]},
            "unassessed_checks": ["CTR-02"],
            "reason": "images are built elsewhere",
            "evidence_hint": "the image build pipeline's records",
        },
    ),
    (InputRef, {"file": "k8s/web.yaml", "format": "k8s", "sha256": "ab" * 32, "resources": 2}),
    (
        Finding,
        {
            "check_id": "CTR-01",
            "title": "Containers run as non-root",
            "severity": "high",
            "status": "fail",
            "message": "container web runs as root",
            "file": "k8s/web.yaml",
            "line": 12,
            "path": "spec.template.spec.containers[0]",
            "resource": REF,
            "controls": ["soc2:CC6.1"],
            "remediation": "Set runAsNonRoot.",
            "fingerprint": "f" * 32,
            "waiver": None,
            "waived_controls": [],
            "baseline": None,
        },
    ),
]


SOURCE = {"file": "k8s/web.yaml", "line": 1, "end_line": 9, "format": "k8s"}
CASES += [
    (Source, SOURCE),
    (Source, {**SOURCE, "end_line": None}),
    (
        Resource,
        {
            "id": REF["id"],
            "kind": "Deployment",
            "name": "web",
            "namespace": "ns",
            "source": SOURCE,
            "body": {"apiVersion": "apps/v1", "spec": {"replicas": 2}},
            "facts": {"containers": []},
            "lines": {"spec": 5, "spec.replicas": 6},
        },
    ),
]


@pytest.mark.parametrize(("cls", "values"), CASES)
def test_trusted_equals_validated(cls: type[pydantic.BaseModel], values: dict[str, Any]) -> None:
    validated = cls.model_validate(values)
    given = dict(values)
    if cls is Finding:
        given["resource"] = trusted(ResourceRef, dict(REF))
    if cls is Resource:  # as compliance.inputs.base.FileContext.resource builds it
        given["source"] = trusted(Source, dict(SOURCE))
        assert trusted(cls, given).lines == validated.lines
    built = trusted(cls, given)
    assert built == validated
    assert built.model_dump(mode="json") == validated.model_dump(mode="json")
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    with pytest.raises(pydantic.ValidationError):  # still frozen
        built.__setattr__(next(iter(values)), "changed")
    assert built.model_copy(update={}) == built


def test_every_field_is_required() -> None:
    with pytest.raises(ValueError, match="every field"):
        trusted(InputRef, {"file": "x", "format": "k8s", "sha256": "0"})

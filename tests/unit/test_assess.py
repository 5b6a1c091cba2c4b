"""compliance.assess and the status rules built on it (DESIGN.md section 4), with a fake
engine: what a check assesses, ids of objects that share an identity, the population."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from compliance.assess import (
    NO_CHECK,
    NO_PROPERTY,
    Assessor,
    failed_formats,
    format_of_kind,
    unique_ids,
    with_unique_ids,
)
from compliance.errors import PackError
from compliance.evaluation.evaluator import Evaluator
from compliance.model import CheckMeta, Control, LoadError, Pack, Resource, Source
from compliance.model.notes import SharedIdentity
from compliance.policy.packs import CheckLibrary, load_library, parse_metadata
from tests.conftest import FakeEngine, applied

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LIB = CheckLibrary(
    modules={"checks/x.rego": "package compliance.checks.x"},
    checks={
        # T-01 observes TLS settings a Deployment only sometimes has
        "T-01": CheckMeta(
            id="T-01",
            title="tls",
            severity="high",
            kinds=["Deployment", "SecurityConfig"],
            assesses={"Deployment": ["facts.flags.tls-min-version", "body.spec.tls.*.hosts"]},
        ),
        # a Deployment without limits is the defect: every Deployment is assessed
        "R-01": CheckMeta(id="R-01", title="limits", severity="medium", kinds=["Deployment"]),
    },
)
PACK = Pack(
    name="p",
    framework="F",
    version="1.0.0",
    controls=[
        Control(id="TLS", title="transport", checks=["T-01"]),
        Control(id="RES", title="limits", checks=["R-01"]),
        Control(id="BOTH", title="both", checks=["T-01", "R-01"], evidence="partial"),
    ],
)


def deployment(
    name: str = "web",
    file: str = "d.yaml",
    body: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    line: int = 1,
) -> Resource:
    return Resource(
        id=f"k8s:apps/v1/Deployment:ns/{name}",
        kind="Deployment",
        name=name,
        namespace="ns",
        source=Source(file=file, line=line, format="k8s"),
        body=body or {},
        facts=facts or {},
    )


def evaluate(resources: list[Resource], violations: list[dict[str, Any]] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    return Evaluator(FakeEngine(violations or []), LIB, [PACK]).evaluate(resources, now=NOW, **kw)


def statuses(report: Any) -> dict[str, str]:
    return {c.control_id: c.status for c in report.controls}


# what a check assesses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "facts", "assessed"),
    [
        ({}, {}, False),
        ({}, {"flags": {"other": True}}, False),
        ({}, {"flags": {"tls-min-version": True}}, True),
        ({}, {"flags": {"tls-min-version": None}}, False),  # null is no value
        ({"spec": {"tls": []}}, {}, False),  # `*` needs an item
        ({"spec": {"tls": [{"secretName": "x"}]}}, {}, False),
        ({"spec": {"tls": [{"secretName": "x"}, {"hosts": ["a"]}]}}, {}, True),
        ({"spec": {"tls": {"main": {"hosts": []}}}}, {}, True),  # `*` also takes any key
        ({"spec": "tls"}, {}, False),
    ],
)
def test_assesses_paths(body: dict[str, Any], facts: dict[str, Any], assessed: bool) -> None:
    assessor = Assessor(LIB.checks, {"T-01", "R-01"})
    got = assessor.assessed_by("Deployment", body, facts)
    assert got == (("R-01", "T-01") if assessed else ("R-01",))
    assert assessor.assessed_by("SecurityConfig", {}, {}) == ("T-01",)  # kind only
    assert assessor.assessed_by("ConfigMap", {}, {}) == ()


def test_only_the_packs_checks_assess() -> None:
    assert Assessor(LIB.checks, {"R-01"}).assessed_by("SecurityConfig", {}, {}) == ()


def test_the_assess_key_follows_the_metadata() -> None:
    a = Assessor(LIB.checks, {"T-01", "R-01"})
    assert a.key == Assessor(LIB.checks, {"R-01", "T-01"}).key
    changed = dict(LIB.checks)
    changed["T-01"] = LIB.checks["T-01"].model_copy(update={"assesses": {}})
    assert Assessor(changed, {"T-01", "R-01"}).key != a.key


METADATA = """# METADATA
# title: t
# custom:
#   id: X-01
#   kinds: [Service, Pod]
#   assesses:
#     {entry}
package x
"""


def test_metadata_assesses_is_parsed() -> None:
    (meta,) = parse_metadata(METADATA.format(entry="Service: [body.spec.ports]"), "x.rego")
    assert meta.assesses == {"Service": ["body.spec.ports"]}
    # an empty list: read as context for other resources, never assessed itself
    (context,) = parse_metadata(METADATA.format(entry="Service: []"), "x.rego")
    assessor = Assessor({"X-01": context}, {"X-01"})
    assert assessor.assessed_by("Service", {"spec": {"ports": [1]}}, {}) == ()
    assert assessor.assessed_by("Pod", {}, {}) == ("X-01",)


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("Ingress: [body.spec.tls]", "not in its kinds"),
        ("Service: body.spec.ports", "list of paths"),
        ("Service: [spec.ports]", "under body or facts"),
        ("Service: [body..ports]", "under body or facts"),
    ],
)
def test_bad_assesses_is_a_pack_error(entry: str, needle: str) -> None:
    with pytest.raises(PackError) as e:
        parse_metadata(METADATA.format(entry=entry), "x.rego")
    assert needle in e.value.message and e.value.file == "x.rego"


def test_every_bundled_check_lists_only_its_own_kinds_under_assesses() -> None:
    library = load_library()
    with_paths = {c for c, m in library.checks.items() if m.assesses}
    assert {"TLS-01", "TLS-02", "TLS-05", "AUTH-01", "AUTH-05", "SEC-01", "LOG-01"} <= with_paths
    for meta in library.checks.values():
        assert set(meta.assesses) <= set(meta.kinds)


# identity ---------------------------------------------------------------------------------


def test_unique_ids_keep_lone_ids_and_qualify_shared_ones() -> None:
    ids, shared = unique_ids(
        [("a", "x.yaml"), ("b", "x.yaml"), ("a", "y/x.yaml"), ("c", "y/x.yaml"), ("b", "x.yaml")]
    )
    assert ids == ["a@x.yaml#1", "b@x.yaml#2", "a@y/x.yaml#1", "c", "b@x.yaml#3"]
    assert shared == [
        SharedIdentity("a", ("a@x.yaml#1", "a@y/x.yaml#1")),
        SharedIdentity("b", ("b@x.yaml#2", "b@x.yaml#3")),
    ]
    assert len(set(ids)) == len(ids)
    assert unique_ids([("a", "f"), ("b", "f")]) == (["a", "b"], [])


def test_resources_sharing_an_id_keep_their_own_findings() -> None:
    base = deployment(file="base/d.yaml", line=1)
    overlay = deployment(file="overlay/d.yaml", line=3)
    renamed, _ = with_unique_ids([base, overlay])
    base_id, overlay_id = (r.id for r in renamed)
    violations = [{"check": "R-01", "resource": overlay_id, "message": "no limits"}]
    report = evaluate([base, overlay], violations)
    assert [r.id for r in report.resources] == [base_id, overlay_id]
    assert base_id.endswith("@base/d.yaml#1") and overlay_id.endswith("@overlay/d.yaml#1")
    (finding,) = report.findings
    assert (finding.resource.id, finding.file, finding.line) == (overlay_id, "overlay/d.yaml", 3)
    assert report.summary.duplicates == 2
    assert [(d.id, d.resources) for d in report.duplicates] == [(base.id, [base_id, overlay_id])]


# statuses ---------------------------------------------------------------------------------


def test_pass_only_where_a_check_assessed_a_resource() -> None:
    report = evaluate([deployment()])
    assert statuses(report) == {"TLS": "not_assessed", "RES": "pass", "BOTH": "pass"}
    by_id = {c.control_id: c for c in report.controls}
    assert by_id["TLS"].assessed == {} and by_id["TLS"].unassessed_checks == ["T-01"]
    assert by_id["BOTH"].assessed == {"R-01": [deployment().id]}
    assert by_id["BOTH"].unassessed_checks == ["T-01"]
    tls = deployment(facts={"flags": {"tls-min-version": True}})
    assert statuses(evaluate([tls]))["TLS"] == "pass"


def test_a_finding_means_its_check_assessed_the_resource() -> None:
    violations = [{"check": "T-01", "resource": deployment().id, "message": "plaintext"}]
    report = evaluate([deployment()], violations, waive=lambda f: applied("T-01", "accepted"))
    assert statuses(report)["TLS"] == "waived"
    (entry,) = report.resources
    assert entry.assessed_by == ["R-01", "T-01"]
    assert {c.control_id: c.assessed for c in report.controls}["TLS"] == {"T-01": [entry.id]}


def test_nothing_loaded_passes_nothing() -> None:
    report = evaluate([])
    assert set(statuses(report).values()) == {"not_assessed"}
    assert report.resources == [] and report.summary.unassessed == {}


def test_scoped_out_controls_are_not_applicable_whatever_else_holds() -> None:
    violations = [{"check": "R-01", "resource": deployment().id, "message": "no limits"}]
    report = evaluate([deployment()], violations, exclusions={"p:RES": "not ours", "p:TLS": "n/a"})
    by_id = {c.control_id: c for c in report.controls}
    assert (by_id["RES"].status, by_id["RES"].reason) == ("not_applicable", "not ours")
    assert by_id["RES"].finding_count == 1  # its findings are still reported
    assert (by_id["TLS"].status, by_id["TLS"].reason) == ("not_applicable", "n/a")
    assert (by_id["BOTH"].status, by_id["BOTH"].reason) == ("fail", None)
    assert report.summary.controls["not_applicable"] == 2


def test_a_failed_input_of_a_format_the_checks_read_is_error() -> None:
    broken = [LoadError(file="k8s/broken.yaml", line=3, message="invalid YAML")]
    report = evaluate([deployment()], load_errors=broken)
    assert set(statuses(report).values()) == {"error"}
    other = [LoadError(file="infra/main.tf", message="invalid HCL")]
    assert statuses(evaluate([deployment()], load_errors=other)) == {
        "TLS": "not_assessed",
        "RES": "pass",
        "BOTH": "pass",
    }
    violations = [{"check": "R-01", "resource": deployment().id, "message": "no limits"}]
    assert statuses(evaluate([deployment()], violations, load_errors=broken))["RES"] == "fail"


def test_failed_formats_by_file_name() -> None:
    def formats(*files: str) -> set[str]:
        return set(failed_formats(LoadError(file=f, message="x") for f in files))

    assert formats("a/b.yaml") == {"k8s", "securityconfig"}
    assert formats("plan.json") == {"k8s", "securityconfig", "terraform"}
    assert formats("x/Dockerfile", "compose.yaml", "main.tf") == {
        "dockerfile",
        "compose",
        "terraform",
    }
    assert formats("policies", "engine:embedded", "README") == set()
    assert [format_of_kind(k) for k in ("Service", "aws_s3_bucket", "ComposeService")] == [
        "k8s",
        "terraform",
        "compose",
    ]


def test_the_population_lists_every_resource_and_counts_the_unassessed() -> None:
    cm = Resource(
        id="k8s:v1/ConfigMap:ns/c",
        kind="ConfigMap",
        name="c",
        namespace="ns",
        source=Source(file="c.yaml", line=4, format="k8s"),
        body={},
    )
    config = Resource(
        id="config:s.toml",
        kind="SecurityConfig",
        name="s",
        source=Source(file="s.toml", line=1, format="securityconfig"),
        body={},
    )
    report = Evaluator(FakeEngine([]), LIB, [PACK]).evaluate([cm, config, cm], now=NOW)
    assert [r.model_dump() for r in report.resources][1] == {
        "id": "config:s.toml",
        "kind": "SecurityConfig",
        "name": "s",
        "namespace": None,
        "file": "s.toml",
        "line": 1,
        "format": "securityconfig",
        "assessed_by": ["T-01"],
    }
    assert report.summary.unassessed == {"ConfigMap": {"count": 2, "reason": NO_CHECK}}
    assert len({r.id for r in report.resources}) == 3
    # a kind the checks read but whose resource lacks the property
    only_res = Evaluator(
        FakeEngine([]), LIB, [PACK.model_copy(update={"controls": PACK.controls[:1]})]
    )
    assert only_res.evaluate([deployment()], now=NOW).summary.unassessed == {
        "Deployment": {"count": 1, "reason": NO_PROPERTY}
    }


def test_the_report_builder_from_run_facts_gives_the_evaluated_population() -> None:
    from compliance.evaluation.report import RunFacts

    evaluator = Evaluator(FakeEngine([]), LIB, [PACK])
    resources = [deployment(file="a.yaml"), deployment(file="b.yaml")]
    report = evaluator.evaluate(resources, now=NOW)
    renamed, shared = with_unique_ids(resources)
    from compliance.assess import members

    facts = RunFacts(
        now=NOW,
        population=members(renamed, evaluator.assessor),
        duplicates=shared,
        parameters=None,
        errors=[],
        inputs=[],
        skipped=[],
        failed_packs=set(),
        exclusions={},
    )
    built = evaluator.reports.report([], facts)
    assert built.model_dump(mode="json") == report.model_dump(mode="json")

"""Admission decisions from findings: thresholds, modes, errors, exclusions, skipped checks."""

from __future__ import annotations

from compliance.model.report import Finding, ResourceRef
from compliance.server.admission import AdmissionRequest, bounded_warnings
from compliance.server.decide import Policy, decide, exclusion, record, target_object


def finding(check: str, severity: str, message: str = "bad") -> Finding:
    return Finding(
        check_id=check,
        severity=severity,  # type: ignore[arg-type]
        message=message,
        file="admission:u",
        line=1,
        resource=ResourceRef(id="k8s:v1/Pod:shop/web", kind="Pod", name="web", namespace="shop"),
        controls=["soc2:CC6.1", "iso27001:A.8.9"],
        fingerprint="f",
    )


def request(**fields: object) -> AdmissionRequest:
    base: dict[str, object] = {
        "uid": "u",
        "kind": {"kind": "Pod", "version": "v1"},
        "operation": "CREATE",
    }
    base.update(fields)
    return AdmissionRequest.model_validate(base)


def test_at_or_above_threshold_denies_naming_check_controls_and_resource() -> None:
    d = decide(
        Policy(),
        [finding("CTR-01", "high", "runs as root"), finding("HLT-01", "low", "no probe")],
        [],
    )
    assert not d.allowed and d.result == "deny"
    assert (
        "CTR-01 (high) Pod shop/web: runs as root [controls: soc2:CC6.1, iso27001:A.8.9]"
        in d.message
    )
    assert d.warnings == [
        "HLT-01 (low) Pod shop/web: no probe [controls: soc2:CC6.1, iso27001:A.8.9]"
    ]
    response = d.response("u").wire()["response"]
    assert response["status"]["code"] == 403 and response["uid"] == "u"


def test_threshold_is_configurable() -> None:
    assert decide(Policy(fail_on="critical"), [finding("CTR-01", "high")], []).allowed
    assert not decide(Policy(fail_on="low"), [finding("HLT-01", "low")], []).allowed
    assert decide(Policy(fail_on="none"), [finding("CTR-01", "critical")], []).result == "warn"


def test_waived_and_cross_resource_findings_do_not_block() -> None:
    waived = finding("CTR-01", "critical").model_copy(update={"status": "waived"})
    assert decide(Policy(), [waived, finding("NET-01", "high")], []).result == "allow"


def test_sibling_findings_are_not_judged_at_admission() -> None:
    quota = finding(
        "RES-01", "low", "namespace shop has workloads but no ResourceQuota or LimitRange"
    )
    pdb = finding(
        "HLT-01", "medium", "Deployment api has no PodDisruptionBudget selecting its pods, so ..."
    )
    own = finding("RES-01", "medium", "container web sets no cpu request")
    d = decide(Policy(), [quota, pdb, own], [])
    assert d.findings == [own] and d.result == "warn"
    assert d.not_judged == ["HLT-01", "RES-01"]
    entry = record(request(object={"apiVersion": "v1", "kind": "Pod"}), d, Policy())
    assert entry["not_judged"] == ["HLT-01", "RES-01"]


def test_audit_mode_allows_and_warns() -> None:
    d = decide(Policy(mode="audit"), [finding("CTR-01", "critical")], [])
    assert d.allowed and d.result == "audit"
    assert d.warnings[0].startswith("audit mode, would deny: CTR-01 (critical)")


def test_errors_fail_closed_unless_fail_open() -> None:
    closed = decide(Policy(), [], ["engine exploded"])
    assert (
        not closed.allowed and closed.result == "error_deny" and "engine exploded" in closed.message
    )
    assert closed.response("u").wire()["response"]["status"]["code"] == 500
    opened = decide(Policy(fail_open=True), [], ["engine exploded"])
    assert opened.allowed and opened.result == "error_allow"


def test_exclusions_by_namespace_and_label() -> None:
    policy = Policy(
        exclude_namespaces=frozenset({"kube-system"}), exclude_labels=(("team", "infra"),)
    )
    assert exclusion(
        policy, request(namespace="kube-system", object={"apiVersion": "v1", "kind": "Pod"})
    )
    labelled = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"team": "infra"}}}
    assert (
        exclusion(policy, request(namespace="shop", object=labelled))
        == "label team=infra is excluded"
    )
    other = {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"team": "web"}}}
    assert exclusion(policy, request(namespace="shop", object=other)) is None


def test_target_object_fills_namespace_and_name_without_mutating_the_request() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"}}
    req = request(namespace="shop", object=obj)
    filled = target_object(req)
    assert filled["metadata"] == {"generateName": "web-", "namespace": "shop"}
    assert req.object == obj and "namespace" not in obj["metadata"]


def test_record_carries_identity_not_bodies() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"secret": "s3cr3t"},
    }
    old = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "resourceVersion": "7", "uid": "x"},
    }
    entry = record(
        request(object=obj, oldObject=old, operation="UPDATE", dryRun=True),
        decide(Policy(), [], []),
        Policy(),
    )
    assert entry["name"] == "web" and entry["dry_run"] is True
    assert entry["old_object"] == {"uid": "x", "resourceVersion": "7", "generation": None}
    assert "s3cr3t" not in str(entry)


def test_warnings_are_bounded() -> None:
    out = bounded_warnings(["x" * 1000] + [f"w{i}" for i in range(40)])
    assert len(out) == 20 and len(out[0]) == 256
    assert out[-1] == "compliance: 22 more findings (see the decision log)"


def test_audit_mode_never_denies_on_errors_and_records_them() -> None:
    d = decide(Policy(mode="audit"), [finding("CTR-01", "critical")], ["worker crashed"])
    assert d.allowed and d.result == "error_allow"
    assert d.errors == ["worker crashed"]
    assert "audit mode" in d.warnings[0] and "worker crashed" in d.warnings[0]
    assert d.response("u").wire()["response"].get("status") is None
    entry = record(request(object={"apiVersion": "v1", "kind": "Pod"}), d, Policy(mode="audit"))
    assert entry["errors"] == ["worker crashed"] and entry["allowed"] is True
    enforce = decide(Policy(mode="enforce"), [], ["worker crashed"])
    assert not enforce.allowed and enforce.result == "error_deny"

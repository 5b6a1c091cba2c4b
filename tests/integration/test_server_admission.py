"""The admission webhook on a real uvicorn server: AdmissionReviews shaped like the API server's."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from compliance.server.decide import Policy
from compliance.server.decisionlog import DecisionLog, verify
from tests.integration.server_harness import POD, config, privileged_pod, review, running

UID = "705ab4f5-6393-11e8-b7cc-42010a800002"


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("admission") / "decisions.jsonl"


@pytest.fixture(scope="module")
def client(log_path: Path) -> Iterator[httpx.Client]:
    cfg = config(
        decision_log=DecisionLog(log_path),
        policy=Policy(
            exclude_namespaces=frozenset({"kube-system"}),
            exclude_labels=(("compliance/skip", "true"),),
        ),
    )
    with running(cfg) as c:
        yield c


def records(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def admit(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/admission", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["apiVersion"] == "admission.k8s.io/v1"
    assert data["kind"] == "AdmissionReview"
    response: dict[str, Any] = data["response"]
    return response


def test_hardened_pod_is_allowed_with_the_request_uid(client: httpx.Client) -> None:
    response = admit(client, review(POD, uid="uid-allow"))
    assert response["uid"] == "uid-allow"
    assert response["allowed"] is True
    assert "status" not in response or response["status"].get("code") is None
    # namespace-level findings (quota, PDB, default-deny) are not judged on one object
    assert not [
        w for w in response.get("warnings", []) if w.startswith(("RES-01", "HLT-01", "NET-01"))
    ]


def test_privileged_pod_is_denied_naming_check_controls_and_resource(client: httpx.Client) -> None:
    response = admit(client, review(privileged_pod(), uid="uid-deny"))
    assert response["uid"] == "uid-deny"
    assert response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    assert "CTR-01 (critical)" in message
    assert "Pod shop/root-shell" in message
    assert "runs privileged" in message
    assert "soc2:CC6.8" in message or "soc2:CC6.1" in message


def test_lower_severity_findings_become_warnings(client: httpx.Client) -> None:
    pod = copy.deepcopy(POD)
    pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    response = admit(client, review(pod, uid="uid-warn"))
    assert response["allowed"] is True
    assert any(
        "writable root filesystem" in w and "CTR-01 (medium)" in w for w in response["warnings"]
    )


def test_workload_pod_template_is_evaluated(client: httpx.Client) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": privileged_pod()["spec"]},
        },
    }
    response = admit(client, review(deployment))
    assert response["allowed"] is False
    assert "Deployment shop/api" in response["status"]["message"]


def test_rbac_wildcard_role_is_denied(client: httpx.Client) -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "everything"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    }
    response = admit(client, review(role, namespace=""))
    assert response["allowed"] is False
    assert "AUTH-03" in response["status"]["message"]
    assert "ClusterRole everything" in response["status"]["message"]


def test_namespace_from_the_request_when_the_object_omits_it(
    client: httpx.Client, log_path: Path
) -> None:
    pod = privileged_pod()
    del pod["metadata"]["namespace"]
    response = admit(client, review(pod, uid="uid-ns", namespace="payments"))
    assert "Pod payments/root-shell" in response["status"]["message"]


def test_excluded_namespace_is_allowed_unchecked(client: httpx.Client, log_path: Path) -> None:
    pod = privileged_pod()
    pod["metadata"]["namespace"] = "kube-system"
    response = admit(client, review(pod, uid="uid-excluded-ns"))
    assert response["allowed"] is True
    assert "namespace kube-system is excluded" in response["status"]["message"]
    entry = next(r for r in records(log_path) if r["uid"] == "uid-excluded-ns")
    assert entry["result"] == "excluded"


def test_excluded_label_is_allowed_unchecked(client: httpx.Client) -> None:
    pod = privileged_pod()
    pod["metadata"]["labels"]["compliance/skip"] = "true"
    assert admit(client, review(pod))["allowed"] is True
    pod["metadata"]["labels"]["compliance/skip"] = "false"
    assert admit(client, review(pod))["allowed"] is False


def test_delete_is_allowed_and_recorded_with_the_old_object(
    client: httpx.Client, log_path: Path
) -> None:
    old = privileged_pod()
    old["metadata"].update({"uid": "pod-uid-9", "resourceVersion": "4711"})
    response = admit(client, review(None, old=old, operation="DELETE", uid="uid-delete"))
    assert response["allowed"] is True
    entry = next(r for r in records(log_path) if r["uid"] == "uid-delete")
    assert entry["result"] == "delete"
    assert entry["old_object"] == {
        "uid": "pod-uid-9",
        "resourceVersion": "4711",
        "generation": None,
    }


def test_update_evaluates_the_new_object_and_records_the_old(
    client: httpx.Client, log_path: Path
) -> None:
    old = copy.deepcopy(POD)
    old["metadata"]["resourceVersion"] = "12"
    response = admit(
        client, review(privileged_pod(), old=old, operation="UPDATE", uid="uid-update")
    )
    assert response["allowed"] is False
    entry = next(r for r in records(log_path) if r["uid"] == "uid-update")
    assert entry["operation"] == "UPDATE"
    assert entry["old_object"]["resourceVersion"] == "12"
    # and the reverse: fixing a bad object on UPDATE is allowed
    fixed = admit(client, review(POD, old=privileged_pod(), operation="UPDATE"))
    assert fixed["allowed"] is True


def test_dry_run_is_answered_and_marked_in_the_record(client: httpx.Client, log_path: Path) -> None:
    response = admit(client, review(privileged_pod(), uid="uid-dry", dry_run=True))
    assert response["allowed"] is False
    entry = next(r for r in records(log_path) if r["uid"] == "uid-dry")
    assert entry["dry_run"] is True


def test_decisions_are_hash_chained(client: httpx.Client, log_path: Path) -> None:
    admit(client, review(POD, uid="uid-chain"))
    result = verify(log_path)
    assert result.records == len(records(log_path)) >= 2
    assert result.head == records(log_path)[-1]["hash"]


def test_record_holds_no_object_body(client: httpx.Client, log_path: Path) -> None:
    pod = privileged_pod()
    pod["spec"]["containers"][0]["env"] = [
        {"name": "DB_PASSWORD", "value": "hunter2-literal-secret"}
    ]
    admit(client, review(pod, uid="uid-secret"))
    assert b"hunter2-literal-secret" not in log_path.read_bytes()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (
            b'{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}}',
            "apiVersion",
        ),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', "request"),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": '
            b'{"uid": "u", "kind": {"kind": "Pod"}, "operation": "CREATE"}}',
            "request.object is required",
        ),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": '
            b'{"uid": "u", "kind": {"kind": "Pod"}, "operation": "PATCH", "object": {}}}',
            "request.operation",
        ),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": '
            b'{"uid": "u", "kind": {"kind": "Pod"}, "operation": "CREATE", "object": {"spec": {}}}}',
            "apiVersion and kind",
        ),
    ],
    ids=[
        "not-json",
        "array",
        "v1beta1",
        "no-request",
        "no-object",
        "bad-operation",
        "object-without-kind",
    ],
)
def test_malformed_reviews_get_400_with_a_clear_message(
    client: httpx.Client, body: bytes, expected: str
) -> None:
    r = client.post("/v1/admission", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert expected in r.json()["error"]
    assert "Traceback" not in r.text


def test_audit_mode_allows_records_and_warns(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with running(config(policy=Policy(mode="audit"), decision_log=DecisionLog(log))) as c:
        response = admit(c, review(privileged_pod(), uid="uid-audit"))
    assert response["allowed"] is True
    assert any(
        w.startswith("audit mode, would deny: CTR-01 (critical)") for w in response["warnings"]
    )
    (entry,) = records(log)
    assert entry["result"] == "audit"
    assert entry["mode"] == "audit"
    assert any(f["check_id"] == "CTR-01" for f in entry["findings"])


def _broken_evaluator() -> Any:
    raise RuntimeError("packs failed to compile")


def test_engine_errors_deny_unless_fail_open() -> None:
    with running(config(evaluator_factory=_broken_evaluator), wait_ready=False) as c:
        assert c.get("/readyz").status_code == 503
        closed = admit(c, review(POD))
    assert closed["allowed"] is False
    assert closed["status"]["code"] == 500
    assert "fail closed" in closed["status"]["message"]
    with running(
        config(evaluator_factory=_broken_evaluator, policy=Policy(fail_open=True)), wait_ready=False
    ) as c:
        opened = admit(c, review(POD))
    assert opened["allowed"] is True
    assert any("fail-open" in w for w in opened["warnings"])

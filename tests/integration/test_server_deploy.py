"""deploy/: the webhook's own manifests pass the project's packs and keep their hardening."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from compliance.inputs import load_paths
from compliance.runner import RunOptions, build_evaluator

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def objects() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return out


def test_deploy_passes_every_pack_with_no_high_or_critical_findings() -> None:
    loaded = load_paths([str(DEPLOY)])
    assert not loaded.errors
    report = build_evaluator(RunOptions()).evaluate(loaded.resources, inputs=loaded.inputs)
    assert not report.errors
    serious = [
        f"{f.check_id} {f.resource.id}: {f.message}"
        for f in report.findings
        if f.severity in ("high", "critical")
    ]
    assert serious == []
    assert report.exit_code("high") == 0
    kinds = {r.kind for r in loaded.resources}
    assert {
        "Deployment",
        "Service",
        "NetworkPolicy",
        "ServiceAccount",
        "PodDisruptionBudget",
    } <= kinds
    assert "ValidatingWebhookConfiguration" in kinds


def test_webhook_configuration_fails_closed_and_spares_system_namespaces() -> None:
    (hook,) = objects()["ValidatingWebhookConfiguration/compliance"]["webhooks"]
    assert hook["failurePolicy"] == "Fail"
    assert hook["sideEffects"] == "None"
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["clientConfig"]["service"]["path"] == "/v1/admission"
    (expr,) = hook["namespaceSelector"]["matchExpressions"]
    assert expr["operator"] == "NotIn" and {"kube-system", "compliance-system"} <= set(
        expr["values"]
    )
    deployment = objects()["Deployment/compliance-webhook"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    server_timeout = float(next(a for a in args if a.startswith("--timeout=")).split("=")[1])
    assert server_timeout < hook["timeoutSeconds"] <= 30


def test_deployment_is_hardened() -> None:
    deployment = objects()["Deployment/compliance-webhook"]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert "@sha256:" in container["image"]
    sc = container["securityContext"]
    assert (
        sc["runAsNonRoot"]
        and sc["readOnlyRootFilesystem"]
        and sc["allowPrivilegeEscalation"] is False
    )
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "--tls-cert=/etc/compliance/tls/tls.crt" in container["args"]
    assert objects()["PodDisruptionBudget/compliance-webhook"]["spec"]["minAvailable"] >= 1
    # the decision log's checkpoints are signed with a key mounted read-only from a Secret
    assert "--sign-key=/etc/compliance/signing/signing.key" in container["args"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["signing"]["mountPath"] == "/etc/compliance/signing"
    assert mounts["signing"]["readOnly"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["signing"]["secret"]["secretName"] == "compliance-webhook-signing"


def test_network_policies_deny_by_default_and_admit_only_8443() -> None:
    deny = objects()["NetworkPolicy/default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    allow = objects()["NetworkPolicy/allow-apiserver-to-webhook"]["spec"]
    assert [p["port"] for rule in allow["ingress"] for p in rule["ports"]] == [8443]


def test_service_account_has_no_bindings() -> None:
    kinds = {key.split("/")[0] for key in objects()}
    assert not kinds & {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
    assert objects()["ServiceAccount/compliance-webhook"]["automountServiceAccountToken"] is False

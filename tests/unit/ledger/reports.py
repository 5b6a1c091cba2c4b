"""Synthetic report data for ledger tests: three resources, two controls, findings on demand."""

from __future__ import annotations

from typing import Any

RESOURCES = [
    {
        "id": "k8s:Deployment:web/api",
        "kind": "Deployment",
        "name": "api",
        "namespace": "web",
        "file": "k8s/api.yaml",
        "line": 1,
        "format": "k8s",
        "assessed_by": ["NET-02", "TLS-01"],
    },
    {
        "id": "k8s:Service:web/api",
        "kind": "Service",
        "name": "api",
        "namespace": "web",
        "file": "k8s/api.yaml",
        "line": 30,
        "format": "k8s",
        "assessed_by": ["NET-02"],
    },
    {
        "id": "config:node.toml",
        "kind": "SecurityConfig",
        "name": "node",
        "namespace": None,
        "file": "node.toml",
        "line": 1,
        "format": "securityconfig",
        "assessed_by": ["TLS-01", "IAM-01"],
    },
]

ASSESSED = {
    "iso27001:A.8.20": {"NET-02": ["k8s:Deployment:web/api", "k8s:Service:web/api"]},
    "soc2:CC6.1": {
        "TLS-01": ["config:node.toml", "k8s:Deployment:web/api"],
        "IAM-01": ["config:node.toml"],
    },
}

FINDINGS = {
    "net": {
        "check_id": "NET-02",
        "severity": "critical",
        "message": "ssh open to the internet",
        "file": "node.toml",
        "line": 40,
        "resource": {
            "id": "k8s:Service:web/api",
            "kind": "Service",
            "name": "api",
            "namespace": "web",
        },
        "controls": ["iso27001:A.8.20"],
        "fingerprint": "f-net",
    },
    "tls": {
        "check_id": "TLS-01",
        "severity": "high",
        "message": "TLS 1.0 allowed",
        "file": "node.toml",
        "line": 12,
        "resource": {
            "id": "config:node.toml",
            "kind": "SecurityConfig",
            "name": "node",
            "namespace": None,
        },
        "controls": ["soc2:CC6.1"],
        "fingerprint": "f-tls",
    },
}


def report(
    day: str,
    open_findings: tuple[str, ...] = ("net", "tls"),
    *,
    assessed: bool = True,
    waived: tuple[str, ...] = (),
) -> dict[str, Any]:
    findings = []
    for name in open_findings:
        f = dict(
            FINDINGS[name],
            title=name,
            path=None,
            remediation="fix it",
            waived_controls=[],
            baseline=None,
        )
        if name in waived:
            f["status"] = "waived"
            f["waiver"] = {
                "check": f["check_id"],
                "resource": f["resource"]["id"],
                "justification": "accepted risk",
                "expires": "2027-01-01",
            }
        else:
            f["status"] = "fail"
            f["waiver"] = None
        findings.append(f)
    controls = []
    for key, population in ASSESSED.items():
        pack, control_id = key.split(":")
        mine = [f for f in findings if key in f["controls"]]
        open_ = [f for f in mine if f["status"] == "fail"]
        status = "fail" if open_ else ("waived" if mine else "pass")
        c: dict[str, Any] = {
            "pack": pack,
            "control_id": control_id,
            "title": f"{pack} {control_id}",
            "status": status,
            "evidence": "automated",
            "checks": sorted(population),
            "finding_count": len(open_),
            "waived_count": len(mine) - len(open_),
        }
        if assessed:
            c["assessed"] = population
            c["unassessed_checks"] = []
        controls.append(c)
    data: dict[str, Any] = {
        "schema_version": 1,
        "tool": {"name": "compliance", "version": "0.1.0"},
        "engine": {"name": "embedded", "version": "test"},
        "evaluated_at": f"{day}T09:00:00Z",
        "packs": [
            {
                "name": "iso27001",
                "version": "1.0.0",
                "framework": "ISO/IEC 27001:2022",
                "digest": "sha256:aa",
                "parameters": {"x": 1},
            },
            {
                "name": "soc2",
                "version": "1.0.0",
                "framework": "TSC 2017",
                "digest": "sha256:bb",
                "parameters": {},
            },
        ],
        "summary": {
            "resources": 3,
            "findings": len(findings),
            "waived": 0,
            "by_severity": {},
            "controls": {},
        },
        "controls": controls,
        "findings": findings,
        "inputs": [
            {"file": "node.toml", "format": "securityconfig", "sha256": "00", "resources": 1}
        ],
        "errors": [],
        "extra": {},
    }
    if assessed:
        data["resources"] = RESOURCES
    return data

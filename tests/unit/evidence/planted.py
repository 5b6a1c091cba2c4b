"""Inputs with planted secrets and a hand-built report over them (no policy engine involved)."""

from __future__ import annotations

from pathlib import Path

from compliance.inputs import LoadResult
from compliance.model import Report
from compliance.model.report import (
    ControlResult,
    Finding,
    PackRef,
    ResourceRef,
    Summary,
)

ROOT = Path(__file__).resolve().parents[3]
SECRETS_DIR = "tests/fixtures/evidence/secrets"
PLANTED = (
    "Planted-k8s-data-Base64",
    "UGxhbnRlZC1rOHMtZGF0YS1CYXNlNjQ=",
    "Planted-k8s-stringData-7731",
    "PlantedPemKeyMaterialLine0001",
    "Planted-k8s-env-9412",
    "ghp_PlantedGithubToken0123456789abcdefABCD",
    "Planted-configmap-apikey-5521",
    "Planted-url-password-3310",
    "Planted-docker-arg-6620",
    "Planted-docker-env-1180",
    "Planted-docker-legacy-env-4471",
    "Planted-compose-map-2291",
    "Planted-compose-list-8837",
    "Planted-tf-sensitive-4402",
    "PlantedTfOpaque6650",
    "Planted-tf-literal-password-7703",
    "Planted-plan-variable-3391",
    "Planted-plan-password-2287",
    "Planted-toml-token-5590",
)
"""Every secret value planted in the fixture inputs (and the base64 form of one)."""


def make_report(loaded: LoadResult, *, message: str | None = None) -> Report:
    """A small report over ``loaded``: one finding whose message echoes a secret."""
    finding = Finding(
        check_id="SEC-01",
        title="No plaintext secrets in configuration",
        severity="critical",
        message=message
        or "container shop sets SHOP_DB_PASSWORD to 'Planted-k8s-env-9412' in its environment",
        file=f"{SECRETS_DIR}/k8s/secret.yaml",
        line=35,
        resource=ResourceRef(
            id="k8s:apps/v1/Deployment:shop/shop", kind="Deployment", name="shop", namespace="shop"
        ),
        controls=["soc2:CC6.1"],
        fingerprint="0" * 32,
    )
    controls = [
        ControlResult(
            pack="soc2",
            control_id="CC6.1",
            title="Logical access",
            status="fail",
            evidence="automated",
            checks=["SEC-01"],
            finding_count=1,
        ),
        ControlResult(
            pack="soc2",
            control_id="A1.2",
            title="Backups",
            status="pass",
            evidence="partial",
            checks=["BKP-01"],
            finding_count=0,
        ),
    ]
    return Report(
        tool={"name": "compliance", "version": "0.1.0"},
        engine={"name": "fake", "version": "1"},
        evaluated_at="2026-11-27T00:00:00Z",
        packs=[
            PackRef(
                name="soc2", version="1.0.0", framework="AICPA TSC", digest="sha256:" + "ab" * 32
            )
        ],
        summary=Summary(
            resources=len(loaded.resources),
            findings=1,
            by_severity={"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0},
            controls={
                "pass": 1,
                "fail": 1,
                "not_applicable": 0,
                "waived": 0,
                "manual": 0,
                "error": 0,
            },
        ),
        controls=controls,
        findings=[finding],
        inputs=loaded.inputs,
    )

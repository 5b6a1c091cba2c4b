"""From an admission request and its findings to an AdmissionReview response and a decision record.

Pure functions: no I/O, no engine. ``app.py`` does the evaluation and the recording.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from compliance.errors import ComplianceError
from compliance.inputs.k8s import resource_from_object
from compliance.inputs.registry import collect_secrets
from compliance.model import Finding
from compliance.model.report import severity_rank
from compliance.secrets import MASK
from compliance.secrets.mask import value_patterns
from compliance.server.admission import (
    AdmissionRequest,
    AdmissionResponse,
    AdmissionReviewResponse,
    Status,
    bounded_warnings,
)

Mode = Literal["enforce", "audit"]

CROSS_RESOURCE_CHECKS: dict[str, str] = {
    "NET-01": "default-deny needs every NetworkPolicy of the namespace",
}
"""Checks that judge a namespace or a set of objects; one object at admission cannot show them
passing or failing, so they are left out of admission decisions (run `compliance evaluate` in CI)."""

SIBLING_FINDINGS: dict[str, re.Pattern[str]] = {
    "RES-01": re.compile(r"^namespace \S+ has workloads but no ResourceQuota or LimitRange"),
    "HLT-01": re.compile(r"has no PodDisruptionBudget selecting its pods"),
}
"""Findings that only say a sibling object (quota, PDB) was not in the input. At admission the input
is one object, so they would be raised on every workload of a namespace that has them; they are not
judged there. (LimitRange defaults are applied by the API server before validating webhooks run, so
container-level RES-01 findings are judged.) A changed message makes the finding show up again as a
warning: the filter fails toward reporting."""


def judged_at_admission(f: Finding, policy: Policy) -> bool:
    if f.check_id in policy.skip_checks:
        return False
    pattern = SIBLING_FINDINGS.get(f.check_id)
    return pattern is None or not pattern.search(f.message)


@dataclass(frozen=True)
class Policy:
    mode: Mode = "enforce"
    fail_on: str = "high"
    fail_open: bool = False
    exclude_namespaces: frozenset[str] = frozenset()
    exclude_labels: tuple[tuple[str, str], ...] = ()
    skip_checks: frozenset[str] = frozenset(CROSS_RESOURCE_CHECKS)


@dataclass
class Decision:
    allowed: bool
    result: str
    """allow | warn | deny | audit | excluded | delete | skipped | error_deny | error_allow"""
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_judged: list[str] = field(default_factory=list)
    """Check ids whose findings were left out (they need the whole namespace)."""

    def response(self, uid: str) -> AdmissionReviewResponse:
        status = None
        if not self.allowed:
            code = 500 if self.result == "error_deny" else 403
            status = Status(
                code=code,
                message=self.message,
                reason="InternalError" if code == 500 else "Forbidden",
            )
        elif self.message:
            status = Status(message=self.message)
        return AdmissionReviewResponse(
            response=AdmissionResponse(
                uid=uid,
                allowed=self.allowed,
                status=status,
                warnings=bounded_warnings(self.warnings) or None,
            )
        )


def target_object(request: AdmissionRequest) -> dict[str, Any]:
    """The object to evaluate, with namespace and name filled from the request when absent
    (the API server omits them on CREATE of namespaced or generateName objects)."""
    obj = copy.deepcopy(request.object or {})
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = obj["metadata"] = {}
    if request.namespace and not metadata.get("namespace"):
        metadata["namespace"] = request.namespace
    if not (metadata.get("name") or metadata.get("generateName")):
        metadata["name"] = request.name or "(unnamed)"
    return obj


def exclusion(policy: Policy, request: AdmissionRequest) -> str | None:
    if request.namespace and request.namespace in policy.exclude_namespaces:
        return f"namespace {request.namespace} is excluded"
    obj = request.object or request.old_object or {}
    metadata = obj.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if isinstance(labels, Mapping):
        for key, value in policy.exclude_labels:
            if labels.get(key) == value:
                return f"label {key}={value} is excluded"
    return None


def describe(f: Finding) -> str:
    ns = f"{f.resource.namespace}/" if f.resource.namespace else ""
    controls = ", ".join(f.controls)
    return f"{f.check_id} ({f.severity}) {f.resource.kind} {ns}{f.resource.name}: {f.message} [controls: {controls}]"


def decide(policy: Policy, findings: Sequence[Finding], errors: Sequence[str]) -> Decision:
    open_findings = [f for f in findings if f.status == "fail"]
    active = [f for f in open_findings if judged_at_admission(f, policy)]
    not_judged = sorted({f.check_id for f in open_findings if not judged_at_admission(f, policy)})
    decision = _decide(policy, active, errors)
    decision.not_judged = not_judged
    return decision


def _decide(policy: Policy, active: list[Finding], errors: Sequence[str]) -> Decision:
    if errors:
        text = "; ".join(errors)
        if policy.fail_open or policy.mode == "audit":
            why = "audit mode" if policy.mode == "audit" else "fail-open"
            return Decision(
                allowed=True,
                result="error_allow",
                warnings=[f"compliance could not evaluate this object (allowed: {why}): {text}"],
                findings=active,
                errors=list(errors),
            )
        return Decision(
            allowed=False,
            result="error_deny",
            message=f"compliance could not evaluate this object (denied: fail closed): {text}",
            findings=active,
            errors=list(errors),
        )

    def blocks(f: Finding) -> bool:
        return policy.fail_on != "none" and severity_rank(f.severity) >= severity_rank(
            policy.fail_on
        )

    blocking = [f for f in active if blocks(f)]
    lower = [f for f in active if not blocks(f)]
    warnings = [describe(f) for f in lower]
    if not blocking:
        return Decision(
            allowed=True, result="warn" if lower else "allow", warnings=warnings, findings=active
        )
    reasons = "; ".join(describe(f) for f in blocking)
    if policy.mode == "audit":
        return Decision(
            allowed=True,
            result="audit",
            warnings=[f"audit mode, would deny: {describe(f)}" for f in blocking] + warnings,
            findings=active,
        )
    return Decision(
        allowed=False,
        result="deny",
        message=f"denied by compliance ({len(blocking)} finding(s) at or above {policy.fail_on}): {reasons}",
        warnings=warnings,
        findings=active,
    )


def record(
    request: AdmissionRequest,
    decision: Decision,
    policy: Policy,
    now: datetime | None = None,
    cached: bool | None = None,
    masks: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The decision log entry: who asked what, what was decided and why. No object bodies.
    ``cached`` (evaluated requests only): whether the findings came from the decision cache.
    ``masks``: the object's secret values its names hold, when the evaluation found them;
    else the object's secrets are collected here."""
    obj = request.object or request.old_object or {}
    raw_meta = obj.get("metadata")
    metadata: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    entry: dict[str, Any] = {
        "time": (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds"),
        "uid": request.uid,
        "operation": request.operation,
        "kind": {
            "group": request.kind.group,
            "version": request.kind.version,
            "kind": request.kind.kind,
        },
        "namespace": request.namespace or None,
        "name": request.name or metadata.get("name") or metadata.get("generateName") or None,
        "user": request.user_info.username or None,
        "dry_run": request.dry_run,
        "mode": policy.mode,
        "allowed": decision.allowed,
        "result": decision.result,
        "findings": [
            {
                "check_id": f.check_id,
                "severity": f.severity,
                "controls": f.controls,
                "message": f.message,
                "fingerprint": f.fingerprint,
            }
            for f in decision.findings
        ],
    }
    if cached is not None:
        entry["cached"] = cached
    if decision.errors:
        entry["errors"] = decision.errors
    if decision.not_judged:
        entry["not_judged"] = decision.not_judged
    if request.old_object is not None:
        old_meta = request.old_object.get("metadata")
        old_meta = old_meta if isinstance(old_meta, dict) else {}
        entry["old_object"] = {
            "uid": old_meta.get("uid"),
            "resourceVersion": old_meta.get("resourceVersion"),
            "generation": old_meta.get("generation"),
        }
    if masks is None:
        secrets = object_secrets(request.object) | object_secrets(request.old_object)
    else:
        secrets = set(masks)
    if secrets:
        # The log is kept for years: it holds none of the object's secret values, not even
        # in the object's name (reports keep identifiers as written; the log masks them too).
        redacted: dict[str, Any] = _mask_values(entry, value_patterns(secrets))
        return redacted
    return entry


def _mask_values(value: Any, patterns: Sequence[tuple[str, re.Pattern[str]]]) -> Any:
    """Every string of a JSON-like value with each secret value (as a whole token) masked."""
    if isinstance(value, str):
        for secret, pattern in patterns:
            if secret in value:
                value = pattern.sub(MASK, value)
        return value
    if isinstance(value, dict):
        return {k: _mask_values(v, patterns) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_values(v, patterns) for v in value]
    return value


def object_secrets(obj: Any) -> set[str]:
    """The secret values an object carries (Secret data, secret-looking env values...), as
    every report redacts them; none for an object that is not a Kubernetes object."""
    if not isinstance(obj, dict):
        return set()
    try:
        resource = resource_from_object(obj, "admission")
    except ComplianceError:
        return set()
    return set().union(*collect_secrets([resource]).values())

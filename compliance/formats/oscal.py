"""OSCAL assessment-results: one result per run, an observation per finding, and per control
either a finding with a verdict or an observation saying why there is none.

A control that ``pass``es is a finding whose target is ``satisfied``; ``fail``, ``error`` and
``waived`` (its findings accepted, not absent) are ``not-satisfied``. ``not_assessed``,
``not_applicable`` and ``manual`` controls get no verdict: each is an observation with the
reason, so an OSCAL consumer's count of satisfied and not-satisfied controls is ours. The
results import the assessment plan (``assessment-plan.json`` beside them in the evidence
bundle; ``oscal_plan`` builds it, the system security plan, the profile and one catalog per
pack), whose control ids the findings use.

Emits OSCAL 1.2.1. The tests validate every document against compliance-trestle's OSCAL 1.2.1
models (strict: unknown fields, enums and patterns are enforced), resolve the profile into its
catalogs with trestle, and check the results against NIST's 1.0.6 JSON schema where available.
UUIDs are version 5, derived from the run's content, so the same run gives the same document.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson

from compliance.formats.oscal_plan import (
    ASSESSMENT_PLAN,
    NS,
    OSCAL_VERSION,
    catalog_member,
    control_token,
    objective_id,
)
from compliance.formats.view import justification
from compliance.model import Report
from compliance.model.members import input_member
from compliance.model.report import ControlResult, Finding

__all__ = ["NS", "OSCAL_VERSION", "build", "control_token", "render"]

_UUID_NS = uuid.UUID("6f1f3c52-7d0e-5a43-9a55-2f5b8c0e9d11")
_NS_BYTES = _UUID_NS.bytes

STATE = {
    "pass": ("satisfied", "pass"),
    "fail": ("not-satisfied", "fail"),
    "waived": ("not-satisfied", "other"),
    "error": ("not-satisfied", "other"),
}
"""Control statuses that are a verdict: (target state, reason)."""
REMARK = {
    "waived": "Every finding of this control is waived; see the related observations for the justification.",
    "error": "A check of this control failed to run; the status is undetermined.",
}
NO_VERDICT = {
    "not_assessed": "Not assessed: no automated check of this control observed any evaluated "
    "resource; absence of evidence is not compliance.",
    "not_applicable": "Not applicable: excluded from the assessment's scope.",
    "manual": "Manual: needs human evidence; no automated check decides this control.",
}
"""Control statuses that are no verdict, written as an observation with this reason."""


def _uuid(*parts: str) -> str:
    """``uuid.uuid5(_UUID_NS, "\\x1f".join(parts))`` as text, computed directly (a period
    report's OSCAL document names ~10^5 observations)."""
    digest = bytearray(hashlib.sha1(_NS_BYTES + "\x1f".join(parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _prop(name: str, value: object) -> dict[str, str]:
    text = " ".join(str(value).split()) or "-"
    return {"name": name, "ns": NS, "value": text}


def _run_id(report: Report) -> str:
    material = "|".join(
        [report.evaluated_at, report.tool.get("version", "")]
        + [p.digest for p in report.packs]
        + [i.sha256 for i in report.inputs]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _observation(f: Finding, run: str, when: str) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "uuid": _uuid(run, "observation", f.fingerprint),
        "title": f"{f.check_id}: {f.title or f.check_id}",
        "description": f.message,
        "props": [
            _prop("check-id", f.check_id),
            _prop("severity", f.severity),
            _prop("finding-status", f.status),
            _prop("resource-id", f.resource.id),
            _prop("file", f.file),
            _prop("line", f.line),
        ],
        "methods": ["TEST"],
        "types": ["finding"],
        "subjects": [
            {
                "subject-uuid": _uuid(run, "resource", f.resource.id),
                "type": "inventory-item",
                "title": f.resource.id,
            }
        ],
        "relevant-evidence": [
            {
                "href": input_member(f.file),
                "description": f"{f.file} line {f.line} (redacted copy in the evidence bundle)",
            }
        ],
        "collected": when,
    }
    if f.waiver:
        just = justification(f.waiver)
        obs["remarks"] = f"Waived: {just}" if just else "Waived (no justification given)."
    if f.remediation:
        obs["props"].append(_prop("remediation", f.remediation))
    return obs


def _finding(c: ControlResult, related: list[str], run: str) -> dict[str, Any]:
    state, reason = STATE[c.status]
    target: dict[str, Any] = {
        "type": "objective-id",
        "target-id": objective_id(c.pack, c.control_id),
        "title": f"{c.pack} {c.control_id}",
        "props": [_prop("control-status", c.status), _prop("evidence", c.evidence)],
        "status": {"state": state, "reason": reason},
    }
    if c.status in REMARK:
        target["status"]["remarks"] = REMARK[c.status]
    out: dict[str, Any] = {
        "uuid": _uuid(run, "finding", c.pack, c.control_id),
        "title": f"{c.pack} {c.control_id}: {c.title}",
        "description": f"Control {c.control_id} ({c.title}) is {c.status.replace('_', ' ')}: "
        f"{c.finding_count} open and {c.waived_count} waived findings from checks {', '.join(c.checks) or 'none'}.",
        "props": [_prop("pack", c.pack), _prop("control-id", c.control_id)],
        "target": target,
    }
    if related:
        out["related-observations"] = [{"observation-uuid": u} for u in related]
    return out


def _reason(c: ControlResult) -> str:
    given = getattr(c, "reason", None)
    reason = NO_VERDICT[c.status]
    return f"{reason} Reason given: {given}" if given else reason


def _no_verdict(c: ControlResult, run: str, when: str) -> dict[str, Any]:
    """A control without a verdict: an observation of why, linked to its catalog control."""
    token = control_token(c.pack, c.control_id)
    return {
        "uuid": _uuid(run, "control-observation", c.pack, c.control_id),
        "title": f"{c.pack} {c.control_id}: {c.status.replace('_', ' ')}",
        "description": f"{c.control_id} ({c.title}): {_reason(c)}",
        "props": [
            _prop("pack", c.pack),
            _prop("control-id", c.control_id),
            _prop("control-status", c.status),
            _prop("evidence", c.evidence),
        ]
        + [_prop("unassessed-check", check) for check in c.checks],
        "links": [{"href": f"{catalog_member(c.pack)}#{token}", "rel": "reference"}],
        "methods": ["EXAMINE"] if c.status == "manual" else ["TEST"],
        "types": ["control-objective"],
        "collected": when,
    }


def build(report: Report) -> dict[str, Any]:
    run = _run_id(report)
    when = report.evaluated_at
    observations = [_observation(f, run, when) for f in report.findings]
    verdicts = [c for c in report.controls if c.status in STATE]
    unknown = sorted({c.status for c in report.controls} - set(STATE) - set(NO_VERDICT))
    if unknown:
        raise ValueError(f"no OSCAL mapping for control status {', '.join(unknown)}")
    by_control: dict[str, list[str]] = {}
    for f, obs in zip(report.findings, observations, strict=True):
        for key in f.controls:
            by_control.setdefault(key, []).append(obs["uuid"])
    resources = sorted({f.resource.id: f for f in report.findings}.items())
    result: dict[str, Any] = {
        "uuid": _uuid(run, "result"),
        "title": f"Automated evaluation at {when}",
        "description": (
            f"{report.tool.get('name', 'compliance')} {report.tool.get('version', '')} evaluated "
            f"{report.summary.resources} resources from {len(report.inputs)} files against "
            + ", ".join(f"{p.name} {p.version}" for p in report.packs)
            + "."
        ),
        "start": when,
        "end": when,
        "props": [
            _prop("engine", f"{report.engine.get('name', '')} {report.engine.get('version', '')}")
        ]
        + [_prop("pack-digest", f"{p.name} {p.version} {p.digest}") for p in report.packs]
        + [_prop("input-sha256", f"{i.file} {i.sha256}") for i in report.inputs],
        "reviewed-controls": {
            "control-selections": [
                {
                    "description": f"{p.framework} (pack {p.name} {p.version})",
                    "include-controls": [
                        {"control-id": control_token(c.pack, c.control_id)}
                        for c in report.controls
                        if c.pack == p.name
                    ],
                }
                for p in report.packs
                if any(c.pack == p.name for c in report.controls)
            ]
            or [{"description": "No controls were evaluated.", "include-all": {}}]
        },
        "findings": [
            _finding(c, by_control.get(f"{c.pack}:{c.control_id}", []), run) for c in verdicts
        ],
    }
    if resources:
        result["local-definitions"] = {
            "inventory-items": [
                {
                    "uuid": _uuid(run, "resource", rid),
                    "description": f"{f.resource.kind} {f.resource.name} in {f.file}",
                    "props": [_prop("resource-id", rid), _prop("kind", f.resource.kind)],
                }
                for rid, f in resources
            ]
        }
    observations += [_no_verdict(c, run, when) for c in report.controls if c.status in NO_VERDICT]
    if observations:
        result["observations"] = observations
    if not result["findings"]:
        del result["findings"]
    return {
        "assessment-results": {
            "uuid": _uuid(run, "assessment-results"),
            "metadata": {
                "title": f"Compliance assessment results {when}",
                "last-modified": when,
                "version": report.tool.get("version", "0"),
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {
                "href": ASSESSMENT_PLAN,
                "remarks": "The assessment plan, system security plan, profile and pack "
                "catalogs are beside this document in the evidence bundle's oscal/ folder.",
            },
            "results": [result],
        }
    }


def render(report: Report) -> str:
    return orjson.dumps(build(report), option=orjson.OPT_INDENT_2).decode() + "\n"

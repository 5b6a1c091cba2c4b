"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One rule per check (remediation as help, ``security-severity`` for GitHub's severity buckets),
one result per finding with a ``file:line`` location, the controls it maps to as properties,
and ``partialFingerprints`` from ``Finding.fingerprint`` (check, resource, field path, message:
no line numbers), so results survive edits above them. Waived findings carry an accepted
``suppression``; a baseline sets ``baselineState``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

import orjson

from compliance.model import Report
from compliance.model.pack import CheckMeta
from compliance.model.report import Finding

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "complianceFinding/v1"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
"""GitHub buckets: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low."""


def render(report: Report, checks: Mapping[str, CheckMeta] | None = None) -> str:
    """The SARIF log of ``report``. ``checks``: the check library's metadata, for each rule's
    default severity (the check's) and the title of checks without findings in the report;
    without it a rule takes both from its first finding, or shows the check id."""
    return orjson.dumps(build(report, checks), option=orjson.OPT_INDENT_2).decode() + "\n"


def artifact_uri(file: str) -> tuple[str, bool]:
    """``(uri, relative)``: relative paths stay relative (to ``%SRCROOT%``), absolute become file URIs."""
    if PureWindowsPath(file).drive:
        return PureWindowsPath(file).as_uri(), False
    path = PurePosixPath(file)
    if path.is_absolute():
        return path.as_uri(), False
    text = path.as_posix()
    return quote(text[2:] if text.startswith("./") else text, safe="/"), True


def _rule_name(title: str, check_id: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or check_id.replace("-", "")


def build(report: Report, checks: Mapping[str, CheckMeta] | None = None) -> dict[str, Any]:
    controls_of: dict[str, list[str]] = defaultdict(list)
    for c in report.controls:
        for check in c.checks:
            controls_of[check].append(f"{c.pack}:{c.control_id}")
    first: dict[str, Finding] = {}
    for f in report.findings:
        first.setdefault(f.check_id, f)
    check_ids = sorted(set(controls_of) | set(first))
    library = checks or {}

    rules = []
    for check_id in check_ids:
        meta = library.get(check_id)
        finding = first.get(check_id)
        title = finding.title if finding else (meta.title if meta else "")
        remediation = finding.remediation if finding else (meta.remediation if meta else "")
        severity = meta.severity if meta else (finding.severity if finding else "medium")
        controls = sorted(controls_of.get(check_id, finding.controls if finding else []))
        rules.append(_rule(check_id, title or check_id, remediation, severity, controls))
    index = {r["id"]: i for i, r in enumerate(rules)}

    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": report.tool.get("name", "compliance"),
                "version": report.tool.get("version", "0"),
                "semanticVersion": report.tool.get("version", "0"),
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "originalUriBaseIds": {
            "%SRCROOT%": {"description": {"text": "The directory compliance evaluate ran in."}}
        },
        "results": [_result(f, index[f.check_id]) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "engine": report.engine,
            "packs": [
                p.model_dump(mode="json", include={"name", "version", "framework", "digest"})
                for p in report.packs
            ],
            "summary": report.summary.model_dump(mode="json"),
            "controls": [
                {
                    "id": f"{c.pack}:{c.control_id}",
                    "status": c.status,
                    "findings": c.finding_count,
                    "waived": c.waived_count,
                }
                for c in report.controls
            ],
            **{k: v for k, v in report.extra.items() if k in ("waivers", "baseline")},
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(
    check_id: str, title: str, remediation: str, severity: str, controls: list[str]
) -> dict[str, Any]:
    packs = sorted({c.partition(":")[0] for c in controls})
    help_text = f"{title}\n\nRemediation: {remediation or 'see the check documentation.'}"
    markdown = f"**{title}**\n\n**Remediation:** {remediation or 'see the check documentation.'}"
    if controls:
        help_text += f"\n\nControls: {', '.join(controls)}"
        markdown += "\n\n**Controls:** " + ", ".join(f"`{c}`" for c in controls)
    return {
        "id": check_id,
        "name": _rule_name(title, check_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{check_id}: {title}"},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "severity": severity,
            "controls": controls,
            "tags": ["security", "compliance", *packs, *controls],
        },
    }


def _location(file: str, line: int | None) -> dict[str, Any]:
    uri, relative = artifact_uri(file)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": max(1, line)}
    return {"physicalLocation": physical}


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    location = _location(f.file, f.line or 1)
    location["logicalLocations"] = [
        {"fullyQualifiedName": f.resource.id, "name": f.resource.name, "kind": "resource"}
    ]
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.message} ({f.resource.kind} {f.resource.name})"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity,
            "security-severity": SECURITY_SEVERITY[f.severity],
            "controls": f.controls,
            "resource": f.resource.model_dump(mode="json"),
            "path": f.path,
            "status": f.status,
        },
    }
    if f.waiver is not None:
        result["properties"]["waiver"] = f.waiver
        result["properties"]["waivedControls"] = f.waived_controls
    if f.status == "waived" and f.waiver is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{f.waiver.get('reason', '')} (approved by {f.waiver.get('approved_by', '?')}, expires {f.waiver.get('expires', '?')})",
                "properties": {"source": f.waiver.get("source")},
            }
        ]
    if f.baseline is not None:
        result["baselineState"] = f.baseline
    return result


def _invocation(report: Report) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [_location(e.file, e.line)],
        }
        for e in report.errors
    ]
    return {
        "executionSuccessful": not report.errors,
        "toolExecutionNotifications": notifications,
    }

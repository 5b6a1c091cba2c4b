"""The OSCAL documents an assessment-results document imports, built from a run's packs.

Each pack becomes a catalog (``catalogs/<pack>.json``: one control per pack control, with its
own id as the ``label``, its checks and evidence kind as properties, and an ``objective`` part
that the results' findings target); a profile imports every catalog; a minimal system
security plan imports the profile; the assessment plan imports the plan and lists the
reviewed controls and one activity per check. The results import the assessment plan, so
every reference resolves inside the evidence bundle's ``oscal/`` folder.

Everything is derived from the report (its packs and their controls, as pack.yaml declares
them), and UUIDs are version 5 over that content: the same run gives the same bytes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from compliance.model import Report
from compliance.model.report import ControlResult, PackRef

OSCAL_VERSION = "1.2.1"
NS = "https://compliance.dev/ns/oscal"
_UUID_NS = uuid.UUID("0c3a4a9e-5b0f-5d55-8a3e-6b1f4c2d7e90")

ASSESSMENT_RESULTS = "assessment-results.json"
ASSESSMENT_PLAN = "assessment-plan.json"
SYSTEM_SECURITY_PLAN = "system-security-plan.json"
PROFILE = "profile.json"


def catalog_member(pack: str) -> str:
    return f"catalogs/{pack}.json"


def control_token(pack: str, control_id: str) -> str:
    """OSCAL tokens cannot hold ``(`` or start with a digit: ``hipaa_164.312-e-1``."""
    body = re.sub(r"[^A-Za-z0-9.\-_]+", "-", control_id).strip("-").lower()
    return f"{pack}_{body}"


def objective_id(pack: str, control_id: str) -> str:
    """The id of a control's ``objective`` part: what a finding's target names."""
    return f"{control_token(pack, control_id)}_obj"


def new_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "\x1f".join(parts)))


def prop(name: str, value: object) -> dict[str, str]:
    text = " ".join(str(value).split()) or "-"
    return {"name": name, "ns": NS, "value": text}


def _metadata(title: str, report: Report, version: str) -> dict[str, Any]:
    return {
        "title": title,
        "last-modified": report.evaluated_at,
        "version": version or "0",
        "oscal-version": OSCAL_VERSION,
    }


def _controls_of(report: Report, pack: str) -> list[ControlResult]:
    return [c for c in report.controls if c.pack == pack]


def _packs(report: Report) -> list[PackRef]:
    return [p for p in report.packs if _controls_of(report, p.name)]


def _control(c: ControlResult) -> dict[str, Any]:
    token = control_token(c.pack, c.control_id)
    checks = ", ".join(c.checks) if c.checks else "none (needs human evidence)"
    return {
        "id": token,
        "title": c.title,
        "props": [
            {"name": "label", "value": c.control_id},
            prop("evidence", c.evidence),
            *[prop("check-id", check) for check in c.checks],
        ],
        "parts": [
            {"id": f"{token}_smt", "name": "statement", "prose": c.title},
            {
                "id": objective_id(c.pack, c.control_id),
                "name": "objective",
                "prose": f"Determine whether {c.control_id} holds; automated checks: {checks}.",
            },
        ],
    }


def catalog(report: Report, pack: PackRef) -> dict[str, Any]:
    """The pack as an OSCAL catalog: its controls, each with its own id as the label."""
    return {
        "catalog": {
            "uuid": new_uuid("catalog", pack.name, pack.version, pack.digest),
            "metadata": {
                **_metadata(f"{pack.framework} (pack {pack.name})", report, pack.version),
                "props": [prop("pack", pack.name), prop("pack-digest", pack.digest)],
            },
            "controls": [_control(c) for c in _controls_of(report, pack.name)],
        }
    }


def _selections(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "description": f"{p.framework} (pack {p.name} {p.version})",
            "include-controls": [
                {"control-id": control_token(c.pack, c.control_id)}
                for c in _controls_of(report, p.name)
            ],
        }
        for p in _packs(report)
    ] or [{"description": "No controls were evaluated.", "include-all": {}}]


def _run(report: Report) -> str:
    return "|".join([report.evaluated_at, *(p.digest for p in report.packs)])


def profile(report: Report) -> dict[str, Any]:
    """Every pack's catalog, all of its controls."""
    packs = _packs(report)
    return {
        "profile": {
            "uuid": new_uuid("profile", _run(report)),
            "metadata": _metadata(
                "Packs evaluated: " + (", ".join(p.name for p in packs) or "none"),
                report,
                report.tool.get("version", ""),
            ),
            "imports": [{"href": catalog_member(p.name), "include-all": {}} for p in packs]
            or [{"href": "#", "include-all": {}}],
        }
    }


def system_security_plan(report: Report) -> dict[str, Any]:
    """The evaluated deployment configuration as the system: its inputs are the boundary.
    The implementation statements are the organisation's to write; this plan only names
    the controls, so that the assessment plan has a system to import."""
    run = _run(report)
    files = ", ".join(i.file for i in report.inputs) or "none"
    component = new_uuid("component", run)
    return {
        "system-security-plan": {
            "uuid": new_uuid("ssp", run),
            "metadata": _metadata(
                "System described by the evaluated deployment configuration",
                report,
                report.tool.get("version", ""),
            ),
            "import-profile": {"href": PROFILE},
            "system-characteristics": {
                "system-ids": [{"id": f"compliance-{new_uuid('system', run)}"}],
                "system-name": "Evaluated deployment configuration",
                "description": f"The deployment configuration in {len(report.inputs)} "
                f"evaluated files: {files}.",
                "system-information": {
                    "information-types": [
                        {
                            "title": "Deployment configuration",
                            "description": "Kubernetes manifests, Dockerfiles, compose files, "
                            "Terraform and application security configuration.",
                        }
                    ]
                },
                "status": {"state": "operational"},
                "authorization-boundary": {
                    "description": "The evaluated input files, listed in the description."
                },
            },
            "system-implementation": {
                "components": [
                    {
                        "uuid": component,
                        "type": "this-system",
                        "title": "Evaluated deployment configuration",
                        "description": "Everything the evaluated files deploy.",
                        "status": {"state": "operational"},
                    }
                ]
            },
            "control-implementation": {
                "description": "Controls of the evaluated packs; implementation statements "
                "are not part of an automated evaluation.",
                "implemented-requirements": [
                    {
                        "uuid": new_uuid("requirement", run, c.pack, c.control_id),
                        "control-id": control_token(c.pack, c.control_id),
                    }
                    for c in report.controls
                ]
                or [{"uuid": new_uuid("requirement", run), "control-id": "none"}],
            },
        }
    }


def assessment_plan(report: Report) -> dict[str, Any]:
    """What the run assesses: the packs' controls, and one activity per automated check."""
    run = _run(report)
    checks = sorted({check for c in report.controls for check in c.checks})
    plan: dict[str, Any] = {
        "uuid": new_uuid("assessment-plan", run),
        "metadata": _metadata(
            f"Automated assessment plan {report.evaluated_at}",
            report,
            report.tool.get("version", ""),
        ),
        "import-ssp": {"href": SYSTEM_SECURITY_PLAN},
        "reviewed-controls": {"control-selections": _selections(report)},
    }
    if checks:
        plan["local-definitions"] = {
            "activities": [
                {
                    "uuid": new_uuid("activity", check),
                    "title": f"Check {check}",
                    "description": f"Evaluate the Rego check {check} over every loaded "
                    "resource of the kinds it reads.",
                    "props": [prop("check-id", check), {"name": "method", "value": "TEST"}],
                }
                for check in checks
            ]
        }
    return {"assessment-plan": plan}


def documents(report: Report) -> dict[str, dict[str, Any]]:
    """Member name (relative to the bundle's ``oscal/``) -> document, but the results."""
    docs: dict[str, dict[str, Any]] = {
        catalog_member(p.name): catalog(report, p) for p in _packs(report)
    }
    docs[PROFILE] = profile(report)
    docs[SYSTEM_SECURITY_PLAN] = system_security_plan(report)
    docs[ASSESSMENT_PLAN] = assessment_plan(report)
    return docs


def dumps(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"

"""The Statement of Applicability for ISO/IEC 27001:2022: all 93 Annex A controls.

Each row says whether the control applies (an exclusion comes from ``compliance.yaml``'s
``scope: {exclude: [{control, reason}]}`` and needs a reason), how this tool assesses it (the
pack's ``evidence`` for controls it maps; organisational/manual for the rest: not assessed by
this tool), its status from the latest run or the period, and the evidence behind it (run
ids, bundle digests).
"""

from __future__ import annotations

from typing import Any

from compliance.errors import UsageError
from compliance.ledger.annex_a import ANNEX_A
from compliance.ledger.csvtable import Table, csv_text
from compliance.ledger.store import Entry, Ledger

PACK = "iso27001"
HOW = {
    "automated": "automated checks",
    "partial": "partial: automated checks and human evidence",
    "manual": "organisational/manual: not assessed by this tool",
}
SOA_FORMATS = ("json", "markdown", "csv", "html")


def exclusions(scope: Any, where: str) -> dict[str, str]:
    """``scope.exclude`` entries for Annex A controls: control id -> reason. ``scope`` is the
    ``scope:`` value of compliance.yaml: a name, a mapping or a model with ``exclude``."""
    if hasattr(scope, "model_dump"):
        scope = scope.model_dump()
    if not isinstance(scope, dict):
        return {}
    raw = scope.get("exclude") or []
    if not isinstance(raw, list):
        raise UsageError("scope.exclude must be a list of {control, reason}", file=where)
    known = {cid for cid, _, _ in ANNEX_A}
    out: dict[str, str] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("control"), str):
            raise UsageError(f"scope.exclude[{i}]: expected {{control, reason}}", file=where)
        pack, sep, control = item["control"].rpartition(":")
        if sep and pack != PACK:
            continue
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(
                f"scope.exclude[{i}]: excluding {item['control']} needs a reason", file=where
            )
        if control not in known:
            if sep:
                raise UsageError(
                    f"scope.exclude[{i}]: {item['control']} is not an ISO/IEC 27001:2022 Annex A control",
                    file=where,
                )
            continue  # a control of another framework written without its pack
        out[control] = reason.strip()
    return out


def _evidence(
    ledger: Ledger, runs: list[Entry]
) -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]]]:
    """Latest status per control over ``runs`` (time order), the runs and bundles behind it."""
    status: dict[str, str] = {}
    run_ids: dict[str, list[str]] = {}
    bundles: dict[str, list[str]] = {}
    for entry in runs:
        digest = (entry.body.get("bundle") or {}).get("sha256")
        for c in ledger.blob(entry.body["controls"]):
            if c["pack"] != PACK:
                continue
            status[c["control_id"]] = c["status"]
            run_ids.setdefault(c["control_id"], []).append(entry.id)
            if digest:
                bundles.setdefault(c["control_id"], []).append(digest)
    return status, run_ids, bundles


def build_soa(
    pack: Any,
    excluded: dict[str, str],
    ledger: Ledger | None = None,
    runs: list[Entry] | None = None,
    basis: str = "",
) -> dict[str, Any]:
    """``pack`` is the loaded iso27001 pack; ``runs`` the ledger runs the statuses come from."""
    mapped = {c.id: c for c in pack.controls}
    status, run_ids, bundles = _evidence(ledger, runs) if ledger and runs else ({}, {}, {})
    rows: list[dict[str, Any]] = []
    for cid, theme, title in ANNEX_A:
        control = mapped.get(cid)
        evidence = control.evidence if control else "manual"
        applicable = cid not in excluded
        if not applicable:
            state = "not_applicable"
        elif control is None:
            state = "not_assessed_by_tool"
        else:
            state = status.get(cid, "no_evidence")
        rows.append(
            {
                "control_id": cid,
                "theme": theme,
                "title": title,
                "applicable": applicable,
                "justification": excluded.get(cid)
                or "applicable: in the scope of the information security management system",
                "assessment": evidence,
                "how_assessed": HOW[evidence],
                "checks": list(control.checks) if control else [],
                "status": state,
                "evidence": {
                    "runs": run_ids.get(cid, []) if applicable else [],
                    "bundles": sorted(set(bundles.get(cid, []))) if applicable else [],
                },
            }
        )
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {
        "schema_version": 1,
        "report": "statement_of_applicability",
        "framework": "ISO/IEC 27001:2022 Annex A",
        "pack": {"name": pack.name, "version": pack.version, "digest": pack.digest},
        "status_basis": basis or "no ledger: statuses are not known",
        "summary": {
            "controls": len(rows),
            "applicable": sum(r["applicable"] for r in rows),
            "excluded": sum(not r["applicable"] for r in rows),
            "automated": sum(r["assessment"] == "automated" for r in rows),
            "partial": sum(r["assessment"] == "partial" for r in rows),
            "organisational_manual": sum(r["assessment"] == "manual" for r in rows),
            "by_status": dict(sorted(counts.items())),
        },
        "controls": rows,
    }


CSV_COLUMNS = (
    "control_id",
    "theme",
    "title",
    "applicable",
    "justification",
    "how_assessed",
    "checks",
    "status",
    "runs",
    "bundles",
)


def table(soa: dict[str, Any]) -> Table:
    return CSV_COLUMNS, [
        [
            r["control_id"],
            r["theme"],
            r["title"],
            "yes" if r["applicable"] else "no",
            r["justification"],
            r["how_assessed"],
            " ".join(r["checks"]),
            r["status"],
            " ".join(r["evidence"]["runs"]),
            " ".join(r["evidence"]["bundles"]),
        ]
        for r in soa["controls"]
    ]


def render_csv(soa: dict[str, Any]) -> str:
    return csv_text(*table(soa))


def render_markdown(soa: dict[str, Any]) -> str:
    s = soa["summary"]
    lines = [
        f"# Statement of Applicability: {soa['framework']}",
        "",
        f"Pack {soa['pack']['name']} {soa['pack']['version']}; statuses from {soa['status_basis']}.",
        "",
        f"- {s['controls']} controls: {s['applicable']} applicable, {s['excluded']} excluded",
        f"- Assessed: {s['automated']} by automated checks, {s['partial']} partially, "
        f"{s['organisational_manual']} organisational/manual (not assessed by this tool)",
        "",
        "| Control | Title | Applicable | Justification | How assessed | Status | Evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in soa["controls"]:
        runs = r["evidence"]["runs"]
        ev = ", ".join(runs[-3:]) + (f" (+{len(runs) - 3})" if len(runs) > 3 else "")
        lines.append(
            f"| {r['control_id']} | {r['title']} | {'yes' if r['applicable'] else 'no'} | "
            f"{r['justification'].replace('|', '/')} | {r['how_assessed']} | {r['status']} | {ev} |"
        )
    return "\n".join(lines) + "\n"


def render_html(soa: dict[str, Any]) -> str:
    from compliance.formats.view import environment

    return environment(autoescape=True).get_template("soa.html.j2").render(soa=soa)

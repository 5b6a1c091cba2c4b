"""Period report renderers: json, markdown, csv, html and OSCAL (a ``result`` per run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from compliance.ledger.csvtable import Table, csv_text
from compliance.ledger.store import Entry, Ledger

PERIOD_FORMATS = ("json", "markdown", "csv", "html", "oscal")


def render_json(data: dict[str, Any]) -> str:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def _cell(value: Any) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(p: dict[str, Any]) -> str:
    s = p["summary"]
    lines = [
        f"# Period report: scope {p['scope']}, {p['from']} to {p['to']}",
        "",
        f"Generated {p['generated_at']} from ledger `{p['ledger']}`.",
        "",
        f"- Runs: {s['runs']} on {s['days_with_runs']} of {s['days']} days",
        f"- Days without runs: {s['days_without_runs']}"
        + (f" ({', '.join(p['days_without_runs'])})" if p["days_without_runs"] else ""),
        "- Controls at the end: " + ", ".join(f"{k} {v}" for k, v in s["controls_at_end"].items()),
        f"- Findings: {s['findings']} distinct, {s['findings_open_at_end']} open at the end, "
        f"{s['findings_fixed']} fixed, {s['sla_breached']} past their SLA",
        f"- Population: {p['population']['rows']} (run, resource, check) rows, reconciled: "
        + ("yes" if p["population"]["reconciled"] else "NO"),
        "",
        "## Controls",
        "",
        "| Control | Days passing | Days failing | Days without evidence | First failure | At the end |",
        "|---|---|---|---|---|---|",
    ]
    for c in p["controls"]:
        lines.append(
            f"| {c['pack']} {_cell(c['control_id'])} | {c['days_passing']} | {c['days_failing']} | "
            f"{c['days_without_evidence']} | {c['first_failure'] or ''} | {c['status_at_end']} |"
        )
    lines += [
        "",
        "## Findings",
        "",
        "| Severity | Check | Resource | Location | First seen | Fixed | Days open | SLA breached |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in p["findings"]:
        lines.append(
            f"| {f['severity']} | {f['check_id']} | {_cell(f['resource'])} | {_cell(f['file'])}:{f['line']} | "
            f"{f['first_seen']} | {f['fixed_at'] or 'open'} | {f['days_open']} | "
            f"{'yes' if f['sla_breached'] else 'no'} |"
        )
    lines += [
        "",
        "## Runs",
        "",
        "| Run | At | Commit | Findings | Bundle |",
        "|---|---|---|---|---|",
    ]
    for r in p["runs"]:
        commit = (r["commit"] or "")[:12] + ("+dirty" if r["dirty"] else "")
        bundle = (r["bundle"] or {}).get("sha256") or ""
        lines.append(f"| {r['id']} | {r['at']} | {commit} | {r['findings']} | {bundle[:16]} |")
    lines += [
        "",
        f"## Sample (seed {p['sample']['seed']}, sizes {p['sample']['sizes']})",
        "",
        "| Control | Population | Sample | Items |",
        "|---|---|---|---|",
    ]
    for smp in p["sample"]["controls"]:
        items = "<br>".join(f"{i['run']} {_cell(i['resource'])} {i['check']}" for i in smp["items"])
        lines.append(
            f"| {smp['pack']} {_cell(smp['control_id'])} | {smp['population']} | {smp['size']} | {items} |"
        )
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "pack",
    "control_id",
    "title",
    "days_passing",
    "days_failing",
    "days_without_evidence",
    "first_failure",
    "status_at_end",
    "timeline",
)


def table(p: dict[str, Any]) -> Table:
    """One row per control; ``timeline`` is the daily statuses, ``;``-separated."""
    return CSV_COLUMNS, [
        [
            c["pack"],
            c["control_id"],
            c["title"],
            c["days_passing"],
            c["days_failing"],
            c["days_without_evidence"],
            c["first_failure"] or "",
            c["status_at_end"],
            ";".join(t["status"] for t in c["timeline"]),
        ]
        for c in p["controls"]
    ]


def render_csv(p: dict[str, Any]) -> str:
    return csv_text(*table(p))


def render_html(p: dict[str, Any]) -> str:
    from compliance.formats.view import environment

    return environment(autoescape=True).get_template("period.html.j2").render(p=p)


def run_report(ledger: Ledger, entry: Entry, memo: dict[str, Any] | None = None) -> Any:
    """The run's report model rebuilt from the ledger (for the OSCAL result of the run).
    ``memo`` keeps the validated controls and findings by blob digest: unchanged runs share
    them."""
    from compliance.model import Report
    from compliance.model.report import ControlResult, Finding

    memo = {} if memo is None else memo
    body = entry.body

    def models(digest: str, model: Any) -> list[Any]:
        if digest not in memo:
            memo[digest] = [model.model_validate(v) for v in ledger.blob(digest)]
        return list(memo[digest])

    inputs = [i for i in ledger.blob(body["inputs"]) if {"format", "resources"} <= set(i)]
    return Report(
        tool=body.get("tool") or {"name": "compliance"},
        engine=body.get("engine") or {},
        evaluated_at=body.get("evaluated_at") or entry.at,
        packs=body.get("packs", []),
        summary=body.get("summary"),
        controls=models(body["controls"], ControlResult),
        findings=models(body["findings"], Finding),
        inputs=inputs,
    )


def render_oscal(p: dict[str, Any], ledger: Ledger, runs: list[Entry]) -> str:
    """One assessment-results document with a ``result`` per run of the period."""
    from compliance.formats import oscal

    results = []
    memo: dict[str, Any] = {}
    for entry in runs:
        result = oscal.build(run_report(ledger, entry, memo))["assessment-results"]["results"][0]
        result["title"] = f"Run {entry.id} at {entry.at}"
        result["props"] = [
            *result.get("props", []),
            oscal._prop("ledger-run", entry.id),
            oscal._prop("ledger-hash", entry.hash),
        ]
        results.append(result)
    when = p["generated_at"]
    seed = f"{p['ledger']}|{p['scope']}|{p['from']}|{p['to']}|" + "|".join(e.hash for e in runs)
    doc: dict[str, Any] = {
        "assessment-results": {
            "uuid": oscal._uuid(seed, "period"),
            "metadata": {
                "title": f"Compliance assessment results, scope {p['scope']}, {p['from']} to {p['to']}",
                "last-modified": when,
                "version": p["tool"]["version"],
                "oscal-version": oscal.OSCAL_VERSION,
            },
            "import-ap": {
                "href": "#",
                "remarks": "Automated assessments recorded in a ledger; each result is one run.",
            },
            "results": results
            or [
                {
                    "uuid": oscal._uuid(seed, "empty"),
                    "title": "No runs in the period",
                    "description": "The ledger holds no run of this scope in the period.",
                    "start": f"{p['from']}T00:00:00Z",
                    "reviewed-controls": {
                        "control-selections": [
                            {"description": "No controls were evaluated.", "include-all": {}}
                        ]
                    },
                }
            ],
        }
    }
    # compact: one result per run makes this the period bundle's largest member
    return orjson.dumps(doc).decode() + "\n"


def renderer(fmt: str, ledger: Ledger, runs: list[Entry]) -> Callable[[dict[str, Any]], str]:
    if fmt == "json":
        return render_json
    if fmt == "markdown":
        return render_markdown
    if fmt == "csv":
        return render_csv
    if fmt == "html":
        return render_html
    if fmt == "oscal":
        return lambda p: render_oscal(p, ledger, runs)
    raise ValueError(f"unknown period format {fmt!r}")

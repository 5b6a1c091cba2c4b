"""The period report: what the ledger says about one scope over an audit period.

Days are UTC calendar days. A control's status on a day is its status in that day's last run,
or ``no_evidence`` when no run that day evaluated it. A finding (by fingerprint) is first seen
in the first run of the scope that has it, and fixed at the first later run without it; a
finding that comes back is reopened. Its age counts from first seen (which may precede the
period) to the day it was fixed or, while open, to the period's last day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from compliance import __version__
from compliance.errors import UsageError
from compliance.ledger.population import (
    DEFAULT_SIZES,
    Population,
    build_population,
    digest,
    draw_samples,
    parse_sizes,
)
from compliance.ledger.store import Entry, Ledger

DEFAULT_SLA = {"critical": 7, "high": 30, "medium": 90, "low": 180}
NO_EVIDENCE = "no_evidence"


def parse_sla(text: str | None) -> dict[str, int]:
    sla = dict(DEFAULT_SLA)
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        name, sep, days = part.partition("=")
        if not sep or name.strip() not in ("critical", "high", "medium", "low", "info"):
            raise UsageError(f"--sla {part!r}: expected SEVERITY=DAYS, e.g. critical=7")
        try:
            sla[name.strip()] = int(days)
        except ValueError as e:
            raise UsageError(f"--sla {part!r}: {days!r} is not a number of days") from e
    return sla


@dataclass
class PeriodOptions:
    scope: str
    start: date
    end: date
    packs: tuple[str, ...] = ()
    seed: int = 0
    sizes: str = DEFAULT_SIZES
    sla: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA))
    generated_at: str = ""


@dataclass
class Period:
    data: dict[str, Any]
    population: Population
    runs: list[Entry]


def _day(at: str) -> date:
    return date.fromisoformat(at[:10])


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _timelines(
    ledger: Ledger,
    runs: list[Entry],
    days: list[date],
    packs: tuple[str, ...],
    before: Entry | None = None,
) -> list[dict[str, Any]]:
    """Per control, the daily statuses. The controls are those of the period's runs and of
    ``before`` (the last run ahead of the period), so that a control no run of the period
    evaluated shows every day as ``no_evidence``."""
    last_of_day: dict[date, Entry] = {}
    for e in runs:
        last_of_day[_day(e.at)] = e
    # every controls blob needed, in one read
    ledger.blobs_of(
        [e.body["controls"] for e in [*last_of_day.values(), *([before] if before else [])]]
    )
    known: dict[str, dict[str, Any]] = {}
    if before is not None:
        for c in ledger.blob(before.body["controls"]):
            if not packs or c["pack"] in packs:
                known[f"{c['pack']}:{c['control_id']}"] = c
    statuses: dict[date, dict[str, str]] = {}
    for day, entry in last_of_day.items():
        mine: dict[str, str] = {}
        for c in ledger.blob(entry.body["controls"]):
            if packs and c["pack"] not in packs:
                continue
            key = f"{c['pack']}:{c['control_id']}"
            known.setdefault(key, c)
            mine[key] = c["status"]
        statuses[day] = mine
    out = []
    for key in sorted(known, key=lambda k: (known[k]["pack"], known[k]["control_id"])):
        c = known[key]
        timeline: list[dict[str, Any]] = []
        for day in days:
            last = last_of_day.get(day)
            status = statuses.get(day, {}).get(key, NO_EVIDENCE)
            timeline.append(
                {"date": day.isoformat(), "status": status, "run": last.id if last else None}
            )
        counts: dict[str, int] = {}
        for t in timeline:
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        with_evidence = [t for t in timeline if t["status"] != NO_EVIDENCE]
        first_fail = next((t["date"] for t in timeline if t["status"] == "fail"), None)
        at_end = with_evidence[-1]["status"] if with_evidence else NO_EVIDENCE
        out.append(
            {
                "pack": c["pack"],
                "control_id": c["control_id"],
                "title": c.get("title", ""),
                "evidence": c.get("evidence"),
                "checks": c.get("checks", []),
                "days_passing": counts.get("pass", 0),
                "days_failing": counts.get("fail", 0),
                "days_without_evidence": counts.get(NO_EVIDENCE, 0),
                "days_by_status": dict(sorted(counts.items())),
                "first_failure": first_fail,
                "status_at_end": at_end,
                "open_at_end": at_end == "fail",
                "timeline": timeline,
            }
        )
    return out


def _findings(
    ledger: Ledger, history: list[Entry], period_ids: set[str], opts: PeriodOptions
) -> list[dict[str, Any]]:
    """Every finding present in a run of the period, with its life over the scope's history."""
    state: dict[str, dict[str, Any]] = {}
    for entry in history:
        present: dict[str, dict[str, Any]] = {}
        for f in ledger.blob(entry.body["findings"]):
            if opts.packs and not any(k.split(":", 1)[0] in opts.packs for k in f["controls"]):
                continue
            present.setdefault(f["fingerprint"], f)
        for fp, f in present.items():
            s = state.get(fp)
            if s is None:
                s = state[fp] = {
                    "finding": f,
                    "first_seen": entry.at,
                    "fixed_at": None,
                    "reopened": 0,
                    "in_period": False,
                    "waivers": [],
                    "open": True,
                }
            elif not s["open"]:
                s["reopened"] += 1
                s["fixed_at"] = None
                s["open"] = True
            s["finding"] = f
            s["last_seen"] = entry.at
            s["in_period"] = s["in_period"] or entry.id in period_ids
            if f.get("status") == "waived":
                w = s["waivers"][-1] if s["waivers"] else None
                if (
                    w is not None
                    and w["waiver"] == f.get("waiver")
                    and w["last_run"] == s.get("prev_run")
                ):
                    w["to"], w["last_run"] = entry.at, entry.id
                else:
                    s["waivers"].append(
                        {
                            "waiver": f.get("waiver"),
                            "from": entry.at,
                            "to": entry.at,
                            "last_run": entry.id,
                        }
                    )
            s["prev_run"] = entry.id
        for fp, s in state.items():
            if s["open"] and fp not in present:
                s["open"], s["fixed_at"] = False, entry.at
    out = []
    for fp, s in sorted(state.items()):
        if not s["in_period"]:
            continue
        f = s["finding"]
        until = _day(s["fixed_at"]) if s["fixed_at"] else opts.end
        days_open = max(0, (until - _day(s["first_seen"])).days)
        sla = opts.sla.get(f["severity"])
        out.append(
            {
                "fingerprint": fp,
                "check_id": f["check_id"],
                "severity": f["severity"],
                "message": f.get("message", ""),
                "resource": f["resource"]["id"],
                "file": f.get("file"),
                "line": f.get("line"),
                "controls": f.get("controls", []),
                "status": f.get("status"),
                "first_seen": s["first_seen"],
                "last_seen": s["last_seen"],
                "fixed_at": s["fixed_at"],
                "open_at_end": s["fixed_at"] is None,
                "reopened": s["reopened"],
                "days_open": days_open,
                "sla_days": sla,
                "sla_breached": sla is not None and days_open > sla,
                "waivers": [
                    {"waiver": w["waiver"], "from": w["from"], "to": w["to"]} for w in s["waivers"]
                ],
            }
        )
    severity = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    out.sort(key=lambda f: (severity.get(f["severity"], 5), f["first_seen"], f["fingerprint"]))
    return out


def build_period(ledger: Ledger, opts: PeriodOptions) -> Period:
    if opts.end < opts.start:
        raise UsageError(f"--to {opts.end} is before --from {opts.start}")
    start = f"{opts.start.isoformat()}T00:00:00Z"
    end = f"{(opts.end + timedelta(days=1)).isoformat()}T00:00:00Z"
    history = ledger.entries("run", opts.scope, None, end)
    runs = [e for e in history if e.at >= start]
    days = _days(opts.start, opts.end)
    run_days = {_day(e.at) for e in runs}
    earlier = [e for e in history if e.at < start]
    controls = _timelines(ledger, runs, days, opts.packs, earlier[-1] if earlier else None)
    findings = _findings(ledger, history, {e.id for e in runs}, opts)
    population = build_population(runs, ledger.blob, opts.packs, ledger.blobs_of)
    rules = parse_sizes(opts.sizes)
    csv_bytes, json_bytes = population.csv_bytes(), population.json_bytes()
    packs: dict[str, dict[str, Any]] = {}
    for e in runs:
        for p in e.body.get("packs", []):
            if not opts.packs or p["name"] in opts.packs:
                packs[f"{p['name']}@{p['version']}@{p['digest']}"] = p
    at_end: dict[str, int] = {}
    for c in controls:
        at_end[c["status_at_end"]] = at_end.get(c["status_at_end"], 0) + 1
    data: dict[str, Any] = {
        "schema_version": 1,
        "report": "period",
        "tool": {"name": "compliance", "version": __version__},
        "generated_at": opts.generated_at,
        "ledger": ledger.source,
        "scope": opts.scope,
        "from": opts.start.isoformat(),
        "to": opts.end.isoformat(),
        "packs": sorted(packs.values(), key=lambda p: (p["name"], p["version"], p["digest"])),
        "summary": {
            "days": len(days),
            "days_with_runs": len(run_days),
            "days_without_runs": len(days) - len(run_days),
            "runs": len(runs),
            "controls": len(controls),
            "controls_at_end": dict(sorted(at_end.items())),
            "findings": len(findings),
            "findings_open_at_end": sum(f["open_at_end"] for f in findings),
            "findings_fixed": sum(f["fixed_at"] is not None for f in findings),
            "sla_breached": sum(f["sla_breached"] for f in findings),
        },
        "days_without_runs": [d.isoformat() for d in days if d not in run_days],
        "runs": [
            {
                "id": e.id,
                "at": e.at,
                "commit": (e.body.get("source") or {}).get("commit"),
                "dirty": (e.body.get("source") or {}).get("dirty"),
                "summary": e.body.get("summary", {}).get("controls", {}),
                "findings": e.body.get("counts", {}).get("findings"),
                "bundle": e.body.get("bundle"),
                "signer": (e.body.get("signer") or {}).get("keyid"),
                "hash": e.hash,
            }
            for e in runs
        ],
        "sla": opts.sla,
        "controls": controls,
        "findings": findings,
        "population": {
            "description": "Every (run, resource, check) the runs of the period assessed.",
            "source": f"ledger {ledger.source}, scope {opts.scope}",
            "filters": {
                "scope": opts.scope,
                "from": opts.start.isoformat(),
                "to": opts.end.isoformat(),
                "packs": list(opts.packs),
            },
            "extracted_at": opts.generated_at,
            "basis": sorted({str(r["basis"]) for r in population.per_run}),
            "rows": len(population.rows),
            "per_run": population.per_run,
            "reconciled": all(r["match"] for r in population.per_run),
            "members": {
                "population/population.csv": {
                    "sha256": digest(csv_bytes),
                    "rows": len(population.rows),
                },
                "population/population.json": {
                    "sha256": digest(json_bytes),
                    "rows": len(population.rows),
                },
            },
        },
        "sample": {
            "seed": opts.seed,
            "sizes": opts.sizes,
            "method": "random.Random(f'{seed}:{pack}:{control}').sample over the control's population sorted by (run time, run, resource, check)",
            "controls": draw_samples(population, controls, opts.seed, rules),
        },
    }
    return Period(data, population, runs)


def parse_date(value: str, option: str) -> date:
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
    except ValueError as e:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from e

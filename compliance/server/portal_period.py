"""The portal's period view and Statement of Applicability, built by the ledger's own
``build_period`` and ``build_soa``; the per-control daily timeline is drawn here as an inline
SVG heatmap (one cell per control and day, coloured by status, a ``<title>`` per cell)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from compliance.errors import UsageError
from compliance.ledger.csvtable import Table
from compliance.ledger.lru import Lru
from compliance.ledger.period import NO_EVIDENCE, Period, PeriodOptions, build_period
from compliance.ledger.population import DEFAULT_SIZES
from compliance.ledger.render import table as period_controls_table
from compliance.ledger.soa import PACK, build_soa, exclusions
from compliance.ledger.store import Ledger
from compliance.server.portal_ledger import FINDINGS_PAGE, day_bounds, paginate, parse_day

DEFAULT_DAYS = 30
PERIODS = 8
"""Built periods a server process keeps."""
MAX_DAYS = 400
LABEL_WIDTH = 230
ROW_HEIGHT = 16
AXIS_HEIGHT = 34
TICK_WIDTH = 44
PERIOD_FINDING_COLUMNS = [
    "fingerprint",
    "severity",
    "check_id",
    "resource",
    "file",
    "line",
    "controls",
    "first_seen",
    "fixed_at",
    "days_open",
    "sla_days",
    "sla_breached",
    "reopened",
    "waivers",
]
SAMPLE_COLUMNS = ["pack", "control_id", "population", "size", "run", "at", "resource", "check"]


@dataclass
class PeriodQuery:
    scope: str
    start: date
    end: date
    pack: str
    seed: int


def period_query(ledger: Ledger, params: dict[str, str]) -> PeriodQuery:
    """The period asked for: the scope (default: the latest run's), ``to`` (default: the day of
    the scope's latest run, else today) and ``from`` (default: 30 days up to ``to``)."""
    runs = ledger.entries("run")
    scope = params.get("scope") or (runs[-1].scope if runs else "default")
    try:
        end = parse_day(params.get("to"))
        start = parse_day(params.get("from"))
    except ValueError as e:
        raise UsageError("from and to are dates (YYYY-MM-DD)") from e
    if end is None:
        mine = [e for e in runs if e.scope == scope]
        end = date.fromisoformat(mine[-1].at[:10]) if mine else date.today()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise UsageError(f"to {end} is before from {start}")
    if (end - start).days + 1 > MAX_DAYS:
        raise UsageError(f"a period shown here spans at most {MAX_DAYS} days; use the CLI's report")
    try:
        seed = int(params.get("seed") or 0)
    except ValueError as e:
        raise UsageError("seed is a whole number") from e
    return PeriodQuery(scope, start, end, params.get("pack", ""), seed)


def period(ledger: Ledger, q: PeriodQuery, generated_at: str) -> Period:
    opts = PeriodOptions(
        scope=q.scope,
        start=q.start,
        end=q.end,
        packs=(q.pack,) if q.pack else (),
        seed=q.seed,
        sizes=DEFAULT_SIZES,
        generated_at=generated_at,
    )
    return build_period(ledger, opts)


class PeriodCache:
    """Built periods by the ledger's latest run and the query: a period is built once until a
    run is recorded (admission decisions do not change it). Bounded, least recently used
    first out."""

    def __init__(self, size: int = PERIODS) -> None:
        self._built: Lru[tuple[Any, ...], Period] = Lru(size)

    def get(self, ledger: Ledger, q: PeriodQuery, generated_at: str) -> Period:
        key = (ledger.last_hash("run"), q.scope, q.start, q.end, q.pack, q.seed)
        built = self._built.get(key)
        if built is None:
            built = period(ledger, q, generated_at)
            self._built.put(key, built)
        return built


def heatmap(data: dict[str, Any]) -> dict[str, Any]:
    """Geometry of the SVG: a row per control, a column per day, ticks every week."""
    days = [t["date"] for t in data["controls"][0]["timeline"]] if data["controls"] else []
    if not days:
        start, end = date.fromisoformat(data["from"]), date.fromisoformat(data["to"])
        days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    cell = max(4, min(28, 1100 // max(1, len(days))))
    without = set(data["days_without_runs"])
    rows = []
    pack = None
    y = AXIS_HEIGHT + ROW_HEIGHT  # the first row marks the days without runs
    for c in data["controls"]:
        if c["pack"] != pack:
            pack = c["pack"]
            rows.append({"heading": pack, "y": y})
            y += ROW_HEIGHT
        rows.append({"control": c, "y": y})
        y += ROW_HEIGHT
    step = max(1, -(-len(days) // 12), -(-TICK_WIDTH // cell))
    ticks = [
        {"x": LABEL_WIDTH + i * cell, "label": d[5:]} for i, d in enumerate(days) if i % step == 0
    ]
    return {
        "days": days,
        "without": without,
        "cell": cell,
        "label_width": LABEL_WIDTH,
        "row": ROW_HEIGHT,
        "axis": AXIS_HEIGHT,
        "rows": rows,
        "ticks": ticks,
        "width": LABEL_WIDTH + cell * len(days) + 8,
        "height": y + 4,
        "statuses": sorted(
            {t["status"] for c in data["controls"] for t in c["timeline"]} | {NO_EVIDENCE}
        ),
    }


def period_view(built: Period, findings_page: int, breached_only: bool) -> dict[str, Any]:
    data = built.data
    findings = data["findings"]
    if breached_only:
        findings = [f for f in findings if f["sla_breached"]]
    sampled = [s for s in data["sample"]["controls"] if s["population"]]
    return {
        "p": data,
        "map": heatmap(data),
        "findings": paginate(findings, findings_page, FINDINGS_PAGE),
        "sampled": sampled,
        "unsampled": len(data["sample"]["controls"]) - len(sampled),
    }


def period_csv(built: Period, kind: str) -> Table | None:
    """The table of one part of the period, as the CLI's period report writes it."""
    data = built.data
    if kind == "controls":
        return period_controls_table(data)
    if kind == "population":
        return built.population.table()
    if kind == "findings":
        rows = [
            [
                " ".join(f[k])
                if k == "controls"
                else "; ".join(f"{w['waiver']} {w['from']}..{w['to']}" for w in f[k])
                if k == "waivers"
                else f[k]
                for k in PERIOD_FINDING_COLUMNS
            ]
            for f in data["findings"]
        ]
        return PERIOD_FINDING_COLUMNS, rows
    if kind == "sample":
        rows = [
            [s["pack"], s["control_id"], s["population"], s["size"], *item.values()]
            for s in data["sample"]["controls"]
            for item in s["items"]
        ]
        return SAMPLE_COLUMNS, rows
    return None


class SoaSource:
    """The iso27001 pack and the project's exclusions, loaded once per server."""

    def __init__(self) -> None:
        self._loaded: tuple[Any, dict[str, str]] | None = None

    def load(self) -> tuple[Any, dict[str, str]]:
        if self._loaded is None:
            from compliance.policy.packs import load_library, load_pack
            from compliance.project import find_project

            project = find_project()
            excluded = exclusions(project.config.scope, project.file or "compliance.yaml")
            self._loaded = (load_pack(PACK, load_library()), excluded)
        return self._loaded


def soa(ledger: Ledger, source: SoaSource, params: dict[str, str]) -> dict[str, Any]:
    pack_name = params.get("pack") or PACK
    if pack_name != PACK:
        raise UsageError(
            f"pack {pack_name!r}: the Statement of Applicability is for ISO/IEC 27001:2022 ({PACK})"
        )
    pack, excluded = source.load()
    runs_all = ledger.entries("run")
    scope = params.get("scope") or (runs_all[-1].scope if runs_all else "default")
    try:
        start, end = parse_day(params.get("from")), parse_day(params.get("to"))
    except ValueError as e:
        raise UsageError("from and to are dates (YYYY-MM-DD)") from e
    if bool(start) != bool(end):
        raise UsageError("from and to go together")
    if start and end:
        lo, hi = day_bounds(start, end)
        runs = ledger.entries("run", scope, lo, hi)
        basis = (
            f"the period {start} to {end} of scope {scope} ({len(runs)} runs; status at its end)"
        )
    else:
        runs = ledger.entries("run", scope)[-1:]
        basis = f"the latest run of scope {scope}" + (
            f" ({runs[0].id}, {runs[0].at})" if runs else ": none recorded"
        )
    data = build_soa(pack, excluded, ledger, runs, basis)
    data["query"] = {
        "scope": scope,
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
        "pack": pack_name,
    }
    return data

"""The portal's pages over a ledger (``compliance serve --ledger URL``): the runs it recorded,
one run (frameworks, controls, findings, population), and their CSV exports.

A ledger run whose bundle digest matches a bundle in the evidence store links each finding's
``file:line`` to that bundle's redacted copy of the input. The findings and the population are
paginated so that a run of 10k resources renders one page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from compliance.errors import ComplianceError
from compliance.ledger.lru import Lru
from compliance.ledger.store import Entry, Ledger
from compliance.server.bundles import BundleStore

RUNS_PAGE = 50
FINDINGS_PAGE = 100
POPULATION_PAGE = 100
PER_CONTROL = 20
RUN_VIEWS = 4
"""Runs whose page data a server process keeps, the most recently viewed."""
STATUS_ORDER = ("fail", "error", "waived", "not_assessed", "manual", "not_applicable", "pass")
FINDING_COLUMNS = [
    "check_id",
    "severity",
    "status",
    "file",
    "line",
    "resource",
    "message",
    "controls",
    "fingerprint",
    "waiver",
]
POPULATION_COLUMNS = ["id", "kind", "name", "namespace", "file", "line", "format", "assessed_by"]


@dataclass(frozen=True)
class RunView:
    """One run as its pages show it: controls by pack, findings by control, the population
    with the checks that assessed each resource, the input files."""

    packs: list[dict[str, Any]]
    by_control: dict[str, list[dict[str, Any]]]
    findings: list[dict[str, Any]]
    population: list[dict[str, Any]]
    inputs: set[Any]


@dataclass
class Paged:
    items: list[Any]
    page: int
    pages: int
    total: int
    first: int


def paginate(items: list[Any], page: int, size: int) -> Paged:
    pages = max(1, -(-len(items) // size))
    page = min(max(1, page), pages)
    start = (page - 1) * size
    return Paged(items[start : start + size], page, pages, len(items), start + 1)


def outcome(body: dict[str, Any]) -> str:
    """``fail`` when the run had open findings or failing controls, else ``pass``."""
    summary = body.get("summary") or {}
    controls = summary.get("controls") or {}
    if summary.get("findings") or controls.get("fail") or controls.get("error"):
        return "fail"
    return "pass"


def day_bounds(start: date | None, end: date | None) -> tuple[str | None, str | None]:
    """``at`` bounds for the UTC days ``start``..``end`` inclusive."""
    return (
        f"{start.isoformat()}T00:00:00Z" if start else None,
        f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z" if end else None,
    )


def parse_day(value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query value; None when absent. Raises ValueError when malformed."""
    if not value:
        return None
    return date.fromisoformat(value)


def _rank(status: Any) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


class LedgerPages:
    """Reads for the portal; every method is synchronous (run it in a worker thread)."""

    def __init__(self, ledger: Ledger, bundles: BundleStore | None) -> None:
        self.ledger = ledger
        self.bundles = bundles
        self._views: Lru[str, RunView] = Lru(RUN_VIEWS)

    def bundle_ids(self) -> dict[str, str]:
        """Store bundle digest -> bundle id."""
        if self.bundles is None:
            return {}
        return {info.sha256: info.id for info in self.bundles.list()}

    def scopes(self) -> list[str]:
        return sorted({e.scope for e in self.ledger.entries("run")})

    def runs(
        self, scope: str, since: date | None, until: date | None, status: str, page: int
    ) -> dict[str, Any]:
        lo, hi = day_bounds(since, until)
        entries = self.ledger.entries("run")
        scopes = sorted({e.scope for e in entries})
        rows = []
        for e in reversed(entries):
            if lo and e.at < lo or hi and e.at >= hi:
                continue
            if scope and e.scope != scope:
                continue
            result = outcome(e.body)
            if status and result != status:
                continue
            rows.append({"entry": e, "outcome": result})
        paged = paginate(rows, page, RUNS_PAGE)
        digests = self.bundle_ids()
        for row in paged.items:
            sha = (row["entry"].body.get("bundle") or {}).get("sha256")
            row["bundle_id"] = digests.get(sha) if sha else None
        return {"paged": paged, "scopes": scopes}

    def entry(self, run_id: str) -> Entry | None:
        """The ledger run ``run_id`` (``run-N``), or None when the ledger has no such run."""
        if not run_id.startswith("run-"):
            return None
        try:
            entry = self.ledger.get(run_id)
        except ComplianceError:
            return None
        return entry if entry.kind == "run" else None

    def _view(self, entry: Entry) -> RunView:
        """What the run's pages show, built once per run and kept in a bounded cache."""
        view = self._views.get(entry.hash)
        if view is not None:
            return view
        body = entry.body
        controls = self.ledger.blob(body["controls"])
        findings = self.ledger.blob(body["findings"])
        by_control: dict[str, list[dict[str, Any]]] = {}
        for f in findings:
            for key in f.get("controls", []):
                by_control.setdefault(key, []).append(f)
        packs = []
        for p in body.get("packs", []):
            mine = sorted(
                (c for c in controls if c["pack"] == p.get("name")),
                key=lambda c: (_rank(c.get("status")), c["control_id"]),
            )
            counts: dict[str, int] = {}
            for c in mine:
                counts[c["status"]] = counts.get(c["status"], 0) + 1
            packs.append({"pack": p, "controls": mine, "counts": counts})
        assessed: dict[str, set[str]] = {}
        for c in controls:
            for check, ids in self.ledger.blob(c["population"]).items():
                for rid in ids:
                    checks = assessed.get(rid)
                    if checks is None:
                        assessed[rid] = {check}
                    else:
                        checks.add(check)
        population = [
            {
                **r,
                "assessed_by": r.get("assessed_by") or sorted(assessed.get(str(r.get("id")), ())),
            }
            for r in self.ledger.blob(body["resources"])
        ]
        inputs = {i.get("file") for i in self.ledger.blob(body["inputs"])}
        view = RunView(packs, by_control, findings, population, inputs)
        self._views.put(entry.hash, view)
        return view

    def population(self, entry: Entry) -> list[dict[str, Any]]:
        return self._view(entry).population

    def bundle_of(self, entry: Entry) -> str | None:
        """The id of the store bundle whose digest the run recorded, if the store has it."""
        sha = (entry.body.get("bundle") or {}).get("sha256")
        return self.bundle_ids().get(sha) if sha else None

    def run(
        self, entry: Entry, findings_page: int, population_page: int, bundle_id: str | None
    ) -> dict[str, Any]:
        body = entry.body
        view = self._view(entry)
        return {
            "entry": entry,
            "body": body,
            "outcome": outcome(body),
            "packs": view.packs,
            "by_control": view.by_control,
            "per_control": PER_CONTROL,
            "findings": paginate(view.findings, findings_page, FINDINGS_PAGE),
            "findings_total": len(view.findings),
            "population": paginate(view.population, population_page, POPULATION_PAGE),
            "bundle_sha": (body.get("bundle") or {}).get("sha256"),
            "bundle_id": bundle_id,
            "inputs": view.inputs if bundle_id else set(),
        }

    def findings_rows(self, entry: Entry) -> list[list[Any]]:
        return [
            [
                f.get("check_id"),
                f.get("severity"),
                f.get("status"),
                f.get("file"),
                f.get("line"),
                (f.get("resource") or {}).get("id"),
                f.get("message"),
                " ".join(f.get("controls", [])),
                f.get("fingerprint"),
                _waiver(f.get("waiver")),
            ]
            for f in self._view(entry).findings
        ]

    def population_rows(self, entry: Entry) -> list[list[Any]]:
        return [
            [r.get(k) if k != "assessed_by" else " ".join(r.get(k, [])) for k in POPULATION_COLUMNS]
            for r in self.population(entry)
        ]


def _waiver(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or value.get("reason") or "")
    return "" if value is None else str(value)

"""The period report over synthetic runs: timelines, findings' lives, population, samples."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import EvidenceError, UsageError
from compliance.evidence.verify import read_members, verify_bundle
from compliance.ledger.bundle import build_period_bundle
from compliance.ledger.period import PeriodOptions, build_period, parse_sla
from compliance.ledger.population import (
    DEFAULT_SIZES,
    Population,
    draw_samples,
    parse_sizes,
    sample_size,
)
from compliance.ledger.record import record_run
from compliance.ledger.render import render_csv, render_html, render_markdown, render_oscal
from compliance.ledger.store import Ledger
from tests.unit.ledger.reports import report


def at(day: str, hour: int) -> str:
    return f"{day}T{hour:02d}:00:00Z"


@pytest.fixture
def history(ledger_url: str) -> Ledger:
    """Oct 30 (before the period): both findings. Nov 1: both, then a second run the same day
    with TLS fixed. Nov 2: TLS is back (reopened) and NET is waived. Nov 3: no run. Nov 4: NET
    open again, TLS fixed. Nov 5: no run."""
    led = Ledger(ledger_url)
    record_run(led, report("2026-10-30"), scope="prod", at=at("2026-10-30", 9))
    record_run(led, report("2026-11-01"), scope="prod", at=at("2026-11-01", 9))
    record_run(led, report("2026-11-01", ("net",)), scope="prod", at=at("2026-11-01", 18))
    record_run(
        led,
        report("2026-11-02", ("net", "tls"), waived=("net",)),
        scope="prod",
        at=at("2026-11-02", 9),
    )
    record_run(led, report("2026-11-02"), scope="staging", at=at("2026-11-02", 10))
    record_run(led, report("2026-11-04", ("net",)), scope="prod", at=at("2026-11-04", 9))
    return led


def options(**kw: object) -> PeriodOptions:
    base: dict[str, object] = {
        "scope": "prod",
        "start": date(2026, 11, 1),
        "end": date(2026, 11, 5),
        "generated_at": "2026-12-01T00:00:00Z",
    }
    base.update(kw)
    return PeriodOptions(**base)  # type: ignore[arg-type]


def test_timelines_take_each_days_last_run_and_mark_days_without_evidence(history: Ledger) -> None:
    p = build_period(history, options()).data
    assert p["days_without_runs"] == ["2026-11-03", "2026-11-05"]
    assert p["summary"]["runs"] == 4 and p["summary"]["days_with_runs"] == 3
    soc2 = next(c for c in p["controls"] if c["control_id"] == "CC6.1")
    assert [t["status"] for t in soc2["timeline"]] == [
        "pass",
        "fail",
        "no_evidence",
        "pass",
        "no_evidence",
    ]
    assert [t["run"] for t in soc2["timeline"]] == ["run-3", "run-4", None, "run-6", None]
    assert (soc2["days_passing"], soc2["days_failing"], soc2["days_without_evidence"]) == (2, 1, 2)
    assert soc2["first_failure"] == "2026-11-02" and soc2["open_at_end"] is False
    iso = next(c for c in p["controls"] if c["control_id"] == "A.8.20")
    assert [t["status"] for t in iso["timeline"]] == [
        "fail",
        "waived",
        "no_evidence",
        "fail",
        "no_evidence",
    ]
    assert iso["open_at_end"] is True and iso["days_by_status"] == {
        "fail": 2,
        "no_evidence": 2,
        "waived": 1,
    }


def test_findings_first_seen_fixed_reopened_sla_and_waivers(history: Ledger) -> None:
    p = build_period(history, options(sla=parse_sla("critical=3,high=1"))).data
    by_fp = {f["fingerprint"]: f for f in p["findings"]}
    tls = by_fp["f-tls"]
    assert tls["first_seen"] == at("2026-10-30", 9)
    assert (
        tls["fixed_at"] == at("2026-11-04", 9) and tls["reopened"] == 1 and not tls["open_at_end"]
    )
    assert tls["days_open"] == 5 and tls["sla_days"] == 1 and tls["sla_breached"]
    net = by_fp["f-net"]
    assert net["fixed_at"] is None and net["open_at_end"]
    assert net["days_open"] == (date(2026, 11, 5) - date(2026, 10, 30)).days and net["sla_breached"]
    assert [(w["from"], w["to"]) for w in net["waivers"]] == [
        (at("2026-11-02", 9), at("2026-11-02", 9))
    ]
    assert net["waivers"][0]["waiver"]["justification"] == "accepted risk"
    assert p["summary"]["findings_open_at_end"] == 1 and p["summary"]["sla_breached"] == 2
    relaxed = build_period(history, options(sla=parse_sla("critical=30,high=30"))).data
    assert not any(f["sla_breached"] for f in relaxed["findings"])


def test_population_reconciles_with_each_runs_recorded_count(history: Ledger) -> None:
    built = build_period(history, options())
    pop = built.data["population"]
    assert pop["rows"] == 4 * 5 and pop["reconciled"]
    assert [r["recorded"] for r in pop["per_run"]] == [5, 5, 5, 5]
    assert pop["filters"] == {
        "scope": "prod",
        "from": "2026-11-01",
        "to": "2026-11-05",
        "packs": [],
    }
    assert pop["basis"] == ["assessed"] and pop["extracted_at"] == "2026-12-01T00:00:00Z"
    rows = list(csv.DictReader(io.StringIO(built.population.csv_bytes().decode())))
    assert len(rows) == pop["rows"] == pop["members"]["population/population.csv"]["rows"]
    assert {
        "run_id": "run-3",
        "run_at": at("2026-11-01", 18),
        "resource_id": "config:node.toml",
        "check_id": "TLS-01",
        "controls": "soc2:CC6.1",
    } in rows
    only_iso = build_period(history, options(packs=("iso27001",))).data
    assert only_iso["population"]["rows"] == 4 * 2 and only_iso["population"]["reconciled"]
    assert [c["pack"] for c in only_iso["controls"]] == ["iso27001"]


def test_population_falls_back_to_findings_without_assessed(ledger_url: str) -> None:
    with Ledger(ledger_url) as led:
        record_run(led, report("2026-11-01", assessed=False), scope="prod", resources=[])
        p = build_period(led, options()).data
    assert p["population"]["basis"] == ["findings"] and p["population"]["rows"] == 2
    assert p["population"]["reconciled"]


def test_samples_are_reproducible_and_sized_by_the_table(history: Ledger) -> None:
    one = build_period(history, options(seed=7)).data["sample"]
    again = build_period(history, options(seed=7)).data["sample"]
    assert one == again and one["seed"] == 7 and one["sizes"] == DEFAULT_SIZES
    soc2 = next(s for s in one["controls"] if s["control_id"] == "CC6.1")
    assert soc2["population"] == 12 and soc2["size"] == 5 and len(soc2["items"]) == 5
    others = {
        json.dumps(build_period(history, options(seed=s)).data["sample"]["controls"])
        for s in range(8)
    }
    assert len(others) > 1
    small = build_period(history, options(sizes="1-20:all,>20:3")).data["sample"]
    assert next(s for s in small["controls"] if s["control_id"] == "CC6.1")["size"] == 12


def test_size_table() -> None:
    rules = parse_sizes(DEFAULT_SIZES)
    assert [sample_size(n, rules) for n in (0, 1, 5, 6, 50, 51, 250, 251, 10_000)] == [
        0,
        1,
        5,
        5,
        5,
        6,
        25,
        25,
        25,
    ]
    with pytest.raises(UsageError, match="expected LOW-HIGH:SIZE"):
        parse_sizes("1-5:every")
    with pytest.raises(UsageError, match="SEVERITY=DAYS"):
        parse_sla("urgent=1")


def test_renderers(history: Ledger) -> None:
    built = build_period(history, options())
    md = render_markdown(built.data)
    assert (
        "Days without runs: 2 (2026-11-03, 2026-11-05)" in md
        and "| soc2 CC6.1 | 2 | 1 | 2 | 2026-11-02 | pass |" in md
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(built.data))))
    assert rows[1]["timeline"] == "pass;fail;no_evidence;pass;no_evidence"
    html = render_html(built.data)
    assert 'title="2026-11-03: no_evidence"' in html and "<script" not in html


def test_oscal_has_one_result_per_run_and_is_valid(history: Ledger) -> None:
    from trestle.oscal.assessment_results import Model

    built = build_period(history, options())
    doc = json.loads(render_oscal(built.data, history, built.runs))
    Model.model_validate(doc)
    results = doc["assessment-results"]["results"]
    assert [r["title"] for r in results] == [f"Run {e.id} at {e.at}" for e in built.runs]


def test_period_bundle_verifies_and_holds_every_member(history: Ledger, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    built = build_period(history, options())
    data, sha = build_period_bundle(built, history, key)
    assert build_period_bundle(built, history, key) == (data, sha)  # deterministic
    checked = verify_bundle(data, key.public_key())
    assert any("population/population.csv" in c for c in checked)
    members = read_members(data)
    assert set(members) >= {
        "period.json",
        "period.md",
        "period.csv",
        "period.html",
        "oscal/assessment-results.json",
        "population/population.csv",
        "population/population.json",
        "manifest.json",
        "attestation.dsse.json",
    }
    import hashlib

    period = json.loads(members["period.json"])
    assert (
        period["population"]["members"]["population/population.csv"]["sha256"]
        == hashlib.sha256(members["population/population.csv"]).hexdigest()
    )
    assert len(json.loads(members["population/population.json"])) == period["population"]["rows"]


def test_bad_period_is_a_usage_error(history: Ledger) -> None:
    with pytest.raises(UsageError, match="before --from"):
        build_period(history, options(start=date(2026, 11, 5), end=date(2026, 11, 1)))


def test_oscal_uuids_are_uuid5() -> None:
    """The OSCAL writer's direct computation gives ``uuid.uuid5``'s UUIDs."""
    import uuid

    from compliance.formats import oscal

    for parts in (("run", "observation", "f-net"), ("é✓",), ("a", "", "b\x1fc")):
        assert oscal._uuid(*parts) == str(uuid.uuid5(oscal._UUID_NS, "\x1f".join(parts)))


def test_a_period_without_runs_is_all_days_without_evidence(ledger_url: str) -> None:
    from trestle.oscal.assessment_results import Model

    with Ledger(ledger_url) as led:
        record_run(led, report("2026-10-01"), scope="prod")
        built = build_period(led, options())
        p = built.data
        assert p["summary"]["runs"] == 0 and len(p["days_without_runs"]) == 5
        assert [c["control_id"] for c in p["controls"]] == ["A.8.20", "CC6.1"]
        assert all(c["days_without_evidence"] == 5 for c in p["controls"])
        assert all(c["status_at_end"] == "no_evidence" for c in p["controls"])
        assert p["population"]["rows"] == 0
        # the finding seen before the period but in no run of it is not listed
        assert p["findings"] == []
        Model.model_validate(json.loads(render_oscal(p, led, built.runs)))


def _sample_by_definition(
    population: Population, controls: list[dict[str, Any]], seed: int
) -> list[dict[str, Any]]:
    """The sample as documented: per control, its members ordered by (run time, run id,
    resource, check), ``random.Random(f"{seed}:{pack:control}").sample`` of them."""
    out = []
    for c in controls:
        key = f"{c['pack']}:{c['control_id']}"
        members = sorted(
            (at, run, rid, check) for run, at, rid, check, keys in population.rows if key in keys
        )
        size = sample_size(len(members), parse_sizes(DEFAULT_SIZES))
        picked = sorted(random.Random(f"{seed}:{key}").sample(members, size))
        out.append(
            {
                "pack": c["pack"],
                "control_id": c["control_id"],
                "population": len(members),
                "size": size,
                "items": [
                    {"run": r, "at": a, "resource": rid, "check": ch} for a, r, rid, ch in picked
                ],
            }
        )
    return out


@pytest.mark.parametrize("order", ["in time order", "out of time order"])
def test_the_sample_follows_its_definition(tmp_path: Path, order: str) -> None:
    days = [f"2026-11-{d:02d}" for d in range(1, 8)]
    if order == "out of time order":
        days = [days[i] for i in (3, 0, 6, 1, 5, 2, 4)]  # recorded late, with --now
    with Ledger(f"sqlite:///{tmp_path / 'l.db'}") as led:
        for i, day in enumerate(days):
            opens = ("net", "tls") if i % 2 else ("net",)
            record_run(led, report(day, opens), scope="prod", at=at(day, 9))
        record_run(led, report(days[-1]), scope="prod", at=at(days[-1], 9))  # same time, later id
        built = build_period(led, options(start=date(2026, 11, 1), end=date(2026, 11, 7), seed=11))
    controls = [
        {"pack": s["pack"], "control_id": s["control_id"]} for s in built.data["sample"]["controls"]
    ]
    rules = parse_sizes(DEFAULT_SIZES)
    assert draw_samples(built.population, controls, 11, rules) == _sample_by_definition(
        built.population, controls, 11
    )
    assert any(s["size"] < s["population"] for s in built.data["sample"]["controls"])


def _blob_queries(led: Ledger) -> list[str]:
    """The statements that read ``ledger_blobs`` from now on."""
    from sqlalchemy import event

    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM ledger_blobs" in statement:
            seen.append(statement)

    event.listen(led.engine, "before_cursor_execute", before)
    return seen


def test_many_blobs_are_read_in_one_query(history: Ledger, ledger_url: str) -> None:
    entry = history.entries("run", "prod")[-1]
    controls = history.blob(entry.body["controls"])
    wanted = [entry.body["controls"], entry.body["findings"]] + [c["population"] for c in controls]
    assert len(set(wanted)) > 2
    with Ledger(ledger_url) as led:  # nothing cached yet
        queries = _blob_queries(led)
        got = led.blobs_of(wanted + wanted[:1])
        assert len(queries) == 1
        assert got == {d: history.blob(d) for d in wanted}
        assert led.blobs_of(wanted) == got and len(queries) == 1  # now from the cache
        assert led.blob(wanted[-1]) == got[wanted[-1]] and len(queries) == 1
        with pytest.raises(EvidenceError, match="blob 0000000000000000 is missing"):
            led.blobs_of([wanted[0], "0" * 64])


def test_a_period_reads_each_runs_population_blobs_together(ledger_url: str) -> None:
    def many_controls(day: str, opens: tuple[str, ...]) -> dict[str, Any]:
        data = report(day, opens)
        for i in range(12):
            data["controls"].append(
                {
                    **data["controls"][0],
                    "control_id": f"X.{i}",
                    "assessed": {"NET-02": [f"k8s:Service:web/s{j}" for j in range(i + 1)]},
                }
            )
        return data

    with Ledger(ledger_url) as led:
        record_run(led, many_controls("2026-11-01", ("net", "tls")), scope="prod")
        record_run(led, many_controls("2026-11-02", ("net",)), scope="prod")
        record_run(led, many_controls("2026-11-03", ("net",)), scope="prod")
        runs = led.entries("run", "prod")
        populations = {c["population"] for e in runs for c in led.blob(e.body["controls"])}
        controls = {e.body["controls"] for e in runs}
        findings = {e.body["findings"] for e in runs}
        want = build_period(led, options()).data
    assert len(populations) > 12
    with Ledger(ledger_url) as led:
        queries = _blob_queries(led)
        assert build_period(led, options()).data == want
    # one query for the controls blobs, one per distinct controls blob for its populations,
    # one per findings blob
    assert len(queries) <= 1 + len(controls) + len(findings) < len(populations)


def test_population_members_written_run_by_run_are_the_row_by_row_bytes() -> None:
    from types import SimpleNamespace

    from compliance.ledger.population import build_population

    odd = ["k8s:a,b", 'say "hi"', "line\nbreak", "é ü", " lead", "=formula", ""]
    blobs: dict[str, Any] = {
        "c1": [
            {"pack": "soc2", "control_id": "CC6.1", "population": "p1"},
            {"pack": "iso", "control_id": "A,1", "population": "p2"},
        ],
        "c2": [{"pack": "soc2", "control_id": "CC6.1", "population": "p3"}],
        "c3": [{"pack": "soc2", "control_id": "CC6.1", "population": "p4"}],
        "p1": {"NET-02": odd, 'C"K': ["x", "k8s:a,b"]},
        "p2": {"NET-02": odd[:3]},
        "p3": {"TLS-01": ["y"]},
        "p4": {},
    }
    runs = [
        SimpleNamespace(id=f"run-{i}", at=f"2026-11-0{i}T09:00:00Z", body=body)
        for i, body in enumerate(
            [
                {"controls": "c1", "counts": {"population": 9}},
                {"controls": "c2"},
                {"controls": "c1"},
                {"controls": "c3"},
                {"controls": "c1"},
            ],
            start=1,
        )
    ]
    for packs in ((), ("soc2",)):
        pop = build_population(runs, blobs.__getitem__, packs)
        assert len(pop.blocks) == len(runs) and pop.blocks[0][2] is pop.blocks[2][2]
        by_rows = Population(pop.rows, pop.per_run)
        assert pop.csv_bytes() == by_rows.csv_bytes()
        assert pop.json_bytes() == by_rows.json_bytes()
        assert len(list(csv.reader(io.StringIO(pop.csv_bytes().decode())))) == len(pop.rows) + 1
        assert len(json.loads(pop.json_bytes())) == len(pop.rows)
    empty = build_population(runs[3:4], blobs.__getitem__, ())
    assert empty.rows == [] and empty.json_bytes() == b"[]"
    assert empty.csv_bytes() == Population([], []).csv_bytes()

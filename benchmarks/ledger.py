"""``make bench-ledger``: what the ledger costs (issue 19). A benchmark, never a test.

1. Recording a 10k-object run: ``compliance evaluate`` with and without ``--ledger
   sqlite:///...`` (cold, no cache; and warm, cache primed), interleaved, medians; and the
   recording alone, in-process, into a new ledger and into one that holds the same run.
2. Ledger size: the 10k run's report recorded on 90 consecutive days, unchanged, into SQLite.
3. A period report over 90 daily runs of the ~1k corpus (json, and json plus a signed bundle).
4. When a PostgreSQL server is installed (``initdb``/``pg_ctl``, as the tests find them): a
   throwaway cluster on a Unix socket in a temporary folder, and the same on it: the warm 10k
   evaluate with and without ``--ledger postgresql://...``, the recording alone, and the
   period report over 90 daily ~1k runs.

Writes the ``## Ledger`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402
from run import BIN, NOW, evaluate, median, timed  # noqa: E402
from sections import replace_section  # noqa: E402

from compliance.collector import gc_paused  # noqa: E402
from compliance.ledger.record import record_run  # noqa: E402
from compliance.ledger.store import Ledger  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.pgcluster import pg_bin, start_cluster  # noqa: E402

HEADING = "## Ledger"
START = date(2026, 8, 1)


def _report(root: Path, out: Path) -> dict[str, Any]:
    timed(evaluate(root, "--no-cache", "-o", str(out)))
    data: dict[str, Any] = orjson.loads(out.read_bytes())
    return data


def _record_days(url: str, data: dict[str, Any], days: int) -> list[float]:
    return [wall for wall, _ in _record_days_cpu(url, data, days)]


def _record_days_cpu(url: str, data: dict[str, Any], days: int) -> list[tuple[float, float]]:
    """(wall s, CPU s of this process) of recording ``data`` on each of ``days`` days."""
    seconds = []
    with Ledger(url) as led:
        for i in range(days):
            at = f"{(START + timedelta(days=i)).isoformat()}T02:00:00Z"
            wall, cpu = time.perf_counter(), time.process_time()
            with gc_paused():  # as `compliance evaluate` records
                record_run(led, data, scope="bench", at=at)
            seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
    return seconds


def overhead(root: Path, tmp: Path, runs: int, warm_runs: int) -> dict[str, Any]:
    url = f"sqlite:///{tmp / 'overhead.db'}"
    plain_cold, ledger_cold, plain_warm, ledger_warm = [], [], [], []
    cache = tmp / "cache"
    timed(evaluate(root, "--cache-dir", str(cache)))  # prime the cache
    for _ in range(runs):
        plain_cold.append(timed(evaluate(root, "--no-cache")))
        ledger_cold.append(timed(evaluate(root, "--no-cache", "--ledger", url)))
    for _ in range(warm_runs):
        plain_warm.append(timed(evaluate(root, "--cache-dir", str(cache))))
        ledger_warm.append(timed(evaluate(root, "--cache-dir", str(cache), "--ledger", url)))
    return {
        "plain_cold": median(plain_cold),
        "ledger_cold": median(ledger_cold),
        "plain_warm": median(plain_warm),
        "ledger_warm": median(ledger_warm),
    }


def size(data: dict[str, Any], tmp: Path, days: int) -> dict[str, Any]:
    path = tmp / "size.db"
    url = f"sqlite:///{path}"
    first = _record_days(url, data, 1)
    one = path.stat().st_size
    with Ledger(url) as led:
        for i in range(1, days):
            at = f"{(START + timedelta(days=i)).isoformat()}T02:00:00Z"
            with gc_paused():
                record_run(led, data, scope="bench", at=at)
    return {"one": one, "all": path.stat().st_size, "days": days, "first_record_s": first[0]}


def period(
    data: dict[str, Any], tmp: Path, days: int, runs: int, url: str | None = None
) -> dict[str, Any]:
    url = url or f"sqlite:///{tmp / 'period.db'}"
    record_s = _record_days(url, data, days)
    keys = tmp / "keys"
    if not keys.exists():
        timed([str(BIN / "compliance"), "keys", "generate", "--out", str(keys)])
    end = (START + timedelta(days=days - 1)).isoformat()
    base = [
        str(BIN / "compliance"),
        "report",
        "period",
        "--ledger",
        url,
        "--scope",
        "bench",
        "--from",
        START.isoformat(),
        "--to",
        end,
        "--now",
        NOW,
        "-o",
        os.devnull,
    ]
    plain = median([timed(base) for _ in range(runs)])
    bundle = median(
        [
            timed(
                base + ["--bundle", str(tmp / "p.tar.gz"), "--sign-key", str(keys / "signing.key")]
            )
            for _ in range(runs)
        ]
    )
    return {
        "days": days,
        "record_median_s": statistics.median(record_s),
        "json": plain,
        "bundle": bundle,
        "bundle_bytes": (tmp / "p.tar.gz").stat().st_size,
    }


def postgres(
    root: Path,
    big: dict[str, Any],
    small: dict[str, Any],
    tmp: Path,
    days: int,
    runs: int,
    warm_runs: int,
) -> dict[str, Any] | None:
    """The PostgreSQL rows, on a throwaway cluster; None when no server is installed."""
    if pg_bin() is None:
        return None
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench_record")
        cache = tmp / "pg-cache"
        timed(evaluate(root, "--cache-dir", str(cache)))  # prime the cache
        timed(evaluate(root, "--cache-dir", str(cache), "--ledger", url))  # schema, blobs
        plain, with_ledger = [], []
        for _ in range(warm_runs):
            plain.append(timed(evaluate(root, "--cache-dir", str(cache))))
            with_ledger.append(timed(evaluate(root, "--cache-dir", str(cache), "--ledger", url)))
        first, again = _record_days_cpu(cluster.create_database("bench_inproc"), big, 2)
        p = period(small, tmp, days, runs, cluster.create_database("bench_period"))
        return {
            "plain_warm": median(plain),
            "ledger_warm": median(with_ledger),
            "first": first,
            "again": again,
            "period": p,
        }
    finally:
        cluster.stop()


def _postgres_text(pg: dict[str, Any] | None, runs: int) -> str:
    if pg is None:
        return (
            "- PostgreSQL: not measured (no PostgreSQL server installed: `initdb`/`pg_ctl` "
            "not found)."
        )
    a, b, p = pg["plain_warm"], pg["ledger_warm"], pg["period"]
    wall, cpu = b["wall"] / a["wall"] - 1, b["cpu"] / a["cpu"] - 1
    return f"""- PostgreSQL (a throwaway local cluster on a Unix socket, `fsync=off` as in the tests;
  the server's CPU is not in the client's numbers): warm 10k evaluate {a["wall"]:.2f} s /
  {a["cpu"]:.2f} s without, {b["wall"]:.2f} s / {b["cpu"]:.2f} s with `--ledger postgresql://...`
  ({wall:+.1%} wall / {cpu:+.1%} CPU; medians of {runs}; the process loads SQLAlchemy and
  psycopg). Recording alone, in-process, the 10k run's report: {pg["first"][0]:.2f} s wall /
  {pg["first"][1]:.2f} s CPU into a new ledger, {pg["again"][0]:.2f} s / {pg["again"][1]:.2f} s
  into one that holds the same run. Period report over {p["days"]} daily runs of the ~1k
  corpus: json {p["json"]["wall"]:.2f} s wall / {p["json"]["cpu"]:.2f} s CPU (target <= 10 s
  **{"met" if p["json"]["wall"] <= 10 else "not met"}**), with the signed bundle
  {p["bundle"]["wall"]:.2f} s / {p["bundle"]["cpu"]:.2f} s; recording each of those runs took
  {p["record_median_s"] * 1000:.0f} ms (median)."""


KEPT = "### Before and after"
"""A hand-written subsection of the section (interleaved runs of two builds), kept when the
section is rewritten."""


def _kept(path: Path) -> str:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(f"{HEADING}\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(HEADING))
    section = text[start : end if end >= 0 else len(text)]
    at = section.find(f"\n{KEPT}")
    return "" if at < 0 else section[at:].rstrip("\n") + "\n"


def write(
    path: Path,
    big: dict[str, Any],
    small_objects: int,
    o: dict[str, Any],
    s: dict[str, Any],
    p: dict[str, Any],
    inproc: dict[str, float],
    runs: int,
    warm_runs: int,
    load: str,
    pg: dict[str, Any] | None,
) -> None:
    def added(key: str, what: str) -> float:
        return float(o[f"ledger_{key}"][what] / o[f"plain_{key}"][what] - 1)

    def met(ok: bool) -> str:
        return "met" if ok else "not met"

    ratio = s["all"] / s["one"]
    rows = []
    for key, label in (("cold", "cold (`--no-cache`)"), ("warm", "warm (cache primed)")):
        a, b = o[f"plain_{key}"], o[f"ledger_{key}"]
        rows.append(
            f"| evaluate 10k, {label} | {a['wall']:.2f} s / {a['cpu']:.2f} s | "
            f"{b['wall']:.2f} s / {b['cpu']:.2f} s | {added(key, 'wall'):+.1%} / {added(key, 'cpu'):+.1%} |"
        )
    table = "\n".join(rows)
    body = f"""{HEADING}

`make bench-ledger` (benchmarks/ledger.py), SQLite ledger on local disk, medians of {runs}
interleaved cold runs and {warm_runs} interleaved warm runs on the shared 2-core machine with
other agents' jobs running (load average {load} at the end of the run; CPU times are the
steadier measure). 10k corpus: {big["objects"]} objects, {big["findings"]} findings; ~1k corpus:
{small_objects} objects. Reports in this round have {big["basis"]}.

| what | without ledger (wall / CPU) | with `--ledger` (wall / CPU) | added (wall / CPU) |
|---|---|---|---|
{table}

Recording alone, in-process, the 10k run's report: {inproc["first"]:.2f} s into a new ledger
(every blob written), {inproc["again"]:.2f} s into a ledger that holds the same run (no blob
written).

- Target: recording adds <= 15% to a 10k evaluate on SQLite. Cold: {added("cold", "wall"):+.1%} wall
  (**{met(added("cold", "wall") <= 0.15)}**), {added("cold", "cpu"):+.1%} CPU (**{met(added("cold", "cpu") <= 0.15)}**). Warm:
  {added("warm", "wall"):+.1%} wall (**{met(added("warm", "wall") <= 0.15)}**), {added("warm", "cpu"):+.1%} CPU
  (**{met(added("warm", "cpu") <= 0.15)}**). An existing SQLite ledger is appended to with the
  standard library's sqlite3 driver (no SQLAlchemy import). What a warm run pays: the run's
  blobs, ~29 MB of canonical JSON at 10k and their SHA-256 (findings, resources and inputs
  written from the report's models; each control's population joined from its checks'
  shared lists, hashed piece by piece), and one `git status`, which runs meanwhile.
- Ledger size, {s["days"]} unchanged daily 10k runs: one run {s["one"] / 1e6:.2f} MB, {s["days"]} runs
  {s["all"] / 1e6:.2f} MB ({ratio:.2f}x; target <= 2x **{met(ratio <= 2)}**).
- Period report over {p["days"]} daily runs of the ~1k corpus: json {p["json"]["wall"]:.2f} s wall,
  {p["json"]["cpu"]:.2f} s CPU ({p["json"]["rss"]:.0f} MiB), target <= 10 s **{met(p["json"]["wall"] <= 10)}**;
  json plus the signed period bundle (OSCAL with a result per run, the population as CSV and
  JSON) {p["bundle"]["wall"]:.2f} s wall, {p["bundle"]["cpu"]:.2f} s CPU, {p["bundle"]["rss"]:.0f} MiB,
  a {p["bundle_bytes"] / 1e6:.1f} MB bundle (**{met(p["bundle"]["wall"] <= 10)}** on wall at this load;
  most of it is the OSCAL member, one full result per run, and the population members).
  Recording each of those runs took {p["record_median_s"] * 1000:.0f} ms (median).
{_postgres_text(pg, warm_runs)}
"""
    replace_section(path, HEADING, body + _kept(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=7)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--big", type=int, default=112, help="corpus copies for ~10k objects")
    parser.add_argument("--small", type=int, default=12, help="corpus copies for ~1k objects")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    big_root, small_root = corpus.build(args.big), corpus.build(args.small)
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as name:
        tmp = Path(name)
        big = _report(big_root, tmp / "big.json")
        small = _report(small_root, tmp / "small.json")
        first = _record_days(f"sqlite:///{tmp / 'inproc.db'}", big, 2)
        inproc = {"first": first[0], "again": first[1]}
        print(f"in-process recording: {inproc}", file=sys.stderr)
        o = overhead(big_root, tmp, args.runs, args.warm_runs)
        print(f"overhead: {o}", file=sys.stderr)
        s = size(big, tmp, args.days)
        print(f"size: {s}", file=sys.stderr)
        p = period(small, tmp, args.days, args.runs)
        print(f"period: {p}", file=sys.stderr)
        pg = postgres(big_root, big, small, tmp, args.days, args.runs, args.warm_runs)
        print(f"postgresql: {pg}", file=sys.stderr)
    basis = (
        "the per-control `assessed` map (population from what checks assessed)"
        if all("assessed" in c for c in big["controls"])
        else "no per-control `assessed` map yet (population from findings)"
    )
    info = {
        "objects": big["summary"]["resources"],
        "findings": len(big["findings"]),
        "basis": basis,
    }
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    write(
        args.results,
        info,
        small["summary"]["resources"],
        o,
        s,
        p,
        inproc,
        args.runs,
        args.warm_runs,
        load,
        pg,
    )
    print(f"wrote {args.results}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""``compliance ledger``: list, show and verify the runs and decisions a ledger holds."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import orjson

from compliance.errors import UsageError
from compliance.ledger import ledger_url
from compliance.project import find_project


def ledger_option(f: Any) -> Any:
    return click.option(
        "--ledger",
        "ledger_option",
        metavar="URL",
        help="sqlite:///PATH or postgresql://... (default: $COMPLIANCE_LEDGER, then ledger: in compliance.yaml).",
    )(f)


def config_option(f: Any) -> Any:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Project file (default: ./compliance.yaml).",
    )(f)


def resolve_url(option: str | None, config_file: Path | None) -> str:
    url = ledger_url(option, find_project(config_file))
    if not url:
        raise UsageError(
            "no ledger: give --ledger URL, set COMPLIANCE_LEDGER or ledger: in compliance.yaml"
        )
    return url


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as e:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from e


def day_bounds(start: date | None, end: date | None) -> tuple[str | None, str | None]:
    """``at`` bounds for the days ``start``..``end`` inclusive (UTC)."""
    return (
        f"{start.isoformat()}T00:00:00Z" if start else None,
        f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z" if end else None,
    )


@click.group()
def ledger() -> None:
    """Runs and admission decisions recorded over time (see `evaluate --ledger`)."""


@ledger.command("runs")
@ledger_option
@config_option
@click.option("--scope", help="Only this scope's runs.")
@click.option("--from", "from_text", metavar="DATE", help="First day (YYYY-MM-DD, UTC).")
@click.option("--to", "to_text", metavar="DATE", help="Last day (inclusive).")
@click.option(
    "--kind",
    type=click.Choice(["run", "decision"]),
    default="run",
    show_default=True,
    help="Runs of `evaluate`, or admission decisions of `serve`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(
    ledger_option: str | None,
    config_file: Path | None,
    scope: str | None,
    from_text: str | None,
    to_text: str | None,
    kind: str,
    as_json: bool,
) -> None:
    """List the recorded runs (or decisions), oldest first."""
    from compliance.ledger.store import Ledger

    start, end = day_bounds(parse_day(from_text, "--from"), parse_day(to_text, "--to"))
    with Ledger(resolve_url(ledger_option, config_file)) as led:
        rows = led.entries(kind, scope, start, end)
    if kind == "decision":
        decisions = [
            {"id": e.id, "at": e.at, "scope": e.scope, "hash": e.hash}
            | {
                k: e.body.get(k)
                for k in ("uid", "operation", "namespace", "name", "allowed", "result")
            }
            for e in rows
        ]
        if as_json:
            click.echo(orjson.dumps(decisions, option=orjson.OPT_INDENT_2).decode())
            return
        for d in decisions:
            verdict = "allowed" if d["allowed"] else "denied"
            click.echo(
                f"{d['id']:<16}  {d['at']:<20}  {d['scope']:<14}  {verdict:<7}  "
                f"{d['operation'] or ''} {d['namespace'] or '-'}/{d['name'] or '-'}"
            )
        return
    out = [
        {
            "id": e.id,
            "at": e.at,
            "scope": e.scope,
            "commit": (e.body.get("source") or {}).get("commit"),
            "dirty": (e.body.get("source") or {}).get("dirty"),
            "controls": e.body.get("summary", {}).get("controls", {}),
            "findings": e.body.get("counts", {}).get("findings"),
            "resources": e.body.get("counts", {}).get("resources"),
            "bundle": (e.body.get("bundle") or {}).get("sha256"),
            "signer": (e.body.get("signer") or {}).get("keyid"),
            "hash": e.hash,
        }
        for e in rows
    ]
    if as_json:
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    if not out:
        click.echo("no runs", err=True)
        return
    click.echo(
        f"{'ID':<12}  {'AT':<20}  {'SCOPE':<14}  {'FAIL':>4}  {'PASS':>4}  {'FINDINGS':>8}  COMMIT"
    )
    for r in out:
        commit = (r["commit"] or "-")[:12] + ("+dirty" if r["dirty"] else "")
        click.echo(
            f"{r['id']:<12}  {r['at']:<20}  {r['scope']:<14}  {r['controls'].get('fail', 0):>4}  "
            f"{r['controls'].get('pass', 0):>4}  {r['findings'] or 0:>8}  {commit}"
        )


@ledger.command("show")
@click.argument("run_id")
@ledger_option
@config_option
@click.option("--full", is_flag=True, help="Include the controls, findings and resources.")
def show(run_id: str, ledger_option: str | None, config_file: Path | None, full: bool) -> None:
    """Show one run (or decision) as JSON: RUN is its id (run-3) or sequence number."""
    from compliance.ledger.store import Ledger

    with Ledger(resolve_url(ledger_option, config_file)) as led:
        entry = led.get(run_id)
        data: dict[str, Any] = {
            "id": entry.id,
            "seq": entry.seq,
            "kind": entry.kind,
            "scope": entry.scope,
            "at": entry.at,
            "prev": entry.prev,
            "hash": entry.hash,
            "body": entry.body,
        }
        if entry.kind == "run":
            controls = led.blob(entry.body["controls"])
            data["controls"] = [
                {k: c.get(k) for k in ("pack", "control_id", "status", "assessed_count")}
                | ({"assessed": led.blob(c["population"])} if full else {})
                for c in controls
            ]
            if full:
                data["findings"] = led.blob(entry.body["findings"])
                data["resources"] = led.blob(entry.body["resources"])
                data["parameters"] = led.blob(entry.body["parameters"])
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@ledger.command("verify")
@ledger_option
@config_option
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Require every run to be signed by this Ed25519 public key (PEM).",
)
@click.option(
    "--bundle-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where relative bundle paths are found (default: the current directory).",
)
def verify(
    ledger_option: str | None,
    config_file: Path | None,
    key_path: Path | None,
    bundle_dir: Path | None,
) -> None:
    """Check the hash chain, every blob's digest, run signatures and reachable bundles (exit 4 on a problem)."""
    from compliance.evidence import dsse
    from compliance.ledger.store import Ledger
    from compliance.ledger.verify import verify_ledger

    key = dsse.load_public_key(key_path) if key_path else None
    with Ledger(resolve_url(ledger_option, config_file)) as led:
        result = verify_ledger(led, key, bundle_dir)
        source = led.source
    for line in result.bundles_unreachable:
        click.echo(f"note: bundle not reachable, digest not checked: {line}", err=True)
    if result.problems:
        for p in result.problems[:50]:
            click.echo(f"FAIL  {p}", err=True)
        more = len(result.problems) - 50
        if more > 0:
            click.echo(f"... and {more} more", err=True)
        click.echo(f"ledger {source}: verification failed ({len(result.problems)} problems)")
        sys.exit(4)
    click.echo(
        f"ledger {source}: {result.entries} rows ({result.runs} runs, {result.decisions} decisions), "
        f"chain intact, head {result.head}; {result.blobs} blobs match their digests; "
        f"{result.signed} runs signed and verified; {result.bundles_checked} bundles match"
    )


COMMANDS = [ledger]

"""``compliance report``: reports over the ledger (the audit period, the SoA)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from compliance.cli.ledger import config_option, ledger_option, resolve_url
from compliance.errors import EvidenceError, UsageError
from compliance.ledger import scope_name
from compliance.project import find_project


def _generated_at(now_text: str | None) -> str:
    from compliance.cli.evaluate import parse_now
    from compliance.ledger.store import utc_text

    return utc_text(parse_now(now_text) or datetime.now(UTC))


def _write(text: str, output: Path | None, what: str) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {what}: {e.strerror}", file=str(output)) from e
    click.echo(f"wrote {what} to {output}", err=True)


@click.group()
def report() -> None:
    """Reports built from the ledger: the audit period and the Statement of Applicability."""


@report.command("period")
@ledger_option
@config_option
@click.option(
    "--scope",
    "scope_option",
    metavar="NAME",
    help="Scope (default: scope: in compliance.yaml, else 'default').",
)
@click.option(
    "--from",
    "from_text",
    required=True,
    metavar="DATE",
    help="First day of the period (YYYY-MM-DD, UTC).",
)
@click.option(
    "--to", "to_text", required=True, metavar="DATE", help="Last day of the period (inclusive)."
)
@click.option("--pack", "packs", multiple=True, help="Only this pack's controls (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "csv", "html", "oscal"]),
    default="json",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE.",
)
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a signed period bundle (needs --sign-key).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 private key (PEM) that signs the bundle.",
)
@click.option(
    "--sample-seed", type=int, default=0, show_default=True, help="Seed of the per-control samples."
)
@click.option(
    "--sample-sizes",
    metavar="TABLE",
    help="Sample size by population size (default: sample.sizes in compliance.yaml, else 1-5:all,6-50:5,51-250:10%,>250:25).",
)
@click.option(
    "--sla",
    metavar="SEV=DAYS,...",
    help="Days to fix by severity (default critical=7,high=30,medium=90,low=180).",
)
@click.option(
    "--now",
    "now_text",
    metavar="RFC3339",
    help="Extraction time written into the report (default: the clock).",
)
def period(
    ledger_option: str | None,
    config_file: Path | None,
    scope_option: str | None,
    from_text: str,
    to_text: str,
    packs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    bundle: Path | None,
    sign_key: Path | None,
    sample_seed: int,
    sample_sizes: str | None,
    sla: str | None,
    now_text: str | None,
) -> None:
    """Control timelines, findings with first seen / fixed / SLA, the population and samples over a period."""
    from compliance.evidence import dsse
    from compliance.ledger.period import PeriodOptions, build_period, parse_date, parse_sla
    from compliance.ledger.population import DEFAULT_SIZES, parse_sizes
    from compliance.ledger.render import renderer
    from compliance.ledger.store import Ledger

    if bool(bundle) != bool(sign_key):
        raise UsageError("--bundle FILE and --sign-key KEY go together")
    project = find_project(config_file)
    configured = (project.config.sample or {}).get("sizes")
    sizes = sample_sizes or (str(configured) if configured else DEFAULT_SIZES)
    parse_sizes(sizes, "--sample-sizes" if sample_sizes else "sample.sizes")
    key = dsse.load_private_key(sign_key) if sign_key else None
    opts = PeriodOptions(
        scope=scope_name(scope_option, project),
        start=parse_date(from_text, "--from"),
        end=parse_date(to_text, "--to"),
        packs=packs,
        seed=sample_seed,
        sizes=sizes,
        sla=parse_sla(sla),
        generated_at=_generated_at(now_text),
    )
    with Ledger(resolve_url(ledger_option, config_file)) as led:
        built = build_period(led, opts)
        if not built.runs:
            click.echo(f"warning: no run of scope {opts.scope} in the period", err=True)
        text = renderer(fmt, led, built.runs)(built.data)
        if bundle is not None and key is not None:
            from compliance.ledger.bundle import build_period_bundle

            data, sha = build_period_bundle(built, led, key)
            try:
                bundle.parent.mkdir(parents=True, exist_ok=True)
                bundle.write_bytes(data)
            except OSError as e:
                raise EvidenceError(f"cannot write bundle: {e.strerror}", file=str(bundle)) from e
            click.echo(f"wrote signed period bundle {bundle} (sha256 {sha})", err=True)
    _write(text, output, f"{fmt} period report")


@report.command("soa")
@click.option(
    "--pack",
    "pack_name",
    default="iso27001",
    show_default=True,
    help="The ISO/IEC 27001:2022 pack.",
)
@ledger_option
@config_option
@click.option("--scope", "scope_option", metavar="NAME", help="Scope whose runs give the statuses.")
@click.option(
    "--from",
    "from_text",
    metavar="DATE",
    help="With --to: statuses at the end of this period, evidence from all its runs.",
)
@click.option("--to", "to_text", metavar="DATE", help="Last day of the period (inclusive).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "csv", "html"]),
    default="json",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the SoA to FILE."
)
def soa(
    pack_name: str,
    ledger_option: str | None,
    config_file: Path | None,
    scope_option: str | None,
    from_text: str | None,
    to_text: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Statement of Applicability: all 93 ISO/IEC 27001:2022 Annex A controls."""
    import orjson

    from compliance.ledger import ledger_url
    from compliance.ledger.period import parse_date
    from compliance.ledger.soa import (
        PACK,
        build_soa,
        exclusions,
        render_csv,
        render_html,
        render_markdown,
    )
    from compliance.ledger.store import Ledger
    from compliance.policy.packs import load_library, load_pack

    if pack_name != PACK:
        raise UsageError(
            f"--pack {pack_name!r}: the Statement of Applicability is for ISO/IEC 27001:2022 (--pack {PACK})"
        )
    if bool(from_text) != bool(to_text):
        raise UsageError("--from and --to go together")
    project = find_project(config_file)
    excluded = exclusions(project.config.scope, project.file or "compliance.yaml")
    pack = load_pack(PACK, load_library())
    url = ledger_url(ledger_option, project)
    if url is None:
        data = build_soa(pack, excluded)
    else:
        scope = scope_name(scope_option, project)
        with Ledger(url) as led:
            if from_text and to_text:
                start, end = parse_date(from_text, "--from"), parse_date(to_text, "--to")
                from compliance.cli.ledger import day_bounds

                lo, hi = day_bounds(start, end)
                runs = led.entries("run", scope, lo, hi)
                basis = f"the period {start} to {end} of scope {scope} ({len(runs)} runs; status at its end)"
            else:
                runs = led.entries("run", scope)[-1:]
                basis = f"the latest run of scope {scope}" + (
                    f" ({runs[0].id}, {runs[0].at})" if runs else ": none recorded"
                )
            data = build_soa(pack, excluded, led, runs, basis)
    if fmt == "json":
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = {"markdown": render_markdown, "csv": render_csv, "html": render_html}[fmt](data)
    _write(text, output, f"{fmt} statement of applicability")


COMMANDS = [report]

"""``compliance evaluate``."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml

from compliance import pipeline
from compliance.cli.engine_options import EngineSelection, engine_options
from compliance.cli.main import skip_teardown
from compliance.errors import OutputError, UsageError
from compliance.formats import FORMATS, rendered
from compliance.incremental.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from compliance.inputs import LoadOptions
from compliance.inputs.securityconfig import check_set_path
from compliance.ledger import ledger_url, scope_name
from compliance.model.report import CONTROL_STATUSES, SEVERITIES
from compliance.pipeline import PipelineOptions
from compliance.policy.packs import available_packs, check_pack_names, merge_parameters
from compliance.project import find_project
from compliance.runner import RunOptions


def parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise UsageError(
            f"--now {value!r} is not an RFC 3339 timestamp (e.g. 2026-11-27T00:00:00Z)"
        ) from e
    if moment.tzinfo is None:
        raise UsageError(f"--now {value!r} needs a timezone (e.g. Z or +00:00)")
    return moment


def parse_assignments(values: tuple[str, ...], option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} {item!r}: expected NAME=VALUE")
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        # a float keeps its text: `1.10` is not the version `1.1`
        out[name.strip()] = raw.strip() if isinstance(value, float) else value
    return out


def parse_control_statuses(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...]:
    statuses = tuple(s.strip() for s in (value or "").split(",") if s.strip())
    unknown = [s for s in statuses if s not in CONTROL_STATUSES]
    if unknown:
        raise click.BadParameter(
            f"unknown control status {', '.join(unknown)}; choose from {', '.join(CONTROL_STATUSES)}"
        )
    return statuses


@contextlib.contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--pack", "packs", multiple=True, help="Pack to evaluate (repeatable; default: all).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="Output format (default: table on a terminal, json otherwise).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Exit 1 when an open finding is at or above this severity.",
)
@click.option(
    "--now",
    "now_text",
    metavar="RFC3339",
    help="Evaluation time (certificate expiry and other time-dependent checks).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a SecurityConfig field, e.g. security.tls_config.min_version=1.3.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a pack parameter (PACK.NAME=VALUE for one pack only).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Project file with packs, parameters, waivers, fail_on (default: ./compliance.yaml).",
)
@engine_options
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Waiver file (default: the waivers: key of ./compliance.yaml).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Previous JSON report: its findings do not count for --fail-on.",
)
@click.option(
    "--fail-on-control-status",
    "fail_statuses",
    metavar="STATUS[,STATUS]",
    callback=parse_control_statuses,
    help="Exit 1 when a control has one of these statuses, e.g. fail,error.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option(
    "--cache-verify",
    is_flag=True,
    help="Read and hash every input even when its size, mtime and inode match the cache.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE_DIR,
    show_default=True,
    help="Result cache directory (safe to delete; never changes results).",
)
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a signed evidence bundle (.tar.gz) to FILE (needs --sign-key).",
)
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 private key (PEM) that signs the bundle; see `compliance keys generate`.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also add the signed bundle to this evidence store (e.g. evidence/).",
)
@click.option(
    "--ledger",
    "ledger_option",
    metavar="URL",
    help="Record the run in this ledger: sqlite:///PATH or postgresql://... "
    "(default: $COMPLIANCE_LEDGER, then ledger: in compliance.yaml).",
)
@click.option(
    "--scope",
    "scope_option",
    metavar="NAME",
    help="Ledger scope the run belongs to (default: scope: in compliance.yaml, else 'default').",
)
def evaluate(
    paths: tuple[str, ...],
    packs: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    fail_on: str,
    now_text: str | None,
    sets: tuple[str, ...],
    params: tuple[str, ...],
    engine_selection: EngineSelection,
    waivers_file: Path | None,
    baseline_file: Path | None,
    fail_statuses: tuple[str, ...],
    no_cache: bool,
    cache_verify: bool,
    cache_dir: Path,
    config_file: Path | None,
    bundle: Path | None,
    sign_key: Path | None,
    store_dir: Path | None,
    ledger_option: str | None,
    scope_option: str | None,
) -> None:
    """Evaluate configuration files (or folders, or - for a YAML stream on stdin)."""
    # what a run builds lives until it ends: frozen out of the collector's sight
    # (gc_paused(freeze=True)), unfrozen when the command closes (in-process callers)
    click.get_current_context().call_on_close(gc.unfreeze)
    for s in sets:
        if "=" not in s:
            raise UsageError(f"--set {s!r}: expected dotted.path=value")
        check_set_path(s)
    project = find_project(config_file)
    ledger = ledger_url(ledger_option, project)
    scope = scope_name(scope_option, project)
    cli_params = parse_assignments(params, "--param")
    pack_names = available_packs()
    if (
        click.get_current_context().get_parameter_source("fail_on")
        is click.core.ParameterSource.DEFAULT
    ):
        fail_on = project.config.fail_on or fail_on
    if project.config.packs and project.file:
        check_pack_names(project.config.packs, file=project.file, lines=project.lines)
    check_pack_names(packs)
    options = RunOptions(
        packs=list(packs) or project.config.packs,
        parameters=merge_parameters([project.config.parameters, cli_params], pack_names),
        now=parse_now(now_text),
        load=LoadOptions(sets=sets),
        **engine_selection,
    )
    fmt = fmt or ("table" if sys.stdout.isatty() and output is None else "json")
    result = pipeline.run(
        PipelineOptions(
            paths=paths,
            run=options,
            project=project,
            cli_parameters=cli_params,
            fail_on=fail_on,
            fail_statuses=fail_statuses,
            waivers_file=waivers_file,
            baseline_file=baseline_file,
            cache=not no_cache,
            cache_verify=cache_verify,
            cache_dir=cache_dir,
            bundle=bundle,
            sign_key=sign_key,
            store_dir=store_dir,
            ledger=ledger,
            scope=scope,
            progress=progress,
            notify=lambda line: click.echo(line, err=True),
        )
    )
    if fmt == "html" and result.keyid:
        # a copy beside the bundle: names it and its signer; the links live in the bundle's copy
        from compliance.formats import html
        from compliance.formats.view import BundleInfo

        where = bundle.name if bundle else None
        _emit(html.render(result.report, bundle=BundleInfo(result.keyid, name=where)), fmt, output)
    elif fmt == "sarif":
        from compliance.formats import sarif

        _emit(sarif.render(result.report, result.checks), fmt, output)
    else:
        _emit(rendered(fmt, result.report), fmt, output)
    # a table on a terminal lists the errors itself
    if not (fmt == "table" and output is None):
        for line in result.error_lines():
            click.echo(line, err=True)
    skip_teardown()
    sys.exit(result.exit_code)


def _emit(text: str | bytes, fmt: str, output: Path | None) -> None:
    """Write a report (text, or UTF-8 bytes) to ``output`` or standard output."""
    if output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                output.write_bytes(text)
            else:
                output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise OutputError(
                f"cannot write the report: {e.strerror or e}", file=str(output)
            ) from e
        click.echo(f"wrote {fmt} report to {output}", err=True)
    else:
        click.echo(text, nl=False)


COMMANDS = [evaluate]

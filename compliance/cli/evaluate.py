"""``compliance evaluate``."""

from __future__ import annotations

import contextlib
import gc
import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from compliance.baseline import apply_baseline, load_baseline
from compliance.cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from compliance.cache import Cache, CacheMiss, evaluate_cached, evaluate_cached_data
from compliance.cli.engine_options import EngineSelection, engine_options
from compliance.cli.main import skip_teardown
from compliance.collector import gc_paused
from compliance.errors import InputError, OutputError, UsageError
from compliance.evidence import record_evidence
from compliance.evidence.redact import clean_data, input_secrets
from compliance.formats import FORMATS, renderer
from compliance.formats.json import render_data
from compliance.ledger import ledger_url, preload, record_evaluation, scope_name
from compliance.loaders import LoadOptions, hcl_grammar
from compliance.loaders.reading import read_stdin
from compliance.loaders.registry import NOTHING_TO_EVALUATE
from compliance.loaders.securityconfig import check_set_path
from compliance.models.report import CONTROL_STATUSES, SEVERITIES, Report, exit_code_of
from compliance.packs import (
    available_packs,
    check_pack_names,
    check_parameters,
    merge_parameters,
)
from compliance.parallel import available_cpus
from compliance.project import find_project
from compliance.runner import RunOptions, build_evaluator, evaluate_loaded, load_inputs
from compliance.waivers import WaiverSet, load_waivers


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


def report_waiver_problems(summary: dict[str, Any]) -> None:
    """Expired and stale waivers on stderr: they need an owner's attention."""
    for w in summary["expired"]:
        click.echo(
            f"warning: {w['source']}: waiver for {w['check']} on {w['resource']} expired on {w['expires']}; {w['would_match']} finding(s) count again",
            err=True,
        )
    for w in summary["stale"]:
        click.echo(
            f"warning: {w['source']}: waiver for {w['check']} on {w['resource']} matches no finding (stale)",
            err=True,
        )


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
    if ledger:
        preload()
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
    waiver_set = WaiverSet(
        load_waivers(waivers_file) if waivers_file else project.loaded_waivers(),
        (options.now or datetime.now(UTC)).date(),
    )
    baseline = load_baseline(baseline_file) if baseline_file else None
    with progress("Loading packs"):
        evaluator = build_evaluator(options)
    if project.file:
        check_parameters(
            evaluator.packs, project.config.parameters, pack_names, project.file, project.lines
        )
    check_parameters(evaluator.packs, cli_params, pack_names, "--param")
    options.exclusions = project.exclusions(evaluator.packs, pack_names)
    stdin_text = _read_stdin(options.load.max_file_bytes) if "-" in paths else None
    with progress("Loading inputs"), gc_paused(freeze=True):
        # A bundle holds every input's text and resources, stdin has no file to key: the
        # cache serves plain runs over files only.
        use_cache = not (no_cache or bundle or store_dir or "-" in paths)
        cache = Cache(cache_dir, options.load, verify=cache_verify) if use_cache else None
        # python-hcl2's compiled grammar: derived from installed code, never from inputs
        hcl_grammar.use_cache_dir(None if no_cache else cache_dir)
        workers = available_cpus()
        # the inputs' text only for a bundle (it holds them): 170 MB for 10k objects
        keep_texts = bool(bundle or store_dir)
        loaded = load_inputs(
            paths, options.load, stdin_text, workers=workers, cache=cache, keep_texts=keep_texts
        )
        evaluator.workers = workers
    for notice in loaded.notices:
        click.echo(f"note: {notice['message']}", err=True)
    for error in loaded.errors:
        if error.message.startswith(NOTHING_TO_EVALUATE):
            click.echo(f"error: {error.message}", err=True)
    waive = waiver_set.waive if waiver_set.waivers else None
    fmt = fmt or ("table" if sys.stdout.isatty() and output is None else "json")
    # A cached JSON run without waivers or a baseline renders the report's data straight
    # from the cached rows (no model per finding; the same bytes, tested).
    as_data = fmt == "json" and waive is None and baseline is None and sign_key is None
    with progress("Evaluating"), gc_paused(freeze=True):
        report: Report | None = None
        data: dict[str, Any] | None = None
        if cache is not None:
            try:
                if as_data:
                    data = evaluate_cached_data(evaluator, loaded, cache, options)
                else:
                    report = evaluate_cached(evaluator, loaded, cache, options, waive)
            except CacheMiss:
                # a damaged body: load again without the cache
                loaded = load_inputs(
                    paths, options.load, stdin_text, workers=workers, keep_texts=keep_texts
                )
        if data is not None and not clean_data(data, input_secrets(loaded)):
            report, data = Report.model_validate(data), None  # a secret to mask: models
        if report is None and data is None:
            report = evaluate_loaded(evaluator, loaded, options, waive=waive)
    if data is not None:
        if ledger:
            click.echo(
                record_evaluation(
                    ledger, scope, data, paths=paths, loaded_resources=loaded.resources
                ),
                err=True,
            )
        _emit(render_data(data), fmt, output)
        _errors_to_stderr(data["errors"], fmt, output)
        skip_teardown()
        sys.exit(
            exit_code_of(
                bool(data["errors"]),
                [c["status"] for c in data["controls"]],
                (f["severity"] for f in data["findings"]),  # all open: no waivers
                fail_on,
                fail_statuses,
            )
        )
    assert report is not None
    if waiver_set.waivers:
        report = waiver_set.annotate(report)
        report_waiver_problems(report.extra["waivers"])
    if baseline:
        report = apply_baseline(report, baseline)
    recorded = record_evidence(
        report,
        loaded,
        bundle=bundle,
        sign_key=sign_key,
        store=store_dir,
        parameters=options.parameters,
    )
    report = recorded.report
    for note in recorded.notes:
        click.echo(note, err=True)
    if ledger:
        click.echo(
            record_evaluation(
                ledger,
                scope,
                report.model_dump(mode="json"),
                paths=paths,
                loaded_resources=loaded.resources,
                bundle=bundle,
                bundle_sha256=recorded.bundle_sha256,
                sign_key=sign_key,
            ),
            err=True,
        )

    if fmt == "html" and recorded.keyid:
        # a copy beside the bundle: names it and its signer; the links live in the bundle's copy
        from compliance.formats import html
        from compliance.formats.view import BundleInfo

        where = bundle.name if bundle else None
        _emit(html.render(report, bundle=BundleInfo(recorded.keyid, name=where)), fmt, output)
    else:
        _emit(renderer(fmt)(report), fmt, output)
    _errors_to_stderr([e.model_dump(mode="json") for e in report.errors], fmt, output)
    skip_teardown()
    sys.exit(report.exit_code(fail_on, fail_statuses))


def _errors_to_stderr(errors: list[dict[str, Any]], fmt: str, output: Path | None) -> None:
    """Input, pack and engine errors as ``file:line: message`` on stderr, unless the report
    went to a terminal as a table (which lists them)."""
    if not errors or (fmt == "table" and output is None):
        return
    for e in errors:
        if str(e["message"]).startswith(NOTHING_TO_EVALUATE):
            continue  # said already, before evaluating
        where = str(e.get("file") or "")
        if where and e.get("line"):
            where = f"{where}:{e['line']}"
        click.echo(
            f"error: {where}: {e['message']}" if where else f"error: {e['message']}", err=True
        )
    click.echo(f"{len(errors)} error(s); see the report's errors", err=True)


def _read_stdin(limit: int) -> str | InputError:
    """Standard input under the file size limit, or why it was not read."""
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is None:  # a text stream without bytes underneath (embedding callers)
            return read_stdin(io.BytesIO(sys.stdin.read(limit + 1).encode("utf-8")), limit)
        return read_stdin(stream, limit)
    except InputError as e:
        return e


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

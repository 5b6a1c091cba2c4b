"""``compliance packs list|show|test`` and ``compliance controls list``."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from compliance.coverage import (
    NOT_ASSESSED,
    check_kinds,
    crosswalk_csv,
    not_assessed_on,
    platforms,
)
from compliance.engine import make_engine
from compliance.errors import UsageError
from compliance.evaluation.evaluator import Evaluator
from compliance.model import Pack
from compliance.policy.cases import CaseResult, cases_root, discover, run_cases
from compliance.policy.packs import (
    CheckLibrary,
    available_packs,
    load_library,
    load_pack,
    policy_root,
)

FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for machines.",
)


def _console(buffer: io.StringIO) -> Console:
    color = sys.stdout.isatty()
    width = shutil.get_terminal_size(fallback=(120, 24)).columns
    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=max(width, 100),
        highlight=False,
    )


def _print_tables(*tables: Table | str) -> None:
    buffer = io.StringIO()
    console = _console(buffer)
    for table in tables:
        console.print(table)
    click.echo(buffer.getvalue(), nl=False)


def _json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _load(names: list[str] | None = None) -> tuple[CheckLibrary, list[Pack]]:
    library = load_library()
    return library, [load_pack(n, library) for n in (names or available_packs())]


def _pack_summary(pack: Pack) -> dict[str, Any]:
    return {
        "name": pack.name,
        "framework": pack.framework,
        "framework_version": pack.framework_version,
        "version": pack.version,
        "controls": len(pack.controls),
        "digest": pack.digest,
    }


def _control_row(library: CheckLibrary, pack: Pack, control: Any) -> dict[str, Any]:
    kinds = check_kinds(control.checks, library.checks)
    return {
        "pack": pack.name,
        "control_id": control.id,
        "title": control.title,
        "checks": list(control.checks),
        "evidence": control.evidence,
        "description": control.description,
        "evidence_hint": control.evidence_hint,
        "assessed_on": platforms(kinds),
        "not_assessed_on": not_assessed_on(platforms(kinds)),
        "kinds": kinds,
    }


def _not_assessed_note() -> str:
    return "Not assessed by any check: " + "; ".join(
        f"{k} ({why})" for k, why in NOT_ASSESSED.items()
    )


@click.group()
def packs() -> None:
    """Policy packs: list, show and test them."""


@packs.command("list")
@FORMAT
def list_packs(fmt: str) -> None:
    """Every pack with its framework, version, control count and digest."""
    _, loaded = _load()
    rows = [_pack_summary(p) for p in loaded]
    if fmt == "json":
        _json(rows)
        return
    table = Table(title=f"Packs in {policy_root()}", title_justify="left")
    for column in ("pack", "framework", "version", "controls", "digest"):
        table.add_column(
            column, justify="right" if column == "controls" else "left", overflow="fold"
        )
    for r in rows:
        framework = (
            f"{r['framework']} ({r['framework_version']})"
            if r["framework_version"]
            else r["framework"]
        )
        table.add_row(r["name"], framework, r["version"], str(r["controls"]), r["digest"])
    _print_tables(table)


@packs.command("show")
@click.argument("name")
@FORMAT
def show_pack(name: str, fmt: str) -> None:
    """A pack's framework, version, digest, parameters and controls."""
    library, (pack,) = _load([name])
    if fmt == "json":
        _json(
            {
                **_pack_summary(pack),
                "description": pack.description,
                "parameters": pack.parameters,
                "parameter_declarations": {
                    k: spec.model_dump(mode="json", exclude_none=True)
                    for k, spec in pack.parameter_specs.items()
                },
                "controls": [_control_row(library, pack, c) for c in pack.controls],
                "not_assessed": NOT_ASSESSED,
            }
        )
        return
    head = (
        f"[bold]{pack.name}[/bold] {pack.version}: {pack.framework}"
        f"{f' ({pack.framework_version})' if pack.framework_version else ''}\n"
        f"digest {pack.digest}\n{pack.description}"
    )
    params = Table(
        title="Parameters (defaults; override with --param or compliance.yaml)",
        title_justify="left",
    )
    params.add_column("parameter")
    params.add_column("default", overflow="fold")
    params.add_column("allowed", overflow="fold")
    for key, value in pack.parameters.items():
        spec = pack.parameter_specs.get(key)
        params.add_row(key, orjson.dumps(value).decode(), spec.describe() if spec else "")
    _print_tables(
        head,
        params,
        _controls_table(library, [pack], with_pack=False),
        _not_assessed_note(),
    )


def _controls_table(library: CheckLibrary, loaded: list[Pack], *, with_pack: bool) -> Table:
    table = Table(title="Controls", title_justify="left")
    if with_pack:
        table.add_column("pack")
    for column in ("control", "title", "checks", "evidence", "assessed on"):
        table.add_column(column, overflow="fold")
    for pack in loaded:
        for c in pack.controls:
            where = platforms(check_kinds(c.checks, library.checks))
            row = [c.id, c.title, ", ".join(c.checks) or "-", c.evidence, ", ".join(where) or "-"]
            table.add_row(*([pack.name, *row] if with_pack else row))
    return table


@packs.command("crosswalk")
def crosswalk() -> None:
    """The crosswalk as CSV: per check its title, severity, each pack's control ids, and the
    platforms and kinds it reads (the content of policies/crosswalk.csv)."""
    library, loaded = _load()
    click.echo(crosswalk_csv(library.checks, loaded), nl=False)


@packs.command("test")
@click.option(
    "--cases",
    "cases_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of <CHECK>/<case>/ fixtures (default: tests/packs/cases beside the policies, "
    "else the cases the installed package ships).",
)
@click.option(
    "--check", "checks", multiple=True, metavar="ID", help="Only cases of this check (repeatable)."
)
@FORMAT
def test_packs(cases_dir: Path | None, checks: tuple[str, ...], fmt: str) -> None:
    """Run the packs' own fixture cases through the embedded engine; exit 1 on a failure."""
    cases_dir = cases_dir or cases_root()
    library, loaded = _load()
    evaluator = Evaluator(make_engine("embedded"), library, loaded)
    cases = discover(cases_dir, set(checks) or None)
    if not cases:
        raise UsageError(
            f"no cases found in {cases_dir}" + (f" for {', '.join(checks)}" if checks else "")
        )
    results = run_cases(cases, evaluator)
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        _json(
            {
                "cases": len(results),
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "results": [r.as_dict() for r in results],
            }
        )
    else:
        _print_results(results)
    sys.exit(1 if failed else 0)


def _print_results(results: list[CaseResult]) -> None:
    color = sys.stdout.isatty()
    for r in results:
        mark = (
            click.style("PASS", fg="green")
            if r.passed
            else click.style("FAIL", fg="red", bold=True)
        )
        click.echo(f"{mark if color else ('PASS' if r.passed else 'FAIL')}  {r.case.id}")
        for e in r.errors:
            click.echo(f"      error: {e}")
        for m in r.missing:
            click.echo(f"      missing:    {_expected(m)}")
        for u in r.unexpected:
            click.echo(f"      unexpected: {_expected(u)}")
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{len(results)} cases, {len(results) - failed} passed, {failed} failed")


def _expected(item: tuple[Any, ...]) -> str:
    resource, severity, message, *line = item
    return f"{severity} {resource}{f':{line[0]}' if line else ''}: {message}"


@click.group()
def controls() -> None:
    """Framework controls and the checks that evidence them."""


@controls.command("list")
@click.option("--pack", "names", multiple=True, help="Pack (repeatable; default: all).")
@FORMAT
def list_controls(names: tuple[str, ...], fmt: str) -> None:
    """Each control: id, title, checks, evidence type (automated, partial, manual) and the
    platforms its checks assess (AWS, Azure, GCP, Kubernetes, compose, Dockerfile,
    SecurityConfig)."""
    library, loaded = _load(list(names) or None)
    if fmt == "json":
        _json([_control_row(library, p, c) for p in loaded for c in p.controls])
        return
    _print_tables(_controls_table(library, loaded, with_pack=len(loaded) > 1), _not_assessed_note())


COMMANDS = [packs, controls]

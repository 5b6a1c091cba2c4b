"""``compliance evidence``: verify bundles and read the local store.

``verify-log`` checks the hash chain of the admission decision log ``compliance serve``
writes; it lives here, with the other verification, so that ``compliance evidence`` lists it
without importing the server.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click
import orjson

from compliance.errors import EvidenceError, OutputError, UsageError
from compliance.evidence import dsse
from compliance.evidence.bundle import MANIFEST
from compliance.evidence.store import DEFAULT_STORE, Store
from compliance.evidence.verify import read_members, verify_file

store_option = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STORE,
    show_default=True,
    help="Evidence store directory.",
)


@click.group()
def evidence() -> None:
    """Verify evidence bundles and read the local evidence store."""


@evidence.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The publisher's Ed25519 public key (PEM).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict.")
def verify(bundle: Path, key_path: Path, quiet: bool) -> None:
    """Verify BUNDLE offline: archive safety, signature, every file digest, no missing or extra file.

    Exit 0 when everything checks out, 4 naming what failed.
    """
    key = dsse.load_public_key(key_path)
    checks = verify_file(bundle, key)
    if not quiet:
        for line in checks:
            click.echo(f"ok  {line}")
    click.echo(f"verified: {bundle}")


@evidence.command("list")
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print the index entries as JSON.")
def list_(store_dir: Path, as_json: bool) -> None:
    """List the bundles in the store, newest first."""
    entries = Store(store_dir).entries()
    if as_json:
        click.echo(orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode())
        return
    if not entries:
        click.echo(f"no bundles in {store_dir}", err=True)
        return
    click.echo(f"{'ID':<16}  {'EVALUATED':<20}  {'FAIL':>4}  {'PASS':>4}  {'FINDINGS':>8}  PACKS")
    for e in entries:
        controls = e.get("summary", {}).get("controls", {})
        packs = ",".join(f"{p['name']}@{p['version']}" for p in e.get("packs", []))
        click.echo(
            f"{e['id']:<16}  {e.get('evaluated_at', ''):<20}  {controls.get('fail', 0):>4}  "
            f"{controls.get('pass', 0):>4}  {e.get('summary', {}).get('findings', 0):>8}  {packs}"
        )


@evidence.command("show")
@click.argument("bundle_id")
@store_option
def show(bundle_id: str, store_dir: Path) -> None:
    """Show a stored bundle's index entry and manifest (JSON)."""
    store = Store(store_dir)
    entry, data = store.read(bundle_id)
    members = read_members(data, str(store.path_of(entry)))
    if MANIFEST not in members:
        raise EvidenceError(f"bundle has no {MANIFEST}", file=str(store.path_of(entry)))
    manifest = orjson.loads(members[MANIFEST])
    click.echo(
        orjson.dumps({"entry": entry, "manifest": manifest}, option=orjson.OPT_INDENT_2).decode()
    )


@evidence.command("export")
@click.argument("bundle_id")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the bundle.",
)
@store_option
def export(bundle_id: str, output: Path, store_dir: Path) -> None:
    """Copy a stored bundle out of the store (verify it with `compliance evidence verify`)."""
    store = Store(store_dir)
    entry = store.get(bundle_id)
    source = store.path_of(entry)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, output)
    except OSError as e:
        raise OutputError(f"cannot export bundle: {e.strerror}", file=str(output)) from e
    click.echo(f"exported {entry['id']} to {output}", err=True)


COMMANDS = [evidence]


@evidence.command("verify-log")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--expect-head",
    metavar="SHA256",
    help="The head hash recorded elsewhere: detects records cut from the end.",
)
@click.option(
    "--checkpoints",
    "checkpoints",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Also verify signed checkpoints: those the server wrote beside the log "
    "(LOG.checkpoints), or those in FILE (e.g. heads kept from GET /v1/decisions/head, one a "
    "line). Needs --key.",
)
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The server's Ed25519 public key (PEM), for --checkpoints.",
)
def verify_log(
    file: Path, expect_head: str | None, checkpoints: str | None, key_path: Path | None
) -> None:
    """Verify a decision log's hash chain, and with --checkpoints that every signed checkpoint
    still matches it (exit 4 naming the first bad record or checkpoint)."""
    from compliance.server.decisionlog import checkpoints_path, verify

    if checkpoints is not None and key_path is None:
        raise UsageError("--checkpoints needs --key PUB (the server's public key)")
    if key_path is not None and checkpoints is None:
        raise UsageError("--key is used with --checkpoints")
    key = dsse.load_public_key(key_path) if key_path else None
    signed = None
    if checkpoints is not None:
        signed = Path(checkpoints) if checkpoints else checkpoints_path(file)
    result = verify(file, expect_head, signed, key)
    click.echo(f"{file}: {result.records} records, chain intact, head {result.head}", err=True)
    if signed is not None:
        click.echo(
            f"{signed}: {result.checkpoints} signed checkpoints verified, covering records "
            f"1-{result.checkpointed}; {result.records - result.checkpointed} after the last",
            err=True,
        )
    sys.exit(0)

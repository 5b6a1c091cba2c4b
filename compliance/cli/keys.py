"""``compliance keys``: Ed25519 signing keys for evidence bundles."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import OutputError, UsageError
from compliance.evidence import dsse

PRIVATE_NAME = "signing.key"
PUBLIC_NAME = "signing.pub"


def _write_new(path: Path, data: bytes, mode: int, force: bool) -> None:
    """Write ``data`` to ``path`` with ``mode`` set before any byte is written.

    A new name is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (never through a symlink);
    with ``force`` the key goes to a fresh temporary file in the same folder, which then
    replaces ``path`` by rename: a symlink at ``path`` is replaced, never followed, and a
    reader holding the old file open never sees the new key."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    target = path
    if force:
        target = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(target, flags, mode)
    except FileExistsError as e:
        raise UsageError("already exists; pass --force to replace it", file=str(path)) from e
    except OSError as e:
        raise OutputError(f"cannot write: {e.strerror}", file=str(path)) from e
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # the umask may have narrowed it; exact before writing
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if target != path:
            os.replace(target, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            if target != path:
                os.unlink(target)
        raise OutputError(f"cannot write: {e.strerror}", file=str(path)) from e


@click.group()
def keys() -> None:
    """Manage evidence signing keys."""


@keys.command("generate")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for signing.key (mode 0600) and signing.pub.",
)
@click.option("--force", is_flag=True, help="Replace existing keys in DIR.")
def generate(out: Path, force: bool) -> None:
    """Create an Ed25519 key pair: DIR/signing.key (private, 0600) and DIR/signing.pub."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the key folder: {e.strerror}", file=str(out)) from e
    key = Ed25519PrivateKey.generate()
    private, public = out / PRIVATE_NAME, out / PUBLIC_NAME
    if not force:
        for path in (private, public):
            if path.exists() or path.is_symlink():
                raise UsageError("already exists; pass --force to replace it", file=str(path))
    _write_new(private, dsse.private_pem(key), 0o600, force)
    _write_new(public, dsse.public_pem(key.public_key()), 0o644, force)
    click.echo(f"private key: {private} (keep it secret)", err=True)
    click.echo(f"public key:  {public} (give it to auditors)", err=True)
    click.echo(f"keyid: {dsse.keyid(key.public_key())}")


COMMANDS = [keys]

"""A copy of examples/bpi and a fresh signing key in a temporary folder, for tests that run
`compliance evaluate bpi ... --sign-key` there (the report names inputs bpi/...)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.evidence.dsse import private_pem

ROOT = Path(__file__).resolve().parents[1]


def bpi_with_key(tmp: Path) -> tuple[Ed25519PrivateKey, Path]:
    """Copies examples/bpi to ``tmp/bpi``; returns a new key and its PEM file ``tmp/signing.key``."""
    shutil.copytree(ROOT / "examples" / "bpi", tmp / "bpi")
    key = Ed25519PrivateKey.generate()
    key_file = tmp / "signing.key"
    key_file.write_bytes(private_pem(key))
    return key, key_file

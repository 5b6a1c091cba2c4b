"""The server's TLS: TLS 1.2 with ECDHE and AEAD suites only, and TLS 1.3.

The same policy our TLS-01/TLS-02 checks ask of a SecurityConfig: no TLS 1.0/1.1, no CBC,
static-RSA, 3DES, RC4, NULL or EXPORT suites. TLS 1.3 suites are all AEAD.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import uvicorn

from compliance.errors import UsageError

AEAD_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!SHA1"
"""OpenSSL cipher string for TLS 1.2: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305."""


def harden(context: ssl.SSLContext) -> ssl.SSLContext:
    """Restrict ``context`` to TLS 1.2+ and the AEAD suites; the server picks the suite."""
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(AEAD_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    context.options |= ssl.OP_NO_RENEGOTIATION
    return context


def uvicorn_config(
    app: Any, *, host: str, port: int, cert: Path | None, key: Path | None, **options: Any
) -> uvicorn.Config:
    """A loaded uvicorn config whose TLS context (with ``cert`` and ``key``) is hardened."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        ssl_ciphers=AEAD_CIPHERS,
        **options,
    )
    try:
        config.load()
    except (ssl.SSLError, OSError) as e:
        raise UsageError(
            f"cannot load the TLS certificate and key: {e.strerror or e}", file=str(cert)
        ) from e
    if config.ssl is not None:
        harden(config.ssl)
    return config

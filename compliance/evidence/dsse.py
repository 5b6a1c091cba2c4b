"""DSSE envelopes holding in-toto Statement v1, signed with Ed25519.

The pre-authentication encoding (PAE) is what gets signed; ``verify`` returns the statement
parsed from the exact verified bytes, so callers never read an unverified payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.errors import EvidenceError, UsageError

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://compliance.dev/attestation/evaluation/v1"


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    digest: dict[str, str]


class Statement(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    type: str = Field(default=STATEMENT_TYPE, alias="_type")
    subject: list[Subject]
    predicate_type: str = Field(default=PREDICATE_TYPE, alias="predicateType")
    predicate: dict[str, Any]


class Signature(BaseModel):
    model_config = ConfigDict(frozen=True)

    keyid: str
    sig: str


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    payload: str
    payload_type: str = Field(alias="payloadType")
    signatures: list[Signature]

    def to_json(self) -> bytes:
        data = self.model_dump(by_alias=True)
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def raw_public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def keyid(key: Ed25519PublicKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key."""
    return hashlib.sha256(raw_public_bytes(key)).hexdigest()


def sign(statement: Statement, key: Ed25519PrivateKey) -> Envelope:
    payload = orjson.dumps(statement.model_dump(by_alias=True), option=orjson.OPT_SORT_KEYS)
    sig = key.sign(pae(PAYLOAD_TYPE, payload))
    return Envelope(
        payload=base64.b64encode(payload).decode(),
        payload_type=PAYLOAD_TYPE,
        signatures=[Signature(keyid=keyid(key.public_key()), sig=base64.b64encode(sig).decode())],
    )


def parse_envelope(data: bytes, name: str = "attestation.dsse.json") -> Envelope:
    try:
        return Envelope.model_validate(orjson.loads(data))
    except (orjson.JSONDecodeError, ValidationError) as e:
        raise EvidenceError(f"not a DSSE envelope: {_first_error(e)}", file=name) from e


def verify(
    envelope: Envelope, key: Ed25519PublicKey, name: str = "attestation.dsse.json"
) -> Statement:
    """Check one signature by ``key`` over the PAE; return the statement from the verified bytes."""
    if not envelope.signatures:
        raise EvidenceError("unsigned: the envelope has no signatures", file=name)
    if envelope.payload_type != PAYLOAD_TYPE:
        raise EvidenceError(
            f"payloadType is {envelope.payload_type!r}, expected {PAYLOAD_TYPE!r}", file=name
        )
    try:
        payload = base64.b64decode(envelope.payload, validate=True)
    except binascii.Error as e:
        raise EvidenceError("payload is not valid base64", file=name) from e
    wanted = keyid(key)
    mine = [s for s in envelope.signatures if s.keyid == wanted]
    if not mine:
        found = ", ".join(s.keyid[:16] for s in envelope.signatures)
        raise EvidenceError(
            f"wrong key: signed by keyid {found}, the given key is keyid {wanted[:16]}", file=name
        )
    for s in mine:
        try:
            key.verify(base64.b64decode(s.sig, validate=True), pae(envelope.payload_type, payload))
        except (InvalidSignature, binascii.Error):
            continue
        try:
            statement = Statement.model_validate(orjson.loads(payload))
        except (orjson.JSONDecodeError, ValidationError) as e:
            raise EvidenceError(
                f"signed payload is not an in-toto Statement: {_first_error(e)}", file=name
            ) from e
        if statement.type != STATEMENT_TYPE:
            raise EvidenceError(
                f"statement _type is {statement.type!r}, expected {STATEMENT_TYPE!r}", file=name
            )
        return statement
    raise EvidenceError(
        f"signature by keyid {wanted[:16]} does not verify: the attestation was altered or re-signed",
        file=name,
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read signing key: {e.strerror}", file=str(path)) from e
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise UsageError("not an unencrypted PEM private key", file=str(path)) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"signing key must be Ed25519, got {type(key).__name__}", file=str(path))
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read public key: {e.strerror}", file=str(path)) from e
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as e:
        raise UsageError("not a PEM public key", file=str(path)) from e
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"public key must be Ed25519, got {type(key).__name__}", file=str(path))
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _first_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"{where}: {err['msg']}" if where else err["msg"]
    return str(e)

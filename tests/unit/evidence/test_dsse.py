"""DSSE envelope over an in-toto Statement: PAE, sign, verify."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import EvidenceError
from compliance.evidence import dsse


def statement() -> dsse.Statement:
    return dsse.Statement(
        subject=[dsse.Subject(name="report.json", digest={"sha256": "00" * 32})],
        predicate={"summary": {"findings": 1}},
    )


def test_pae_matches_the_dsse_spec() -> None:
    # The example from the DSSE protocol document.
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_keyid_is_sha256_of_the_raw_public_key(key: Ed25519PrivateKey) -> None:
    raw = dsse.raw_public_bytes(key.public_key())
    assert len(raw) == 32
    assert dsse.keyid(key.public_key()) == hashlib.sha256(raw).hexdigest()


def test_sign_then_verify_returns_the_statement(key: Ed25519PrivateKey) -> None:
    envelope = dsse.sign(statement(), key)
    assert envelope.payload_type == "application/vnd.in-toto+json"
    parsed = dsse.parse_envelope(envelope.to_json())
    verified = dsse.verify(parsed, key.public_key())
    assert verified == statement()
    assert verified.type == "https://in-toto.io/Statement/v1"
    raw = base64.b64decode(envelope.payload)
    assert b'"_type":"https://in-toto.io/Statement/v1"' in raw
    assert b'"predicateType"' in raw


def test_signatures_are_deterministic(key: Ed25519PrivateKey) -> None:
    assert dsse.sign(statement(), key).to_json() == dsse.sign(statement(), key).to_json()


def test_wrong_key_is_named(key: Ed25519PrivateKey) -> None:
    envelope = dsse.sign(statement(), key)
    with pytest.raises(EvidenceError, match="wrong key"):
        dsse.verify(envelope, Ed25519PrivateKey.generate().public_key())


def test_changed_payload_fails(key: Ed25519PrivateKey) -> None:
    envelope = dsse.sign(statement(), key)
    other = statement().model_copy(update={"predicate": {"summary": {"findings": 0}}})
    forged = envelope.model_copy(
        update={"payload": base64.b64encode(other.model_dump_json(by_alias=True).encode()).decode()}
    )
    with pytest.raises(EvidenceError, match="does not verify"):
        dsse.verify(forged, key.public_key())


def test_signature_from_another_envelope_fails(key: Ed25519PrivateKey) -> None:
    a = dsse.sign(statement(), key)
    b = dsse.sign(statement().model_copy(update={"predicate": {"x": 1}}), key)
    swapped = a.model_copy(update={"signatures": b.signatures})
    with pytest.raises(EvidenceError, match="does not verify"):
        dsse.verify(swapped, key.public_key())


def test_unsigned_envelope_fails(key: Ed25519PrivateKey) -> None:
    envelope = dsse.sign(statement(), key).model_copy(update={"signatures": []})
    with pytest.raises(EvidenceError, match="unsigned"):
        dsse.verify(envelope, key.public_key())


def test_garbage_is_not_an_envelope() -> None:
    with pytest.raises(EvidenceError, match="not a DSSE envelope"):
        dsse.parse_envelope(b'{"payload": 1}')

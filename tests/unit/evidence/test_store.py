"""The local store: bundles by digest, one index file, prefix lookup."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import EvidenceError, UsageError
from compliance.evidence.bundle import build_bundle
from compliance.evidence.store import Store
from compliance.evidence.verify import verify_bundle
from compliance.inputs import LoadResult
from tests.unit.evidence.planted import make_report


def test_add_list_get_read(tmp_path: Path, loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    store = Store(tmp_path / "evidence")
    a = build_bundle(make_report(loaded), loaded, key)
    later = make_report(loaded).model_copy(update={"evaluated_at": "2026-11-28T00:00:00Z"})
    b = build_bundle(later, loaded, key)
    entry_a = store.add(a)
    entry_b = store.add(b)
    assert store.add(a)["id"] == entry_a["id"]  # idempotent
    entries = store.entries()
    assert [e["id"] for e in entries] == [entry_b["id"], entry_a["id"]]  # newest first
    assert entries[1]["sha256"] == a.sha256
    assert entries[1]["summary"]["findings"] == 1
    index = orjson.loads((tmp_path / "evidence" / "index.json").read_bytes())
    assert len(index["bundles"]) == 2
    entry, data = store.read(entry_a["id"][:8])
    assert data == a.data
    verify_bundle(data, key.public_key())


def test_lookup_errors(tmp_path: Path, loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    store = Store(tmp_path)
    assert store.entries() == []
    store.add(build_bundle(make_report(loaded), loaded, key))
    with pytest.raises(UsageError, match="no bundle"):
        store.get("ffffffff")
    with pytest.raises(UsageError, match="too short"):
        store.get("a")


def test_the_index_is_what_is_listed_not_the_directory(
    tmp_path: Path, loaded: LoadResult, key: Ed25519PrivateKey
) -> None:
    store = Store(tmp_path)
    store.add(build_bundle(make_report(loaded), loaded, key))
    (tmp_path / "stray.tar.gz").write_bytes(b"not indexed")
    assert len(store.entries()) == 1


def test_corrupt_index_and_unsafe_names_are_errors(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(EvidenceError, match="unreadable store index"):
        Store(tmp_path).entries()
    (tmp_path / "index.json").write_text(
        '{"bundles": [{"id": "abcd", "sha256": "abcd1234", "file": "../x"}]}'
    )
    store = Store(tmp_path)
    with pytest.raises(EvidenceError, match="unsafe file"):
        store.read("abcd")

"""Fixtures: the repo root as cwd, a signing key, the planted-secret inputs loaded."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.inputs import LoadResult, load_paths
from tests.unit.evidence.planted import ROOT, SECRETS_DIR


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def loaded(_in_repo_root: None) -> LoadResult:
    result = load_paths([SECRETS_DIR])
    assert not result.errors, result.errors
    return result

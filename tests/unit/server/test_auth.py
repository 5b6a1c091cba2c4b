"""Token file parsing and matching: hashes only, roles, clear errors that never echo values."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from compliance.errors import UsageError
from compliance.server.auth import Tokens, allows

A, B = "a" * 64, "b" * 64


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_identifies_tokens_by_hash(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(
        f"tokens:\n  - {{name: ops, role: admin, sha256: {sha('a')}}}\n  - {{name: jane, role: auditor, sha256: {sha('b')}}}\n"
    )
    tokens = Tokens.load(path)
    assert tokens.identify("a").name == "ops"  # type: ignore[union-attr]
    assert tokens.identify("b").role == "auditor"  # type: ignore[union-attr]
    assert tokens.identify("c") is None
    assert tokens.identify(sha("a")) is None  # the hash itself is not a token


def test_roles() -> None:
    assert allows("admin", "write") and allows("admin", "read")
    assert allows("auditor", "read") and not allows("auditor", "write")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"tokens: [{{name: x, role: root, sha256: {A}}}]", "tokens.0.role"),
        ("tokens: [{name: x, role: admin, sha256: plaintext-token}]", "tokens.0.sha256"),
        (f"tokens: [{{name: x, role: admin, token: abc, sha256: {A}}}]", "tokens.0.token"),
        ("tokens: [a: b", "not valid YAML"),
        (
            f"tokens:\n  - {{name: x, role: admin, sha256: {A}}}\n  - {{name: x, role: auditor, sha256: {B}}}",
            "unique",
        ),
    ],
    ids=["bad-role", "not-a-hash", "plaintext-field", "bad-yaml", "duplicate-name"],
)
def test_bad_token_files_are_named_without_values(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as e:
        Tokens.load(path)
    assert expected in e.value.diagnostics()
    assert str(path) in e.value.diagnostics()
    assert "plaintext-token" not in e.value.diagnostics() and "abc" not in e.value.diagnostics()

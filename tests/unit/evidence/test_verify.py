"""Verification: the good bundle passes; every way of breaking one is caught and named."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.errors import EvidenceError
from compliance.evidence import dsse
from compliance.evidence.bundle import ATTESTATION, MANIFEST, build_bundle, pack_tar_gz
from compliance.evidence.verify import read_members, verify_bundle
from compliance.inputs import LoadResult
from tests.unit.evidence import tamper
from tests.unit.evidence.planted import make_report


@pytest.fixture
def bundle(loaded: LoadResult, key: Ed25519PrivateKey) -> bytes:
    return build_bundle(make_report(loaded), loaded, key).data


def test_good_bundle_verifies_and_says_what_it_checked(
    bundle: bytes, key: Ed25519PrivateKey
) -> None:
    checks = verify_bundle(bundle, key.public_key())
    text = "\n".join(checks)
    assert "signature: Ed25519" in text
    assert "file report.json: sha256" in text
    assert "none missing, none extra" in text
    assert (
        sum(1 for c in checks if c.startswith("file ") and "matches" in c)
        == len(tamper.members(bundle)) - 1
    )


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (tamper.changed_byte, "tampered file 'report.json'"),
        (
            lambda d: tamper.changed_byte(
                d, "inputs/tests/fixtures/evidence/secrets/docker/Dockerfile"
            ),
            "tampered file 'inputs/tests/fixtures/evidence/secrets/docker/Dockerfile'",
        ),
        (tamper.missing_file, "missing file 'report.md'"),
        (tamper.extra_file, "extra file 'inputs/extra.yaml'"),
        (tamper.unsigned, "unsigned"),
        (tamper.truncated, "truncated archive"),
        (tamper.corrupt_gzip, "corrupt archive"),
        (lambda d: d + b"trailing", "corrupt archive"),
        (lambda d: b"", "truncated archive"),
    ],
    ids=[
        "changed-byte",
        "changed-input",
        "missing-file",
        "extra-file",
        "unsigned",
        "truncated-gzip",
        "corrupt-gzip",
        "trailing-data",
        "empty",
    ],
)
def test_each_break_is_named(
    bundle: bytes, key: Ed25519PrivateKey, breaker: Callable[[bytes], bytes], message: str
) -> None:
    with pytest.raises(EvidenceError) as e:
        verify_bundle(breaker(bundle), key.public_key(), "b.tar.gz")
    assert message in e.value.message
    assert e.value.exit_code == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(b"garbage" * 100, mtime=0), "corrupt archive: invalid header"),
        (gzip.compress(b"", mtime=0), "corrupt archive"),
        (gzip.compress(b"\0" * 10240, mtime=0), "empty archive"),
    ],
    ids=["not-a-tar", "empty-gzip", "empty-tar"],
)
def test_valid_gzip_without_a_valid_tar(key: Ed25519PrivateKey, data: bytes, message: str) -> None:
    with pytest.raises(EvidenceError, match=message):
        verify_bundle(data, key.public_key())


def test_wrong_key(bundle: bytes) -> None:
    with pytest.raises(EvidenceError, match="wrong key"):
        verify_bundle(bundle, Ed25519PrivateKey.generate().public_key())


def test_swapped_signature(bundle: bytes, loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    other = build_bundle(make_report(loaded, message="another run"), loaded, key).data
    with pytest.raises(EvidenceError, match="tampered file 'report"):
        verify_bundle(tamper.swapped_signature(bundle, other), key.public_key())


def test_resigned_with_another_key_is_a_wrong_key(
    bundle: bytes, loaded: LoadResult, key: Ed25519PrivateKey
) -> None:
    forged = build_bundle(make_report(loaded), loaded, Ed25519PrivateKey.generate()).data
    with pytest.raises(EvidenceError, match="wrong key"):
        verify_bundle(forged, key.public_key())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (tamper.entry("../evil.txt"), "path traversal"),
        (tamper.entry("inputs/../../evil.txt"), "path traversal"),
        (tamper.entry("/etc/evil.txt"), "absolute path"),
        (tamper.entry("link", tarfile.SYMTYPE, "/etc/passwd"), "a link"),
        (tamper.entry("hard", tarfile.LNKTYPE, "report.json"), "a link"),
        (tamper.entry("dev", tarfile.CHRTYPE), "a device"),
        (tamper.entry("fifo", tarfile.FIFOTYPE), "a device or FIFO"),
        (tamper.entry("report.json"), "appears twice"),
        (tamper.entry("inputs", tarfile.DIRTYPE), "not a regular file"),
        (tamper.entry("./report.json"), "not a normalised relative path"),
    ],
    ids=[
        "dotdot",
        "nested-dotdot",
        "absolute",
        "symlink",
        "hardlink",
        "device",
        "fifo",
        "duplicate",
        "directory",
        "dot-prefix",
    ],
)
def test_unsafe_entries_are_rejected_before_anything_is_read(
    bundle: bytes, key: Ed25519PrivateKey, bad: tarfile.TarInfo, message: str
) -> None:
    data = tamper.with_entry(bundle, bad)
    with pytest.raises(EvidenceError, match=message):
        read_members(data)
    with pytest.raises(EvidenceError, match=message):
        verify_bundle(data, key.public_key())


def _resigned(files: dict[str, bytes], key: Ed25519PrivateKey) -> bytes:
    """``files`` signed with ``key`` as a bundle is: a publisher's own, not a tamperer's."""
    files = {n: b for n, b in files.items() if n != ATTESTATION}
    subjects = [
        dsse.Subject(name=n, digest={"sha256": hashlib.sha256(files[n]).hexdigest()})
        for n in sorted(files)
    ]
    statement = dsse.Statement(subject=subjects, predicate={})
    files[ATTESTATION] = dsse.sign(statement, key).to_json()
    return pack_tar_gz(files, tamper.MTIME)


def test_a_signed_bundle_whose_inputs_share_a_member_fails(
    bundle: bytes, key: Ed25519PrivateKey
) -> None:
    """As bundles were built when ``-`` and ``stdin.yaml`` both became one member: the
    signature holds, but one input's evidence is not there."""
    files = tamper.members(bundle)
    manifest = json.loads(files[MANIFEST])
    first = manifest["inputs"][0]
    manifest["inputs"].append({**first, "file": "-"})
    files[MANIFEST] = json.dumps(manifest).encode()
    with pytest.raises(EvidenceError, match="share the member"):
        verify_bundle(_resigned(files, key), key.public_key())


def test_a_manifest_input_without_its_member_fails(bundle: bytes, key: Ed25519PrivateKey) -> None:
    files = tamper.members(bundle)
    member = json.loads(files[MANIFEST])["inputs"][0]["path"]
    del files[member]
    with pytest.raises(EvidenceError, match="has no member"):
        verify_bundle(_resigned(files, key), key.public_key())
    assert verify_bundle(_resigned(tamper.members(bundle), key), key.public_key())


def test_inputs_members_need_a_manifest_that_lists_them(
    bundle: bytes, key: Ed25519PrivateKey
) -> None:
    files = tamper.members(bundle)
    manifest = json.loads(files[MANIFEST])
    del manifest["inputs"]  # as a bundle of other evidence (a period) has none
    files[MANIFEST] = json.dumps(manifest).encode()
    with pytest.raises(EvidenceError, match="is no input of the manifest"):
        verify_bundle(_resigned(files, key), key.public_key())
    without = {n: b for n, b in files.items() if not n.startswith("inputs/")}
    assert verify_bundle(_resigned(without, key), key.public_key())

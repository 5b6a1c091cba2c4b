"""Bundle building: contents, determinism, manifest, attestation subjects."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import tarfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance.evidence import dsse
from compliance.evidence.bundle import ATTESTATION, build_bundle
from compliance.inputs import LoadResult
from compliance.model.members import input_member
from tests.unit.evidence.planted import PLANTED, SECRETS_DIR, make_report


def test_bundle_holds_the_reports_inputs_and_attestation(
    loaded: LoadResult, key: Ed25519PrivateKey
) -> None:
    bundle = build_bundle(make_report(loaded), loaded, key, {"soc2.log_retention_days": 365})
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        infos = tar.getmembers()
        names = [m.name for m in infos]
        files = {m.name: tar.extractfile(m).read() for m in infos}  # type: ignore[union-attr]
    assert names == sorted(names)
    assert {
        "manifest.json",
        "report.json",
        "report.html",
        "report.md",
        "oscal/assessment-results.json",
        ATTESTATION,
    } <= set(names)
    assert {f"inputs/{rel}" for rel in loaded.texts} <= set(names)
    assert all(
        m.isreg() and m.mode == 0o644 and m.uid == 0 and m.gid == 0 and m.uname == "" for m in infos
    )
    assert {m.mtime for m in infos} == {1795737600}  # 2026-11-27T00:00:00Z, the evaluation time

    manifest = json.loads(files["manifest.json"])
    assert manifest["evaluated_at"] == "2026-11-27T00:00:00Z"
    assert manifest["parameters"] == {"soc2.log_retention_days": 365}
    assert manifest["packs"][0]["digest"] == "sha256:" + "ab" * 32
    assert manifest["signing_keyid"] == dsse.keyid(key.public_key())
    by_file = {i["file"]: i for i in manifest["inputs"]}
    for ref in loaded.inputs:
        entry = by_file[ref.file]
        assert entry["sha256"] == ref.sha256
        assert entry["redacted_sha256"] == hashlib.sha256(files[entry["path"]]).hexdigest()

    statement = dsse.verify(dsse.parse_envelope(files[ATTESTATION]), key.public_key())
    subjects = {s.name: s.digest["sha256"] for s in statement.subject}
    assert set(subjects) == set(names) - {ATTESTATION}
    assert all(hashlib.sha256(files[n]).hexdigest() == d for n, d in subjects.items())
    assert statement.predicate["evaluated_at"] == "2026-11-27T00:00:00Z"
    assert statement.predicate["summary"]["findings"] == 1
    assert statement.predicate["tool"] == {"name": "compliance", "version": "0.1.0"}


def test_same_run_same_bytes(loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    a = build_bundle(make_report(loaded), loaded, key)
    b = build_bundle(make_report(loaded), loaded, key)
    assert a.data == b.data


def test_gzip_header_has_no_timestamp_or_name(loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    data = build_bundle(make_report(loaded), loaded, key).data
    assert data[:2] == b"\x1f\x8b"
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert mtime == 0
    assert not flags & 0x08, "FNAME set"
    gzip.decompress(data)


def test_no_planted_secret_in_any_bundle_byte(loaded: LoadResult, key: Ed25519PrivateKey) -> None:
    data = build_bundle(make_report(loaded), loaded, key).data
    raw = gzip.decompress(data)
    for planted in PLANTED:
        assert planted.encode() not in raw, planted


def test_input_members_are_always_safe_relative_paths() -> None:
    assert input_member("examples/bpi/k8s/a.yaml") == "inputs/examples/bpi/k8s/a.yaml"
    assert input_member("/abs/x.tf") == "inputs/%2F/abs/x.tf"
    assert input_member("../up/./x.tf") == "inputs/%2E%2E/up/x.tf"
    assert input_member("-") == "inputs/%stdin.yaml"
    assert SECRETS_DIR in input_member(f"{SECRETS_DIR}/k8s/secret.yaml")


COLLIDING = [
    "-",
    "stdin.yaml",
    "%stdin.yaml",
    "../x.yaml",
    "__parent__/x.yaml",
    "%2E%2E/x.yaml",
    "/abs/x.tf",
    "abs/x.tf",
    "%2F/abs/x.tf",
    "a\\b.yaml",
    "a/b.yaml",
    "a%5Cb.yaml",
]


def test_input_members_are_one_to_one() -> None:
    members = [input_member(rel) for rel in COLLIDING]
    assert len(set(members)) == len(COLLIDING), members
    for member in members:
        assert member.startswith("inputs/") and ".." not in member.split("/")


def test_inputs_that_used_to_collide_each_keep_their_evidence(key: Ed25519PrivateKey) -> None:
    texts = {rel: f"# input {i}\nkind: ConfigMap\n" for i, rel in enumerate(COLLIDING)}
    loaded = LoadResult(texts=texts)
    bundle = build_bundle(make_report(loaded), loaded, key)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    manifest = json.loads(files["manifest.json"])
    assert sorted(i["file"] for i in manifest["inputs"]) == sorted(COLLIDING)
    for entry in manifest["inputs"]:
        assert files[entry["path"]].decode() == texts[entry["file"]]
    assert len({i["path"] for i in manifest["inputs"]}) == len(COLLIDING)


def test_input_members_are_one_to_one_over_every_small_path() -> None:
    """Every path of up to three components from a hostile alphabet (relative or absolute),
    and stdin: no two share a member, and none leaves ``inputs/``."""
    parts = ["..", "a", "%", "%25", "%2E%2E", "__parent__", "-", "a\\b", "a%5Cb", "stdin.yaml"]
    paths = {"-"}
    for depth in (1, 2, 3):
        for combo in itertools.product(parts, repeat=depth):
            paths.add("/".join(combo))
            paths.add("/" + "/".join(combo))
    members = {input_member(p): p for p in paths}
    assert len(members) == len(paths)
    for member in members:
        assert member.startswith("inputs/") and ".." not in member.split("/")


def test_bundled_html_links_each_file_line_to_a_member_and_names_the_signer(
    loaded: LoadResult, key: Ed25519PrivateKey
) -> None:
    import re

    bundle = build_bundle(make_report(loaded), loaded, key)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        names = set(tar.getnames())
        page = tar.extractfile("report.html").read().decode()  # type: ignore[union-attr]
    links = re.findall(r'<a class="loc" href="(inputs/[^"#]+)#L(\d+)"', page)
    assert len(links) >= len([f for f in bundle.report.findings if f.line])
    assert {member for member, _ in links} <= names
    assert bundle.keyid in page and "Standalone" not in page

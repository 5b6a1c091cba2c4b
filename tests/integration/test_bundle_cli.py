"""Evidence end to end through the CLI: keys, evaluate --bundle, verify, tampering, the store."""

from __future__ import annotations

import gzip
import io
import json
import stat
import tarfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from compliance.cli.evidence import evidence as evidence_group
from compliance.cli.main import cli
from tests.unit.evidence import tamper
from tests.unit.evidence.planted import PLANTED, SECRETS_DIR

ROOT = Path(__file__).resolve().parents[2]
NOW = ["--now", "2026-11-27T00:00:00Z"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_repo_root(examples_cwd: Path) -> None:
    """``examples/bpi`` as from the checkout; the cache lands in a tmp folder."""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("keys")
    result = CliRunner().invoke(cli, ["keys", "generate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def bpi_bundle(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = tmp_path_factory.mktemp("bundle") / "bpi.tar.gz"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = run(
            "evaluate",
            "examples/bpi",
            *NOW,
            "--fail-on",
            "none",
            "--format",
            "json",
            "--bundle",
            str(bundle),
            "--sign-key",
            str(keys / "signing.key"),
        )
    assert result.exit_code == 0, result.output
    assert "wrote signed evidence bundle" in result.stderr
    return bundle


def verify(bundle: Path, key: Path) -> Result:
    return run("evidence", "verify", str(bundle), "--key", str(key))


def test_keys_generate_private_key_is_0600_and_not_overwritten(tmp_path: Path) -> None:
    result = run("keys", "generate", "--out", str(tmp_path))
    assert result.exit_code == 0
    private, public = tmp_path / "signing.key", tmp_path / "signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert len(result.stdout.strip().split()[-1]) == 64  # keyid
    before = private.read_bytes()
    again = run("keys", "generate", "--out", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert private.read_bytes() == before
    assert run("keys", "generate", "--out", str(tmp_path), "--force").exit_code == 0
    assert private.read_bytes() != before


def test_verify_ok_prints_what_it_checked(bpi_bundle: Path, keys: Path) -> None:
    result = verify(bpi_bundle, keys / "signing.pub")
    assert result.exit_code == 0, result.output
    assert "ok  signature: Ed25519" in result.stdout
    assert "ok  file report.html: sha256" in result.stdout
    assert "ok  file inputs/examples/bpi/k8s/pravyom-enterprise.yaml: sha256" in result.stdout
    assert f"verified: {bpi_bundle}" in result.stdout


def test_same_inputs_packs_and_now_give_byte_identical_bundles(
    bpi_bundle: Path, keys: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again.tar.gz"
    result = run(
        "evaluate",
        "examples/bpi",
        *NOW,
        "--fail-on",
        "none",
        "--format",
        "json",
        "--bundle",
        str(again),
        "--sign-key",
        str(keys / "signing.key"),
    )
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == bpi_bundle.read_bytes()


def test_bundle_report_matches_the_printed_report(bpi_bundle: Path) -> None:
    files = tamper.members(bpi_bundle.read_bytes())
    report = json.loads(files["report.json"])
    assert report["evaluated_at"] == "2026-11-27T00:00:00Z"
    assert (
        "Pravyom-Admin-2026!"
        not in files["inputs/examples/bpi/k8s/pravyom-enterprise.yaml"].decode()
    )
    assert files["report.html"].startswith(b"<!DOCTYPE html>")
    assert (
        json.loads(files["oscal/assessment-results.json"])["assessment-results"]["metadata"][
            "oscal-version"
        ]
        == "1.2.1"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("changed-byte", "tampered file 'report.json'"),
        ("missing-file", "missing file 'report.md'"),
        ("extra-file", "extra file 'inputs/extra.yaml'"),
        ("truncated-gzip", "truncated archive"),
        ("corrupt-gzip", "corrupt archive"),
        ("unsigned", "unsigned"),
        ("path-traversal", "path traversal"),
        ("absolute-path", "absolute path"),
        ("symlink", "a link"),
    ],
)
def test_tampered_bundles_exit_4_naming_what_failed(
    bpi_bundle: Path, keys: Path, tmp_path: Path, name: str, message: str
) -> None:
    data = bpi_bundle.read_bytes()
    broken = {
        "changed-byte": lambda: tamper.changed_byte(data),
        "missing-file": lambda: tamper.missing_file(data),
        "extra-file": lambda: tamper.extra_file(data),
        "truncated-gzip": lambda: tamper.truncated(data),
        "corrupt-gzip": lambda: tamper.corrupt_gzip(data),
        "unsigned": lambda: tamper.unsigned(data),
        "path-traversal": lambda: tamper.with_entry(data, tamper.entry("../../escaped.txt")),
        "absolute-path": lambda: tamper.with_entry(data, tamper.entry("/tmp/escaped.txt")),
        "symlink": lambda: tamper.with_entry(
            data, tamper.entry("inputs/link", tarfile.SYMTYPE, "/etc/passwd")
        ),
    }[name]()
    path = tmp_path / f"{name}.tar.gz"
    path.write_bytes(broken)
    result = verify(path, keys / "signing.pub")
    assert result.exit_code == 4, result.output
    assert message in result.stderr
    assert str(path) in result.stderr
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing extracted anywhere


def test_swapped_signature_exits_4(bpi_bundle: Path, keys: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.tar.gz"
    run(
        "evaluate",
        "examples/bpi/k8s",
        *NOW,
        "--fail-on",
        "none",
        "--format",
        "json",
        "--bundle",
        str(other),
        "--sign-key",
        str(keys / "signing.key"),
    )
    swapped = tmp_path / "swapped.tar.gz"
    swapped.write_bytes(tamper.swapped_signature(bpi_bundle.read_bytes(), other.read_bytes()))
    result = verify(swapped, keys / "signing.pub")
    assert result.exit_code == 4
    assert "tampered file" in result.stderr or "missing file" in result.stderr


def test_wrong_key_exits_4(bpi_bundle: Path, tmp_path: Path) -> None:
    assert run("keys", "generate", "--out", str(tmp_path)).exit_code == 0
    result = verify(bpi_bundle, tmp_path / "signing.pub")
    assert result.exit_code == 4
    assert "wrong key" in result.stderr


def test_planted_secrets_in_every_input_kind_are_absent_from_every_bundle_file(
    keys: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "secrets.tar.gz"
    result = run(
        "evaluate",
        SECRETS_DIR,
        *NOW,
        "--fail-on",
        "none",
        "--format",
        "json",
        "--bundle",
        str(bundle),
        "--sign-key",
        str(keys / "signing.key"),
    )
    assert result.exit_code == 0, result.output
    files = tamper.members(bundle.read_bytes())
    kinds = {i["format"] for i in json.loads(files["report.json"])["inputs"]}
    assert kinds == {"k8s", "dockerfile", "compose", "terraform", "securityconfig"}
    assert len([n for n in files if n.startswith("inputs/")]) == 6
    raw = gzip.decompress(bundle.read_bytes())
    for planted in PLANTED:
        assert planted.encode() not in raw, planted
        assert planted not in result.stdout, planted
        for name, body in files.items():
            assert planted.encode() not in body, (planted, name)
    assert verify(bundle, keys / "signing.pub").exit_code == 0


@pytest.mark.parametrize("fmt", ["html", "markdown", "oscal", "json", "table"])
def test_reports_without_a_bundle_are_redacted_too(fmt: str) -> None:
    result = run("evaluate", SECRETS_DIR, *NOW, "--fail-on", "none", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout
    for planted in PLANTED:
        assert planted not in result.stdout, planted


def test_store_list_show_export(keys: Path, tmp_path: Path) -> None:
    store = tmp_path / "evidence"
    result = run(
        "evaluate",
        "examples/bpi",
        *NOW,
        "--fail-on",
        "none",
        "--format",
        "json",
        "--store",
        str(store),
        "--sign-key",
        str(keys / "signing.key"),
    )
    assert result.exit_code == 0, result.output
    index = json.loads((store / "index.json").read_text())
    (entry,) = index["bundles"]
    listed = run("evidence", "list", "--store", str(store))
    assert entry["id"] in listed.stdout and "2026-11-27T00:00:00Z" in listed.stdout
    as_json = json.loads(run("evidence", "list", "--store", str(store), "--json").stdout)
    assert as_json[0]["sha256"] == entry["sha256"]
    shown = json.loads(run("evidence", "show", entry["id"][:8], "--store", str(store)).stdout)
    assert shown["manifest"]["evaluated_at"] == "2026-11-27T00:00:00Z"
    out = tmp_path / "exported.tar.gz"
    assert (
        run("evidence", "export", entry["id"], "-o", str(out), "--store", str(store)).exit_code == 0
    )
    assert verify(out, keys / "signing.pub").exit_code == 0
    missing = run("evidence", "show", "ffffffff", "--store", str(store))
    assert missing.exit_code == 2 and "no bundle" in missing.stderr


def test_usage_errors(keys: Path, tmp_path: Path) -> None:
    no_key = run(
        "evaluate",
        "examples/bpi/k8s",
        *NOW,
        "--fail-on",
        "none",
        "--bundle",
        str(tmp_path / "b.tar.gz"),
    )
    assert no_key.exit_code == 2 and "--sign-key" in no_key.stderr
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not a key")
    bad = run(
        "evaluate",
        "examples/bpi/k8s",
        *NOW,
        "--fail-on",
        "none",
        "--bundle",
        str(tmp_path / "b.tar.gz"),
        "--sign-key",
        str(bad_key),
    )
    assert bad.exit_code == 2 and str(bad_key) in bad.stderr
    pub_as_key = run(
        "evidence", "verify", str(tmp_path / "none.tar.gz"), "--key", str(keys / "signing.key")
    )
    assert pub_as_key.exit_code == 2 and "not a PEM public key" in pub_as_key.stderr


def test_the_evidence_group_takes_subcommands_from_other_modules() -> None:
    assert isinstance(evidence_group, click.Group)
    assert cli.get_command(click.Context(cli), "evidence") is evidence_group
    assert {"verify", "list", "show", "export"} <= set(evidence_group.commands)


def test_tar_listing_is_sorted_with_fixed_metadata(bpi_bundle: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(bpi_bundle.read_bytes()), mode="r:gz") as tar:
        infos = tar.getmembers()
    assert [m.name for m in infos] == sorted(m.name for m in infos)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mode) for m in infos} == {(0, 0, "", "", 0o644)}


def test_keys_generate_force_replaces_a_symlink_without_following_it(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "keys", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / "victim.txt"
    victim.write_text("not yours\n")
    victim.chmod(0o644)
    (out / "signing.key").symlink_to(victim)
    refused = run("keys", "generate", "--out", str(out))
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert run("keys", "generate", "--out", str(out), "--force").exit_code == 0
    assert victim.read_text() == "not yours\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    private = out / "signing.key"
    assert not private.is_symlink()
    assert stat.S_IMODE(private.lstat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert sorted(p.name for p in out.iterdir()) == ["signing.key", "signing.pub"]


def test_keys_generate_force_never_writes_the_key_into_a_readable_file(tmp_path: Path) -> None:
    private = tmp_path / "signing.key"
    private.write_text("old world-readable content\n")
    private.chmod(0o644)
    with private.open("rb") as held:  # a reader that opened the old file while it was 0644
        assert run("keys", "generate", "--out", str(tmp_path), "--force").exit_code == 0
        assert held.read() == b"old world-readable content\n"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_verify_a_missing_file_is_a_usage_error(keys: Path, tmp_path: Path) -> None:
    result = verify(tmp_path / "none.tar.gz", keys / "signing.pub")
    assert result.exit_code == 2 and "none.tar.gz" in result.stderr
    log = run("evidence", "verify-log", str(tmp_path / "none.jsonl"))
    assert log.exit_code == 2 and "none.jsonl" in log.stderr


def test_evidence_that_cannot_be_written_is_exit_3_not_4(keys: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder\n")
    sign = ["--sign-key", str(keys / "signing.key"), *NOW, "--fail-on", "none"]
    bundle = run("evaluate", "examples/bpi/k8s", "--bundle", str(blocker / "b.tar.gz"), *sign)
    assert bundle.exit_code == 3 and "cannot write bundle" in bundle.stderr
    store = run("evaluate", "examples/bpi/k8s", "--store", str(blocker / "store"), *sign)
    assert store.exit_code == 3 and "cannot add the bundle to the store" in store.stderr
    assert "internal error" not in bundle.stderr + store.stderr


def test_keys_that_cannot_be_written_are_exit_3(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder\n")
    result = run("keys", "generate", "--out", str(blocker / "keys"))
    assert result.exit_code == 3 and "cannot create the key folder" in result.stderr


def test_stdin_and_a_file_named_like_it_both_keep_their_evidence(
    keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-` and `stdin.yaml`, `../x.yaml` and `__parent__/x.yaml` in one run: four members."""
    work = tmp_path / "work"
    (work / "__parent__").mkdir(parents=True)
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {{name: {n}, namespace: t}}\nspec:\n  containers: [{{name: c, image: busybox:1.36}}]\n"
    (work / "stdin.yaml").write_text(pod.format(n="from-file"))
    (tmp_path / "x.yaml").write_text(pod.format(n="from-parent"))
    (work / "__parent__" / "x.yaml").write_text(pod.format(n="from-folder"))
    monkeypatch.chdir(work)
    bundle = tmp_path / "b.tar.gz"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "-",
            "stdin.yaml",
            "../x.yaml",
            "__parent__/x.yaml",
            *NOW,
            "--fail-on",
            "none",
            "--bundle",
            str(bundle),
            "--sign-key",
            str(keys / "signing.key"),
        ],
        input=pod.format(n="from-stdin"),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    members = tamper.members(bundle.read_bytes())
    manifest = json.loads(members["manifest.json"])
    paths = {i["file"]: i["path"] for i in manifest["inputs"]}
    assert len(paths) == 4 and len(set(paths.values())) == 4, paths
    names = {members[p].decode().split("name: ")[1].split(",")[0] for p in paths.values()}
    assert names == {"from-stdin", "from-file", "from-parent", "from-folder"}
    assert verify(bundle, keys / "signing.pub").exit_code == 0


def test_html_written_beside_a_bundle_names_it_and_its_signer(
    keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compliance.evidence import dsse

    monkeypatch.chdir(ROOT)
    common = (
        "evaluate",
        "examples/bpi",
        *NOW,
        "--no-cache",
        "--fail-on",
        "none",
        "--format",
        "html",
    )
    beside = tmp_path / "beside.html"
    signed = run(
        *common,
        "--bundle",
        str(tmp_path / "bpi.tar.gz"),
        "--sign-key",
        str(keys / "signing.key"),
        "-o",
        str(beside),
    )
    assert signed.exit_code == 0, signed.output
    keyid = dsse.keyid(dsse.load_private_key(keys / "signing.key").public_key())
    text = beside.read_text()
    assert keyid in text and "bpi.tar.gz" in text and "not signed" not in text
    assert 'href="inputs/' not in text  # the links live in the bundle's own copy
    alone = tmp_path / "alone.html"
    plain = run(*common, "-o", str(alone))
    assert plain.exit_code == 0, plain.output
    text = alone.read_text()
    assert "Standalone report (not signed)" in text and keyid not in text
    assert "one file of a signed evidence bundle" not in text

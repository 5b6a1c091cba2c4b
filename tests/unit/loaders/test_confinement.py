"""Files a SecurityConfig names are read only from inside the scanned root, only when
regular, and what lies outside is never described."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compliance.inputs import LoadOptions, load_paths

OUTSIDE = "cert_file lies outside the scanned folder, not read"


def write_cert(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "node")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def config(cert_file: str) -> str:
    return f'[security.tls_config]\nenabled = true\ncert_file = "{cert_file}"\n'


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repo" / "config").mkdir(parents=True)
    return tmp_path / "repo"


def certificates(paths: list[str], **options) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    result = load_paths(paths, LoadOptions(env={}, **options))
    assert result.errors == []
    return {r.source.file: r.facts["certificate"] for r in result.resources}


def test_a_cert_inside_the_root_is_read_one_outside_never_described(work, tmp_path):
    write_cert(work / "certs" / "node.pem")
    write_cert(tmp_path / "outside.pem")
    (work / "config" / "in.toml").write_text(config("../certs/node.pem"))
    (work / "config" / "out.toml").write_text(config("../../outside.pem"))
    (work / "config" / "gone.toml").write_text(config("../../missing.pem"))
    (work / "config" / "abs.toml").write_text(config(str(tmp_path / "outside.pem")))
    (work / "config" / "dev.toml").write_text(config("/dev/zero"))
    certs = certificates(["repo"])
    assert certs["repo/config/in.toml"]["error"] is None
    assert certs["repo/config/in.toml"]["curve"] == "secp256r1"
    for name in ("out", "gone", "abs", "dev"):
        cert = certs[f"repo/config/{name}.toml"]
        assert cert["error"] == OUTSIDE, name
        assert set(cert) == {"file", "error"}


def test_a_symlink_inside_the_root_to_a_file_outside_is_outside(work, tmp_path):
    write_cert(tmp_path / "outside.pem")
    (work / "certs").mkdir()
    (work / "certs" / "link.pem").symlink_to(tmp_path / "outside.pem")
    (work / "config" / "app.toml").write_text(config("../certs/link.pem"))
    certs = certificates(["repo/config/app.toml"], root=work)
    assert certs["repo/config/app.toml"]["error"] == OUTSIDE


def test_a_file_given_by_name_is_confined_to_the_working_directory(work, tmp_path):
    write_cert(work / "certs" / "node.pem")
    (work / "config" / "app.toml").write_text(config("../certs/node.pem"))
    assert certificates(["repo/config/app.toml"])["repo/config/app.toml"]["error"] is None
    os.chdir(work / "config")  # the certificate now lies outside the working directory
    assert certificates(["app.toml"])["app.toml"]["error"] == OUTSIDE


def test_the_root_option_confines_explicit_files(work):
    write_cert(work / "certs" / "node.pem")
    (work / "config" / "app.toml").write_text(config("../certs/node.pem"))
    path = str(work / "config" / "app.toml")
    assert certificates([path], root=work)[path]["error"] is None
    assert certificates([path], root=work / "config")[path]["error"] == OUTSIDE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_named_as_cert_file_is_not_read(work):
    (work / "certs").mkdir()
    os.mkfifo(work / "certs" / "node.pem")
    (work / "config" / "app.toml").write_text(config("../certs/node.pem"))
    out: list = []
    thread = threading.Thread(target=lambda: out.append(certificates(["repo"])), daemon=True)
    thread.start()
    thread.join(60)
    if thread.is_alive():
        os.close(os.open(work / "certs" / "node.pem", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading cert_file blocked on a FIFO")
    assert out[0]["repo/config/app.toml"]["error"] == (
        "cannot read certificate: not a regular file (a FIFO): not read"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_the_result_cache_never_reads_a_fifo_or_an_outside_cert(work, tmp_path):
    """The cache records the certificate a config read as a dependency: a FIFO is not
    read there either, and a cert_file outside the root is no dependency at all."""
    from compliance.incremental.cache import Cache

    (work / "certs").mkdir()
    os.mkfifo(work / "certs" / "node.pem")
    (work / "config" / "app.toml").write_text(config("../certs/node.pem"))
    (work / "config" / "out.toml").write_text(config("/dev/zero"))
    options = LoadOptions(env={})
    out: list = []

    def run() -> None:
        cache = Cache(tmp_path / "cache", options)
        out.append(load_paths(["repo"], options, cache=cache))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    if thread.is_alive():
        os.close(os.open(work / "certs" / "node.pem", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the cache blocked reading a FIFO named as cert_file")
    facts = {r.source.file: r.facts["certificate"]["error"] for r in out[0].resources}
    assert facts == {
        "repo/config/app.toml": "cannot read certificate: not a regular file (a FIFO): not read",
        "repo/config/out.toml": OUTSIDE,
    }


def test_a_cached_config_is_not_reused_under_another_root(work, tmp_path):
    """The same file scanned from a narrower root must not reuse the wider root's read."""
    from compliance.incremental.cache import Cache

    write_cert(work / "certs" / "node.pem")
    (work / "config" / "app.toml").write_text(config("../certs/node.pem"))
    options = LoadOptions(env={})
    cache = Cache(tmp_path / "c", options)
    wide = load_paths(["repo/config/app.toml"], options, cache=cache)
    assert wide.resources[0].facts["certificate"]["error"] is None
    cache.save({})
    again = Cache(tmp_path / "c", options)
    load_paths(["repo/config/app.toml"], options, cache=again)
    assert again.hits == 1  # the same root: answered from the cache
    narrow = load_paths(
        ["repo/config/app.toml"],
        LoadOptions(env={}, root=work / "config"),
        cache=Cache(tmp_path / "c", options),
    )
    errors = [r.facts["certificate"]["error"] for r in narrow.resources]
    assert errors == [OUTSIDE]

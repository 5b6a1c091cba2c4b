"""`compliance serve` from the command line: refusals, and a real TLS server in a subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from compliance.cli.main import cli
from tests.integration.server_harness import free_port, privileged_pod, review


def test_refuses_plain_http_on_a_non_loopback_address() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing plain HTTP on 0.0.0.0" in result.output


def test_cert_and_key_go_together(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    result = CliRunner().invoke(cli, ["serve", "--tls-cert", str(cert)])
    assert result.exit_code == 2 and "--tls-cert and --tls-key go together" in result.output


def test_sign_key_needs_a_decision_log(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_text("x")
    result = CliRunner().invoke(cli, ["serve", "--sign-key", str(key)])
    assert result.exit_code == 2 and "give --decision-log" in result.output


def test_unknown_pack_fails_before_binding() -> None:
    result = CliRunner().invoke(cli, ["serve", "--pack", "nope"])
    assert result.exit_code == 2 and "unknown pack 'nope'" in result.output
    upper = CliRunner().invoke(cli, ["serve", "--pack", "HIPAA"])
    assert upper.exit_code == 2 and "did you mean 'hipaa'?" in upper.output


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serves_admission_over_tls_with_json_access_logs(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    assert (
        CliRunner().invoke(cli, ["keys", "generate", "--out", str(tmp_path / "k")]).exit_code == 0
    )
    signing_key, pub = tmp_path / "k" / "signing.key", tmp_path / "k" / "signing.pub"
    token = "t0ken-for-tls-test"
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        f"tokens: [{{name: ci, role: admin, sha256: {hashlib.sha256(token.encode()).hexdigest()}}}]\n"
    )
    port = free_port()
    stderr = tmp_path / "stderr.log"
    exe = Path(sys.executable).parent / "compliance"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [
                str(exe),
                "serve",
                "--port",
                str(port),
                "--tls-cert",
                str(cert),
                "--tls-key",
                str(key),
                "--tokens",
                str(tokens),
                "--decision-log",
                str(tmp_path / "d.jsonl"),
                "--sign-key",
                str(signing_key),
            ],
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            context = ssl.create_default_context(cafile=str(cert))
            with httpx.Client(
                base_url=f"https://127.0.0.1:{port}", verify=context, timeout=30
            ) as client:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert proc.poll() is None, stderr.read_text()
                    assert time.monotonic() < deadline, "server did not become ready"
                    time.sleep(0.1)
                denied = client.post("/v1/admission", json=review(privileged_pod())).json()[
                    "response"
                ]
                assert denied["allowed"] is False
                assert (
                    client.get(
                        "/v1/bundles", headers={"Authorization": f"Bearer {token}"}
                    ).status_code
                    == 503
                )
            check_tls_policy(port, cert, tmp_path)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as plain:
                try:
                    plain.get("/healthz")
                    raise AssertionError("plain HTTP must not be served on the TLS port")
                except httpx.TransportError:
                    pass
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    checked = CliRunner().invoke(
        cli,
        ["evidence", "verify-log", str(tmp_path / "d.jsonl"), "--checkpoints", "--key", str(pub)],
    )
    assert checked.exit_code == 0, checked.output
    assert "1 signed checkpoints verified" in checked.output  # written on shutdown
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    routes = {entry["route"] for entry in lines}
    assert {"/readyz", "/v1/admission", "/v1/bundles"} <= routes
    assert token not in stderr.read_text()
    assert "root-shell" not in stderr.read_text()


def handshake(
    port: int, ciphers: str | None = None, version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
) -> tuple[str, str] | None:
    """A real TLS client limited to ``version`` (and ``ciphers`` for TLS 1.2 and below):
    the negotiated (protocol, suite), or None when the server refuses the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = version
    if ciphers:
        context.set_ciphers(ciphers + ":@SECLEVEL=0")  # the client offers weak suites freely
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw) as tls,
        ):
            suite = tls.cipher()
            assert suite is not None
            return str(tls.version()), suite[0]
    except (ssl.SSLError, ConnectionResetError):
        return None


def check_tls_policy(port: int, cert: Path, tmp_path: Path) -> None:
    """The server takes TLS 1.3 and TLS 1.2 with ECDHE + AEAD suites, nothing else, and what
    it accepts passes our own TLS-01 and TLS-02 as a SecurityConfig."""
    cbc = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256:AES128-SHA"
    assert handshake(port, cbc) is None, "a CBC-only client must be refused"
    with warnings.catch_warnings():  # the client's TLS 1.0/1.1 are deprecated: on purpose
        warnings.simplefilter("ignore", DeprecationWarning)
        for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            assert handshake(port, "ALL", old) is None, f"{old.name} must be refused"
    assert handshake(port, version=ssl.TLSVersion.TLSv1_3) is not None
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    probe.set_ciphers("ALL:@SECLEVEL=0")
    offered = sorted({c["name"] for c in probe.get_ciphers() if c["protocol"] == "TLSv1.2"})
    accepted = [name for name in offered if handshake(port, name) is not None]
    assert accepted and all("GCM" in n or "CHACHA20" in n for n in accepted), accepted
    assert all(n.startswith("ECDHE-") for n in accepted), accepted
    own = tmp_path / "own" / "server.toml"
    own.parent.mkdir()
    own.write_text(
        '[network]\nlisten_addr = "127.0.0.1:8443"\n'
        '[security.tls_config]\nenabled = true\nmin_version = "1.2"\n'
        f"cipher_suites = {json.dumps(accepted)}\n"
    )
    result = CliRunner().invoke(
        cli, ["evaluate", str(own), "--format", "json", "--no-cache", "--fail-on", "none"]
    )
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    assert report["summary"]["resources"] == 1
    assert [f for f in report["findings"] if f["check_id"] in ("TLS-01", "TLS-02")] == []


def test_a_key_that_does_not_match_the_certificate_is_a_usage_error(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, wrong_key = _self_signed(other)
    result = CliRunner().invoke(
        cli, ["serve", "--port", "0", "--tls-cert", str(cert), "--tls-key", str(wrong_key)]
    )
    assert result.exit_code == 2, result.output
    assert "cannot load the TLS certificate and key" in result.output
    assert "Traceback" not in result.output

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from compliance.errors import InputError
from compliance.inputs import securityconfig
from compliance.inputs.yamlutil import load_documents


def _toml(path: Path, make_ctx, **kw):
    return securityconfig.load_toml(path.read_text(), make_ctx(path, f"cfg/{path.name}", **kw))[0]


def test_toml_resource(fixtures, make_ctx):
    r = _toml(fixtures / "node.toml", make_ctx)
    assert (r.id, r.kind, r.name) == ("config:cfg/node.toml", "SecurityConfig", "node")
    assert (r.source.format, r.source.line) == ("securityconfig", 1)
    assert r.facts == {
        "overrides": [],
        "enabled": {"audit": True, "tls": True},  # what is on: keys only when on
        "auth_methods": {"mtls": True},
    }
    assert r.body["security"]["tls_config"] == {
        "enabled": True,
        "min_version": "1.2",
        "cipher_suites": None,
        "cert_file": None,
        "key_file": None,
        "client_auth": "require",
    }
    # defaults filled, unknown top-level tables kept
    assert r.body["security"]["firewall_rules"][1] == {
        "name": "ssh",
        "direction": "ingress",
        "action": "allow",
        "protocol": "tcp",
        "ports": [22],
        "sources": ["10.0.0.0/8"],
        "destinations": [],
    }
    assert r.body["storage"]["backup"] == {
        "enabled": True,
        "retention_days": 30,
        "encrypted": None,
        "cross_region": None,
    }
    assert r.body["node"] == {"name": "n0"}


def test_toml_lines(fixtures, make_ctx):
    lines = _toml(fixtures / "node.toml", make_ctx).lines
    assert lines["security.tls_config"] == 7
    assert lines["security.tls_config.min_version"] == 9
    assert lines["storage.backup.retention_days"] == 5
    assert lines["security.auth_config.roles[1]"] == 16
    assert lines["security.firewall_rules[0]"] == 19
    assert lines["security.firewall_rules[1].sources"] == 27
    assert lines["security.audit_config.retention_days"] == 31


def test_toml_lines_edge_cases():
    text = (
        '[a]\n"quoted key" = 1 # c = 2\nx.y = "#not = comment"\n[ b . c ]\nz = [1,\n  2]\nw = 3\n'
    )
    assert securityconfig.toml_lines(text) == {
        "a": 1,
        "a.quoted key": 2,
        "a.x.y": 3,
        "b.c": 4,
        "b.c.z": 5,
        "b.c.w": 7,
    }


def test_yaml_document(fixtures, make_ctx):
    (doc,) = load_documents((fixtures / "config.yaml").read_text())
    (r,) = securityconfig.load_document(doc, make_ctx("config.yaml", "cfg/config.yaml"))
    assert (r.id, r.name, r.source.line) == ("config:cfg/config.yaml", "config", 1)
    assert r.body["security"]["tls_config"]["min_version"] == "1.3"
    assert r.body["security"]["firewall_rules"][0]["ports"] == [443]
    assert r.lines["security.firewall_rules[0].ports"] == 9


def test_precedence_cli_over_env_over_file_over_default(fixtures, make_ctx):
    env = {
        "BPI__SECURITY__TLS_CONFIG__MIN_VERSION": "1.1",
        "BPI__SECURITY__AUDIT_CONFIG__RETENTION_DAYS": "400",
        "BPI__SECURITY__AUTH_CONFIG__MFA_REQUIRED": "true",
        "UNRELATED": "x",
    }
    sets = ("security.tls_config.min_version=1.3", "security.firewall_rules[0].ports=[443, 8443]")
    r = _toml(fixtures / "node.toml", make_ctx, env=env, sets=sets)
    sec = r.body["security"]
    assert sec["tls_config"]["min_version"] == "1.3"  # cli beats env and file
    assert sec["audit_config"]["retention_days"] == 400  # env beats file (90)
    assert sec["auth_config"]["mfa_required"] is True  # env beats default
    assert sec["tls_config"]["client_auth"] == "require"  # file beats default
    assert sec["auth_config"]["allow_anonymous"] is False  # default
    assert sec["firewall_rules"][0]["ports"] == [443, 8443]
    assert r.facts["overrides"] == [
        {"path": "security.audit_config.retention_days", "source": "env"},
        {"path": "security.auth_config.mfa_required", "source": "env"},
        {"path": "security.tls_config.min_version", "source": "cli"},
        {"path": "security.firewall_rules[0].ports", "source": "cli"},
    ]


def test_override_creates_missing_tables(make_ctx, tmp_path):
    path = tmp_path / "min.toml"
    path.write_text("[security]\n")
    r = _toml(path, make_ctx, sets=("security.audit_config.sink=syslog://x:514",))
    assert r.body["security"]["audit_config"]["sink"] == "syslog://x:514"
    assert r.body["security"]["tls_config"]["min_version"] == "1.2"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.3", "1.3"),
        ("443", 443),
        ("true", True),
        ("[443,8443]", [443, 8443]),
        ('"quoted"', "quoted"),
        ("tcp", "tcp"),
        ("[oidc, mtls]", ["oidc", "mtls"]),
        ("", ""),
    ],
)
def test_parse_value(raw, value):
    assert securityconfig.parse_value(raw) == value


def test_validation_error_names_field_value_and_line(fixtures, make_ctx, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[security.tls_config]\nenabled = true\nmin_version = "1.4"\n')
    with pytest.raises(InputError) as e:
        _toml(path, make_ctx)
    assert e.value.file == "cfg/bad.toml"
    assert e.value.line == 3
    assert "security.tls_config.min_version" in e.value.message
    assert "'1.4'" in e.value.message


def test_validation_error_unknown_field_in_list(make_ctx, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[security]\n[[security.firewall_rules]]\nname = "a"\n\n[[security.firewall_rules]]\nname = "b"\nport = 22\n'
    )
    with pytest.raises(InputError) as e:
        _toml(path, make_ctx)
    assert (
        e.value.message == "invalid SecurityConfig: security.firewall_rules[1].port: unknown field"
    )
    assert e.value.line == 7


def test_validation_error_from_override_names_its_origin(fixtures, make_ctx):
    with pytest.raises(InputError) as e:
        _toml(
            fixtures / "node.toml",
            make_ctx,
            env={"BPI__SECURITY__TLS_CONFIG__CLIENT_AUTH": "maybe"},
        )
    assert "security.tls_config.client_auth" in e.value.message
    assert "'maybe'" in e.value.message
    assert "BPI__SECURITY__TLS_CONFIG__CLIENT_AUTH" in e.value.message
    with pytest.raises(InputError) as e:
        _toml(
            fixtures / "node.toml", make_ctx, sets=("security.audit_config.retention_days=forever",)
        )
    assert "security.audit_config.retention_days" in e.value.message
    assert "[from --set]" in e.value.message


def test_malformed_set(fixtures, make_ctx):
    with pytest.raises(InputError, match="expected dotted.path=value"):
        _toml(fixtures / "node.toml", make_ctx, sets=("security.tls_config.enabled",))


def test_invalid_toml_has_line(make_ctx):
    with pytest.raises(InputError) as e:
        securityconfig.load_toml("[security]\nx = \n", make_ctx("a.toml"))
    assert e.value.message.startswith("invalid TOML")
    assert e.value.line == 2


def test_toml_without_security_table(make_ctx):
    with pytest.raises(InputError, match=r"without a \[security\] table"):
        securityconfig.load_toml("[tool.x]\na = 1\n", make_ctx("pyproject.toml"))


# --- certificates -------------------------------------------------------------------------


def _cert(
    path: Path,
    key,
    *,
    signer=None,
    issuer_cn="ca",
    cn="node",
    start="2026-01-01",
    end="2027-06-01",
    algorithm=None,
):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer = (
        subject
        if signer is None
        else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)])
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(datetime.fromisoformat(start).replace(tzinfo=UTC))
        .not_valid_after(datetime.fromisoformat(end).replace(tzinfo=UTC))
        .sign(signer or key, algorithm)
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + b"\n# trailing chain\n")


def _config(tmp_path: Path, cert_file: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(
        f'[security.tls_config]\nenabled = true\ncert_file = "{cert_file}"\nkey_file = "certs/missing.key"\n'
    )
    return path


def test_certificate_rsa_self_signed(tmp_path, make_ctx):
    (tmp_path / "certs").mkdir()
    _cert(
        tmp_path / "certs" / "node.pem",
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm=hashes.SHA256(),
    )
    r = _toml(_config(tmp_path, "certs/node.pem"), make_ctx)
    assert r.facts["certificate"] == {
        "file": "certs/node.pem",
        "subject": "CN=node",
        "issuer": "CN=node",
        "not_before": "2026-01-01T00:00:00Z",
        "not_after": "2027-06-01T00:00:00Z",
        "not_after_ns": 1811808000 * 10**9,
        "key_type": "RSA",
        "key_size": 2048,
        "curve": None,
        "signature_hash": "sha256",
        "self_signed": True,
        "serial": "1234",
        "error": None,
    }


def test_certificate_ec_ca_signed(tmp_path, make_ctx):
    ca = ec.generate_private_key(ec.SECP384R1())
    _cert(
        tmp_path / "ec.pem",
        ec.generate_private_key(ec.SECP256R1()),
        signer=ca,
        issuer_cn="Example CA",
        cn="app",
        algorithm=hashes.SHA256(),
    )
    cert = _toml(_config(tmp_path, "ec.pem"), make_ctx).facts["certificate"]
    assert (cert["key_type"], cert["key_size"], cert["curve"]) == ("EC", 256, "secp256r1")
    assert (cert["subject"], cert["issuer"], cert["self_signed"]) == (
        "CN=app",
        "CN=Example CA",
        False,
    )
    assert cert["signature_hash"] == "sha256"


def test_certificate_ed25519_has_no_hash(tmp_path, make_ctx):
    _cert(tmp_path / "ed.pem", ed25519.Ed25519PrivateKey.generate())
    cert = _toml(_config(tmp_path, "ed.pem"), make_ctx).facts["certificate"]
    assert (cert["key_type"], cert["key_size"], cert["curve"], cert["signature_hash"]) == (
        "Ed25519",
        256,
        None,
        None,
    )


def test_certificate_expired_and_weak_rsa(tmp_path, make_ctx):
    _cert(
        tmp_path / "old.pem",
        rsa.generate_private_key(public_exponent=65537, key_size=1024),
        start="2019-01-01",
        end="2020-01-01",
        algorithm=hashes.SHA256(),
    )
    cert = _toml(_config(tmp_path, "old.pem"), make_ctx).facts["certificate"]
    assert cert["not_after"] == "2020-01-01T00:00:00Z"
    assert cert["not_after_ns"] == 1577836800 * 10**9
    assert (cert["key_type"], cert["key_size"]) == ("RSA", 1024)
    assert cert["error"] is None


def test_certificate_sha1(tmp_path, make_ctx):
    """cryptography refuses to sign with SHA-1, so the openssl CLI makes this one."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("cryptography cannot sign with SHA-1 and the openssl CLI is not installed")
    done = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha1",
            "-days",
            "1",
            "-subj",
            "/CN=legacy",
            "-keyout",
            str(tmp_path / "k.pem"),
            "-out",
            str(tmp_path / "sha1.pem"),
        ],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"openssl refused to make a SHA-1 certificate: {done.stderr.decode()[-200:]}")
    cert = _toml(_config(tmp_path, "sha1.pem"), make_ctx).facts["certificate"]
    assert cert["signature_hash"] == "sha1"
    assert cert["subject"] == "CN=legacy"


def test_certificate_missing_and_unparsable(tmp_path, make_ctx):
    cert = _toml(_config(tmp_path, "nope.pem"), make_ctx).facts["certificate"]
    assert cert["file"] == "nope.pem"
    assert cert["error"].startswith("cannot read certificate")
    assert set(cert) == {"file", "error"}
    (tmp_path / "junk.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    )
    cert = _toml(_config(tmp_path, "junk.pem"), make_ctx).facts["certificate"]
    assert cert["error"].startswith("not a PEM X.509 certificate")


def test_key_file_is_never_read(tmp_path, make_ctx, monkeypatch):
    _cert(tmp_path / "c.pem", ec.generate_private_key(ec.SECP256R1()), algorithm=hashes.SHA256())
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "missing.key").write_text("SECRET")
    read: list[str] = []
    original_open, original_read = os.open, Path.read_bytes

    def spy_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(Path(path).name)
        return original_open(path, *args, **kwargs)

    def spy_read(self: Path) -> bytes:
        read.append(self.name)
        return original_read(self)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(Path, "read_bytes", spy_read)
    r = _toml(_config(tmp_path, "c.pem"), make_ctx)
    assert read == ["c.pem"]
    assert "SECRET" not in str(r.facts)


def test_no_cert_file_no_certificate_fact(fixtures, make_ctx):
    assert "certificate" not in _toml(fixtures / "node.toml", make_ctx).facts


def test_switches_are_facts_only_when_on(make_ctx) -> None:  # type: ignore[no-untyped-def]
    from compliance.inputs.securityconfig import load_toml

    (off,) = load_toml("[security.tls_config]\nenabled = false\n", make_ctx("off.toml"))
    assert "enabled" not in off.facts and "auth_methods" not in off.facts
    (on,) = load_toml(
        '[security.audit_config]\nenabled = true\n[security.auth_config]\nmethods = ["password", "oidc"]\n',
        make_ctx("on.toml"),
    )
    assert on.facts["enabled"] == {"audit": True}
    assert on.facts["auth_methods"] == {"password": True, "oidc": True}

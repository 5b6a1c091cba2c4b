"""facts.secret_values: what a Secret's values hold, judged by content, never carrying a value."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import orjson
from click.testing import CliRunner

from compliance.cli.main import cli
from compliance.inputs.secret_values import secret_settings, secret_values

CASES = Path(__file__).resolve().parents[2] / "packs" / "cases" / "SEC-01"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_configuration_without_secrets_is_configuration() -> None:
    facts = secret_values(
        {"stringData": {"grafana.ini": "[date_formats]\ndefault_timezone = UTC\n"}}
    )
    assert facts == [
        {"field": "stringData", "key": "grafana.ini", "config": True, "empty": False, "secrets": []}
    ]


def test_settings_holding_secrets_are_named_not_quoted() -> None:
    text = (
        "admin_password = grafana-admin-2024\n"
        'secret_key: "sw0rdf1sh-signing"\n'
        "token_file = /run/secrets/token\n"
        "password_min_length = 12\n"
        'client_secret = "$__env{CLIENT_SECRET}"\n'
        "url: postgres://u:pw-in-url-1@db:5432/x\n"
    )
    facts = secret_values({"data": {"app.conf": _b64(text)}})
    assert facts[0]["secrets"] == ["admin_password", "password in a URL", "secret_key"]
    dumped = orjson.dumps(facts).decode()
    for value in ("grafana-admin-2024", "sw0rdf1sh-signing", "pw-in-url-1"):
        assert value not in dumped


def test_private_key_in_a_file_is_a_secret_and_a_certificate_is_not() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
    cert = "-----BEGIN CERTIFICATE-----\nMIIBsz\n-----END CERTIFICATE-----\n"
    assert secret_settings(key) == ["private key"]
    assert secret_settings(cert) == []


def test_plain_values_empty_values_and_undecodable_data() -> None:
    facts = secret_values(
        {"data": {"username": _b64("admin"), "blob": "%%%not-base64"}, "stringData": {"token": ""}}
    )
    assert [(f["key"], f["config"], f["empty"]) for f in facts] == [
        ("username", False, False),
        ("blob", False, False),
        ("token", False, True),
    ]


def test_report_names_secret_settings_and_never_their_values(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(CASES / "secret-config-files-with-secrets" / "input"),
            "--format", "json", "-o", str(out), "--no-cache", "--fail-on", "none",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    messages = [f["message"] for f in report["findings"] if f["check_id"] == "SEC-01"]
    assert any("grafana.ini [admin_password]" in m for m in messages)
    text = out.read_text()
    for value in ("grafana-admin-2024", "loki-reader-pw", "reporter-pw-1", "mail-relay-pw"):
        assert value not in text

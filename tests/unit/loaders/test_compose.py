from __future__ import annotations

import pytest

from compliance.errors import InputError
from compliance.inputs import compose
from compliance.inputs.yamlutil import load_documents


def _load(text, make_ctx, rel="compose.yaml"):
    out = []
    for doc in load_documents(text):
        out.extend(compose.load_document(doc, make_ctx(rel, rel)))
    return out


@pytest.fixture
def services(fixtures, make_ctx):
    resources = _load((fixtures / "compose.yaml").read_text(), make_ctx, "deploy/compose.yaml")
    return {r.name: r for r in resources}


def test_one_resource_per_service(services):
    assert list(services) == ["web", "db", "worker"]
    web = services["web"]
    assert web.id == "compose:deploy/compose.yaml#web"
    assert web.kind == "ComposeService"
    assert web.source.format == "compose"
    assert [services[n].source.line for n in services] == [2, 20, 29]
    assert web.body["image"] == "nginx:1.27"


def test_environment_list_form(services):
    assert services["web"].facts["environment"] == [
        {"name": "API_KEY", "value": "abc123", "line": 5, "path": "environment[0]"},
        {"name": "DEBUG", "value": None, "line": 6, "path": "environment[1]"},
        {"name": "EMPTY", "value": "", "line": 7, "path": "environment[2]"},
    ]


def test_environment_mapping_form(services):
    assert services["db"].facts["environment"] == [
        {
            "name": "POSTGRES_PASSWORD",
            "value": "secret",
            "line": 23,
            "path": "environment.POSTGRES_PASSWORD",
        },
        {"name": "PORT", "value": "5432", "line": 24, "path": "environment.PORT"},
        {"name": "FLAG", "value": "true", "line": 25, "path": "environment.FLAG"},
        {"name": "UNSET", "value": None, "line": 26, "path": "environment.UNSET"},
    ]


def test_ports_short_and_long(services):
    assert services["web"].facts["ports"] == [
        {
            "published": "8080",
            "target": "80",
            "host_ip": None,
            "protocol": "tcp",
            "line": 9,
            "transport": "http",
        },
        {
            "published": "8443",
            "target": "443",
            "host_ip": "127.0.0.1",
            "protocol": "udp",
            "line": 10,
            "transport": "tls",
        },
        {
            "published": None,
            "target": "9000",
            "host_ip": None,
            "protocol": "tcp",
            "line": 11,
            "transport": None,
        },
        {
            "published": "5353",
            "target": "53",
            "host_ip": "::1",
            "protocol": "udp",
            "line": 12,
            "transport": None,
        },
        {
            "published": "8081",
            "target": "80",
            "host_ip": "0.0.0.0",
            "protocol": "tcp",
            "line": 13,
            "transport": "http",
        },
    ]


def test_image_and_healthcheck(services):
    assert services["web"].facts["image"] == "nginx:1.27"
    assert services["worker"].facts["image"] is None
    assert services["web"].facts["has_healthcheck"] is True
    assert services["db"].facts["has_healthcheck"] is False  # disable: true
    assert services["worker"].facts["has_healthcheck"] is False  # test: ["NONE"]


def test_lines_rerooted_at_service(services):
    db = services["db"]
    assert db.lines["image"] == 21
    assert db.lines["environment.POSTGRES_PASSWORD"] == 23
    assert db.lines["healthcheck.disable"] == 28
    assert not any(k.startswith("services.") for k in db.lines)
    assert services["web"].line_for("ports[4].published") == 14


def test_string_healthcheck_none_and_numeric_port(make_ctx):
    text = "services:\n  a:\n    image: x\n    ports: [80]\n    healthcheck:\n      test: NONE\n"
    (a,) = _load(text, make_ctx)
    assert a.facts["has_healthcheck"] is False
    assert a.facts["ports"] == [
        {
            "published": None,
            "target": "80",
            "host_ip": None,
            "protocol": "tcp",
            "line": 4,
            "transport": "http",
        }
    ]


def test_empty_service_is_allowed(make_ctx):
    (a,) = _load("services:\n  a:\n", make_ctx)
    assert a.body == {}
    assert a.facts == {
        "environment": [],
        "ports": [],
        "image": None,
        "has_healthcheck": False,
        "env_files": [],
        "dotenv": {"file": ".env", "found": False, "entries": []},
    }


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("version: '3'\nnetworks: {}\n", "without a services mapping", 1),
        ("# header\nservices: [a, b]\n", "without a services mapping", 2),
        ("services:\n  a: 5\n", "service 'a' must be a mapping", 2),
    ],
)
def test_errors(text, message, line, make_ctx):
    with pytest.raises(InputError) as e:
        _load(text, make_ctx, "compose.yml")
    assert message in e.value.message
    assert (e.value.file, e.value.line) == ("compose.yml", line)

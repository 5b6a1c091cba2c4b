"""What a compose port's numbers say about its transport (facts.ports[*].transport), and
what that means for TLS-01: a published port is assessed only where the numbers give
evidence, so a database port never turns transport encryption into a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.assess import Assessor
from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.compose import port_transport
from compliance.policy.packs import load_library


@pytest.mark.parametrize(
    ("published", "target", "expected"),
    [
        ("80", "80", "http"),
        ("5050", "80", "http"),
        (None, "8080", "http"),
        ("443", "8443", "tls"),
        ("8443", "3000", "tls"),
        ("80", "443", "tls"),
        ("5432", "5432", None),
        ("30303", "30303", None),
        ("8000-8010", "80", "http"),
        (None, None, None),
    ],
)
def test_port_transport(published: str | None, target: str | None, expected: str | None) -> None:
    assert port_transport(published, target) == expected


def test_tls01_assesses_only_services_whose_ports_give_evidence(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  db:\n    image: postgres:16\n    ports: ['5432:5432']\n"
        "  p2p:\n    image: node:1\n    ports: ['30303:30303', '127.0.0.1:9090:9090']\n"
        "  web:\n    image: nginx:1\n    ports: ['5050:80']\n"
        "  api:\n    image: api:1\n    ports: [{target: 8443, published: 8443}]\n"
    )
    loaded = load_paths([str(tmp_path)], LoadOptions(env={}))
    assert not loaded.errors
    assessor = Assessor(load_library().checks, ["TLS-01"])
    assessed = {
        r.name: assessor.assessed_by(r.kind, r.body, r.facts)
        for r in loaded.resources
        if r.kind == "ComposeService"
    }
    assert assessed == {"db": (), "p2p": (), "web": ("TLS-01",), "api": ("TLS-01",)}

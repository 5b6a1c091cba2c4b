"""Service transport evidence (facts.exposure.transport) and what it means for TLS-01."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.assess import Assessor
from compliance.inputs.k8s_service import port_transport, service_facts
from compliance.policy.packs import load_library


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ({"port": 80}, "http"),
        ({"port": 8080, "targetPort": 9000}, "http"),
        ({"port": 3000, "name": "http"}, "http"),
        ({"port": 3000, "name": "api-http"}, "http"),
        ({"port": 3000, "targetPort": "http-web"}, "http"),
        ({"port": 3000, "appProtocol": "kubernetes.io/h2c"}, "http"),
        ({"port": 443}, "tls"),
        ({"port": 3000, "name": "https"}, "tls"),
        ({"port": 80, "name": "https"}, "tls"),
        ({"port": 9000, "appProtocol": "HTTPS"}, "tls"),
        ({"port": 5000}, None),
        ({"port": 5000, "name": "metrics"}, None),
        ({"port": "5000", "name": "httpbin"}, None),
    ],
)
def test_port_transport(port: dict[str, Any], expected: str | None) -> None:
    assert port_transport(port) == expected


def _service(kind: str, ports: list[Any], annotations: dict[str, str] | None = None) -> Any:
    return {
        "metadata": {"name": "s", "annotations": annotations or {}},
        "spec": {"type": kind, "ports": ports},
    }


def test_service_facts() -> None:
    assert service_facts(_service("ClusterIP", [{"port": 80}])) == {}
    assert service_facts(_service("NodePort", [{"port": 5000}])) == {"exposure": {"NodePort": True}}
    assert service_facts(_service("LoadBalancer", [{"port": 80}, {"port": 443}])) == {
        "exposure": {
            "LoadBalancer": True,
            "transport": {"http": [0], "tls": [1], "annotations": []},
        }
    }
    cert = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
    facts = service_facts(_service("LoadBalancer", [{"port": 5000}], {cert: "arn:aws:acm:x"}))
    assert facts["exposure"]["transport"] == {"http": [], "tls": [], "annotations": [cert]}
    assert service_facts({"spec": {"type": "NodePort", "ports": "bad"}}) == {
        "exposure": {"NodePort": True}
    }


@pytest.mark.parametrize(
    ("ports", "assessed"),
    [([{"port": 5000}], False), ([{"port": 5000, "name": "http"}], True), ([{"port": 443}], True)],
)
def test_tls01_assesses_only_services_whose_transport_is_evident(
    ports: list[Any], assessed: bool
) -> None:
    """An exposed Service whose ports say nothing about transport is not_assessed by TLS-01,
    never a pass."""
    obj = _service("NodePort", ports)
    assessor = Assessor(load_library().checks, ["TLS-01"])
    got = assessor.assessed_by("Service", obj, service_facts(obj))
    assert got == (("TLS-01",) if assessed else ())

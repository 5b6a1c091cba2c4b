"""What a Kubernetes Service says about its transport, for TLS-01.

A LoadBalancer or NodePort Service is reachable from outside the cluster. Whether a port
carries plain HTTP or TLS is known only from evidence the manifest gives: the port number
(80/8080, 443/8443), its name or ``targetPort`` name (``http``, ``http-api``, ``https``,
``tls``, ...), its ``appProtocol``, or a cloud load balancer annotation that terminates TLS.
A port with none of these (``5000`` with no name) says nothing about transport.
"""

from __future__ import annotations

import re
from typing import Any

EXPOSED_TYPES = ("LoadBalancer", "NodePort")
HTTP_PORTS = frozenset({80, 8080})
TLS_PORTS = frozenset({443, 8443})
_HTTP_NAME = re.compile(r"^(http|h2c|ws)(-.*)?$|-(http|h2c|ws)$", re.IGNORECASE)
_TLS_NAME = re.compile(r"^(https|tls|ssl|h2|grpcs|wss)(-.*)?$|-(https|tls|ssl)$", re.IGNORECASE)
HTTP_APP_PROTOCOLS = frozenset({"http", "kubernetes.io/h2c", "kubernetes.io/ws"})
TLS_APP_PROTOCOLS = frozenset({"https", "tls", "kubernetes.io/wss"})
TLS_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
)
"""Annotations by which a cloud load balancer terminates TLS in front of the Service."""


def _named(value: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and pattern.search(value) is not None


def port_transport(port: dict[str, Any]) -> str | None:
    """``"tls"``, ``"http"`` or None (no evidence) for one entry of ``spec.ports``."""
    number = port.get("port")
    app = port.get("appProtocol")
    app = app.lower() if isinstance(app, str) else None
    names = (port.get("name"), port.get("targetPort"))
    if (
        app in TLS_APP_PROTOCOLS
        or any(_named(n, _TLS_NAME) for n in names)
        or (isinstance(number, int) and number in TLS_PORTS)
    ):
        return "tls"
    if (
        app in HTTP_APP_PROTOCOLS
        or any(_named(n, _HTTP_NAME) for n in names)
        or (isinstance(number, int) and number in HTTP_PORTS)
    ):
        return "http"
    return None


def service_facts(obj: dict[str, Any]) -> dict[str, Any]:
    """``exposure`` for a LoadBalancer or NodePort Service: its type, and ``transport`` (the
    indexes of ``spec.ports`` that carry plain HTTP and TLS, and the TLS-terminating
    annotations) only when some port or annotation gives evidence."""
    spec = obj.get("spec")
    kind_of = spec.get("type") if isinstance(spec, dict) else None
    if kind_of not in EXPOSED_TYPES or not isinstance(spec, dict):
        return {}
    exposure: dict[str, Any] = {kind_of: True}
    http: list[int] = []
    tls: list[int] = []
    ports = spec.get("ports")
    for i, port in enumerate(ports if isinstance(ports, list) else []):
        found = port_transport(port) if isinstance(port, dict) else None
        if found == "http":
            http.append(i)
        elif found == "tls":
            tls.append(i)
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    terminating = [
        a for a in TLS_ANNOTATIONS if isinstance(annotations, dict) and annotations.get(a)
    ]
    if http or tls or terminating:
        exposure["transport"] = {"http": http, "tls": tls, "annotations": terminating}
    return {"exposure": exposure}

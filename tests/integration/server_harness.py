"""Run the real app under uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from compliance.runner import RunOptions
from compliance.server.app import ServerConfig, create_app
from compliance.server.auth import Token, Tokens
from compliance.server.evaluators import build, factory, settings
from tests.ports import free_port

ADMIN_TOKEN = "admin-token-1f9c2d"
AUDITOR_TOKEN = "auditor-token-77ab01"


def tokens() -> Tokens:
    return Tokens(
        [
            Token(
                name="ops", role="admin", sha256=hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
            ),
            Token(
                name="jane",
                role="auditor",
                sha256=hashlib.sha256(AUDITOR_TOKEN.encode()).hexdigest(),
            ),
        ]
    )


def config(**overrides: Any) -> ServerConfig:
    """One worker process (the suite shares two cores), the real packs, the decision cache on."""
    options = RunOptions()
    base: dict[str, Any] = {
        "evaluator_factory": factory(options),
        "evaluators": 1,
        "tokens": tokens(),
        "cache_settings": settings(build(options, restrict=False), {}),
    }
    base.update(overrides)
    return ServerConfig(**base)


@contextmanager
def running(cfg: ServerConfig, *, wait_ready: bool = True) -> Iterator[httpx.Client]:
    """Yields a client bound to the server's base URL once /readyz (or /healthz) answers 200."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(cfg), host="127.0.0.1", port=port, log_level="error", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/readyz" if wait_ready else "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready")
            time.sleep(0.05)
        try:
            yield client
        finally:
            server.should_exit = True
            thread.join(timeout=30)


POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "web",
                "image": "registry.example/web@sha256:" + "a" * 64,
                "securityContext": {
                    "runAsNonRoot": True,
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "resources": {
                    "requests": {"cpu": "100m", "memory": "64Mi"},
                    "limits": {"cpu": "500m", "memory": "128Mi"},
                },
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
            }
        ],
    },
}


def privileged_pod() -> dict[str, Any]:
    pod = copy.deepcopy(POD)
    pod["metadata"]["name"] = "root-shell"
    pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    return pod


def review(
    obj: dict[str, Any] | None,
    *,
    uid: str = "705ab4f5-6393-11e8-b7cc-42010a800002",
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    dry_run: bool = False,
    namespace: str | None = None,
) -> dict[str, Any]:
    """Shaped like the API server's AdmissionReview v1 request."""
    obj, old = copy.deepcopy(obj), copy.deepcopy(old)
    target = obj or old or {}
    kind = target.get("kind", "Pod")
    api_version = target.get("apiVersion", "v1")
    group, _, version = api_version.rpartition("/")
    metadata = target.get("metadata", {})
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": kind.lower() + "s"},
        "name": metadata.get("name", ""),
        "namespace": namespace if namespace is not None else metadata.get("namespace", ""),
        "operation": operation,
        "userInfo": {
            "username": "admin@example.com",
            "uid": "u-1",
            "groups": ["system:authenticated"],
        },
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}

"""An OPA server for the tests: a real ``opa`` binary when one is on PATH, else this module's
HTTP server on loopback serving OPA's v1 Policy and Data API over the real OPA Go evaluator
(``opa-golib-python-bindings``, installed by ``make install``).

The Python server mirrors what ``compliance.engine.opa`` relies on, with OPA's response
shapes:

- ``GET /v1/policies`` -> ``{"result": [{"id", "raw"}]}``; ``GET|PUT|DELETE /v1/policies/{id}``.
  A PUT compiles the new module together with every stored one, as OPA does, and refuses with
  400 ``{"code": "invalid_parameter", "message", "errors": [{"code", "message",
  "location": {"file", "row", "col"}}]}`` (the file is the policy id).
- ``PUT /v1/data/{path}`` (204), ``GET|POST /v1/data/{path}`` with ``{"input": ...}`` ->
  ``{"result": ...}``, or ``{}`` when undefined; evaluation errors are 500 ``internal_error``.
- ``POST /v1/query``, ``GET /health``.
- ``token=``: every request needs ``Authorization: Bearer <token>``, else 401
  ``{"code": "unauthorized"}`` (OPA's ``--authentication=token --authorization=basic``).
- ``tls=(cert, key)``: HTTPS only.

It also records every request (``requests``) so tests can count uploads, and can be told to
answer every request with a status (``force_status``) to test that HTTP errors are not retried,
or hold every request (``stall``) to test client timeouts.
Request counting and ``force_status`` exist only here, so the tests that need them always use
the Python server (``OpaTestServer``); the rest use ``start_opa`` (the binary when present).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import shutil
import ssl
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opa_bindings.engine import OpaEngine, OpaError, OpaUndefinedError

from tests.ports import free_port

_ERROR_LINE = re.compile(r"(?:^|\s)(\S+?):(\d+): (rego_\w+): ([^\n]*)")


class OpaService(Protocol):
    url: str

    def stop(self) -> None: ...


# -- certificates -----------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def make_tls(directory: Path, common_name: str = "compliance test CA") -> TlsFiles:
    """A private CA and a server certificate it signs for 127.0.0.1 / localhost."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# -- the Python server ------------------------------------------------------------------


class _Store:
    """Policies and data, and an OPA Go engine compiled from them."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.lock = threading.RLock()
        self._engine: OpaEngine | None = None

    @staticmethod
    def compile(modules: dict[str, str], data: dict[str, Any]) -> OpaEngine:
        """Parse and compile every module together; raises OpaError like OPA's compiler."""
        engine = OpaEngine()
        for pid in sorted(modules):
            engine.add_policy(pid, modules[pid])
        if data:
            engine.add_data(data)
        engine.eval_query("true")  # forces compilation of the whole set
        return engine

    def replace(self, modules: dict[str, str]) -> None:
        engine = self.compile(modules, self.data)
        self.modules, self._engine = modules, engine

    def engine(self) -> OpaEngine:
        if self._engine is None:
            self._engine = self.compile(self.modules, self.data)
        return self._engine

    def put_data(self, path: list[str], value: Any) -> None:
        if not path:
            self.data = value if isinstance(value, dict) else {}
        else:
            node = self.data
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
        self._engine = None


def compile_errors(error: OpaError) -> list[dict[str, Any]]:
    """OPA's ``errors`` list from the Go evaluator's error text."""
    out = []
    for m in _ERROR_LINE.finditer(error.message):
        out.append(
            {
                "code": m.group(3),
                "message": m.group(4).strip(),
                "location": {"file": m.group(1), "row": int(m.group(2)), "col": 1},
            }
        )
    if not out:
        out.append({"code": "rego_compile_error", "message": error.message, "location": {}})
    return out


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout, failed TLS handshake) is expected in these tests."""


class OpaTestServer:
    """OPA's v1 Policy and Data API on loopback over the OPA Go evaluator."""

    def __init__(self, *, token: str | None = None, tls: TlsFiles | None = None) -> None:
        self.token = token
        self.tls = tls
        self.store = _Store()
        self.requests: list[tuple[str, str]] = []
        self.force_status: int | None = None
        self.stall: threading.Event | None = None
        """When set, every request waits for the event (at most 10 s) before answering."""
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls.cert, tls.key)
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        port = self._httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    def policy_ids(self) -> list[str]:
        with self.store.lock:
            return sorted(self.store.modules)


def _handler_for(server: OpaTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any = None) -> None:
            raw = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self, method: str) -> None:
            path = urlsplit(self.path).path
            body = self._body()
            server.requests.append((method, path))
            if server.stall is not None:
                server.stall.wait(10)
            if server.force_status is not None:
                self._send(
                    server.force_status, {"code": "internal_error", "message": "forced by the test"}
                )
                return
            if (
                server.token is not None
                and self.headers.get("Authorization") != f"Bearer {server.token}"
            ):
                self._send(
                    401,
                    {
                        "code": "unauthorized",
                        "message": "request rejected by administrative policy",
                    },
                )
                return
            try:
                with server.store.lock:
                    self._route(method, path, body)
            except (ValueError, json.JSONDecodeError) as e:
                self._send(400, {"code": "invalid_parameter", "message": str(e)})

        def _route(self, method: str, path: str, body: bytes) -> None:
            store = server.store
            if path == "/health":
                self._send(200, {})
            elif path.rstrip("/") == "/v1/policies" and method == "GET":
                self._send(
                    200, {"result": [{"id": k, "raw": v} for k, v in sorted(store.modules.items())]}
                )
            elif path.startswith("/v1/policies/"):
                self._policy(method, unquote(path[len("/v1/policies/") :]), body)
            elif path.startswith("/v1/data"):
                self._data(
                    method, [unquote(p) for p in path[len("/v1/data") :].split("/") if p], body
                )
            elif path == "/v1/query" and method == "POST":
                request = json.loads(body or b"{}")
                try:
                    rows = store.engine().eval_query(request.get("query", ""), request.get("input"))
                except OpaError as e:
                    self._send(400, {"code": "invalid_parameter", "message": e.message})
                    return
                self._send(200, {"result": rows} if rows else {})
            else:
                self._send(404, {"code": "resource_not_found", "message": f"{method} {path}"})

        def _policy(self, method: str, pid: str, body: bytes) -> None:
            store = server.store
            if method == "GET":
                if pid not in store.modules:
                    self._send(
                        404,
                        {
                            "code": "resource_not_found",
                            "message": f"storage_not_found_error: policy id {pid!r}",
                        },
                    )
                else:
                    self._send(200, {"result": {"id": pid, "raw": store.modules[pid]}})
                return
            candidate = dict(store.modules)
            if method == "PUT":
                candidate[pid] = body.decode("utf-8")
            elif method == "DELETE":
                if candidate.pop(pid, None) is None:
                    self._send(
                        404,
                        {
                            "code": "resource_not_found",
                            "message": f"storage_not_found_error: policy id {pid!r}",
                        },
                    )
                    return
            else:
                self._send(405, {"code": "invalid_parameter", "message": f"{method} not allowed"})
                return
            try:
                store.replace(candidate)
            except OpaError as e:
                self._send(
                    400,
                    {
                        "code": "invalid_parameter",
                        "message": "error(s) occurred while compiling module(s)",
                        "errors": compile_errors(e),
                    },
                )
                return
            self._send(200, {})

        def _data(self, method: str, parts: list[str], body: bytes) -> None:
            store = server.store
            if method == "PUT":
                store.put_data(parts, json.loads(body or b"null"))
                self._send(204)
                return
            request = json.loads(body) if body else {}
            try:
                value = store.engine().eval_document(".".join(parts), request.get("input"))
            except OpaUndefinedError:
                self._send(200, {})
                return
            except OpaError as e:
                self._send(500, {"code": "internal_error", "message": e.message})
                return
            self._send(200, {"result": value})

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

    return Handler


# -- a real opa binary ------------------------------------------------------------------


class OpaProcess:
    """``opa run --server`` on loopback, with token auth and TLS when asked."""

    def __init__(
        self, binary: str, workdir: Path, *, token: str | None = None, tls: TlsFiles | None = None
    ) -> None:
        port = free_port()
        args = [binary, "run", "--server", "--addr", f"127.0.0.1:{port}"]
        if tls is not None:
            args += ["--tls-cert-file", str(tls.cert), "--tls-private-key-file", str(tls.key)]
        if token is not None:
            authz = workdir / "authz.rego"
            authz.write_text(
                "package system.authz\n\ndefault allow := false\n\n"
                f"allow if input.identity == {json.dumps(token)}\n"
            )
            args += ["--authentication=token", "--authorization=basic", str(authz)]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context = ssl.create_default_context(cafile=str(tls.ca)) if tls else None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for _ in range(200):
            try:
                with urllib.request.urlopen(
                    urllib.request.Request(f"{self.url}/health", headers=headers),
                    context=context,
                    timeout=1,
                ):
                    return
            except OSError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"opa did not start on {self.url}")

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


def start_opa(
    workdir: Path, *, token: str | None = None, tls: TlsFiles | None = None
) -> OpaService:
    """The ``opa`` binary when it is on PATH, else :class:`OpaTestServer`."""
    binary = shutil.which("opa")
    if binary:
        return OpaProcess(binary, workdir, token=token, tls=tls)
    return OpaTestServer(token=token, tls=tls)

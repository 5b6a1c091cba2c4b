"""The ASGI app: admission webhook, evaluation API, evidence downloads, health and metrics.

Authentication: ``/v1/admission`` is called by the Kubernetes API server, which authenticates the
webhook by its TLS certificate (caBundle); the endpoint takes no bearer token and is reachable
only from the API server (deploy/networkpolicy.yaml). ``/v1/bundles*`` need an auditor or admin
token; ``/v1/evaluate`` needs an admin token (it runs arbitrary uploaded input through the
engine, which auditors do not need). ``/healthz``, ``/readyz`` and ``/metrics`` are open and
carry no secrets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compliance.errors import ComplianceError
from compliance.evaluation.executor import available_cpus
from compliance.inputs.k8s import resource_from_object
from compliance.server.admission import MalformedReview, parse_review
from compliance.server.auth import Role, Tokens, allows
from compliance.server.bundles import BundleStore
from compliance.server.decide import Decision, Policy, decide, exclusion, record, target_object
from compliance.server.decisioncache import DEFAULT_SIZE, DecisionCache, cache_key, settings_digest
from compliance.server.decisionlog import DecisionLog
from compliance.server.evaluators import AdmitResult
from compliance.server.pool import EvaluatorPool
from compliance.server.portal import Portal

MAX_BODY_BYTES = 3 * 1024 * 1024
MAX_UPLOAD_FILES = 200
access_log = logging.getLogger("compliance.access")

WORKER_NICE = 5
"""With both cores busy evaluating, cache hits waited behind evaluations: on the 2-core bench
machine nice +5 workers took the GitOps mix from p50 46 ms to 3.4 ms at the same miss rate."""


@dataclass
class ServerConfig:
    evaluator_factory: Callable[[], Any]
    """Builds the evaluators (``evaluators.KindEvaluators``: ``admit``, ``evaluate_files``); called
    once in each worker process, so it must be picklable (``evaluators.factory(options)``)."""
    evaluators: int = field(default_factory=available_cpus)
    """Worker processes."""
    policy: Policy = field(default_factory=Policy)
    tokens: Tokens | None = None
    bundles: BundleStore | None = None
    decision_log: DecisionLog | None = None
    decision_ledger: Any | None = None
    """``compliance.ledger.decisions.LedgerDecisions``: decisions recorded in a shared ledger."""
    max_body_bytes: int = MAX_BODY_BYTES
    eval_timeout: float = 8.0
    """Seconds; under the webhook's timeoutSeconds so the API server gets our answer, not its own."""
    parameters: dict[str, Any] = field(default_factory=dict)
    worker_nice: int = WORKER_NICE
    """Niceness added to the worker processes (0: same priority as the server process)."""
    decision_cache: int = DEFAULT_SIZE
    """Entries of the decision cache; 0 disables it."""
    cache_settings: dict[str, Any] = field(default_factory=dict)
    """What evaluations depend on besides the object (pack digests, effective parameters):
    part of every decision cache key. ``evaluators.settings`` computes it."""


ADMISSION_SOURCE = "admission"
"""The file name admission findings carry (the request uid is in the decision log instead)."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "compliance_http_requests",
            "HTTP requests by route and status code",
            ["path", "code"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "compliance_admission_decisions",
            "Admission decisions by result",
            ["result"],
            registry=self.registry,
        )
        self.cache = Counter(
            "compliance_admission_cache",
            "Admission evaluations answered from the decision cache (hit) or evaluated (miss)",
            ["result"],
            registry=self.registry,
        )
        self.evaluation = Histogram(
            "compliance_admission_evaluation_seconds",
            "Admission evaluations: time in the worker process (worker) and the whole round trip "
            "from the server process, queueing and IPC included (roundtrip)",
            ["where"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        self.latency = Histogram(
            "compliance_http_request_duration_seconds",
            "Request latency by route",
            ["path"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )


def route_label(path: str) -> str:
    """Bounded label values: route templates, never raw ids."""
    if path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admission",
        "/v1/evaluate",
        "/v1/bundles",
        "/v1/decisions/head",
    ):
        return path
    if path.startswith("/v1/bundles/"):
        return "/v1/bundles/{id}/verify" if path.endswith("/verify") else "/v1/bundles/{id}"
    return "other"


class Observe:
    """Body size limit, request metrics and one JSON access-log line per request (no bodies, no headers)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body: int) -> None:
        self.app, self.metrics, self.max_body = app, metrics, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}
        label = route_label(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            response = JSONResponse(
                {"error": f"request body over {self.max_body} bytes"},
                status_code=413,
                headers={"Connection": "close"},  # the unread body must not be parsed as a request
            )
            status["code"] = 413
            await response(scope, receive, send)
            self._done(scope, label, 413, start)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise HTTPException(
                        413,
                        f"request body over {self.max_body} bytes",
                        headers={"Connection": "close"},
                    )
            return message

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, observed_send)
        finally:
            self._done(scope, label, status["code"], start)

    def _done(self, scope: Scope, label: str, code: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        self.metrics.requests.labels(label, str(code)).inc()
        self.metrics.latency.labels(label).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            client = scope.get("client")
            state = scope.get("state") or {}
            access_log.info(
                orjson.dumps(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "method": scope["method"],
                        "path": scope["path"] if label != "other" else "(other)",
                        "route": label,
                        "status": code,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": client[0] if client else None,
                        "principal": state.get("principal"),
                    }
                ).decode()
            )


def configure_access_log(stream: Any = None) -> None:
    """JSON lines on stderr (the message already is the JSON object)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.handlers[:] = [handler]
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def pack(result: AdmitResult) -> bytes:
    """A decision cache entry: the pickled result, compressed (about 0.8 KB instead of about
    10 KB of live objects). Only results of this server's own workers are ever unpickled."""
    return zlib.compress(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack(blob: bytes) -> AdmitResult:
    result: AdmitResult = pickle.loads(zlib.decompress(blob))
    return result


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(config: ServerConfig) -> Starlette:
    metrics = Metrics()
    pool: EvaluatorPool | None = None
    policy = config.policy
    cache = DecisionCache(config.decision_cache)
    inflight: dict[str, asyncio.Future[AdmitResult]] = {}
    """Evaluations under way by cache key: an identical request arriving meanwhile (a retry, a
    dry-run and its apply, two controllers) waits for the same answer instead of a second one."""

    async def evaluate_once(key: str, obj: dict[str, Any]) -> tuple[AdmitResult, bool]:
        """The worker's result for ``obj`` and whether it was shared with an earlier request.
        Raises what the pool raises (TimeoutError, WorkerError)."""
        pending = inflight.get(key) if config.decision_cache else None
        if pending is not None:
            return await asyncio.shield(pending), True
        future: asyncio.Future[AdmitResult] = asyncio.get_running_loop().create_future()
        if config.decision_cache:
            inflight[key] = future
        try:
            result: AdmitResult = await the_pool().run(
                "admit", obj, ADMISSION_SOURCE, config.parameters, timeout=config.eval_timeout
            )
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            inflight.pop(key, None)
        future.set_result(result)
        return result, False

    settings = settings_digest(
        {
            **config.cache_settings,
            "parameters": config.parameters,
            "mode": policy.mode,
            "fail_on": policy.fail_on,
        }
    )

    def the_pool() -> EvaluatorPool:
        assert pool is not None, "the app's lifespan has not started"
        return pool

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        nonlocal pool
        pool = EvaluatorPool(
            config.evaluator_factory,
            config.evaluators,
            job_timeout=config.eval_timeout,
            nice=config.worker_nice,
        )
        try:
            yield
        finally:
            pool.close()
            if config.decision_log is not None:
                config.decision_log.close()
            if config.decision_ledger is not None:
                config.decision_ledger.close()

    def require(request: Request, action: str) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return JSONResponse(
                {"error": "bearer token required"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = config.tokens.identify(presented.strip()) if config.tokens else None
        if token is None:
            return JSONResponse(
                {"error": "invalid token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        request.state.principal = token.name
        role: Role = token.role
        if not allows(role, action):
            return _error(403, f"role {role} may not {action} here")
        return None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        p = the_pool()
        if p.ready:
            return JSONResponse({"status": "ready", "evaluators": p.size, "pids": p.pids()})
        if p.startup_error:
            return _error(503, f"packs failed to compile: {p.startup_error}")
        return JSONResponse({"status": "starting"}, status_code=503)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def admission(request: Request) -> Response:
        body = await request.body()
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as e:
            return _error(400, f"body is not valid JSON: {e}")
        try:
            review = parse_review(data)
        except MalformedReview as e:
            return _error(400, str(e))
        req = review.request
        decision: Decision
        cached: bool | None = None
        masks: list[str] | None = None
        excluded = exclusion(policy, req)
        if req.operation == "DELETE":
            decision = Decision(allowed=True, result="delete", message="nothing to check on DELETE")
        elif excluded:
            decision = Decision(
                allowed=True, result="excluded", message=f"not evaluated: {excluded}"
            )
        elif req.operation == "CONNECT":
            decision = Decision(
                allowed=True, result="skipped", message="nothing to check on CONNECT"
            )
        else:
            obj = target_object(req)
            try:
                resource_from_object(obj, ADMISSION_SOURCE)  # a 400 here, not a worker error
            except ComplianceError as e:
                return _error(400, f"request.object: {e.message}")
            key = cache_key(req.operation, req.namespace, obj, settings)
            packed: bytes | None = cache.get(key)
            result: AdmitResult | None = unpack(packed) if packed is not None else None
            cached = result is not None
            errors: list[str] = []
            findings: list[Any] = []
            if result is None:
                started = time.perf_counter()
                shared = False
                try:
                    result, shared = await evaluate_once(key, obj)
                except TimeoutError:
                    errors = [f"evaluation timed out after {config.eval_timeout:g}s"]
                except Exception as e:
                    errors = [f"engine error: {e}"]
                cached = shared
                if result is not None and not shared:
                    metrics.evaluation.labels("worker").observe(result.seconds)
                    metrics.evaluation.labels("roundtrip").observe(time.perf_counter() - started)
                    if not result.errors:
                        cache.put(key, pack(result))
            if result is not None:
                findings, errors, masks = result.findings, result.errors, result.masks
            if config.decision_cache:
                metrics.cache.labels("hit" if cached else "miss").inc()
            decision = decide(policy, findings, errors)
        metrics.decisions.labels(decision.result).inc()
        if config.decision_log is not None or config.decision_ledger is not None:
            entry = record(req, decision, policy, cached=cached, masks=masks)
            if config.decision_log is not None:
                config.decision_log.append(entry)
            if config.decision_ledger is not None:
                # a database round trip: off the event loop, answered only once recorded
                await run_in_threadpool(config.decision_ledger.append, entry)
        return Response(
            orjson.dumps(decision.response(req.uid).wire()), media_type="application/json"
        )

    async def evaluate(request: Request) -> Response:
        denied = require(request, "write")
        if denied:
            return denied
        files = await _uploaded_files(request)
        with tempfile.TemporaryDirectory(prefix="compliance-eval-") as tmp:
            root = Path(tmp)
            for name, text in files.items():
                target = root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            try:
                job = (tmp, sorted(files), config.parameters)
                data = await the_pool().run("evaluate_files", *job, timeout=config.eval_timeout * 4)
            except TimeoutError:
                return _error(503, "evaluation timed out")
            except Exception as e:
                return _error(503, f"evaluation failed: {e}")
        return Response(orjson.dumps(_strip_prefix(data, tmp + "/")), media_type="application/json")

    async def with_store(
        request: Request, use: Callable[[BundleStore], Awaitable[Response]]
    ) -> Response:
        """An auditor's read of the evidence store: the token, a configured store, and a
        store that fails answering 503 (never a trace)."""
        denied = require(request, "read")
        if denied:
            return denied
        if config.bundles is None:
            return _error(503, "no evidence store configured (--store)")
        try:
            return await use(config.bundles)
        except ComplianceError as e:
            return _error(503, f"evidence store unavailable: {e.message}")

    async def bundles_list(request: Request) -> Response:
        async def listing(store: BundleStore) -> Response:
            return JSONResponse({"bundles": [b.wire() for b in store.list()]})

        return await with_store(request, listing)

    async def bundle_download(request: Request) -> Response:
        bundle_id = request.path_params["bundle_id"]

        async def download(store: BundleStore) -> Response:
            path = store.path(bundle_id)
            if path is None:
                return _error(404, f"no bundle {bundle_id!r}")
            return FileResponse(path, media_type="application/gzip", filename=path.name)

        return await with_store(request, download)

    async def bundle_verify(request: Request) -> Response:
        bundle_id = request.path_params["bundle_id"]

        async def verify(store: BundleStore) -> Response:
            result = await run_in_threadpool(store.verify, bundle_id)
            if result is None:
                return _error(404, f"no bundle {bundle_id!r}")
            return JSONResponse(
                {"id": bundle_id, "ok": result.ok, "message": result.message, **result.details}
            )

        return await with_store(request, verify)

    async def decisions_head(request: Request) -> Response:
        """The decision log's head, signed with the server's key when it has one: auditors
        keep these and check the log against them (``verify-log --checkpoints``)."""
        denied = require(request, "read")
        if denied:
            return denied
        if config.decision_log is None:
            return _error(503, "no decision log configured (--decision-log)")
        return JSONResponse(config.decision_log.signed_head())

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = _error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def internal_error(request: Request, exc: Exception) -> Response:
        logging.getLogger("compliance.server").error(
            "internal error on %s: %s", request.url.path, type(exc).__name__
        )
        return _error(500, "internal error")

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/v1/admission", admission, methods=["POST"]),
        Route("/v1/evaluate", evaluate, methods=["POST"]),
        Route("/v1/bundles", bundles_list, methods=["GET"]),
        Route("/v1/bundles/{bundle_id}", bundle_download, methods=["GET"]),
        Route("/v1/bundles/{bundle_id}/verify", bundle_verify, methods=["GET"]),
        Route("/v1/decisions/head", decisions_head, methods=["GET"]),
        Route("/", lambda request: RedirectResponse("/ui/", 303), methods=["GET"]),
        *Portal(
            config.tokens,
            config.bundles,
            config.decision_ledger.ledger if config.decision_ledger is not None else None,
        ).routes(),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: http_error,
        Exception: internal_error,
    }
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    app.add_middleware(Observe, metrics=metrics, max_body=config.max_body_bytes)
    app.state.metrics = metrics
    app.state.config = config
    return app


def _safe_name(name: str) -> str:
    posix = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or posix.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or len(name) > 255
    ):
        raise HTTPException(400, f"file name {name!r} must be a relative path without '..'")
    return posix.as_posix()


async def _uploaded_files(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    files: dict[str, str] = {}
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES)
        for _, value in form.multi_items():
            if not isinstance(value, UploadFile):
                continue
            name = _safe_name(value.filename or "")
            raw = await value.read()
            files[name] = _decode(raw, name)
    elif content_type.startswith("application/json"):
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise HTTPException(400, f"body is not valid JSON: {e}") from None
        given = data.get("files") if isinstance(data, dict) else None
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise HTTPException(400, 'expected {"files": {"<name>": "<text>", ...}}')
        if len(given) > MAX_UPLOAD_FILES:
            raise HTTPException(400, f"at most {MAX_UPLOAD_FILES} files per request")
        files = {_safe_name(k): v for k, v in given.items()}
    else:
        raise HTTPException(
            415, "send multipart/form-data files or application/json {files: {name: text}}"
        )
    if not files:
        raise HTTPException(400, "no files given")
    return files


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HTTPException(400, f"{name}: not valid UTF-8 (byte offset {e.start})") from None


def _strip_prefix(value: Any, prefix: str) -> Any:
    """Report paths relative to the upload, never the server's temp folder."""
    if isinstance(value, str):
        if value.startswith(prefix):
            return value[len(prefix) :]
        return value.replace(prefix, "").replace(prefix.rstrip("/"), ".")  # the folder itself
    if isinstance(value, list):
        return [_strip_prefix(v, prefix) for v in value]
    if isinstance(value, dict):
        return {k: _strip_prefix(v, prefix) for k, v in value.items()}
    return value

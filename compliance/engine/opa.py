"""An Open Policy Agent server as the engine, through ``opa-python-client``.

``load`` pushes every module with the Policy API under ids that carry a digest of the whole
module set (``compliance/<sha256-12>/<module path>``), and data with the Data API. Rego
packages are global inside one OPA, so policies of another digest under ``compliance/`` are
deleted first: an OPA serves one version of the packs at a time and two versions never mix.
When every id of the current digest is already there, nothing is uploaded.

``evaluate`` turns ``data.a.b.c`` into one ``POST /v1/data/a/b/c`` with ``{"input": ...}``.

Every failure becomes an :class:`EngineError` naming OPA and its URL. Connection errors are
retried with exponential backoff; HTTP errors (4xx, 5xx) and TLS failures are not.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from importlib.metadata import version as dist_version
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests
from opa_client import OpaClient
from opa_client.errors import DeletePolicyError, RegoParseError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from compliance.errors import EngineError, UsageError

POLICY_NAMESPACE = "compliance"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
BACKOFF_BASE = 0.25
"""Seconds before the first retry; doubled for each further one."""

_REF = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_DIGEST_SEGMENT = re.compile(r"^[0-9a-f]{12}$")
_UNDEFINED_FUNCTION = re.compile(r"undefined function ([\w.]+)")

T = TypeVar("T")


def module_set_digest(modules: dict[str, str], data: dict[str, Any] | None) -> str:
    """12 hex digits of SHA-256 over every module (name and source) and the data."""
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode() + b"\0" + hashlib.sha256(modules[name].encode()).digest())
    h.update(b"data\0" + orjson.dumps(data or {}, option=orjson.OPT_SORT_KEYS))
    return h.hexdigest()[:12]


def policy_id(digest: str, module: str) -> str:
    return f"{POLICY_NAMESPACE}/{digest}/{module.lstrip('/')}"


def data_path(query: str) -> str:
    """``data.compliance.main.violations`` -> ``compliance/main/violations``."""
    if not _REF.match(query):
        raise EngineError(
            f"the OPA engine evaluates data references only (data.a.b), not {query!r}"
        )
    return query[len("data.") :].replace(".", "/")


def display_url(url: str) -> str:
    """The URL without credentials, query or fragment: safe for messages and reports."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class OpaEngine:
    name = "opa"

    def __init__(
        self,
        url: str,
        token: str | None = None,
        ca_file: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--opa-url {url!r}: expected http(s)://HOST[:PORT][/PATH]")
        if ca_file and parts.scheme != "https":
            raise UsageError("--opa-ca needs an https:// --opa-url")
        if timeout <= 0:
            raise UsageError(f"OPA timeout must be positive, got {timeout}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as e:
            raise UsageError(f"--opa-url {url!r}: {e}") from e
        self.url = display_url(url)
        self.retries = max(0, retries)
        self._sleep = sleep
        self._timeout = timeout
        self._server_version = "unknown"
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        prefix = parts.path.strip("/")
        # ``ssl`` is both the scheme switch and ``session.verify``: a CA bundle path verifies
        # against a private CA, True against the system store. Verification is never off.
        self._client = OpaClient(
            host=host,
            port=port,
            version=f"{prefix}/v1" if prefix else "v1",
            ssl=ca_file or (parts.scheme == "https"),
            token=token,
            timeout=timeout,
            retries=0,
        )
        # The client's own urllib3 Retry also retries 500/502/504; retries here are for
        # connection errors only, with backoff, so mount adapters that never retry.
        never = Retry(total=0, connect=0, read=False, redirect=0, status=0, raise_on_status=False)
        session = self._client._session
        session.mount("http://", HTTPAdapter(max_retries=never))
        session.mount("https://", _VerifyingAdapter(ca_file, max_retries=never))

    def version(self) -> str:
        client = dist_version("opa-python-client")
        return f"OPA {self._server_version} at {self.url} (opa-python-client {client})"

    def close(self) -> None:
        self._client.close_connection()

    # -- Engine protocol -------------------------------------------------------------

    def load(self, modules: dict[str, str], data: dict[str, Any] | None = None) -> None:
        digest = module_set_digest(modules, data)
        wanted = {policy_id(digest, m): m for m in modules}
        existing = set(
            self._call("list policies (GET /v1/policies)", self._client.get_policies_list)
        )
        self._server_version = self._query_server_version()
        missing = [pid for pid in wanted if pid not in existing]
        if missing:
            stale = sorted(pid for pid in existing if _is_ours(pid) and pid.split("/")[1] != digest)
            self._delete(stale)
            self._upload({pid: wanted[pid] for pid in missing}, modules, digest)
            for key in sorted(data or {}):
                self._put_data(key, (data or {})[key])

    def evaluate(self, query: str, input: dict[str, Any]) -> Any:
        path = data_path(query)
        package, _, rule = path.rpartition("/")
        body = self._call(
            f"POST /v1/data/{path}",
            self._client.query_rule,
            input,
            package.replace("/", "."),
            rule,
        )
        if not isinstance(body, dict):
            raise EngineError(f"OPA at {self.url}: unexpected response to POST /v1/data/{path}")
        return body.get("result")

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _in_rounds(pending: list[str], step: Callable[[str], None]) -> dict[str, _Rejected]:
        """``step`` each id. OPA compiles the whole set on every PUT and DELETE, so it refuses
        a module calling a function not uploaded yet, or the deletion of a module others still
        call; refused ids are retried after the rest until a round makes no progress.
        Returns the refusals of that last round (empty when every step succeeded)."""
        while pending:
            failures: dict[str, _Rejected] = {}
            for pid in pending:
                try:
                    step(pid)
                except _Rejected as e:
                    failures[pid] = e
            if len(failures) == len(pending):
                return failures
            pending = [pid for pid in pending if pid in failures]
        return {}

    def _upload(self, pending_ids: dict[str, str], modules: dict[str, str], digest: str) -> None:
        def put(pid: str) -> None:
            source = modules[pending_ids[pid]]
            self._call(
                f"PUT /v1/policies/{pid}",
                self._client.update_policy_from_string,
                source,
                pid,
                False,
            )

        order = sorted(
            pending_ids, key=lambda pid: ("import data." in modules[pending_ids[pid]], pid)
        )
        failures = self._in_rounds(order, put)
        if failures:
            raise self._compile_error(failures, pending_ids, digest)

    def _delete(self, stale: list[str]) -> None:
        def delete(pid: str) -> None:
            self._call(f"DELETE /v1/policies/{pid}", self._client.delete_policy, pid)

        failures = self._in_rounds(stale, delete)
        if failures:
            pid, err = next(iter(failures.items()))
            raise EngineError(
                f"OPA at {self.url} refused to delete the stale policy {pid}: {err.code}: {err.message}"
            )

    def _compile_error(
        self, failures: dict[str, _Rejected], modules_of: dict[str, str], digest: str
    ) -> EngineError:
        entries: list[tuple[str, dict[str, Any]]] = []
        for pid, err in failures.items():
            for item in err.errors or [{"message": err.message or err.code}]:
                if isinstance(item, dict):
                    entries.append((pid, item))
        # An "undefined function data.…" usually means a dependency failed; report the cause.
        entries.sort(key=lambda e: ("undefined function data." in str(e[1].get("message")), e[0]))
        pid, first = entries[0] if entries else (next(iter(failures)), {})
        location = first.get("location") or {}
        file = str(location.get("file") or pid)
        prefix = f"{POLICY_NAMESPACE}/{digest}/"
        module = modules_of.get(file) or (file[len(prefix) :] if file.startswith(prefix) else file)
        row = location.get("row") if isinstance(location.get("row"), int) else None
        message = str(first.get("message") or "compile error")
        code = first.get("code") or "rego_compile_error"
        missing = _UNDEFINED_FUNCTION.search(message)
        if missing and not missing.group(1).startswith("data."):
            text = (
                f"OPA at {self.url} does not have the function {missing.group(1)} "
                f"(a builtin this OPA version lacks, or a custom function): {code}: {message}"
            )
        else:
            text = f"OPA at {self.url} could not compile the module: {code}: {message}"
        more = len(entries) - 1
        if more > 0:
            text += f" (and {more} more error(s))"
        return EngineError(text, file=module, line=row)

    def _put_data(self, key: str, value: Any) -> None:
        if not isinstance(value, dict):
            raise EngineError(f"OPA engine: data.{key} must be an object to push to {self.url}")
        self._call(f"PUT /v1/data/{key}", self._client.update_or_create_data, value, key)

    def _query_server_version(self) -> str:
        try:
            body = self._call(
                "query version", self._client.ad_hoc_query, "v := opa.runtime().version"
            )
        except EngineError:
            return "unknown"
        rows = body.get("result") if isinstance(body, dict) else None
        if rows and isinstance(rows[0], dict) and isinstance(rows[0].get("v"), str):
            return str(rows[0]["v"])
        return "unknown"

    def _call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``, retrying connection errors with backoff; every error -> EngineError."""
        attempt = 0
        while True:
            try:
                return fn(*args)
            except requests.exceptions.SSLError as e:
                raise EngineError(
                    f"OPA at {self.url}: TLS verification failed ({_reason(e)}); "
                    "for a private CA pass --opa-ca FILE"
                ) from e
            except requests.exceptions.ConnectionError as e:  # includes ConnectTimeout
                if attempt >= self.retries:
                    raise EngineError(
                        f"OPA at {self.url} is unreachable ({what}, {attempt + 1} attempt(s)): {_reason(e)}"
                    ) from e
                self._sleep(BACKOFF_BASE * 2**attempt)
                attempt += 1
            except requests.exceptions.Timeout as e:
                raise EngineError(
                    f"OPA at {self.url} did not answer within {self._timeout}s ({what})"
                ) from e
            except requests.exceptions.HTTPError as e:
                raise self._http_error(what, e.response) from e
            except RegoParseError as e:
                if e.expression in ("unauthorized", "forbidden"):
                    raise self._auth_error(what, str(e.message or e.expression)) from e
                if what.startswith("PUT /v1/policies/") and e.errors:
                    raise _Rejected(str(e.expression), str(e.message), e.errors) from e
                detail = "; ".join(
                    str(x.get("message")) for x in e.errors if isinstance(x, dict)
                ) or str(e.message or e.expression)
                raise EngineError(
                    f"OPA at {self.url} refused {what}: {e.expression}: {detail}"
                ) from e
            except DeletePolicyError as e:
                if e.expression == "unauthorized":
                    raise self._auth_error(what, str(e.message)) from e
                if e.expression == "invalid_parameter":
                    raise _Rejected(str(e.expression), str(e.message), []) from e
                raise EngineError(
                    f"OPA at {self.url} refused {what}: {e.expression}: {e.message}"
                ) from e
            except (ValueError, requests.exceptions.RequestException) as e:
                # e.g. a proxy's HTML error page where the client expects JSON
                raise EngineError(
                    f"OPA at {self.url}: unexpected response to {what}: {type(e).__name__}"
                ) from e

    def _http_error(self, what: str, response: requests.Response | None) -> EngineError:
        if response is None:
            return EngineError(f"OPA at {self.url}: {what} failed")
        code, message = _error_body(response)
        if response.status_code in (401, 403):
            return self._auth_error(what, message or code or response.reason)
        detail = f"{code}: {message}" if code and message else (message or code or response.reason)
        return EngineError(f"OPA at {self.url} answered {response.status_code} to {what}: {detail}")

    def _auth_error(self, what: str, detail: str) -> EngineError:
        return EngineError(
            f"OPA at {self.url} rejected the credentials ({what}): {detail}; check --opa-token"
        )


class _VerifyingAdapter(HTTPAdapter):
    """Verifies against ``ca_file`` when given. requests lets ``REQUESTS_CA_BUNDLE`` and
    ``CURL_CA_BUNDLE`` override ``session.verify``; an explicit ``--opa-ca`` must win."""

    def __init__(self, ca_file: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ca_file = ca_file

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        verify = self._ca_file or verify or True
        return super().send(request, stream, timeout, verify, cert, proxies)


class _Rejected(Exception):
    """A PUT or DELETE of a policy refused with compile errors: it may succeed in a later
    round, once the modules it depends on are in (or those depending on it are gone)."""

    def __init__(self, code: str, message: str, errors: list[Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.errors = code, message, errors


def _is_ours(pid: str) -> bool:
    parts = pid.split("/")
    return len(parts) > 2 and parts[0] == POLICY_NAMESPACE and bool(_DIGEST_SEGMENT.match(parts[1]))


def _error_body(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("code") or ""), str(body.get("message") or "")


def _reason(e: Exception) -> str:
    """The innermost cause of a requests/urllib3 error, without the URL and pool noise."""
    inner: BaseException = e
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    text = str(inner)
    if "] " in text and text.startswith("<"):
        text = text.split("] ", 1)[1]
    text = re.sub(r"^<[^>]*>:\s*", "", text)
    text = text.split("(Caused by", 1)[0].strip()
    return text or type(inner).__name__

"""The auditors' read-only portal at ``/ui/``: server-rendered pages over the evidence store.

A token from the tokens file is exchanged once, on the login form, for a session cookie
(HttpOnly, SameSite=Strict, Secure under TLS, with an expiry); the token never travels in a
URL and is never logged. Every page reads; nothing here writes to the store. Pages work
without JavaScript; a small script (served from ``/ui/static``) only filters tables.
Without a ledger each bundle in the store is one run: its report, its redacted inputs and its
signature. With a ledger (``--ledger``) the runs are the ledger's, and the period view and the
Statement of Applicability join them (``portal_ledger``, ``portal_period``); the bundles stay
where a run's bundle digest points.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from compliance.errors import ComplianceError, EvidenceError, UsageError
from compliance.evidence.verify import read_members
from compliance.ledger.csvtable import csv_text
from compliance.ledger.lru import Lru
from compliance.server.auth import Token, Tokens
from compliance.server.bundles import BundleInfo, BundleStore, Verification
from compliance.server.portal_ledger import FINDING_COLUMNS, POPULATION_COLUMNS, LedgerPages

COOKIE = "compliance_session"
SESSION_SECONDS = 8 * 3600
PAGE_SIZE = 50
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATIC = {"portal.css": "text/css", "portal.js": "text/javascript"}
VERIFY_WAIT = 0.5
"""Seconds a run page waits for its bundle's first signature check before it shows the
check as running."""
VERIFIED_BUNDLES = 1024
"""Bundle signature checks a server process remembers (by bundle, size and mtime)."""
STATUS_ORDER = ("fail", "error", "waived", "not_assessed", "manual", "not_applicable", "pass")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Session:
    name: str
    role: str
    expires: float


@dataclass
class Sessions:
    """Sessions in server memory, keyed by the SHA-256 of the cookie value."""

    seconds: int = SESSION_SECONDS
    _live: dict[bytes, Session] = field(default_factory=dict)

    def open(self, token: Token) -> str:
        cookie = secrets.token_urlsafe(32)
        self._live[_key(cookie)] = Session(token.name, token.role, time.time() + self.seconds)
        return cookie

    def get(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        key = _key(cookie)
        session = self._live.get(key)
        if session is not None and session.expires <= time.time():
            del self._live[key]
            return None
        return session

    def close(self, cookie: str | None) -> None:
        if cookie:
            self._live.pop(_key(cookie), None)


def _key(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).digest()


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("compliance", "templates/portal"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _status_rank(status: Any) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


class Portal:
    def __init__(
        self, tokens: Tokens | None, bundles: BundleStore | None, ledger: Any | None = None
    ) -> None:
        """``ledger`` is a ``compliance.ledger.store.Ledger`` the pages read runs from."""
        self.tokens = tokens
        self.bundles = bundles
        self.sessions = Sessions()
        self.env = _environment()
        self._verified: Lru[str, Verification] = Lru(VERIFIED_BUNDLES)
        self._checking: dict[str, asyncio.Future[Verification | None]] = {}
        self.ledger = LedgerPages(ledger, bundles) if ledger is not None else None
        if ledger is not None:
            from compliance.server.portal_period import PeriodCache, SoaSource

            self.soa_source = SoaSource()
            self.periods = PeriodCache()

    def routes(self) -> list[BaseRoute]:
        page = self._page
        return [
            Route("/ui", lambda r: RedirectResponse("/ui/", 308), methods=["GET"]),
            Route("/ui/login", self.login_form, methods=["GET"]),
            Route("/ui/login", self.login, methods=["POST"]),
            Route("/ui/logout", self.logout, methods=["POST"]),
            Route("/ui/static/{name}", self.static, methods=["GET"]),
            Route("/ui/", page(self.runs), methods=["GET"]),
            Route("/ui/runs/{run_id}", page(self.run), methods=["GET"]),
            Route("/ui/runs/{run_id}/findings.csv", page(self.findings_csv), methods=["GET"]),
            Route("/ui/runs/{run_id}/population.csv", page(self.population_csv), methods=["GET"]),
            Route("/ui/runs/{run_id}/inputs/{path:path}", page(self.input_file), methods=["GET"]),
            Route("/ui/period", page(self.period), methods=["GET"]),
            Route("/ui/period/{kind}.csv", page(self.period_csv), methods=["GET"]),
            Route("/ui/soa", page(self.soa), methods=["GET"]),
            Route("/ui/soa.csv", page(self.soa_csv), methods=["GET"]),
            Route("/ui/bundles", page(self.bundle_list), methods=["GET"]),
            Route("/ui/bundles/{run_id}/download", page(self.download), methods=["GET"]),
        ]

    # -- sessions -------------------------------------------------------------------------

    def _page(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            session = self.sessions.get(request.cookies.get(COOKIE))
            if session is None:
                return _headers(RedirectResponse("/ui/login", status_code=303))
            request.state.session = session
            try:
                response = await handler(request)
            except UsageError as e:
                response = self._not_found(request, e.message, status_code=400)
            except ComplianceError as e:
                response = self._not_found(request, e.message, status_code=422)
            return _headers(response)

        return guarded

    async def login_form(self, request: Request) -> Response:
        return _headers(self._render("login.html", request, status_code=200, error=None))

    async def login(self, request: Request) -> Response:
        form = await request.form()
        presented = form.get("token")
        token = None
        if self.tokens is not None and isinstance(presented, str) and presented:
            token = self.tokens.identify(presented.strip())
        if token is None:
            error = (
                "this server has no tokens file (--tokens): the portal is closed"
                if self.tokens is None
                else "that token is not valid"
            )
            return _headers(self._render("login.html", request, status_code=401, error=error))
        response = RedirectResponse("/ui/", status_code=303)
        response.set_cookie(
            COOKIE,
            self.sessions.open(token),
            max_age=self.sessions.seconds,
            path="/ui",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return _headers(response)

    async def logout(self, request: Request) -> Response:
        self.sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/ui/login", status_code=303)
        response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")
        return _headers(response)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return _headers(Response("not found", 404, media_type="text/plain"))
        body = resources.files("compliance").joinpath("templates/portal/static", name).read_bytes()
        return _headers(Response(body, media_type=STATIC[name]))

    # -- pages ----------------------------------------------------------------------------

    async def runs(self, request: Request) -> Response:
        if self.ledger is not None:
            return await self.ledger_runs(request)
        q = request.query_params
        since, until, status = q.get("from", ""), q.get("to", ""), q.get("status", "")
        rows = []
        for info in self._list():
            day = str(info.metadata.get("evaluated_at", info.created))[:10]
            outcome = _outcome(info)
            if since and day < since or until and day > until:
                continue
            if status and outcome != status:
                continue
            rows.append({"info": info, "day": day, "outcome": outcome})
        page = max(1, _int(q.get("page"), 1))
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(page, pages)
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self._render(
            "runs.html",
            request,
            rows=shown,
            total=len(rows),
            page=page,
            pages=pages,
            filters={"from": since, "to": until, "status": status},
        )

    async def run(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        entry = await self._entry(run_id)
        if entry is not None:
            return await self.ledger_run(request, entry)
        loaded = self._bundle(run_id)
        if isinstance(loaded, Response):
            return loaded
        members, report = loaded
        members_by_file = _members_by_file(members)
        verification, checking = await self._verification(run_id)
        packs = []
        for p in report.get("packs", []):
            controls = sorted(
                (c for c in report.get("controls", []) if c.get("pack") == p.get("name")),
                key=lambda c: _status_rank(c.get("status")),
            )
            counts: dict[str, int] = {}
            for c in controls:
                counts[c["status"]] = counts.get(c["status"], 0) + 1
            packs.append({"pack": p, "controls": controls, "counts": counts})
        findings = report.get("findings", [])
        return self._render(
            "run.html",
            request,
            run_id=run_id,
            report=report,
            packs=packs,
            findings=findings,
            findings_by_control=_findings_by_control(findings),
            population=_population(report),
            inputs=members_by_file,
            verification=verification,
            checking=checking,
        )

    async def input_file(self, request: Request) -> Response:
        run_id, path = request.path_params["run_id"], request.path_params["path"]
        loaded = self._bundle(run_id)
        if isinstance(loaded, Response):
            return loaded
        members, report = loaded
        member = _members_by_file(members).get(path)
        if member is None:
            return self._not_found(request, f"run {run_id} has no input {path!r}")
        text = members[member].decode("utf-8", "replace")
        line = _int(request.query_params.get("line"), 0)
        lines = text.splitlines() or [""]
        marks = {f["line"]: f for f in report.get("findings", []) if f.get("file") == path}
        return self._render(
            "input.html",
            request,
            run_id=run_id,
            path=path,
            lines=lines,
            line=line,
            marks=marks,
        )

    async def findings_csv(self, request: Request) -> Response:
        entry = await self._entry(request.path_params["run_id"])
        if entry is not None and self.ledger is not None:
            rows = await run_in_threadpool(self.ledger.findings_rows, entry)
            return _csv(f"{entry.id}-findings.csv", FINDING_COLUMNS, rows)
        loaded = self._bundle(request.path_params["run_id"])
        if isinstance(loaded, Response):
            return loaded
        _, report = loaded
        # a bundle's report holds no fingerprint or waiver columns of the ledger's rows
        header = FINDING_COLUMNS[:8]
        rows = [
            [
                f.get("check_id"),
                f.get("severity"),
                f.get("status"),
                f.get("file"),
                f.get("line"),
                (f.get("resource") or {}).get("id"),
                f.get("message"),
                " ".join(f.get("controls", [])),
            ]
            for f in report.get("findings", [])
        ]
        return _csv(f"{request.path_params['run_id']}-findings.csv", header, rows)

    async def population_csv(self, request: Request) -> Response:
        entry = await self._entry(request.path_params["run_id"])
        if entry is not None and self.ledger is not None:
            rows = await run_in_threadpool(self.ledger.population_rows, entry)
            return _csv(f"{entry.id}-population.csv", POPULATION_COLUMNS, rows)
        loaded = self._bundle(request.path_params["run_id"])
        if isinstance(loaded, Response):
            return loaded
        _, report = loaded
        header = POPULATION_COLUMNS
        rows = [
            [r.get(k) if k != "assessed_by" else " ".join(r.get(k, [])) for k in header]
            for r in _population(report)
        ]
        return _csv(f"{request.path_params['run_id']}-population.csv", header, rows)

    async def bundle_list(self, request: Request) -> Response:
        rows = [{"info": info, "verification": self._verify(info.id)} for info in self._list()]
        return self._render("bundles.html", request, rows=rows)

    async def download(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        path = self.bundles.path(run_id) if self.bundles else None
        if path is None:
            return self._not_found(request, f"no bundle {run_id!r}")
        return Response(
            path.read_bytes(),
            media_type="application/gzip",
            headers={"Content-Disposition": f'attachment; filename="{run_id}.tar.gz"'},
        )

    # -- ledger pages ---------------------------------------------------------------------

    async def _entry(self, run_id: str) -> Any:
        if self.ledger is None:
            return None
        return await run_in_threadpool(self.ledger.entry, run_id)

    def _need_ledger(self) -> LedgerPages:
        if self.ledger is None:
            raise UsageError("this server reads no ledger (compliance serve --ledger URL)")
        return self.ledger

    async def ledger_runs(self, request: Request) -> Response:
        pages = self._need_ledger()
        q = request.query_params
        scope, status = q.get("scope", ""), q.get("status", "")
        since, until = _days(q.get("from"), q.get("to"))
        data = await run_in_threadpool(
            pages.runs, scope, since, until, status, _int(q.get("page"), 1)
        )
        filters = {
            "scope": scope,
            "from": q.get("from", ""),
            "to": q.get("to", ""),
            "status": status,
        }
        return self._render("ledger_runs.html", request, filters=filters, **data)

    async def ledger_run(self, request: Request, entry: Any) -> Response:
        pages = self._need_ledger()
        q = request.query_params
        bundle_id = await run_in_threadpool(pages.bundle_of, entry)

        async def verify() -> tuple[Verification | None, bool]:
            return await self._verification(bundle_id) if bundle_id else (None, False)

        # the bundle's first signature check overlaps the ledger reads
        data, (verification, checking) = await asyncio.gather(
            run_in_threadpool(
                pages.run, entry, _int(q.get("fpage"), 1), _int(q.get("ppage"), 1), bundle_id
            ),
            verify(),
        )
        return self._render(
            "ledger_run.html", request, verification=verification, checking=checking, **data
        )

    async def period(self, request: Request) -> Response:
        from compliance.server import portal_period as pp

        ledger = self._need_ledger().ledger
        params = dict(request.query_params)

        def build() -> tuple[Any, dict[str, Any]]:
            query = pp.period_query(ledger, params)
            built = self.periods.get(ledger, query, _now())
            view = pp.period_view(built, _int(params.get("page"), 1), params.get("sla") == "1")
            return query, view

        query, view = await run_in_threadpool(build)
        scopes = await run_in_threadpool(self._need_ledger().scopes)
        return self._render(
            "period.html", request, query=query, scopes=scopes, sla=params.get("sla", ""), **view
        )

    async def period_csv(self, request: Request) -> Response:
        from compliance.server import portal_period as pp

        ledger = self._need_ledger().ledger
        params, kind = dict(request.query_params), request.path_params["kind"]

        def build() -> tuple[Any, Any]:
            query = pp.period_query(ledger, params)
            return query, pp.period_csv(self.periods.get(ledger, query, _now()), kind)

        query, out = await run_in_threadpool(build)
        if out is None:
            return self._not_found(request, f"no period export {kind!r}")
        header, rows = out
        return _csv(f"period-{query.scope}-{query.start}-{query.end}-{kind}.csv", header, rows)

    async def soa(self, request: Request) -> Response:
        from compliance.server import portal_period as pp

        ledger = self._need_ledger().ledger
        params = dict(request.query_params)
        data = await run_in_threadpool(pp.soa, ledger, self.soa_source, params)
        scopes = await run_in_threadpool(self._need_ledger().scopes)
        return self._render("soa.html", request, soa=data, scopes=scopes)

    async def soa_csv(self, request: Request) -> Response:
        from compliance.ledger.soa import table as soa_table
        from compliance.server import portal_period as pp

        ledger = self._need_ledger().ledger
        data = await run_in_threadpool(pp.soa, ledger, self.soa_source, dict(request.query_params))
        header, rows = soa_table(data)
        return _csv(f"soa-{data['query']['scope']}.csv", header, rows)

    # -- helpers --------------------------------------------------------------------------

    def _list(self) -> list[BundleInfo]:
        if self.bundles is None:
            return []
        infos = self.bundles.list()
        return sorted(
            infos,
            key=lambda i: (str(i.metadata.get("evaluated_at", i.created)), i.id),
            reverse=True,
        )

    async def _verification(self, run_id: str) -> tuple[Verification | None, bool]:
        """The bundle's signature check and False; or (None, True) while a first check that
        has taken ``VERIFY_WAIT`` seconds goes on in the background (a large bundle), so that
        the page does not wait for it: a reload shows its result."""
        check = self._checking.get(run_id)
        if check is None:
            check = asyncio.ensure_future(run_in_threadpool(self._verify, run_id))
            self._checking[run_id] = check
            check.add_done_callback(lambda _: self._checking.pop(run_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(check), VERIFY_WAIT), False
        except TimeoutError:
            return None, True

    def _verify(self, run_id: str) -> Verification | None:
        if self.bundles is None:
            return None
        path = self.bundles.path(run_id)
        if path is None:
            return None
        stat = path.stat()
        key = f"{run_id}:{stat.st_size}:{stat.st_mtime_ns}"
        known = self._verified.get(key)
        if known is None:
            known = self.bundles.verify(run_id)
            if known is None:
                return None
            self._verified.put(key, known)
        return known

    def _bundle(self, run_id: str) -> tuple[dict[str, bytes], dict[str, Any]] | Response:
        path = self.bundles.path(run_id) if self.bundles else None
        if path is None:
            return self._not_found(None, f"no run {run_id!r} in the evidence store")
        try:
            members = read_members(path.read_bytes(), run_id)
            report = orjson.loads(members["report.json"])
        except (OSError, EvidenceError, KeyError, orjson.JSONDecodeError) as e:
            message = e.message if isinstance(e, EvidenceError) else "unreadable bundle"
            return self._not_found(None, f"run {run_id}: {message}", status_code=422)
        return members, report

    def _not_found(self, request: Request | None, message: str, status_code: int = 404) -> Response:
        template = self.env.get_template("error.html")
        session = getattr(request.state, "session", None) if request is not None else None
        html = template.render(message=message, session=session, has_ledger=self.ledger is not None)
        return HTMLResponse(html, status_code)

    def _render(
        self, name: str, request: Request, status_code: int = 200, **values: Any
    ) -> Response:
        session = getattr(request.state, "session", None)
        html = self.env.get_template(name).render(
            session=session, has_ledger=self.ledger is not None, **values
        )
        return HTMLResponse(html, status_code)


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _days(since: str | None, until: str | None) -> tuple[Any, Any]:
    from compliance.server.portal_ledger import parse_day

    try:
        return parse_day(since), parse_day(until)
    except ValueError as e:
        raise UsageError("from and to are dates (YYYY-MM-DD)") from e


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _outcome(info: BundleInfo) -> str:
    """``fail`` when the run had open findings or failing controls, else ``pass``."""
    summary = info.metadata.get("summary") or {}
    controls = summary.get("controls") or {}
    if summary.get("findings") or controls.get("fail") or controls.get("error"):
        return "fail"
    return "pass"


def _members_by_file(members: dict[str, bytes]) -> dict[str, str]:
    """Input file (as findings name it) -> bundle member, from the signed manifest."""
    try:
        manifest = orjson.loads(members["manifest.json"])
    except (KeyError, orjson.JSONDecodeError):
        return {}
    out = {}
    for entry in manifest.get("inputs", []):
        file, member = entry.get("file"), entry.get("path")
        if isinstance(file, str) and isinstance(member, str) and member in members:
            out[file] = member
    return out


def _findings_by_control(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        for control in f.get("controls", []):
            out.setdefault(control, []).append(f)
    return out


def _population(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's ``resources`` (every evaluated resource); older reports without it
    give their findings' resources, marked as partial by the template."""
    population = report.get("resources")
    return population if isinstance(population, list) else []


def _csv(filename: str, header: Sequence[str], rows: list[list[Any]]) -> Response:
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        csv_text(header, rows, guard=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

"""The studio's ASGI app: read-only pages over one :class:`Loaded` snapshot, and the JSON the
pages' little JavaScript asks for.

Every page and JSON body goes through :func:`schemakit.errors.redact` on its way out: the
snapshot holds no password, and this makes sure no template or new field can add one.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import quote

import jinja2
from markdown_it import MarkdownIt
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from schemakit.errors import SchemakitError, redact
from schemakit.studio import _views
from schemakit.studio._data import Loaded, lock_report, rule_doc
from schemakit.studio._model import SEVERITIES, ServiceView

__all__ = ["create_app", "warm"]

Endpoint = Callable[[Request], Awaitable[Response]]

_HEADERS = {
    # Everything is local: no script, style or image from anywhere else.
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_CACHED = 64
"""Rendered responses kept (the snapshot never changes, so a page is rendered once)."""
_FINDINGS_SHOWN = 100
"""A longer list is cut here (with a count of the rest): filter, or pick a table."""
_FAMILIES = ("ISO", "NAM", "TYP", "COL", "IDX", "MIG", "SEC", "SYN", "SUP")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("schemakit.studio", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda text: quote(str(text), safe="")
    env.filters["anchor"] = lambda text: "t-" + quote(str(text), safe="").replace("%", "_")
    return env


def create_app(loaded: Loaded) -> Starlette:
    """The app over ``loaded``; it never writes to a database."""
    snapshot = loaded.snapshot
    env = _environment()
    markdown = MarkdownIt("commonmark", {"html": False})
    reports: dict[tuple[str, str], dict[str, Any]] = {}

    def page(template: str, request: Request, status: int = 200, **context: Any) -> Response:
        text = env.get_template(template).render(
            snapshot=snapshot,
            path=request.url.path,
            has_security=bool(snapshot.security),
            **context,
        )
        return Response(redact(text), status, headers=_HEADERS, media_type="text/html")

    def as_json(data: Any) -> Response:
        text = json.dumps(data, default=str)
        return Response(redact(text), headers=_HEADERS, media_type="application/json")

    def service_of(request: Request) -> ServiceView:
        service = snapshot.services.get(request.path_params["name"])
        if service is None:
            raise HTTPException(404, f"no service {request.path_params['name']}")
        return service

    def report_for(service: str, migration: str) -> dict[str, Any]:
        key = (service, migration)
        if key not in loaded.files:
            raise HTTPException(404, f"no migration {migration} of service {service}")
        if key not in reports:
            file, folder = loaded.files[key]
            try:
                reports[key] = lock_report(file, folder)
            except SchemakitError as exc:
                reports[key] = {"file": file.name, "statements": [], "error": exc.render()}
        return reports[key]

    async def platform_page(request: Request) -> Response:
        return page("platform.html", request, diagrams=_views.platform(snapshot))

    async def service_page(request: Request) -> Response:
        service = service_of(request)
        family = request.query_params.get("family", "").upper()
        severity = request.query_params.get("severity", "").lower()
        shown = _views.filtered(snapshot, service, family, severity)
        erd = _views.erd(snapshot, service, shown, request.query_params.get("table") or None)
        findings = list(shown.values())
        if erd.focus is not None:
            drawn = {box.table.path for box in erd.boxes}
            findings = [f for f in findings if f.table in drawn]
        return page(
            "service.html",
            request,
            service=service,
            erd=erd,
            findings=findings[:_FINDINGS_SHOWN],
            more=len(findings) - len(findings[:_FINDINGS_SHOWN]),
            families=_FAMILIES,
            severities=SEVERITIES,
            family=family,
            severity=severity,
        )

    async def migrations_page(request: Request) -> Response:
        service = service_of(request)
        return page(
            "migrations.html",
            request,
            service=service,
            migrations=snapshot.migrations.get(service.name, ()),
            drift=snapshot.drift.get(service.database, ()),
        )

    async def migration_page(request: Request) -> Response:
        service = service_of(request)
        migration_id = request.path_params["migration"]
        states = [m for m in snapshot.migrations.get(service.name, ()) if m.id == migration_id]
        if not states:
            raise HTTPException(404, f"no migration {migration_id} of service {service.name}")
        migration = states[0]
        report = report_for(service.name, migration_id)
        findings = [f for f in snapshot.findings.values() if f.file and f.file == migration.file]
        lines = {s["line"] for s in report["statements"]}
        return page(
            "migration.html",
            request,
            service=service,
            migration=migration,
            report=report,
            at_line={line: [f for f in findings if f.line == line] for line in lines},
            elsewhere=[f for f in findings if f.line not in lines],
        )

    async def security_page(request: Request) -> Response:
        if not snapshot.security:
            raise HTTPException(404, "no roles are configured (a service's role = ...)")
        schemas = sorted({s for row in snapshot.security.values() for s in row})
        return page("security.html", request, schemas=schemas)

    async def rule_page(request: Request) -> Response:
        doc = rule_doc(request.path_params["code"])
        if doc is None:
            raise HTTPException(404, f"no rule {request.path_params['code']}")
        code, name, severity, text = doc
        return page(
            "rule.html",
            request,
            code=code,
            name=name,
            severity=severity,
            body=markdown.render(text),
        )

    async def search_page(request: Request) -> Response:
        query = request.query_params.get("q", "")
        return page("search.html", request, query=query, hits=_views.search(snapshot, query))

    async def platform_json(request: Request) -> Response:
        return as_json(
            {
                "project": snapshot.project,
                "source": snapshot.source,
                "live": snapshot.live,
                "services": [asdict(s) for s in snapshot.services.values()],
                "edges": [asdict(e) for e in snapshot.edges],
                "findings": [asdict(f) for f in snapshot.findings.values()],
            }
        )

    async def service_json(request: Request) -> Response:
        service = service_of(request)
        return as_json(
            {
                "service": asdict(service),
                "tables": [asdict(snapshot.tables[p]) for p in service.tables],
                "migrations": [asdict(m) for m in snapshot.migrations.get(service.name, ())],
            }
        )

    async def search_json(request: Request) -> Response:
        hits = _views.search(snapshot, request.query_params.get("q", ""))
        return as_json(
            [
                {
                    "kind": h.kind,
                    "table": h.table.path,
                    "service": h.table.service,
                    "column": h.column,
                    "type": h.type,
                }
                for h in hits
            ]
        )

    async def locks_json(request: Request) -> Response:
        return as_json(report_for(request.path_params["name"], request.path_params["migration"]))

    async def not_found(request: Request, exc: Exception) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) else "not found"
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path.startswith("/api/"):
            response = as_json({"error": detail})
            response.status_code = status
            return response
        return page("error.html", request, status, message=detail)

    cache: OrderedDict[str, Response] = OrderedDict()

    def cached(endpoint: Endpoint) -> Endpoint:
        async def respond(request: Request) -> Response:
            # the path as the server decoded it, and the raw query: what warm() writes too
            key = f"{request.scope['path']}?{request.scope.get('query_string', b'').decode()}"
            response = cache.get(key)
            if response is None:
                response = await endpoint(request)
                cache[key] = response
                if len(cache) > _CACHED:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(key)
            return response

        return respond

    async def render_ahead() -> None:
        pages: list[tuple[str, Endpoint, dict[str, str]]] = [("/", cached_platform, {})]
        pages += [
            (f"/service/{name}", cached_service, {"name": name}) for name in snapshot.services
        ]
        for path, endpoint, params in pages:
            scope = {"type": "http", "method": "GET", "path": path, "query_string": b""}
            await endpoint(Request({**scope, "headers": [], "path_params": params}))

    cached_platform = cached(platform_page)
    cached_service = cached(service_page)
    static = StaticFiles(packages=[("schemakit.studio", "static")])
    routes = [
        Route("/", cached_platform),
        Route("/service/{name}", cached_service),
        Route("/service/{name}/migrations", cached(migrations_page)),
        Route("/service/{name}/migrations/{migration}", cached(migration_page)),
        Route("/security", cached(security_page)),
        Route("/rules/{code}", cached(rule_page)),
        Route("/search", cached(search_page)),
        Route("/api/platform.json", cached(platform_json)),
        Route("/api/service/{name}.json", cached(service_json)),
        Route("/api/search", cached(search_json)),
        Route("/api/service/{name}/migrations/{migration}/locks.json", cached(locks_json)),
        Mount("/static", static, name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found})
    app.state.render_ahead = render_ahead
    return app


def warm(app: Starlette) -> None:
    """Render the platform page and every service's page now, so that their first visit
    is served from memory."""
    asyncio.run(app.state.render_ahead())

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


class _Studio:
    """The pages and JSON of one snapshot; it never writes to a database."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.snapshot = loaded.snapshot
        self.env = _environment()
        self.markdown = MarkdownIt("commonmark", {"html": False})
        self.reports: dict[tuple[str, str], dict[str, Any]] = {}
        self.cache: OrderedDict[str, Response] = OrderedDict()

    def page(self, template: str, request: Request, status: int = 200, **context: Any) -> Response:
        text = self.env.get_template(template).render(
            snapshot=self.snapshot,
            path=request.url.path,
            has_security=bool(self.snapshot.security),
            **context,
        )
        return Response(redact(text), status, headers=_HEADERS, media_type="text/html")

    def as_json(self, data: Any) -> Response:
        text = json.dumps(data, default=str)
        return Response(redact(text), headers=_HEADERS, media_type="application/json")

    def service_of(self, request: Request) -> ServiceView:
        service = self.snapshot.services.get(request.path_params["name"])
        if service is None:
            raise HTTPException(404, f"no service {request.path_params['name']}")
        return service

    def report_for(self, service: str, migration: str) -> dict[str, Any]:
        key = (service, migration)
        if key not in self.loaded.files:
            raise HTTPException(404, f"no migration {migration} of service {service}")
        if key not in self.reports:
            file, folder = self.loaded.files[key]
            try:
                self.reports[key] = lock_report(file, folder)
            except SchemakitError as exc:
                self.reports[key] = {"file": file.name, "statements": [], "error": exc.render()}
        return self.reports[key]

    async def platform_page(self, request: Request) -> Response:
        return self.page("platform.html", request, diagrams=_views.platform(self.snapshot))

    async def service_page(self, request: Request) -> Response:
        service = self.service_of(request)
        family = request.query_params.get("family", "").upper()
        severity = request.query_params.get("severity", "").lower()
        shown = _views.filtered(self.snapshot, service, family, severity)
        erd = _views.erd(self.snapshot, service, shown, request.query_params.get("table") or None)
        findings = list(shown.values())
        if erd.focus is not None:
            drawn = {box.table.path for box in erd.boxes}
            findings = [f for f in findings if f.table in drawn]
        return self.page(
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

    async def migrations_page(self, request: Request) -> Response:
        service = self.service_of(request)
        return self.page(
            "migrations.html",
            request,
            service=service,
            migrations=self.snapshot.migrations.get(service.name, ()),
            drift=self.snapshot.drift.get(service.database, ()),
        )

    async def migration_page(self, request: Request) -> Response:
        service = self.service_of(request)
        migration_id = request.path_params["migration"]
        states = [m for m in self.snapshot.migrations.get(service.name, ()) if m.id == migration_id]
        if not states:
            raise HTTPException(404, f"no migration {migration_id} of service {service.name}")
        migration = states[0]
        report = self.report_for(service.name, migration_id)
        findings = [
            f for f in self.snapshot.findings.values() if f.file and f.file == migration.file
        ]
        lines = {s["line"] for s in report["statements"]}
        return self.page(
            "migration.html",
            request,
            service=service,
            migration=migration,
            report=report,
            at_line={line: [f for f in findings if f.line == line] for line in lines},
            elsewhere=[f for f in findings if f.line not in lines],
        )

    async def security_page(self, request: Request) -> Response:
        if not self.snapshot.security:
            raise HTTPException(404, "no roles are configured (a service's role = ...)")
        schemas = sorted({s for row in self.snapshot.security.values() for s in row})
        return self.page("security.html", request, schemas=schemas)

    async def rule_page(self, request: Request) -> Response:
        doc = rule_doc(request.path_params["code"])
        if doc is None:
            raise HTTPException(404, f"no rule {request.path_params['code']}")
        code, name, severity, text = doc
        return self.page(
            "rule.html",
            request,
            code=code,
            name=name,
            severity=severity,
            body=self.markdown.render(text),
        )

    async def search_page(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        return self.page(
            "search.html", request, query=query, hits=_views.search(self.snapshot, query)
        )

    async def platform_json(self, request: Request) -> Response:
        return self.as_json(
            {
                "project": self.snapshot.project,
                "source": self.snapshot.source,
                "live": self.snapshot.live,
                "services": [asdict(s) for s in self.snapshot.services.values()],
                "edges": [asdict(e) for e in self.snapshot.edges],
                "findings": [asdict(f) for f in self.snapshot.findings.values()],
            }
        )

    async def service_json(self, request: Request) -> Response:
        service = self.service_of(request)
        return self.as_json(
            {
                "service": asdict(service),
                "tables": [asdict(self.snapshot.tables[p]) for p in service.tables],
                "migrations": [asdict(m) for m in self.snapshot.migrations.get(service.name, ())],
            }
        )

    async def search_json(self, request: Request) -> Response:
        hits = _views.search(self.snapshot, request.query_params.get("q", ""))
        return self.as_json(
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

    async def locks_json(self, request: Request) -> Response:
        return self.as_json(
            self.report_for(request.path_params["name"], request.path_params["migration"])
        )

    async def not_found(self, request: Request, exc: Exception) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) else "not found"
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path.startswith("/api/"):
            response = self.as_json({"error": detail})
            response.status_code = status
            return response
        return self.page("error.html", request, status, message=detail)

    def cached(self, endpoint: Endpoint) -> Endpoint:
        async def respond(request: Request) -> Response:
            # the path as the server decoded it, and the raw query: what warm() writes too
            key = f"{request.scope['path']}?{request.scope.get('query_string', b'').decode()}"
            response = self.cache.get(key)
            if response is None:
                response = await endpoint(request)
                self.cache[key] = response
                if len(self.cache) > _CACHED:
                    self.cache.popitem(last=False)
            else:
                self.cache.move_to_end(key)
            return response

        return respond


def create_app(loaded: Loaded) -> Starlette:
    """The app over ``loaded``; it never writes to a database."""
    studio = _Studio(loaded)
    cached = studio.cached
    cached_platform = cached(studio.platform_page)
    cached_service = cached(studio.service_page)

    async def render_ahead() -> None:
        pages: list[tuple[str, Endpoint, dict[str, str]]] = [("/", cached_platform, {})]
        pages += [
            (f"/service/{name}", cached_service, {"name": name})
            for name in studio.snapshot.services
        ]
        for path, endpoint, params in pages:
            scope = {"type": "http", "method": "GET", "path": path, "query_string": b""}
            await endpoint(Request({**scope, "headers": [], "path_params": params}))

    static = StaticFiles(packages=[("schemakit.studio", "static")])
    routes = [
        Route("/", cached_platform),
        Route("/service/{name}", cached_service),
        Route("/service/{name}/migrations", cached(studio.migrations_page)),
        Route("/service/{name}/migrations/{migration}", cached(studio.migration_page)),
        Route("/security", cached(studio.security_page)),
        Route("/rules/{code}", cached(studio.rule_page)),
        Route("/search", cached(studio.search_page)),
        Route("/api/platform.json", cached(studio.platform_json)),
        Route("/api/service/{name}.json", cached(studio.service_json)),
        Route("/api/search", cached(studio.search_json)),
        Route("/api/service/{name}/migrations/{migration}/locks.json", cached(studio.locks_json)),
        Mount("/static", static, name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: studio.not_found})
    app.state.render_ahead = render_ahead
    return app


def warm(app: Starlette) -> None:
    """Render the platform page and every service's page now, so that their first visit
    is served from memory."""
    asyncio.run(app.state.render_ahead())

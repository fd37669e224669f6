"""The FastAPI application factory."""

from __future__ import annotations

import gc
import importlib.metadata
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from api.auth import install_access_state
from api.deps import guard_v1, reject_unknown_query_params
from api.docs import install_docs
from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.metrics import router as metrics_router
from api.middleware import (
    BodyGuardMiddleware,
    HeadAsGetMiddleware,
    RequestContextMiddleware,
)
from api.openapi import complete_schema
from api.v1 import articles, diff, health, stories
from api.v1 import claims as claims_v1
from api.v1 import entities as entities_v1
from api.v1 import outlets as outlets_v1
from api.v1 import problems as problems_v1
from api.v1 import quotes as quotes_v1
from api.v1 import topics as topics_v1
from db.engine import create_engine, read_connections, session_factory
from service import cpu_pool
from service.jobs import JobHandOff
from service.lifeline import tie_to_serve
from service.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def operation_id(route: APIRoute) -> str:
    return route.name


def package_version() -> str:
    """The installed distribution's version: what ``info.version`` of the OpenAPI document says."""
    try:
        return importlib.metadata.version("article-store")
    except importlib.metadata.PackageNotFoundError:  # running from a checkout never installed
        return "0+unknown"


DESCRIPTION = """
**article-store** keeps news articles, every revision of them, and what they say —
who is quoted, which entities appear, which claims are made.

* Everything public lives under `/v1/`.
* Lists are keyset-paginated: each page returns `next_cursor`; pass it back as `cursor`.
  `limit` is at most 500. Totals only on request (`Prefer: count=exact|estimated`).
* Errors are always `application/problem+json` (RFC 9457) with `type`, `title`,
  `status`, `detail` and, for validation errors, `errors` listing each offending field.
  Unknown query parameters are errors, so a typo never looks like an empty filter.
* Every response carries an `X-Request-ID` header (send your own to correlate logs).
* Offsets (`start`, `end`) are Unicode code points into the exact revision text.
"""

TAGS = [
    {"name": "articles", "description": "Articles and their verbatim revisions."},
    {"name": "diffs", "description": "Word, sentence and paragraph diffs of stored texts."},
    {"name": "stories", "description": "Versions and copies of one report, grouped."},
    {"name": "quotes", "description": "Who said what: search and correct quotes."},
    {"name": "entities", "description": "People, organisations and places; speakers, merges."},
    {"name": "claims", "description": "Check-worthy claims, their topics and clusters."},
    {"name": "topics", "description": "The topic taxonomy (IPTC-mapped); edits need admin."},
    {"name": "operations", "description": "Health and readiness probes."},
]


class PrefixRoute(APIRoute):
    """An API route that turns away a path not starting with its literal prefix (the
    template up to its first parameter) before the full match: most of the routes a
    request is tried against fail there, for a string comparison instead of FastAPI's scope
    lookups and a regular expression each."""

    def __init__(self, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(path, *args, **kwargs)
        self.literal_prefix = path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.literal_prefix):
            return Match.NONE, {}
        return super().matches(scope)


def add_routes(app: FastAPI, router: APIRouter, prefix: str, dependencies: list[Any]) -> None:
    """``router``'s routes as routes of ``app`` itself, each under ``prefix`` with
    ``dependencies`` before its own: what ``include_router`` means, without the include
    context FastAPI matches every request through."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r}: only API routes are added to the app")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=[*dependencies, *route.dependencies],
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits or None,
            route_class_override=PrefixRoute,
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.database_url:
            raise RuntimeError("DATABASE_URL is not set; start the app with `article-store serve`")
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            statement_timeout_ms=settings.statement_timeout_ms,
            parallel_workers=settings.db_parallel_workers,
        )
        read_engine = (
            create_engine(
                settings.read_database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                statement_timeout_ms=settings.statement_timeout_ms,
                parallel_workers=settings.db_parallel_workers,
                application_name="article-store-read",
            )
            if settings.read_database_url
            else engine
        )
        app.state.engine = engine
        app.state.read_engine = read_engine
        app.state.session_factory = session_factory(engine)
        app.state.read_connections = read_connections(read_engine)
        # writes hand their jobs over after commit (service/jobs.py); with no queue the API
        # still serves, and the worker's sweep enqueues the committed runs later
        app.state.jobs = await JobHandOff.open(settings)
        # Everything built so far (modules, routes, the OpenAPI schema, pools) lives as long
        # as the process: move it out of the garbage collector's sight. A full collection
        # over these ~160k objects took 110 ms and was the API's p99 tail under load.
        app.openapi()
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            cpu_pool.shutdown()
            await app.state.jobs.close()
            await engine.dispose()
            if read_engine is not engine:
                await read_engine.dispose()

    app = FastAPI(
        title="article-store",
        version=package_version(),
        summary="News articles, their revisions, quotes, entities and claims over HTTP.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # short, stable operationIds (`list_quotes`, `diff_revisions`): the route functions'
        # names, unique across the API (tests/api/test_openapi_contract.py)
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_openapi(app, settings.require_key_for_reads)
    install_docs(app)

    install_access_state(
        app.state,
        settings.rate_limit_per_minute,
        settings.anon_rate_limit_per_minute,
        settings.auth_failures_per_minute,
    )
    # Each resource router's routes are added to the app itself, under /v1 with the /v1
    # dependency: an included router is matched through FastAPI's include contexts, several
    # microseconds per route it holds and twice per request (measured: 120-160 us to reach
    # /v1/claims or an article's annotations behind the routers before them), while a route
    # of the app's own is one regular expression.
    v1_dependencies = [Depends(guard_v1)]
    for router in (
        articles.router,
        outlets_v1.router,
        diff.router,
        stories.router,
        quotes_v1.router,
        quotes_v1.articles_router,
        entities_v1.router,
        claims_v1.router,
        topics_v1.router,
    ):
        add_routes(app, router, "/v1", v1_dependencies)
    plain_dependencies = [Depends(reject_unknown_query_params)]
    for router in (health.router, problems_v1.router, metrics_router):
        add_routes(app, router, "", plain_dependencies)

    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        max_batch_bytes=settings.max_batch_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "Prefer",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
        )
    app.add_middleware(RequestContextMiddleware)
    return app


def install_openapi(app: FastAPI, reads_need_key: bool) -> None:
    """Serve FastAPI's document completed by :func:`api.openapi.complete_schema`."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema and app.openapi_schema.get("x-article-store-complete"):
            return app.openapi_schema
        schema = complete_schema(build(), reads_need_key=reads_need_key)
        schema["x-article-store-complete"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """Uvicorn factory (``api.app:app_from_env``): settings from the environment."""
    from api.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    tie_to_serve()  # a worker process of `serve --workers N` dies with serve
    return create_app(settings)

"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from api.deps import reject_unknown_query_params
from api.errors import install_error_handlers
from api.middleware import BodyGuardMiddleware, RequestContextMiddleware
from api.v1 import articles, health
from db.engine import create_engine, session_factory
from service.settings import Settings, get_settings

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
    {"name": "operations", "description": "Health and readiness probes."},
]


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
        )
        read_engine = (
            create_engine(
                settings.read_database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                statement_timeout_ms=settings.statement_timeout_ms,
                application_name="article-store-read",
            )
            if settings.read_database_url
            else engine
        )
        app.state.engine = engine
        app.state.read_engine = read_engine
        app.state.session_factory = session_factory(engine)
        app.state.read_session_factory = session_factory(read_engine)
        try:
            yield
        finally:
            await engine.dispose()
            if read_engine is not engine:
                await read_engine.dispose()

    app = FastAPI(
        title="article-store",
        version="1.0.0",
        summary="News articles, their revisions, quotes, entities and claims over HTTP.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(reject_unknown_query_params)])
    v1.include_router(articles.router)
    app.include_router(v1)
    app.include_router(health.router, dependencies=[Depends(reject_unknown_query_params)])

    app.add_middleware(BodyGuardMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory (``api.app:app_from_env``): settings from the environment."""
    from api.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)

"""Prometheus metrics: request latency by route, DB pool, annotation queue and runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.responses import Response
from starlette.types import Scope

from service import operations

REGISTRY = CollectorRegistry()
REQUEST_LATENCY = Histogram(
    "article_store_http_request_duration_seconds",
    "HTTP request latency by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
REQUESTS_IN_FLIGHT = Gauge(
    "article_store_http_requests_in_flight", "Requests being handled.", registry=REGISTRY
)
DB_POOL = Gauge(
    "article_store_db_pool_connections",
    "Database pool connections by state.",
    ["pool", "state"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "article_store_queue_jobs",
    "Jobs in the queue by queue name and status.",
    ["queue", "status"],
    registry=REGISTRY,
)
RUN_DURATION = Gauge(
    "article_store_annotation_run_seconds_avg",
    "Average duration of annotation runs finished in the last hour.",
    registry=REGISTRY,
)
RUNS = Gauge(
    "article_store_annotation_runs", "Annotation runs by status.", ["status"], registry=REGISTRY
)
ERRORS = Counter(
    "article_store_http_server_errors_total", "5xx responses.", ["route"], registry=REGISTRY
)


def _route_template(scope: Scope) -> str:
    """The matched route's template, never the raw path."""
    # the route Starlette matched (every route is the app's own, api.app.add_routes); else
    # what api.deps recorded
    path = getattr(scope.get("route"), "path_format", None)
    if path:
        return str(path)
    state = scope.get("state") or {}
    return str(state.get("route_template", "unmatched"))


def request_started() -> None:
    """A request entered the app (api.middleware.RequestContextMiddleware calls this)."""
    REQUESTS_IN_FLIGHT.inc()


def request_finished(scope: Scope, status: int, seconds: float) -> None:
    """A request's answer went out: its latency under its route template, 5xx counted."""
    REQUESTS_IN_FLIGHT.dec()
    route = _route_template(scope)
    REQUEST_LATENCY.labels(route, scope["method"], f"{status // 100}xx").observe(seconds)
    if status >= 500:
        ERRORS.labels(route).inc()


router = APIRouter(tags=["operations"])


def _pool_stats(name: str, engine: Any) -> None:
    pool = engine.sync_engine.pool
    for state, fn in (("checked_out", "checkedout"), ("idle", "checkedin"), ("size", "size")):
        getter = getattr(pool, fn, None)
        if getter is not None:
            DB_POOL.labels(name, state).set(getter())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description=(
        "Request latency histograms by route, database pool usage, job queue depth and "
        "annotation run statistics, in the Prometheus text format."
    ),
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/plain": {"example": 'article_store_annotation_runs{status="done"} 5.0\n'}
            }
        }
    },
)
async def metrics(request: Request) -> Response:
    state = request.app.state
    _pool_stats("primary", state.engine)
    if state.read_engine is not state.engine:
        _pool_stats("read", state.read_engine)
    try:
        async with state.session_factory() as session:
            stats = await operations.work_stats(session)
        QUEUE_DEPTH.clear()
        for queue, status, count in stats.queue_depth:
            QUEUE_DEPTH.labels(queue, status).set(count)
        RUNS.clear()
        for status, count in stats.runs:
            RUNS.labels(status).set(count)
        RUN_DURATION.set(stats.mean_run_seconds_last_hour)
    except Exception:  # metrics must answer even when the database does not
        pass
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

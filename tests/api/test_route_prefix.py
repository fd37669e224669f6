"""The app's routes turn a path away by its literal prefix exactly when the full match would."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from api.app import PrefixRoute

SAMPLE_VALUES = ("1", "42", "clusters", "orphans", "medtop:15000000", "arms-trade", "x:y", "")


def _samples(app: FastAPI) -> set[str]:
    paths = {"/", "/v1", "/v1/", "/v1/nothing", "/metrics/x", "/docs"}
    for route in app.routes:
        template = getattr(route, "path_format", None)
        if not template:
            continue
        for value in SAMPLE_VALUES:
            filled = template
            while "{" in filled:
                a, b = filled.index("{"), filled.index("}")
                filled = filled[:a] + value + filled[b + 1 :]
            paths |= {filled, filled + "/", filled + "/annotations", filled[:-1]}
    return paths


def test_prefix_check_agrees_with_the_full_match(app: FastAPI) -> None:
    routes = [r for r in app.routes if isinstance(r, PrefixRoute)]
    assert len(routes) > 40  # every /v1 route and the operations routes
    paths = _samples(app)
    matched = 0
    for route in routes:
        for path in paths:
            for method in ("GET", "POST", "DELETE"):
                scope = {"type": "http", "method": method, "path": path, "root_path": ""}
                fast, fast_scope = route.matches(dict(scope))
                full, full_scope = APIRoute.matches(route, dict(scope))
                assert (fast, fast_scope) == (full, full_scope), (route.path, path, method)
                matched += fast == Match.FULL
    assert matched >= len(routes)  # each route's own sample paths reach it

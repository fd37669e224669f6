"""Access control: API keys with scopes, and per-key / per-address rate limits.

* Reads (GET/HEAD) are open unless ``ARTICLE_STORE_REQUIRE_KEY_FOR_READS`` is set.
* Writes need a key with scope ``write``; routes marked ``openapi_extra={"x-required-scope":
  "admin"}`` (taxonomy edits, entity merges) need ``admin``.
* Keys come as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; two different keys
  in one request are a 401 (every key presented must be the one that is checked).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.access import Principal, Scope, authenticate
from service.errors import Forbidden, RateLimited, Unauthorized

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
ANONYMOUS = Principal(None, "anonymous", None)


def required_scope(request: Request) -> Scope | None:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) if isinstance(route, APIRoute) else None
    if extra and extra.get("x-required-scope"):
        return extra["x-required-scope"]
    if request.method in READ_METHODS:
        return "read" if request.app.state.settings.require_key_for_reads else None
    return "write"


def presented_key(request: Request) -> str | None:
    """The one API key the request carries (``Authorization: Bearer`` or ``X-API-Key``, each
    possibly repeated). Two different keys are a 401: only one would be checked, and an
    unknown or revoked key must never pass beside a good one (the idempotency layer, which
    ties records to the key, would see another key than the one authorised)."""
    tokens = {
        auth[7:].strip()
        for auth in request.headers.getlist("authorization")
        if auth[:7].lower() == "bearer " and auth[7:].strip()
    }
    tokens |= {k for k in request.headers.getlist("x-api-key") if k}
    if len(tokens) > 1:
        raise Unauthorized(
            "several different API keys were sent (Authorization, X-API-Key, or one of them "
            "repeated); send one"
        )
    return next(iter(tokens), None)


class _KeyCache:
    """A short-lived cache of key lookups so every request does not hit the database."""

    def __init__(self, ttl: float = 10.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()

    def get(self, token: str) -> tuple[bool, Principal | None]:
        hit = self._items.get(token)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, token: str, principal: Principal | None) -> None:
        self._items[token] = (time.monotonic() + self.ttl, principal)
        self._items.move_to_end(token)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per principal (key id or client address), per process."""

    def __init__(self, per_minute: int, size: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.size = size
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, who: str) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until one more request is allowed)."""
        now = time.monotonic()
        bucket = self._buckets.get(who)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            self._buckets[who] = bucket
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets.move_to_end(who)
        while len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True, int(bucket.tokens), 0.0
        return False, 0, (1 - bucket.tokens) / self.rate

    def wait_for(self, who: str) -> float:
        """Seconds until ``who`` may take one more (0: now), without taking it."""
        bucket = self._buckets.get(who)
        if bucket is None:
            return 0.0
        tokens = min(self.capacity, bucket.tokens + (time.monotonic() - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


def _client_address(request: Request) -> str:
    return f"addr:{request.client.host if request.client else 'unknown'}"


async def _principal(request: Request) -> Principal:
    token = presented_key(request)
    if token is None:
        return ANONYMOUS
    cache: _KeyCache = request.app.state.key_cache
    found, principal = cache.get(token)
    if found and principal is not None:
        return principal  # a known key costs nothing, whoever else guesses from this address
    # Failed authentications are limited per client address, checked before the lookup:
    # guessing keys costs the guesser a 429, not the database one query per guess.
    failures: RateLimiter = request.app.state.auth_failure_limiter
    limit = request.app.state.settings.auth_failures_per_minute
    who = _client_address(request)
    if limit > 0:
        wait = failures.wait_for(who)
        if wait > 0:
            request.state.rate_limit = (limit, 0, wait)
            raise RateLimited(
                f"too many failed authentications from this address ({limit} per minute); "
                f"retry after {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
            )
    if not found:
        factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
        async with factory() as session:
            principal = await authenticate(session, token)
        cache.put(token, principal)
    if principal is None:
        if limit > 0:
            _, remaining, wait = failures.take(who)
            request.state.rate_limit = (limit, remaining, wait)
        raise Unauthorized(
            "the API key is unknown or revoked; create one with `article-store keys create`",
        )
    return principal


# The two ways to send a key, as OpenAPI security schemes (declared by api/openapi.py on
# every /v1/ operation; presented_key reads both headers itself, so no per-request
# dependency is spent on FastAPI's security classes).
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "HTTPBearer": {"type": "http", "description": "An article-store API key.", "scheme": "bearer"},
    "APIKeyHeader": {
        "type": "apiKey",
        "description": "An article-store API key (alternative).",
        "in": "header",
        "name": "X-API-Key",
    },
}
SECURITY_REQUIREMENT: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]


async def authorize(request: Request) -> Principal:
    """Identify the caller, enforce the route's scope and the rate limit."""
    principal = await _principal(request)
    needed = required_scope(request)
    if needed is not None:
        if principal.scope is None:
            raise Unauthorized(
                f"this operation needs an API key with scope '{needed}': send "
                "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                required_scope=needed,
            )
        if not principal.allows(needed):
            raise Forbidden(
                f"the key '{principal.name}' has scope '{principal.scope}'; this operation "
                f"needs '{needed}'",
                required_scope=needed,
                key_scope=principal.scope,
            )
    settings = request.app.state.settings
    if principal.key_id is not None:
        limiter: RateLimiter = request.app.state.key_limiter
        who = f"key:{principal.key_id}"
        limit = settings.rate_limit_per_minute
    else:
        limiter = request.app.state.anon_limiter
        who = _client_address(request)
        limit = settings.anon_rate_limit_per_minute
    if limit > 0:
        allowed, remaining, wait = limiter.take(who)
        request.state.rate_limit = (limit, remaining, wait)
        if not allowed:
            raise RateLimited(
                f"rate limit of {limit} requests per minute exceeded; retry after "
                f"{math.ceil(wait)} s",
                retry_after=math.ceil(wait),
            )
    request.state.principal = principal
    return principal


def install_access_state(
    app_state: object, per_minute: int, anon_per_minute: int, auth_failures_per_minute: int
) -> None:
    app_state.key_cache = _KeyCache()  # type: ignore[attr-defined]
    app_state.key_limiter = RateLimiter(max(per_minute, 1))  # type: ignore[attr-defined]
    app_state.anon_limiter = RateLimiter(max(anon_per_minute, 1))  # type: ignore[attr-defined]
    app_state.auth_failure_limiter = RateLimiter(max(auth_failures_per_minute, 1))  # type: ignore[attr-defined]

"""Pure ASGI middleware: request ids and access logs, a last-resort 500, body limits."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logging import request_id_var
from api.metrics import request_finished, request_started
from api.problems import PROBLEM_CONTENT_TYPE, problem_body
from service.values import MAX_BIGINT, MIN_BIGINT

logger = logging.getLogger("article_store.access")
REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
BODY_METHODS = {"POST", "PUT", "PATCH"}


async def _send_problem(
    send: Send,
    status: int,
    body: dict[str, Any],
    rid: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                (REQUEST_ID_HEADER, rid.encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class RequestContextMiddleware:
    """The outermost layer, one for everything every response needs: gives every request an
    id (X-Request-ID, echoed back), adds the rate-limit and security headers
    (:func:`security_headers`), records its latency (:mod:`api.metrics`), logs it, and turns
    any unhandled exception into a 500 problem without a stack trace. (One middleware, not
    three: each ASGI layer and send wrapper costs every request.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        security = security_headers(scope.get("path", ""))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message.setdefault("headers", [])
                extra = [(REQUEST_ID_HEADER, rid.encode()), *security]
                limit = scope["state"].get("rate_limit")
                if limit is not None:  # (limit, remaining, seconds to wait)
                    extra += [
                        (b"ratelimit-limit", str(limit[0]).encode()),
                        (b"ratelimit-remaining", str(limit[1]).encode()),
                        (b"ratelimit-reset", str(max(1, round(limit[2]))).encode()),
                    ]
                message["headers"] = [*message["headers"], *extra]
            await send(message)

        request_started()
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            logger.exception(
                "unhandled error", extra={"path": scope.get("path"), "method": scope.get("method")}
            )
            if not status_holder["started"]:
                await _send_problem(
                    send,
                    500,
                    problem_body(
                        500,
                        "Internal server error",
                        "an unexpected error occurred; it has been logged with this request id",
                        request_id=rid,
                    ),
                    rid,
                    security,
                )
            status_holder["status"] = 500
        finally:
            seconds = time.perf_counter() - started
            request_finished(scope, int(status_holder["status"]), seconds)
            elapsed_ms = seconds * 1000
            logger.info(
                "%s %s %s",
                scope.get("method"),
                scope.get("path"),
                status_holder["status"],
                extra={"status": status_holder["status"], "duration_ms": round(elapsed_ms, 2)},
            )
            request_id_var.reset(token)


class BodyGuardMiddleware:
    """Rejects bodies over ``max_bytes`` (413, sized or chunked alike), non-JSON bodies on
    writes (415), and JSON values no column can hold (422): a NUL or a lone surrogate in a
    string (PostgreSQL text refuses both), an integer outside bigint. Every route gets the
    same answer, and no such value reaches the database driver."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_batch_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_batch_bytes = max_batch_bytes or max_bytes

    def _limit(self, scope: Scope) -> int:
        """Batch routes carry many articles: their cap is per request, each body still
        capped at ``max_bytes`` by the service."""
        return self.max_batch_bytes if scope["path"].endswith(":batch") else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = scope.get("state", {}).get("request_id", "")
        limit = self._limit(scope)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(send, rid, limit)
            return
        ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        has_body = (length not in (None, b"0")) or b"transfer-encoding" in headers
        if has_body and not (ctype == "application/json" or ctype.endswith("+json")):
            await _send_problem(
                send,
                415,
                problem_body(
                    415,
                    "Unsupported media type",
                    f"request bodies must be application/json, not {ctype or 'unspecified'}",
                    instance=scope.get("path"),
                ),
                rid,
            )
            return
        # Read the whole body here (the app would anyway): a chunked body over the limit is
        # a 413 like a sized one, instead of an error inside the app's JSON parsing (400).
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._too_large(send, rid, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # a batch's items are stored or rejected one by one (service.articles checks text)
        bad = unstorable_json_values(body, strings=not scope["path"].endswith(":batch"))
        if bad:
            # as the service answers it: text that is not UTF-8 is 400, other values 422
            encoding = any(e["type"] == "string_surrogate" for e in bad)
            status, title = (400, "Invalid encoding") if encoding else (422, "Validation error")
            await _send_problem(
                send,
                status,
                problem_body(
                    status,
                    title,
                    "the request is invalid: "
                    + "; ".join(f"body {e['field']}: {e['message']}" for e in bad[:5]),
                    instance=scope.get("path"),
                    errors=bad,
                ),
                rid,
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, rid: str, limit: int) -> None:
        await _send_problem(
            send,
            413,
            problem_body(
                413,
                "Payload too large",
                f"the request body exceeds the limit of {limit} bytes",
                max_bytes=limit,
            ),
            rid,
        )


# What may hide an unstorable value: a \u0000 or a surrogate escape, an integer of 19+ digits.
# Only a body with one of these is parsed here (the app parses every body once anyway).
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\d{19}")


def unstorable_json_values(body: bytes, *, strings: bool = True) -> list[dict[str, Any]]:
    """Problems (as in a 422's ``errors``) for JSON values that no column can store; with
    ``strings=False`` only integers are checked."""
    if not _SUSPECT.search(body):
        return []
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # orjson refuses lone surrogates, which the app's json module accepts
            data = json.loads(body)
        except ValueError:
            return []  # malformed: the app answers 400
    out: list[dict[str, Any]] = []
    _walk(data, [], out, strings)
    return out


def _walk(value: Any, path: list[str], out: list[dict[str, Any]], strings: bool) -> None:
    if len(out) >= 20:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check(k, [*path, k], out, strings)
            _walk(v, [*path, str(k)], out, strings)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, [*path, str(i)], out, strings)
    else:
        _check(value, path, out, strings)


def _check(value: Any, path: list[str], out: list[dict[str, Any]], strings: bool) -> None:
    problem = None
    if isinstance(value, str) and strings:
        if "\x00" in value:
            problem = ("string_nul", "text may not contain NUL (U+0000)")
        elif _has_lone_surrogate(value):
            problem = ("string_surrogate", "not valid UTF-8: a lone surrogate (U+D800–U+DFFF)")
    elif isinstance(value, int) and not MIN_BIGINT <= value <= MAX_BIGINT:
        problem = ("int_range", f"integers are between {MIN_BIGINT} and {MAX_BIGINT}")
    if problem:
        out.append(
            {
                "in": "body",
                "field": ".".join(path) or "body",
                "message": problem[1],
                "type": problem[0],
                "pointer": "#/" + "/".join(path),
            }
        )


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
# The docs pages load Swagger UI / ReDoc from this service (api/docs.py) and nothing from
# elsewhere; one inline script starts each. ReDoc runs its search in a blob: worker.
# Everything else is JSON.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
    b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)
API_CSP = b"default-src 'none'; frame-ancestors 'none'"


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """nosniff, no framing, no referrer, and the Content-Security-Policy for ``path``."""
    docs = path in ("/docs", "/redoc") or path.startswith("/docs/")
    return [*SECURITY_HEADERS, (b"content-security-policy", DOCS_CSP if docs else API_CSP)]


class HeadAsGetMiddleware:
    """HEAD wherever GET works (RFC 9110 §9.3.2): the request is routed as GET and the
    answer goes out with the same status and headers (Content-Length included) and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)

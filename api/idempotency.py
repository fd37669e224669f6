"""Idempotency-Key on POST: a retried request returns the first response, creates nothing twice.

The first request with a key stores a placeholder (one row per caller and key); the
response is stored when it completes. Only authenticated writes take part (a request with
no API key never gets a row), and only answers worth replaying are kept: a 5xx, a 401 or a
429 frees the key, so the retry runs again. A record expires after
``service.idempotency.TTL`` (24 h). A concurrent duplicate gets 409; the same key with a
different request gets 422.
"""

from __future__ import annotations

import hashlib
import logging

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import _send_problem
from api.problems import problem_body
from service import idempotency

logger = logging.getLogger(__name__)
HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = {b"content-type", b"etag", b"location"}


# answers not replayed: the retry must run again (server errors, no valid key, rate limit)
NOT_KEPT = frozenset({401, 429})
# a retry arriving while the first request with its key still runs waits this long for the
# first one's answer (and replays it), else answers 409 with Retry-After
IN_PROGRESS_WAIT_S = 10.0
RETRY_AFTER_S = 1


def _principal(headers: dict[bytes, bytes]) -> str | None:
    """Who the key belongs to: the API key sent (hashed), or None without one."""
    auth = headers.get(b"authorization", b"")
    token = auth[7:].strip() if auth[:7].lower() == b"bearer " else headers.get(b"x-api-key", b"")
    if token:
        return "key:" + hashlib.sha256(token).hexdigest()[:32]
    return None


def _key_id(scope: Scope) -> int | None:
    """The API key ``authorize`` accepted for this request (api/auth.py), if any."""
    principal = scope.get("state", {}).get("principal")
    return getattr(principal, "key_id", None)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        principal = _principal(headers)
        if raw_key is None or principal is None:  # anonymous: nothing to tie a record to
            await self.app(scope, receive, send)
            return
        rid = scope.get("state", {}).get("request_id", "")
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_problem(
                send,
                400,
                problem_body(
                    400,
                    "Bad request",
                    f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters",
                    instance=scope.get("path"),
                ),
                rid,
            )
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        digest = hashlib.sha256(
            scope["method"].encode()
            + b" "
            + scope["path"].encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        ).hexdigest()
        factory: async_sessionmaker[AsyncSession] = scope["app"].state.session_factory
        existing = await idempotency.claim_key(
            factory, principal, key, scope["method"], scope["path"], digest
        )
        if (
            existing is not None
            and existing.status_code is None
            and (existing.request_hash == digest)
        ):
            # a retry that overtook the first request: wait for its answer (bounded)
            existing = await idempotency.wait_for_answer(
                factory, principal, key, timeout=IN_PROGRESS_WAIT_S
            )
            if existing is None:
                await _send_problem(
                    send,
                    409,
                    problem_body(
                        409,
                        "Request in progress",
                        "a request with this Idempotency-Key is still being processed; "
                        f"retry after {RETRY_AFTER_S} s",
                        instance=scope.get("path"),
                    ),
                    rid,
                    headers=[(b"retry-after", str(RETRY_AFTER_S).encode())],
                )
                return
        if existing is not None:
            await self._answer_existing(existing, digest, send, rid, scope)
            return

        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []
        released = False

        def not_kept(status: int) -> bool:
            return status >= 500 or status in NOT_KEPT or _key_id(scope) is None

        async def capture(message: Message) -> None:
            nonlocal start, released
            if message["type"] == "http.response.start":
                start = message
                if not_kept(message["status"]):
                    # freed before the client has the answer: a retry sent the moment it
                    # arrives (a 401's, say) must find the key free, not "in progress"
                    await idempotency.release_key(factory, principal, key)
                    released = True
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            status = start["status"] if start else 500
            key_id = _key_id(scope)
            if released:
                pass
            elif key_id is None or not_kept(status):
                await idempotency.release_key(factory, principal, key)
            else:
                kept = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in (start or {}).get("headers", [])
                    if k.lower() in REPLAYED_HEADERS
                ]
                await idempotency.finish_key(
                    factory,
                    principal,
                    key,
                    status,
                    orjson.dumps(kept).decode(),
                    b"".join(chunks),
                    api_key_id=key_id,
                )

    async def _answer_existing(
        self, record: object, digest: str, send: Send, rid: str, scope: Scope
    ) -> None:
        if record.request_hash != digest:  # type: ignore[attr-defined]
            await _send_problem(
                send,
                422,
                problem_body(
                    422,
                    "Idempotency key reused",
                    "this Idempotency-Key was already used with a different request; use a new key",
                    instance=scope.get("path"),
                ),
                rid,
            )
            return
        if record.status_code is None:  # type: ignore[attr-defined]
            await _send_problem(
                send,
                409,
                problem_body(
                    409,
                    "Request in progress",
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                    instance=scope.get("path"),
                ),
                rid,
            )
            return
        headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in orjson.loads(record.response_headers or "[]")  # type: ignore[attr-defined]
        ]
        body: bytes = record.response_body or b""  # type: ignore[attr-defined]
        await send(
            {
                "type": "http.response.start",
                "status": record.status_code,  # type: ignore[attr-defined]
                "headers": [
                    *headers,
                    (b"content-length", str(len(body)).encode()),
                    (b"idempotent-replayed", b"true"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

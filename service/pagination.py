"""Opaque keyset cursors: base64url of the last row's sort key, versioned and type-checked."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from service.errors import InvalidCursor

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None = None
    total_is_estimate: bool = False


def encode_cursor(kind: str, values: tuple[Any, ...]) -> str:
    payload = [kind, *[v.isoformat() if isinstance(v, datetime) else v for v in values]]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(token: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor` for the same ``kind`` (sort order)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor(
            "cursor is not one this API issued; pass next_cursor from a previous page unchanged",
            parameter="cursor",
        ) from exc
    if not isinstance(payload, list) or len(payload) != len(types) + 1 or payload[0] != kind:
        raise InvalidCursor(
            "cursor does not belong to this listing or sort order; restart without a cursor",
            parameter="cursor",
        )
    out: list[Any] = []
    for value, typ in zip(payload[1:], types, strict=True):
        try:
            if typ is datetime:
                out.append(datetime.fromisoformat(value))
            elif typ is int and isinstance(value, int) and not isinstance(value, bool):
                out.append(value)
            elif typ is float and isinstance(value, int | float) and not isinstance(value, bool):
                out.append(float(value))
            elif typ is str and isinstance(value, str):
                out.append(value)
            else:
                raise TypeError(typ)
        except (TypeError, ValueError) as exc:
            raise InvalidCursor("cursor is corrupted", parameter="cursor") from exc
    return tuple(out)

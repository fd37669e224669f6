"""Pre-serialised JSON for the hot read endpoints.

FastAPI validates a returned dict against the route's ``response_model`` and serialises it
again; on a 50-item page that is a few hundred microseconds of pure Python per request. The
hot list endpoints return :class:`JsonBytes` instead (orjson, datetimes in UTC as ``…Z``,
like pydantic). The ``response_model`` still documents the shape, and
``tests/api/test_response_shapes.py`` checks every such response against it.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JsonBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z)

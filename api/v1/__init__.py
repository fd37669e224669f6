"""Version 1 of the HTTP API.

Path parameters use two URL convertors registered here, before any route is built:

* ``id``: any segment without ``/`` or ``:`` except the literals ``clusters`` and ``orphans``,
  so a malformed id still reaches validation (422) while ``/claims/clusters``,
  ``/quotes/orphans`` and ``/stories/1:split`` are never taken for ids (an unsupported method
  on them is a 405, not a 404/422);
* ``slug``: any segment without ``/`` or ``:`` (so ``/topics/x:reclassify`` is its own route);
* ``topic``: a slug as above or an IPTC code (``medtop:15000000``), whose one ``:`` is followed
  by digits only, so ``/topics/x:reclassify`` is still not a topic.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class _SegmentConvertor(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


class IdConvertor(_SegmentConvertor):
    regex = r"(?!(?:clusters|orphans)$)[^/:]+"


class SlugConvertor(_SegmentConvertor):
    regex = r"[^/:]+"


class TopicRefConvertor(_SegmentConvertor):
    regex = r"(?:[mM][eE][dD][tT][oO][pP]:[0-9]+|[^/:]+)"


register_url_convertor("id", IdConvertor())
register_url_convertor("topic", TopicRefConvertor())
register_url_convertor("slug", SlugConvertor())

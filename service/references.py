"""The one rule for list filters that name a resource (docs/api.md, "Filters"): a filter
naming something that does not exist is :class:`UnknownFilterValue` (404, with the
``parameter`` and ``value``), on every list. Outlets (``service.outlets``) and topics
(``service.topics``) are resolved where they are turned into ids; the id filters here."""

from __future__ import annotations

from db.engine import Reader
from db.repositories.filters import Referenced, id_exists
from service.errors import UnknownFilterValue

# the id filters of the lists, and what each names
ID_FILTERS: dict[str, Referenced] = {
    "article_id": "article",
    "story_id": "story",
    "speaker_id": "entity",
    "claimant_id": "entity",
    "cluster_id": "claim_cluster",
}


async def require_referenced(session: Reader, **filters: int | None) -> None:
    """Raise :class:`UnknownFilterValue` for the first id filter (by parameter name, e.g.
    ``story_id=…``) naming no row; filters that are None are not given."""
    for parameter, value in filters.items():
        if value is None:
            continue
        kind = ID_FILTERS[parameter]
        if not await id_exists(session, kind, value):
            raise UnknownFilterValue(
                f"no {kind.replace('_', ' ')} with id {value} ({parameter})",
                parameter=parameter,
                value=value,
            )

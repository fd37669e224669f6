"""/v1/claims: search claims, read one, correct it; /v1/claims/clusters: the same claim
across articles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ReadConnectionDep, SessionDep, problem_responses
from api.responses import JsonBytes
from api.schemas.claims import ClaimDetail, ClaimPage, ClaimUpdate, ClusterDetail, ClusterPage
from api.v1.params import CountPreference, CursorQuery, IdPath, LimitQuery, page_response
from service import claims as svc
from service.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/claims", tags=["claims"])

TopicParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        description="Topic slug or IPTC code (`medtop:…`); includes its descendant topics. "
        "An unknown topic is a 404 `unknown-filter-value` problem.",
        examples=["arms-trade"],
    ),
]
IncludeDescendants = Annotated[bool, Query(description="Set false to match only the topic itself.")]


@router.get(
    "",
    response_model=ClaimPage,
    summary="Search claims",
    description=(
        "Check-worthy claims in the current revision of each article, keyset-paginated "
        "(follow `next_cursor`), newest first (`sort=date`) or highest score first "
        "(`sort=score`). `topic` includes descendant topics (`conflict-war-peace` returns "
        "`arms-trade` claims) unless `include_descendants=false`. `claimant` is a name or "
        "alias matched like the quotes `speaker` filter (a search: nobody matching is an "
        "empty list). Filters that name a resource (`topic`, `outlet`, `claimant_id`, "
        "`article_id`, `story_id`, `cluster_id`) are references: one naming nothing that "
        "exists is a 404 `unknown-filter-value` problem. Filters combine with AND. "
        "`Prefer: count=…` adds a `total`."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_claims(
    session: ReadConnectionDep,
    query: Annotated[svc.ClaimListQuery, Query()],
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_claims(session, query, count)
    return page_response(page.items, page, count)


@router.get(
    "/clusters",
    response_model=ClusterPage,
    summary="Claim clusters",
    description=(
        "The same claim reported by several articles: clusters spanning at least two current "
        "articles, with member counts and outlets, most articles first. `topic` keeps clusters "
        "with a member in the topic (descendants included). With `Prefer: count=…` the "
        "`total` is always exact (ranking by counts reads every cluster anyway)."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_clusters(
    session: ReadConnectionDep,
    topic: TopicParam = None,
    include_descendants: IncludeDescendants = True,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_clusters(session, topic, include_descendants, cursor, limit, count)
    return page_response(page.items, page, count)


@router.get(
    "/clusters/{cluster_id:id}",
    response_model=ClusterDetail,
    summary="One claim cluster with its members",
    description=(
        "The cluster's summary (members, articles, outlets, the highest-scoring member's text) "
        "and its member claims in current revisions, newest first. 404 if it has none."
    ),
    responses=problem_responses(404, 422),
)
async def get_cluster(session: ReadConnectionDep, cluster_id: IdPath) -> dict[str, Any]:
    return await svc.get_cluster(session, cluster_id)


@router.get(
    "/{claim_id:id}",
    response_model=ClaimDetail,
    summary="Get one claim",
    description="A claim by id (any revision), with the scorer's `features`.",
    responses=problem_responses(404, 422),
)
async def get_claim(session: ReadConnectionDep, claim_id: IdPath) -> dict[str, Any]:
    return await svc.get_claim(session, claim_id)


@router.patch(
    "/{claim_id:id}",
    response_model=ClaimDetail,
    summary="Correct a claim",
    description=(
        "Set its `topics` (slugs; replaces every link with curated ones), its claimant "
        "(`claimant_id`, null for none; `claimant_text`) or mark it `not_a_claim` (hidden "
        "from lists). The claim becomes `curated`: re-annotation keeps it and new revisions "
        "carry it over, re-anchored; reclassification leaves curated topics alone."
    ),
    responses=problem_responses(400, 401, 403, 404, 415, 422),
)
async def update_claim(
    session: SessionDep, claim_id: IdPath, change: ClaimUpdate
) -> dict[str, Any]:
    return await svc.update_claim(
        session,
        claim_id,
        svc.ClaimChange(fields=frozenset(change.model_fields_set), **change.model_dump()),
    )

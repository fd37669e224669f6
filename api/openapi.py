"""The OpenAPI document, completed so that it tells the truth about what the server sends.

FastAPI's generated document is adjusted once, at first request of ``/openapi.json``:

* every error response (4xx/5xx) has the ``Problem`` schema under ``application/problem+json``
  (the only type errors are sent as), with an example, and the statuses every ``/v1/`` route
  can answer (400, 401, 403, 422, 429, 503; 413 and 415 for bodies) are listed;
* reads carry no ``security`` requirement while API keys are optional for them, so a client
  generator gives them a plain client (keys still work: send one for the per-key limit);
* the response headers the server sends are declared where it sends them: ``X-Request-ID``
  and the ``RateLimit-*`` trio on every ``/v1/`` answer, ``ETag``/``Location`` on the article
  and topic writes that set them, ``Preference-Applied`` on counted lists, ``Retry-After`` on
  429 and 503; the ``Idempotency-Key`` request header on every ``POST`` (the routes it honours);
* ``If-Match`` is required where a missing one is a 428 (FastAPI writes it optional);
* OpenAPI links (:data:`LINKS`) say which value of an answer names what another operation
  takes: the id of the article just created is what ``GET /v1/articles/{article_id}`` takes.
  Clients and schemathesis's stateful phase follow them (tests/e2e/test_schemathesis.py).
"""

from __future__ import annotations

from typing import Any

from api.auth import SECURITY_REQUIREMENT, SECURITY_SCHEMES
from service.values import MAX_ID

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

STANDARD_PROBLEMS = {
    "400": "Bad request: unknown query parameter, malformed cursor or JSON",
    "401": "An API key is needed (the problem names the scope)",
    "403": "The API key's scope is too low (the problem names the scope needed)",
    "422": "Validation error: each offending field and why",
    "429": "Rate limit exceeded (see Retry-After and RateLimit-* headers)",
    "503": "Database unavailable or the query timed out; retry after Retry-After",
}
WRITE_PROBLEMS = {
    "413": "Request body too large",
    "415": "Request body is not application/json",
}
_EXAMPLE_TITLES = {
    400: ("Unknown query parameter", "unknown query parameter(s): limt; allowed: cursor, limit"),
    401: ("Unauthorized", "this operation needs an API key with scope 'write'"),
    403: ("Forbidden", "the key 'reader' has scope 'read'; this operation needs 'write'"),
    404: ("Not found", "no article with id 42"),
    405: ("Method not allowed", "GET, HEAD"),
    409: ("Conflict", "a request with this Idempotency-Key is still being processed"),
    412: ("Precondition failed", 'the article changed: If-Match "6-1" is stale'),
    413: ("Request body too large", "the body is larger than 2097152 bytes"),
    415: ("Unsupported media type", "send the body as application/json"),
    422: ("Validation error", "the request is invalid: query limit: Input should be >= 1"),
    428: ("Precondition required", "send If-Match with the article's current ETag"),
    429: ("Rate limited", "rate limit of 600 requests per minute exceeded; retry after 3 s"),
    500: ("Internal server error", "an unexpected error; quote the request id"),
    503: ("Service unavailable", "the database is not reachable"),
}


def _header(description: str, type_: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": type_}}


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": _header("The request's id (yours if you sent one): quote it in reports."),
    "RateLimit-Limit": _header("Requests allowed per minute for this key or address.", "integer"),
    "RateLimit-Remaining": _header("Requests left in the current window.", "integer"),
    "RateLimit-Reset": _header("Seconds until the window has room again.", "integer"),
    "ETag": _header('The article\'s current revision, strong: `"<article id>-<revision>"`.'),
    "Location": _header("The URL of the resource just created."),
    "Preference-Applied": _header(
        "The `Prefer` preference honoured (`count=exact` or `count=estimated`), sent when the "
        "answer has a `total`."
    ),
    "Retry-After": _header("Seconds to wait before retrying.", "integer"),
    "X-Diff-Degraded": _header(
        "Sent when the diff hit a work budget (`size`, `time`, `pairs`): the result is coarser "
        "but still exact (docs/diffs.md)."
    ),
}
_DIFF_HEADERS = ("X-Diff-Degraded",)
# which operations send which headers on success (beyond X-Request-ID and RateLimit-*)
SUCCESS_HEADERS = {
    "create_article": ("ETag", "Location"),
    "replace_article": ("ETag",),
    "get_article": ("ETag",),
    "create_topic": ("Location",),
    **{
        op: ("Preference-Applied",)
        for op in (
            "list_articles",
            "list_quotes",
            "list_orphaned_quotes",
            "list_claims",
            "list_clusters",
            "list_speakers",
            "list_entities",
        )
    },
    **{
        f"{op}{suffix}": _DIFF_HEADERS
        for op in ("diff_revisions", "diff_texts")
        for suffix in ("", "_unified", "_html")
    },
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID): a retry with the same key and body "
    "returns the first response instead of writing twice; the same key with another body "
    "is a 422. Keys are kept per client.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


_Link = tuple[str, dict[str, str]]


def _article_links(id_: str, revision: str, etag: str | None) -> dict[str, _Link]:
    """Where an article's id (and revision, and ETag) lead: its reads and its next revision."""
    path = {"path.article_id": id_}
    links: dict[str, _Link] = {
        "GetArticle": ("get_article", path),
        "ListRevisions": ("list_revisions", path),
        "GetRevision": ("get_revision", {**path, "path.number": revision}),
        "GetAnnotations": ("revision_annotations", {**path, "query.revision": revision}),
        "DiffRevisions": ("diff_revisions", {**path, "query.to": revision}),
        "RelatedArticles": ("related_articles", path),
        "AnnotateArticle": ("annotate_article", path),
        "ListQuotesOfArticle": ("list_quotes", {"query.article_id": id_}),
        "ListClaimsOfArticle": ("list_claims", {"query.article_id": id_}),
    }
    if etag is not None:
        links["ReplaceArticle"] = ("replace_article", {**path, "header.if-match": etag})
    return links


def _topic_links(slug: str) -> dict[str, _Link]:
    return {
        "GetTopic": ("get_topic", {"path.slug": slug}),
        "UpdateTopic": ("update_topic", {"path.slug": slug}),
        "ReclassifyTopic": ("reclassify_topic", {"path.slug": slug}),
        "DeleteTopic": ("delete_topic", {"path.slug": slug}),
        "ListClaimsOfTopic": ("list_claims", {"query.topic": slug}),
        "ListArticlesOfTopic": ("list_articles", {"query.topic": slug}),
    }


def _entity_links(id_: str) -> dict[str, _Link]:
    path = {"path.entity_id": id_}
    return {
        "GetEntity": ("get_entity", path),
        "AddAlias": ("add_alias", path),
        "MergeEntity": ("merge_entity", path),
        "UnmergeEntity": ("unmerge_entity", path),
        "ListQuotesOfSpeaker": ("list_quotes", {"query.speaker_id": id_}),
        "ListClaimsOfClaimant": ("list_claims", {"query.claimant_id": id_}),
    }


def _quote_links(id_: str) -> dict[str, _Link]:
    path = {"path.quote_id": id_}
    return {
        "GetQuote": ("get_quote", path),
        "UpdateQuote": ("update_quote", path),
        "DeleteQuote": ("delete_quote", path),
    }


def _claim_links(id_: str) -> dict[str, _Link]:
    path = {"path.claim_id": id_}
    return {"GetClaim": ("get_claim", path), "UpdateClaim": ("update_claim", path)}


def _story_links(id_: str) -> dict[str, _Link]:
    path = {"path.story_id": id_}
    return {
        "GetStory": ("get_story", path),
        "ConfirmStory": ("confirm_story", path),
        "SplitStory": ("split_story", path),
        "MergeStories": ("merge_stories", path),
        "ListArticlesOfStory": ("list_articles", {"query.story_id": id_}),
    }


def _cluster_links(id_: str) -> dict[str, _Link]:
    return {
        "GetCluster": ("get_cluster", {"path.cluster_id": id_}),
        "ListClaimsOfCluster": ("list_claims", {"query.cluster_id": id_}),
    }


_BODY = "$response.body#"
_FIRST = _BODY + "/items/0"
_WRITTEN = _article_links(f"{_BODY}/id", f"{_BODY}/revision", f"{_BODY}/etag")
# (operationId, status) -> link name -> (target operationId, {"<in>.<name>": expression}).
# Only values the answer always holds (non-null, required) are linked; first items of lists
# stand for every item (an empty page leaves the link unused).
LINKS: dict[tuple[str, str], dict[str, _Link]] = {
    ("create_article", "201"): _WRITTEN,
    ("create_article", "200"): _WRITTEN,
    ("replace_article", "200"): _WRITTEN,
    ("get_article", "200"): _article_links(
        f"{_BODY}/id", f"{_BODY}/revision", "$response.header.ETag"
    ),
    ("list_articles", "200"): _article_links(f"{_FIRST}/id", f"{_FIRST}/revision", None),
    ("list_revisions", "200"): {
        "GetRevision": (
            "get_revision",
            {"path.article_id": "$request.path.article_id", "path.number": f"{_FIRST}/number"},
        ),
        "DiffToRevision": (
            "diff_revisions",
            {"path.article_id": "$request.path.article_id", "query.to": f"{_FIRST}/number"},
        ),
    },
    ("get_revision", "200"): {
        "GetArticle": ("get_article", {"path.article_id": f"{_BODY}/article_id"}),
        "GetAnnotations": (
            "revision_annotations",
            {"path.article_id": f"{_BODY}/article_id", "query.revision": f"{_BODY}/number"},
        ),
    },
    ("related_articles", "200"): {
        "GetRelatedArticle": ("get_article", {"path.article_id": f"{_FIRST}/article/id"})
    },
    ("list_quotes", "200"): _quote_links(f"{_FIRST}/id"),
    ("list_orphaned_quotes", "200"): _quote_links(f"{_FIRST}/id"),
    ("get_quote", "200"): {
        **_quote_links(f"{_BODY}/id"),
        "GetArticle": ("get_article", {"path.article_id": f"{_BODY}/article_id"}),
    },
    ("update_quote", "200"): _quote_links(f"{_BODY}/id"),
    ("delete_quote", "204"): {
        "GetDeletedQuote": ("get_quote", {"path.quote_id": "$request.path.quote_id"})
    },
    ("list_speakers", "200"): _entity_links(f"{_FIRST}/id"),
    ("list_entities", "200"): _entity_links(f"{_FIRST}/id"),
    ("get_entity", "200"): {
        **_entity_links(f"{_BODY}/id"),
        "DeleteAlias": (
            "delete_alias",
            {"path.entity_id": f"{_BODY}/id", "path.alias_id": f"{_BODY}/aliases/0/id"},
        ),
    },
    ("add_alias", "201"): {
        "GetEntity": ("get_entity", {"path.entity_id": f"{_BODY}/id"}),
        "DeleteAlias": (
            "delete_alias",
            {"path.entity_id": f"{_BODY}/id", "path.alias_id": f"{_BODY}/aliases/0/id"},
        ),
    },
    ("delete_alias", "200"): {"GetEntity": ("get_entity", {"path.entity_id": f"{_BODY}/id"})},
    ("merge_entity", "200"): {
        "GetEntity": ("get_entity", {"path.entity_id": f"{_BODY}/id"}),
        "GetMergedEntity": ("get_entity", {"path.entity_id": "$request.path.entity_id"}),
        "UnmergeEntity": ("unmerge_entity", {"path.entity_id": "$request.path.entity_id"}),
    },
    ("unmerge_entity", "200"): {"GetEntity": ("get_entity", {"path.entity_id": f"{_BODY}/id"})},
    ("list_claims", "200"): _claim_links(f"{_FIRST}/id"),
    ("get_claim", "200"): {
        **_claim_links(f"{_BODY}/id"),
        "GetArticle": ("get_article", {"path.article_id": f"{_BODY}/article_id"}),
    },
    ("update_claim", "200"): _claim_links(f"{_BODY}/id"),
    ("list_clusters", "200"): _cluster_links(f"{_FIRST}/id"),
    ("get_cluster", "200"): _cluster_links(f"{_BODY}/id"),
    ("get_story", "200"): {
        **_story_links(f"{_BODY}/id"),
        "GetMember": ("get_article", {"path.article_id": f"{_BODY}/members/0/id"}),
    },
    ("confirm_story", "200"): _story_links(f"{_BODY}/id"),
    ("merge_stories", "200"): {
        **_story_links(f"{_BODY}/id"),
        "GetAbsorbedStory": ("get_story", {"path.story_id": "$request.body#/story_id"}),
    },
    ("split_story", "200"): {
        **_story_links(f"{_BODY}/story/id"),
        "GetNewStory": ("get_story", {"path.story_id": f"{_BODY}/new_story/id"}),
    },
    ("create_topic", "201"): _topic_links(f"{_BODY}/slug"),
    ("get_topic", "200"): _topic_links(f"{_BODY}/slug"),
    ("update_topic", "200"): _topic_links(f"{_BODY}/slug"),
    ("list_topics", "200"): _topic_links(f"{_FIRST}/slug"),
    ("delete_topic", "204"): {
        "GetDeletedTopic": ("get_topic", {"path.slug": "$request.path.slug"})
    },
    ("annotate_article", "202"): {
        "GetAnnotations": (
            "revision_annotations",
            {"path.article_id": f"{_BODY}/article_id", "query.revision": f"{_BODY}/revision"},
        )
    },
}


def _links(operation_id: str, status: str) -> dict[str, Any]:
    return {
        name: {"operationId": target, "parameters": dict(parameters)}
        for name, (target, parameters) in LINKS.get((operation_id, status), {}).items()
    }


def _describe_path_parameter(param: dict[str, Any]) -> None:
    """Path ids and slugs that the routes share a type for say what they name."""
    if param.get("in") != "path" or param.get("description"):
        return
    name = str(param.get("name", ""))
    if name.endswith("_id"):
        param["description"] = f"The {name[:-3].replace('_', ' ')}'s id."
    elif name == "slug":
        param["description"] = "The topic's slug, e.g. `arms-trade`."


def _problem_content(status: int) -> dict[str, Any]:
    title, detail = _EXAMPLE_TITLES.get(status, ("Error", "see detail"))
    example = {
        "type": "/problems/" + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    return {"application/problem+json": {"schema": PROBLEM_REF, "example": example}}


def example_of(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """An example value for ``schema``: its own example where it has one (or its component's),
    else one built from its properties, items, enum or type."""
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    ref = schema.get("$ref")
    if ref:
        return example_of(components.get(ref.rsplit("/", 1)[-1], {}), components, depth)
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if options:
            return example_of(options[0], components, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example_of(prop, components, depth + 1)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), components, depth + 1)]
    fmt = schema.get("format")
    return {
        "string": "2023-09-11T20:00:00Z" if fmt == "date-time" else "string",
        "integer": 1,
        "number": 0.5,
        "boolean": True,
    }.get(str(kind))


def _integer_bounds(node: Any) -> None:
    """Bounds of integer schemas as integers: pydantic writes those of strict int fields as
    floats, and 9.223372036854776e18 is not the bigint maximum 2**63 - 1 that is meant."""
    if isinstance(node, list):
        for item in node:
            _integer_bounds(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        for key in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
            value = node.get(key)
            if isinstance(value, float):
                node[key] = MAX_ID if value == float(MAX_ID) else int(value)
    for value in node.values():
        _integer_bounds(value)


def complete_schema(schema: dict[str, Any], *, reads_need_key: bool) -> dict[str, Any]:
    """Apply the adjustments listed in the module docstring to FastAPI's document."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for path, ops in schema.get("paths", {}).items():
        v1 = path.startswith("/v1/")
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            if v1:
                extra = dict(STANDARD_PROBLEMS)
                if method in ("post", "put", "patch"):
                    extra.update(WRITE_PROBLEMS)
                for code, description in extra.items():
                    responses.setdefault(code, {"description": description})
                if method not in ("get", "head") or reads_need_key:
                    op["security"] = [dict(r) for r in SECURITY_REQUIREMENT]
                for param in op.get("parameters", []):
                    _describe_path_parameter(param)
                    if param.get("in") == "header" and param.get("name", "").lower() == "if-match":
                        # optional to FastAPI only so that a missing one is our 428 problem
                        param["required"] = True
                if method == "post":
                    params = op.setdefault("parameters", [])
                    if not any(p.get("name") == "Idempotency-Key" for p in params):
                        params.append(IDEMPOTENCY_KEY)
            for code, response in responses.items():
                status = int(code) if code.isdigit() else 0
                links = _links(op.get("operationId", ""), code)
                if links:
                    response["links"] = links
                headers = response.setdefault("headers", {})
                headers.setdefault("X-Request-ID", {"$ref": "#/components/headers/X-Request-ID"})
                if status >= 400:
                    response["content"] = _problem_content(status)
                    if status in (429, 503):
                        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
                if v1:
                    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
                        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
                if 200 <= status < 300:
                    for media in response.get("content", {}).values():
                        if "example" not in media and "examples" not in media:
                            components = schema.get("components", {}).get("schemas", {})
                            media["example"] = example_of(media.get("schema", {}), components)
                    for name in SUCCESS_HEADERS.get(op.get("operationId", ""), ()):
                        if name == "Location" and status != 201:
                            continue
                        headers[name] = {"$ref": f"#/components/headers/{name}"}
    _integer_bounds(schema)
    components = schema.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    # FastAPI's own 422 body is never sent (problem+json replaces it)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(unused, None)
    return schema

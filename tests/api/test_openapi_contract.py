"""The OpenAPI document tells the truth about what the server sends."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest


@pytest.fixture
async def schema(anon_client: httpx.AsyncClient) -> dict[str, Any]:
    return (await anon_client.get("/openapi.json")).json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


async def test_every_error_response_is_a_problem_under_problem_json(schema: dict[str, Any]) -> None:
    for path, method, op in _operations(schema):
        for code, response in op["responses"].items():
            if int(code) < 400:
                continue
            content = response["content"]
            assert list(content) == ["application/problem+json"], (path, method, code)
            media = content["application/problem+json"]
            assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert media["example"]["status"] == int(code), (path, method, code)
    assert "HTTPValidationError" not in schema["components"]["schemas"]


async def test_reads_need_no_security_and_writes_name_their_schemes(schema: dict[str, Any]) -> None:
    for path, method, op in _operations(schema):
        if not path.startswith("/v1/"):
            continue
        if method in ("get", "head"):
            assert "security" not in op, (path, method)
        else:
            assert op["security"], (path, method)


async def test_operation_ids_are_short_stable_and_unique(schema: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z_]{2,40}", i) for i in ids), ids
    assert {"list_quotes", "diff_revisions", "diff_texts_unified", "create_article"} <= set(ids)


async def test_response_headers_are_declared_where_sent(schema: dict[str, Any]) -> None:
    ops = {op["operationId"]: op for _, _, op in _operations(schema)}
    created = ops["create_article"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "X-Request-ID", "RateLimit-Remaining"} <= set(created)
    assert "ETag" in ops["get_article"]["responses"]["200"]["headers"]
    assert "Preference-Applied" in ops["list_articles"]["responses"]["200"]["headers"]
    assert "Retry-After" in ops["list_quotes"]["responses"]["429"]["headers"]
    assert "Retry-After" in ops["list_quotes"]["responses"]["503"]["headers"]
    posts = [op for _, m, op in _operations(schema) if m == "post"]
    assert all(
        any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op["parameters"])
        for op in posts
    )
    assert set(schema["components"]["headers"]) >= {"ETag", "Retry-After", "X-Request-ID"}


async def test_text_diffs_have_operations_that_declare_only_text(
    schema: dict[str, Any], anon_client: httpx.AsyncClient
) -> None:
    ops = {op["operationId"]: op for _, _, op in _operations(schema)}
    assert list(ops["diff_texts_unified"]["responses"]["200"]["content"]) == ["text/plain"]
    assert list(ops["diff_revisions_html"]["responses"]["200"]["content"]) == ["text/html"]
    r = await anon_client.get("/v1/diff/unified", params={"left": "2", "right": "4"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert (
        r.text
        == (
            await anon_client.get(
                "/v1/diff", params={"left": "2", "right": "4", "format": "unified"}
            )
        ).text
    )
    r = await anon_client.get("/v1/articles/2/diff/html", params={"from": 1, "to": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.startswith("<div")


async def test_every_parameter_is_described_and_every_answer_has_an_example(
    schema: dict[str, Any],
) -> None:
    for path, method, op in _operations(schema):
        for param in op.get("parameters", []):
            assert param.get("description"), (path, method, param["name"])
        for code, response in op["responses"].items():
            if code.startswith("2") and code != "204":
                media = list(response.get("content", {}).values())
                assert media and all("example" in m for m in media), (path, method, code)


async def test_the_quotes_doc_example_holds_on_the_seeds(
    annotated: None, schema: dict[str, Any], anon_client: httpx.AsyncClient
) -> None:
    description = schema["paths"]["/v1/quotes"]["get"]["description"]
    assert "`Watson` finds Adrienne Watson" in description
    items = (await anon_client.get("/v1/quotes", params={"speaker": "Watson"})).json()["items"]
    assert items and {i["speaker"]["name"] for i in items} == {"Adrienne Watson"}
    assert (await anon_client.get("/v1/quotes", params={"speaker": "Mill"})).json()["items"]


async def test_integer_bounds_are_integers_and_the_bigint_maximum_is_exact(
    schema: dict[str, Any],
) -> None:
    found: list[object] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                found.extend(v for k, v in node.items() if k in ("maximum", "minimum"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found and all(isinstance(v, int) for v in found), {repr(v) for v in found}
    assert 2**63 - 1 in found
    into = schema["components"]["schemas"]["EntityMerge"]["properties"]["into"]
    assert into["maximum"] == 2**63 - 1


async def test_every_diff_operation_declares_its_degraded_header(schema: dict[str, Any]) -> None:
    ops = {op["operationId"]: op for _, _, op in _operations(schema)}
    for name in ("diff_revisions", "diff_texts", "diff_texts_unified", "diff_revisions_html"):
        assert "X-Diff-Degraded" in ops[name]["responses"]["200"]["headers"], name


async def test_if_match_is_required_where_its_absence_is_a_428(schema: dict[str, Any]) -> None:
    ops = {op["operationId"]: op for _, _, op in _operations(schema)}
    replace = ops["replace_article"]
    assert "428" in replace["responses"]
    [if_match] = [p for p in replace["parameters"] if p["name"].lower() == "if-match"]
    assert if_match["in"] == "header" and if_match["required"] is True


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _pointer_exists(schema: dict[str, Any], node: dict[str, Any], pointer: str) -> bool:
    """Whether the JSON pointer names a required, non-null value of every answer of ``node``."""
    for token in [t for t in pointer.split("/") if t]:
        node = _resolve(schema, node)
        if token.isdigit() or token == "*":
            if node.get("type") != "array":
                return False
            node = node["items"]
            continue
        if token not in node.get("properties", {}) or token not in node.get("required", []):
            return False
        node = node["properties"][token]
        if any(option.get("type") == "null" for option in node.get("anyOf", [])):
            return False
    return True


async def test_every_link_names_an_operation_its_parameters_and_values_that_exist(
    schema: dict[str, Any],
) -> None:
    ops = {op["operationId"]: (path, op) for path, _, op in _operations(schema)}
    seen = 0
    for path, _method, op in _operations(schema):
        for code, response in op["responses"].items():
            for name, link in response.get("links", {}).items():
                where = (op["operationId"], code, name)
                assert link["operationId"] in ops, where
                _, target = ops[link["operationId"]]
                declared = {(p["in"], p["name"]) for p in target.get("parameters", [])}
                assert link["parameters"], where
                for qualified, expression in link["parameters"].items():
                    location, _, param = qualified.partition(".")
                    assert (location, param) in declared, (where, qualified)
                    source = expression.partition(".")[0]
                    assert source in ("$response", "$request"), (where, expression)
                    if expression.startswith("$response.body#"):
                        media = response["content"]["application/json"]["schema"]
                        pointer = expression.removeprefix("$response.body#")
                        assert _pointer_exists(schema, media, pointer), (where, expression)
                    elif expression.startswith("$response.header."):
                        assert expression.rsplit(".", 1)[-1] in response["headers"], where
                    elif expression.startswith("$request.path."):
                        assert "{" + expression.rsplit(".", 1)[-1] + "}" in path, where
                    elif expression.startswith("$request.body#"):
                        body = op["requestBody"]["content"]["application/json"]["schema"]
                        pointer = expression.removeprefix("$request.body#")
                        assert _pointer_exists(schema, body, pointer), (where, expression)
                    else:
                        raise AssertionError((where, expression))
                seen += 1
    assert seen >= 100, seen
    created = ops["create_article"][1]["responses"]["201"]["links"]
    assert created["GetArticle"] == {
        "operationId": "get_article",
        "parameters": {"path.article_id": "$response.body#/id"},
    }
    assert created["ReplaceArticle"]["parameters"]["header.if-match"] == "$response.body#/etag"


async def test_no_two_paths_differ_only_in_their_template_names(schema: dict[str, Any]) -> None:
    """OpenAPI 3.1: "Templated paths with the same hierarchy but different templated names
    MUST NOT exist" — tools then take `/topics/{ref}` and `/topics/{slug}` for two resources
    (schemathesis's Allow-header check did)."""
    shapes: dict[str, str] = {}
    for path in schema["paths"]:
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        assert shapes.setdefault(shape, path) == path, (shapes[shape], path)

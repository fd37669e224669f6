"""READ_DATABASE_URL: read endpoints answer from the replica, writes go to the primary.

Two databases with different contents stand in for a primary and its replica (real
replication is PostgreSQL's job; what is tested here is the routing).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from api.app import create_app
from db import migrate
from db.engine import libpq_url
from service import access
from service.settings import Settings


def _store_one_article(url: str, outlet: str, title: str, body: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        outlet_id = conn.execute(
            "INSERT INTO outlets (name) VALUES (%s) RETURNING id", (outlet,)
        ).fetchone()[0]  # type: ignore[index]
        article_id = conn.execute(
            "INSERT INTO articles (outlet_id, url, title, published_at) "
            "VALUES (%s, %s, %s, '2024-05-01T12:00:00Z') RETURNING id",
            (outlet_id, f"https://{outlet.lower().replace(' ', '-')}.example/1", title),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO article_revisions (article_id, number, body, sha256, title, char_count) "
            "VALUES (%s, 1, %s, %s, %s, %s)",
            (article_id, body, hashlib.sha256(body.encode()).hexdigest(), title, len(body)),
        )


def _titles(url: str) -> set[str]:
    with psycopg.connect(libpq_url(url)) as conn:
        return {row[0] for row in conn.execute("SELECT title FROM articles")}


@pytest.fixture(scope="module")
def primary_and_replica(make_database: Callable[[str], str]) -> tuple[str, str]:
    primary = make_database("as_primary")
    replica = make_database("as_replica")
    for url in (primary, replica):
        migrate.upgrade(url, "head")
    _store_one_article(primary, "Primary Post", "Only on the primary", "Primary text.")
    _store_one_article(replica, "Replica Times", "Only on the replica", "Replica text.")
    return primary, replica


@pytest.fixture(scope="module")
async def routed_app(
    primary_and_replica: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    primary, replica = primary_and_replica
    settings = Settings(
        database_url=primary,
        read_database_url=replica,
        data_dir=Path(tmp_path_factory.mktemp("replica-data")),
        db_pool_size=2,
        rate_limit_per_minute=0,
        anon_rate_limit_per_minute=0,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def routed_client(routed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    key = await access.create_key(routed_app.state.session_factory, "replica-test", "write")
    transport = httpx.ASGITransport(app=routed_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key.token}"},
    ) as client:
        yield client


async def test_reads_answer_from_the_read_database(routed_client: httpx.AsyncClient) -> None:
    r = await routed_client.get("/v1/articles")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["title"] for i in items] == ["Only on the replica"]
    assert items[0]["outlet"]["name"] == "Replica Times"

    one = await routed_client.get(f"/v1/articles/{items[0]['id']}")
    assert one.status_code == 200
    assert one.json()["title"] == "Only on the replica"


async def test_writes_go_to_the_primary_and_not_the_read_database(
    routed_client: httpx.AsyncClient, primary_and_replica: tuple[str, str]
) -> None:
    primary, replica = primary_and_replica
    r = await routed_client.post(
        "/v1/articles",
        json={
            "outlet": "Primary Post",
            "url": "https://primary-post.example/2",
            "title": "Written through the API",
            "published_at": "2024-06-01T08:00:00Z",
            "body": "Officials said the bridge would reopen on Monday.",
        },
    )
    assert r.status_code in (200, 201), r.text
    assert "Written through the API" in _titles(primary)
    assert "Written through the API" not in _titles(replica)

    # until the replica has it, reads do not see it: they are served by the replica
    listed = await routed_client.get("/v1/articles")
    assert "Written through the API" not in {i["title"] for i in listed.json()["items"]}

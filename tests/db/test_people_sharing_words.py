"""The candidates for cross-article person linking: one statement for a batch's words."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import entities as repo


async def _entity(
    session: AsyncSession, key: str, type_: str, name: str, *aliases: str, into: int | None = None
) -> int:
    entity_id = int(
        (
            await session.execute(
                text(
                    "INSERT INTO entities (key, type, name, normalized_name, merged_into_id) "
                    "VALUES (:k, :t, :n, lower(:n), :into) RETURNING id"
                ),
                {"k": key, "t": type_, "n": name, "into": into},
            )
        ).scalar_one()
    )
    for alias in (name, *aliases):
        await session.execute(
            text(
                "INSERT INTO entity_aliases (entity_id, alias, normalized) VALUES (:e, :a, lower(:a))"
            ),
            {"e": entity_id, "a": alias},
        )
    return entity_id


async def test_each_word_gets_the_surviving_people_with_an_alias_containing_it(
    clean_store: None, db_session: AsyncSession
) -> None:
    s = db_session
    marin = await _entity(s, "person:t luis ortega marin", "PERSON", "Tluis Tortega Tmarin")
    # a merged person's alias answers for the survivor
    await _entity(s, "person:t l ortega", "PERSON", "Tl Tortegaz", into=marin)
    other = await _entity(s, "person:t ana tmarin", "PERSON", "Tana Tmarin")
    await _entity(s, "org:t tmarin group", "ORG", "Tmarin Group")  # not a person
    many = [
        await _entity(s, f"person:t p{i} tcommon", "PERSON", f"Tp{i} Tcommon") for i in range(4)
    ]

    found = await repo.people_sharing_words(
        s, ["tmarin", "tortegaz", "tcommon", "tmarin", "tnobody"], per_word=3
    )

    assert (
        {w: [r.id for r in rows] for w, rows in found.items()}
        == {
            "tmarin": sorted([marin, other]),
            "tortegaz": [marin],  # through the merged entity's alias, once
            "tcommon": sorted(many)[:3],  # capped per word, lowest ids first
        }
    )
    assert found["tortegaz"][0].name == "Tluis Tortega Tmarin"
    assert await repo.people_sharing_words(s, [], per_word=3) == {}

"""The IPTC Media Topics tree, its slugs and the custom topics (nlp/iptc.py)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from nlp.iptc import load_custom_topics, load_iptc, load_iptc_concepts, load_topics, slugify
from nlp.topics import TAXONOMY_PATH, descendants
from nlp.types import TopicDef

ORIGINAL = Path("/work/shared/data/iptc/mediatopic.json")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TOP_LEVEL = {
    "medtop:01000000": "arts-culture-entertainment-media",
    "medtop:02000000": "crime-law-justice",
    "medtop:03000000": "disaster-accident-emergency-incident",
    "medtop:04000000": "economy",
    "medtop:05000000": "education",
    "medtop:06000000": "environment",
    "medtop:07000000": "health",
    "medtop:08000000": "human-interest",
    "medtop:09000000": "labour",
    "medtop:10000000": "lifestyle-leisure",
    "medtop:11000000": "politics",
    "medtop:12000000": "religion-belief",
    "medtop:13000000": "science-technology",
    "medtop:14000000": "society",
    "medtop:15000000": "sport",
    "medtop:16000000": "conflict-war-peace",
    "medtop:17000000": "weather",
}


@pytest.fixture(scope="module")
def iptc() -> list[TopicDef]:
    return load_iptc()


@pytest.fixture(scope="module")
def topics() -> list[TopicDef]:
    return load_topics()


def test_shipped_iptc_tree_has_every_live_concept_with_its_code_parent_and_slug(
    iptc: list[TopicDef],
) -> None:
    assert len(iptc) >= 1000
    by_slug = {t.slug: t for t in iptc}
    assert len(by_slug) == len(iptc), "slugs are unique"
    codes = [t.iptc_code for t in iptc]
    assert len(set(codes)) == len(codes)
    for t in iptc:
        # IPTC codes are 8 characters, nearly all digits ("medtop:2000118x" exists)
        assert t.iptc_code is not None and re.fullmatch(r"medtop:\w{8}", t.iptc_code)
        assert SLUG.fullmatch(t.slug), t.slug
        assert t.name and t.name[0].isupper()
        assert t.parent is None or t.parent in by_slug
    roots = {t.iptc_code: t.slug for t in iptc if t.parent is None}
    assert roots == TOP_LEVEL
    assert by_slug["soccer"].parent == "competition-discipline"
    assert descendants("sport", iptc) >= {"sport", "soccer", "tennis", "cricket", "golf"}


def test_slugs_are_readable_and_collisions_take_the_parent_slug(iptc: list[TopicDef]) -> None:
    assert slugify("arts, culture, entertainment and media") == "arts-culture-entertainment-media"
    assert slugify("security measures (defence)") == "security-measures-defence"
    assert slugify("Qur'an") == "quran"
    by_code = {t.iptc_code: t for t in iptc}
    # "online media" is both under mass media and under the media industry; the lower code
    # keeps the plain slug.
    assert by_code["medtop:20000048"].slug == "online-media"
    assert by_code["medtop:20000311"].slug == "online-media-media"
    # The project's pre-IPTC slug for the economy top-level topic is kept.
    assert by_code["medtop:04000000"].slug == "economy"
    assert by_code["medtop:20000344"].slug == "macroeconomy"


def test_the_shipped_data_is_found_as_package_resources_with_its_attribution() -> None:
    data = resources.files("nlp") / "data"
    notice = (data / "NOTICE").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "IPTC" in notice
    compact = json.loads((data / "iptc_mediatopic.json").read_text(encoding="utf-8"))
    assert "IPTC" in compact["attribution"] and "CC BY 4.0" in compact["attribution"]
    assert compact["released"].startswith("2019-04-06")


@pytest.mark.skipif(not ORIGINAL.exists(), reason="IPTC JSON-LD export not available")
def test_loading_the_original_jsonld_export_gives_the_shipped_tree_without_retired_concepts(
    iptc: list[TopicDef],
) -> None:
    raw = json.loads(ORIGINAL.read_text(encoding="utf-8"))
    retired = {c["qcode"] for c in raw["conceptSet"] if c.get("retired")}
    assert len(retired) > 100
    loaded = load_iptc(ORIGINAL)
    assert {(t.iptc_code, t.slug, t.parent) for t in loaded} == {
        (t.iptc_code, t.slug, t.parent) for t in iptc
    }
    assert not retired & {t.iptc_code for t in loaded}
    assert len(loaded) == len(raw["conceptSet"]) - len(retired)


def _concept(code: str, label: str, broader: str | None, **extra: object) -> dict[str, object]:
    c: dict[str, object] = {
        "uri": f"http://cv.iptc.org/newscodes/mediatopic/{code}",
        "qcode": f"medtop:{code}",
        "prefLabel": {"en-GB": label},
        "definition": {"en-GB": f"About {label}."},
        **extra,
    }
    if broader:
        c["broader"] = [f"http://cv.iptc.org/newscodes/mediatopic/{broader}"]
    return c


def test_a_newer_release_keeps_known_slugs_and_derives_new_ones(tmp_path: Path) -> None:
    release = {
        "conceptSet": [
            _concept("15000000", "sport", None),
            _concept("20001108", "competition discipline", "15000000"),
            # relabelled by IPTC: keeps its shipped slug
            _concept("20001065", "association football", "20001108"),
            # new concept whose label collides with an existing slug: parent slug appended
            _concept("29999001", "soccer", "20001065"),
            _concept("29999002", "walking football", "20001065"),
            # retired: dropped; its live child attaches to the nearest live ancestor
            _concept("29999003", "old thing", "15000000", retired="2024-01-01T00:00:00+00:00"),
            _concept("29999004", "padel", "29999003"),
        ]
    }
    path = tmp_path / "mediatopic.json"
    path.write_text(json.dumps(release), encoding="utf-8")
    by_code = {c.code: c for c in load_iptc_concepts(path)}
    assert by_code["medtop:20001065"].slug == "soccer"
    assert by_code["medtop:20001065"].label == "association football"
    assert by_code["medtop:29999001"].slug == "soccer-soccer"
    assert by_code["medtop:29999002"].slug == "walking-football"
    assert "medtop:29999003" not in by_code
    assert by_code["medtop:29999004"].parent == "medtop:15000000"
    topics = {t.slug: t for t in load_iptc(path)}
    assert topics["walking-football"].parent == "soccer"


def test_seed_topics_stay_with_their_slugs_under_iptc_parents(topics: list[TopicDef]) -> None:
    by_slug = {t.slug: t for t in topics}
    old = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))["topics"]
    assert len(old) == 21
    for t in old:  # every slug of the former taxonomy still resolves
        assert t["slug"] in by_slug, t["slug"]
    custom = load_custom_topics()
    assert {t.slug for t in custom} == {t["slug"] for t in old if t["iptc_code"] is None}
    for t in custom:
        assert t.iptc_code is None and t.rules.keywords
        parent = by_slug[t.parent or ""]
        while parent.iptc_code is None:  # artillery -> arms-trade -> conflict-war-peace
            parent = by_slug[parent.parent or ""]
        assert re.fullmatch(r"medtop:\w{8}", parent.iptc_code)
    assert by_slug["arms-trade"].parent == "conflict-war-peace"
    assert by_slug["missiles"].parent == "arms-trade"
    assert by_slug["trade"].parent == "international-trade"
    assert by_slug["space"].parent == "space-exploration"
    assert {"arms-trade", "artillery", "missiles", "nuclear-weapons"} <= descendants(
        "conflict-war-peace", topics
    )


def test_every_topic_has_something_to_match(topics: list[TopicDef]) -> None:
    with_terms = [t for t in topics if t.rules.keywords]
    assert len(with_terms) / len(topics) > 0.9
    for code, slug in TOP_LEVEL.items():
        top = next(t for t in topics if t.slug == slug)
        assert top.iptc_code == code
        assert len(top.rules.keywords) >= 40, slug

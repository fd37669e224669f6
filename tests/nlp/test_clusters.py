from __future__ import annotations

import pytest

from nlp.clusters import (
    DEFAULT_CLUSTER_THRESHOLD,
    claim_similarity,
    cluster_claims,
    content_words,
    idf_weights,
)
from nlp.pipeline import Pipeline
from nlp.types import ClaimForClustering

OUTLETS = {"000": "Stars and Stripes", "001": "AP", "002": "unnamed", "003": "AP", "004": "NYT"}


@pytest.fixture(scope="module")
def seed_claims(pipeline: Pipeline, seed_texts: dict[str, str]) -> list[ClaimForClustering]:
    out = []
    for stem, body in seed_texts.items():
        for c in pipeline.annotate(body).claims:
            out.append(ClaimForClustering(stem, c.text, c.entity_keys))
    return out


def test_artillery_shells_claim_forms_one_cluster_across_three_outlets(
    seed_claims: list[ClaimForClustering],
) -> None:
    clusters = cluster_claims(seed_claims)
    nyt = next(
        i
        for i, c in enumerate(seed_claims)
        if c.article_id.startswith("004") and "anti-tank missiles" in c.text
    )
    (cluster,) = [g for g in clusters if nyt in g]
    outlets = {OUTLETS[seed_claims[i].article_id[:3]] for i in cluster}
    print("artillery cluster:", sorted(outlets), [seed_claims[i].text[:50] for i in cluster])
    assert len(outlets) >= 3
    # Nothing unrelated was merged in: every member is the "Putin wants shells and missiles" claim.
    for i in cluster:
        assert "artillery shells" in seed_claims[i].text
        assert "missiles" in seed_claims[i].text


def test_seed_clusters_do_not_chain_unrelated_claims(
    seed_claims: list[ClaimForClustering],
) -> None:
    clusters = cluster_claims(seed_claims)
    assert clusters
    idf = idf_weights(c.text for c in seed_claims)
    for group in clusters:
        assert len(group) <= 4  # at most one claim per seed article of a kind, 5 articles
        # every member shares a rare (story-specific) content word with some other member
        for i in group:
            mine = set(content_words(seed_claims[i].text))
            others = set().union(*(content_words(seed_claims[j].text) for j in group if j != i))
            assert max((idf[w] for w in mine & others), default=0) > 2.0


def test_similarity_is_symmetric_bounded_and_one_for_identical_text() -> None:
    a = "Russia wants artillery shells and anti-tank missiles from North Korea."
    b = "North Korea may sell antitank missiles and artillery shells to Russia, officials said."
    c = "The forum runs through Wednesday in Vladivostok."
    assert claim_similarity(a, a) == pytest.approx(1.0)
    assert claim_similarity(a, b) == pytest.approx(claim_similarity(b, a))
    assert 0 <= claim_similarity(a, c) < 0.2 < claim_similarity(a, b) <= 1
    ents = ("org:russia", "org:north korea")
    assert claim_similarity(a, b, ents, ents) > claim_similarity(a, b, ents, ("person:x",))
    assert claim_similarity("", a) == 0.0


def test_claims_of_one_article_never_link_directly() -> None:
    text = "Russia wants artillery shells from North Korea."
    items = [ClaimForClustering("a", text), ClaimForClustering("a", text)]
    assert cluster_claims(items) == []
    items.append(ClaimForClustering("b", text))
    assert cluster_claims(items) == [[0, 1, 2]]  # joined through the other article's claim


def test_unrelated_claims_stay_apart() -> None:
    items = [
        ClaimForClustering("a", "Russia wants artillery shells from North Korea."),
        ClaimForClustering("b", "Putin arrived in Vladivostok on Monday for a forum."),
        ClaimForClustering("c", "Iran has supplied drones and is building a drone factory."),
    ]
    assert cluster_claims(items, DEFAULT_CLUSTER_THRESHOLD) == []
    assert cluster_claims([]) == []


def test_claim_index_finds_exactly_the_pairs_brute_force_finds() -> None:
    """ClaimIndex skips candidates that cannot reach the threshold: what it returns must be
    exactly what scoring every candidate returns (seed sentences, shortened copies of them
    as outlets shorten claims, random entity sets)."""
    import random
    import re

    from nlp.clusters import ClaimIndex, PreparedClaim, idf_default, idf_weights
    from nlp.clusters import prepared_similarity as sim
    from tests.fixtures.paths import SEEDS_DIR

    rng = random.Random(7)
    sentences = [
        s
        for p in sorted(SEEDS_DIR.glob("*.txt"))
        for s in re.split(r"(?<=[.!?])\s+", p.read_text())
        if len(s.split()) >= 6
    ]
    texts = sentences + [
        " ".join(w for w in s.split() if rng.random() > 0.3) for s in rng.sample(sentences, 80)
    ]
    ents = [{f"e{rng.randint(0, 6)}" for _ in range(rng.randint(0, 3))} for _ in texts]
    prepared = [PreparedClaim.of(t, e) for t, e in zip(texts, ents, strict=True)]
    idf = idf_weights(texts)
    default = idf_default(idf)
    index = ClaimIndex(prepared[:-40], idf, default)
    found = 0
    for threshold in (0.3, 0.6, 0.8):
        for new in prepared[-40:]:
            brute = [
                i for i, c in enumerate(prepared[:-40]) if sim(new, c, idf, default) >= threshold
            ]
            assert index.matches(new, threshold) == brute
            found += len(brute)
    assert found > 40  # the shortened copies do repeat their originals

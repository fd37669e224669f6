"""Story grouping and relatedness, measured on the seed articles and synthetic edits.

Run ``python tests/service/test_similarity.py`` to print the score table kept in docs/diffs.md.
"""

from __future__ import annotations

import itertools
import random
import re
import time
from pathlib import Path

import pytest

from tests.fixtures.paths import SEEDS_DIR
from textkit.diffing import sentence_spans
from textkit.similarity import (
    NUM_PERM,
    STORY_THRESHOLD,
    Fingerprint,
    estimated_jaccard,
    fingerprint,
    related_score,
    same_story,
    sentence_match_score,
    version_similarity,
)

SEED_FILES = sorted(SEEDS_DIR.glob("*.txt"))
pytestmark = pytest.mark.skipif(len(SEED_FILES) < 5, reason="seed articles not found")


def seed_body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s+", "", text, count=1)


def seeds() -> dict[str, str]:
    return {p.name[:3]: seed_body(p) for p in SEED_FILES}


# ---- synthetic revisions -------------------------------------------------------------

_FILLERS = ["reportedly", "officials said", "on Monday", "according to sources", "again"]


def _edit_sentence(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    for _ in range(max(1, len(words) // 12)):  # ~8 % of the words
        k = rng.randrange(len(words))
        if rng.random() < 0.5:
            words[k] = rng.choice(_FILLERS)
        else:
            words.insert(k, rng.choice(_FILLERS))
    return " ".join(words)


def edit_sentences(text: str, share: float, seed: int = 1) -> str:
    """Edit ``share`` of the sentences (a few words replaced or inserted in each)."""
    rng = random.Random(seed)
    spans = sentence_spans(text)
    chosen = set(rng.sample(range(len(spans)), round(share * len(spans))))
    out, pos = [], 0
    for k, (s, e) in enumerate(spans):
        out.append(text[pos:s])
        out.append(_edit_sentence(text[s:e], rng) if k in chosen else text[s:e])
        pos = e
    out.append(text[pos:])
    return "".join(out)


def reorder_paragraphs(text: str, seed: int = 2) -> str:
    paragraphs = [p for p in text.splitlines() if p.strip()]
    rng = random.Random(seed)
    rng.shuffle(paragraphs)
    return "\n\n".join(paragraphs)


def rewrite_lead(text: str) -> str:
    paragraphs = [p for p in text.splitlines() if p.strip()]
    lead = (
        "UPDATED — Officials on both sides confirmed late on Tuesday that the long-awaited "
        "meeting would go ahead, ending days of speculation about the leaders' schedule."
    )
    return "\n\n".join([lead, *paragraphs[2:]])


VARIANTS = {
    "edit10": lambda t: edit_sentences(t, 0.10),
    "edit30": lambda t: edit_sentences(t, 0.30),
    "edit50": lambda t: edit_sentences(t, 0.50),
    "reordered": reorder_paragraphs,
    "new lead": rewrite_lead,
    "new lead+edit30+reordered": lambda t: reorder_paragraphs(rewrite_lead(edit_sentences(t, 0.3))),
}


def score_table() -> tuple[list[tuple[str, str, float, float, float, float]], list[tuple]]:
    """Pairwise scores on the seeds, and same-story scores of every seed's variants."""
    texts = seeds()
    pairs = []
    for a, b in itertools.combinations(sorted(texts), 2):
        ta, tb = texts[a], texts[b]
        pairs.append(
            (
                a,
                b,
                estimated_jaccard(fingerprint(ta), fingerprint(tb)),
                sentence_match_score(ta, tb),
                version_similarity(ta, tb),
                related_score(ta, tb),
            )
        )
    variants = []
    for name, text in sorted(texts.items()):
        for vname, make in VARIANTS.items():
            variant = make(text)
            others = [o for o in texts if o != name and {name, o} != {"001", "003"}]
            other = max(version_similarity(variant, texts[o]) for o in others)
            variants.append((name, vname, version_similarity(text, variant), other))
    return pairs, variants


@pytest.fixture(scope="module")
def table() -> tuple[list[tuple[str, str, float, float, float, float]], list[tuple]]:
    return score_table()


# ---- seed outcomes -------------------------------------------------------------------


def test_seed_ap_versions_001_and_003_are_one_story_and_no_other_pair_is(table: tuple) -> None:
    pairs, _ = table
    for a, b, _j, _s, version, _r in pairs:
        assert same_story(seeds()[a], seeds()[b]) == ((a, b) == ("001", "003")), (a, b, version)


def test_story_threshold_has_a_margin_on_both_sides(table: tuple) -> None:
    pairs, variants = table
    same = [v for a, b, _j, _s, v, _r in pairs if (a, b) == ("001", "003")]
    same += [score for _n, _v, score, _o in variants]
    different = [v for a, b, _j, _s, v, _r in pairs if (a, b) != ("001", "003")]
    different += [other for _n, _v, _s, other in variants]
    assert min(same) - STORY_THRESHOLD >= 0.15
    assert STORY_THRESHOLD - max(different) >= 0.15


def test_nyt_rewrite_002_is_the_top_related_article_for_004_but_not_a_version() -> None:
    texts = seeds()
    ranked = sorted((related_score(texts["004"], texts[o]), o) for o in texts if o != "004")
    assert ranked[-1][1] == "002"
    assert ranked[-1][0] - ranked[-2][0] >= 0.05
    assert not same_story(texts["004"], texts["002"])


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_edited_variants_of_each_seed_stay_the_same_story(variant: str) -> None:
    texts = seeds()
    for name, text in texts.items():
        edited = VARIANTS[variant](text)
        assert same_story(text, edited), (name, variant, version_similarity(text, edited))
        for other_name, other in texts.items():
            if other_name != name and {name, other_name} != {"001", "003"}:
                assert not same_story(edited, other), (name, variant, other_name)


# ---- fingerprints ----------------------------------------------------------------------


def test_fingerprint_is_deterministic_and_round_trips_through_bytes_and_lists() -> None:
    text = seeds()["001"]
    fp = fingerprint(text)
    assert fp == fingerprint(text)
    assert len(fp.hashvalues) == NUM_PERM
    assert all(0 <= v < 2**32 for v in fp.hashvalues)
    assert Fingerprint.from_bytes(fp.to_bytes(), fp.shingles) == fp
    assert Fingerprint.from_list(fp.to_list(), fp.shingles) == fp
    assert estimated_jaccard(fp, fp) == 1.0


def test_fingerprint_ignores_case_quotes_and_acronym_dots() -> None:
    a = "The U.S. said Moscow's war in Ukraine would go on for years, officials said."
    b = "the US said Moscow’s war in Ukraine would go on for years, officials said."
    assert estimated_jaccard(fingerprint(a), fingerprint(b)) == 1.0


def test_fingerprint_of_empty_and_tiny_texts() -> None:
    assert fingerprint("").shingles == 0
    assert fingerprint("Hello world").shingles == 1
    assert version_similarity("", "") == 0.0
    assert related_score("", "anything here") == 0.0


def test_fingerprint_of_a_10k_word_article_takes_a_few_ms() -> None:
    text = " ".join(seeds().values()) * 2
    assert len(text.split()) >= 10_000
    fingerprint(text)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        fingerprint(text)
        samples.append(time.perf_counter() - t0)
    # the best of five: what the code costs, not how busy the shared machine is (the median
    # was 60 ms while four other test runs shared the two cores); ~5 ms on a laptop core
    assert min(samples) < 0.05


if __name__ == "__main__":
    seed_pairs, seed_variants = score_table()
    print("| pair | shingle Jaccard | sentence match | version_similarity | related_score |")
    print("|---|---|---|---|---|")
    for a, b, j, s, v, r in seed_pairs:
        print(f"| {a}–{b} | {j:.3f} | {s:.3f} | **{v:.3f}** | {r:.3f} |")
    print()
    print("| seed | variant | vs original | best vs other stories |")
    print("|---|---|---|---|")
    for name, vname, score, other in seed_variants:
        print(f"| {name} | {vname} | {score:.3f} | {other:.3f} |")

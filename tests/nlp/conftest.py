from __future__ import annotations

from pathlib import Path

import pytest

from nlp.text import strip_dateline

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
SHARED_SEEDS = Path("/work/shared/seeds")
GOLD = Path(__file__).resolve().parents[2] / "nlp" / "data" / "gold" / "seeds.json"


def seed_dir() -> Path:
    return SEEDS_DIR if any(SEEDS_DIR.glob("*.txt")) else SHARED_SEEDS


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    files = sorted(seed_dir().glob("*.txt"))
    if not files:
        pytest.skip("seed articles not found")
    return {f.stem: strip_dateline(f.read_text(encoding="utf-8")) for f in files}

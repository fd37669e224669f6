from __future__ import annotations

import pytest

from nlp.text import strip_dateline
from tests.fixtures.paths import QUOTES_GOLD as GOLD
from tests.fixtures.paths import SEEDS_DIR

__all__ = ["GOLD"]


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    files = sorted(SEEDS_DIR.glob("*.txt"))
    assert len(files) == 5, f"the five seed articles are missing from {SEEDS_DIR}"
    return {f.stem: strip_dateline(f.read_text(encoding="utf-8")) for f in files}

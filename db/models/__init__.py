"""ORM models; importing this package registers every table on ``Base.metadata``."""

from db.models.access import ApiKey, IdempotencyRecord
from db.models.annotations import AnnotationRun, Entity, EntityAlias, Mention, Quote
from db.models.articles import (
    Article,
    ArticleLshBand,
    ArticleRevision,
    Outlet,
    Story,
    StoryGroupingQueue,
)
from db.models.base import Base
from db.models.claims import ArticleTopic, Claim, ClaimClusteringQueue, ClaimTopic, Topic

__all__ = [
    "AnnotationRun",
    "ApiKey",
    "Article",
    "ArticleLshBand",
    "ArticleRevision",
    "ArticleTopic",
    "Base",
    "Claim",
    "ClaimClusteringQueue",
    "ClaimTopic",
    "Entity",
    "EntityAlias",
    "IdempotencyRecord",
    "Mention",
    "Outlet",
    "Quote",
    "Story",
    "StoryGroupingQueue",
    "Topic",
]

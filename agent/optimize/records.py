"""Published posts with their metrics, as the optimization engine reads them.

A :class:`PostRecord` comes from a ``metric`` row: the text and posting time from the scheduled post and its
draft when the post was published through the studio, else from ``Metric.extra`` (imported CSV rows keep
``text``, ``posted_at``, ``hashtags``, ``has_media`` and, for competitors, ``competitor`` there).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from agent.models import Draft, Metric, ScheduledPost

MAX_RECORDS = 5000  # the most recent metric rows an analysis reads


@dataclass(frozen=True)
class PostRecord:
    platform: str
    text: str
    hashtags: tuple[str, ...] = ()
    has_media: bool = False
    posted_at: datetime | None = None  # tz-aware UTC
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None
    competitor: str | None = None
    metric_id: int | None = None
    post_id: int | None = None

    @property
    def interactions(self) -> int:
        return sum(v or 0 for v in (self.likes, self.comments, self.shares, self.saves, self.clicks))

    @property
    def engagement_rate(self) -> float | None:
        if not self.impressions or self.impressions <= 0:
            return None
        return self.interactions / self.impressions


@dataclass(frozen=True)
class Outcomes:
    """The measure used to compare posts: engagement rate when most posts report impressions, else the raw
    number of interactions. ``records`` are the posts that have that measure, in the same order as values."""

    kind: str  # "engagement rate" | "interactions"
    records: tuple[PostRecord, ...]
    values: tuple[float, ...]

    def fmt(self, value: float) -> str:
        return f"{value:.2%}" if self.kind == "engagement rate" else f"{value:,.0f}"


def outcomes(records: Sequence[PostRecord], kind: str | None = None) -> Outcomes:
    with_rate = [r for r in records if r.engagement_rate is not None]
    if kind is None:
        kind = "engagement rate" if records and len(with_rate) * 2 >= len(records) else "interactions"
    if kind == "engagement rate":
        return Outcomes(kind, tuple(with_rate), tuple(float(r.engagement_rate or 0.0) for r in with_rate))
    return Outcomes(kind, tuple(records), tuple(float(r.interactions) for r in records))


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3); a single value is all three."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, med, q3


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def record_from_metric(
    metric: Metric, post: ScheduledPost | None = None, draft: Draft | None = None
) -> PostRecord:
    extra = metric.extra or {}
    # what was published: the post's approved content, else its draft, else what an import recorded
    content = dict(getattr(post, "content", None) or {}) if post is not None else {}
    if content.get("text"):
        text = str(content["text"])
        hashtags = tuple(content.get("hashtags") or ())
        has_media = bool(content.get("media"))
    elif draft is not None:
        text, hashtags, has_media = draft.text, tuple(draft.hashtags), bool(draft.media)
    else:
        text = str(extra.get("text") or "")
        hashtags = tuple(extra.get("hashtags") or ())
        has_media = bool(extra.get("has_media"))
    posted = None
    if post is not None:
        posted = post.published_at or post.run_at
    posted = _aware(posted) or _aware(extra.get("posted_at"))
    return PostRecord(
        platform=metric.platform,
        text=text,
        hashtags=hashtags,
        has_media=has_media,
        posted_at=posted,
        impressions=metric.impressions,
        likes=metric.likes,
        comments=metric.comments,
        shares=metric.shares,
        saves=metric.saves,
        clicks=metric.clicks,
        competitor=extra.get("competitor") or None,
        metric_id=metric.id,
        post_id=metric.post_id,
    )


def load_records(
    session: Session,
    *,
    user_id: str,
    platform: str | None = None,
    competitor: str | None = None,
    include_competitors: bool = False,
) -> list[PostRecord]:
    """The user's posts with metrics (latest metric row per post), oldest first.

    ``competitor=None`` gives the user's own posts; a name gives that competitor's (case-insensitive)."""
    query = select(Metric).where(Metric.user_id == user_id)
    if platform:
        query = query.where(Metric.platform == platform)
    metrics = list(session.exec(query.order_by(col(Metric.id).desc()).limit(MAX_RECORDS)))
    post_ids = {m.post_id for m in metrics if m.post_id is not None}
    posts: dict[int, ScheduledPost] = {}
    drafts: dict[int, Draft] = {}
    if post_ids:
        found = session.exec(
            select(ScheduledPost).where(ScheduledPost.user_id == user_id, col(ScheduledPost.id).in_(post_ids))
        )
        posts = {p.id: p for p in found if p.id is not None}
        draft_ids = {p.draft_id for p in posts.values() if p.draft_id is not None}
        if draft_ids:
            found_drafts = session.exec(
                select(Draft).where(Draft.user_id == user_id, col(Draft.id).in_(draft_ids))
            )
            drafts = {d.id: d for d in found_drafts if d.id is not None}
    seen: set[Any] = set()
    out: list[PostRecord] = []
    for metric in metrics:  # newest first: the first row of a post is its latest reading
        extra = metric.extra or {}
        name = str(extra.get("competitor") or "")
        if competitor is None and name and not include_competitors:
            continue
        if competitor is not None and name.lower() != competitor.lower():
            continue
        key: Any = (
            ("post", metric.post_id)
            if metric.post_id is not None
            else ("ext", metric.platform, metric.external_id)
            if metric.external_id
            else ("key", extra.get("key"))
            if extra.get("key")
            else ("row", metric.id)
        )
        if key in seen:
            continue
        seen.add(key)
        post = posts.get(metric.post_id) if metric.post_id is not None else None
        draft = drafts.get(post.draft_id) if post is not None and post.draft_id is not None else None
        out.append(record_from_metric(metric, post, draft))
    out.sort(key=lambda r: (r.posted_at or datetime.min.replace(tzinfo=UTC), r.metric_id or 0))
    return out


def competitor_names(session: Session, *, user_id: str) -> list[str]:
    rows = session.exec(select(Metric.extra).where(Metric.user_id == user_id).limit(MAX_RECORDS))
    names = {str(extra.get("competitor")) for extra in rows if extra and extra.get("competitor")}
    return sorted(names, key=str.lower)

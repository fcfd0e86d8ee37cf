"""Published posts with their metrics read from the database, as the optimization engine takes them.

A :class:`~agent.content.optimize.records.PostRecord` comes from a ``metric`` row: the text and posting time
from the scheduled post and its draft when the post was published through the studio, else from
``Metric.extra`` (imported CSV rows keep ``text``, ``posted_at``, ``hashtags``, ``has_media`` and, for
competitors, ``competitor`` there).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from agent.content.optimize.records import PostRecord
from agent.core.models import Draft, Metric, ScheduledPost

MAX_RECORDS = 5000  # the most recent metric rows an analysis reads


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

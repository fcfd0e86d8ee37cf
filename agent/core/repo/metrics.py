"""Metrics of past posts (imported or collected), scoped to ``user_id``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import (
    Metric,
)
from agent.core.repo.base import now as _now
from agent.core.repo.base import owned

MAX_METRIC_ROWS_PER_USER = 50_000
_METRIC_FIELDS = ("impressions", "likes", "comments", "shares", "saves", "clicks")


def add_metric_rows(
    session: Session, *, user_id: str, rows: Sequence[dict[str, Any]]
) -> tuple[list[int], int]:
    """Store metrics of past posts (the user's own, or a competitor's marked by ``extra["competitor"]``).

    Each row: ``platform``, optional ``external_id``, the counts, ``extra`` (text, posted_at, hashtags…). A
    row whose ``extra["key"]`` is already stored for this user updates that row instead of adding a copy.
    Returns the ids of the rows written and how many of them were updates."""

    keys = [str(r["extra"]["key"]) for r in rows if (r.get("extra") or {}).get("key")]
    existing: dict[str, Metric] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(Metric).where(Metric.user_id == user_id, Metric.extra["key"].as_string().in_(chunk))
        existing.update({str(m.extra["key"]): m for m in session.exec(query)})
    new_rows = sum(1 for r in rows if (r.get("extra") or {}).get("key") not in existing)
    stored = int(
        session.exec(select(sa.func.count()).select_from(Metric).where(Metric.user_id == user_id)).one()
    )
    if stored + new_rows > MAX_METRIC_ROWS_PER_USER:
        raise InputError(
            f"You have {stored:,} metric rows; {new_rows:,} more would pass the cap of "
            f"{MAX_METRIC_ROWS_PER_USER:,}."
        )
    ids: list[int] = []
    updated = 0
    for row in rows:
        extra = dict(row.get("extra") or {})
        metric = existing.get(str(extra.get("key"))) if extra.get("key") else None
        if metric is None:
            metric = Metric(user_id=user_id, platform=row["platform"])
        else:
            updated += 1
        metric.platform = row["platform"]
        metric.external_id = row.get("external_id") or metric.external_id
        metric.post_id = row.get("post_id", metric.post_id)
        for name in _METRIC_FIELDS:
            setattr(metric, name, row.get(name))
        metric.extra = extra
        metric.collected_at = _now()
        session.add(metric)
        session.flush()
        assert metric.id is not None
        ids.append(metric.id)
    return ids, updated


def list_metric_rows(
    session: Session, *, user_id: str, platform: str | None = None, limit: int = 1000
) -> list[Any]:
    """The user's metric rows, newest first."""

    query = select(Metric).where(Metric.user_id == user_id)
    if platform:
        query = query.where(Metric.platform == platform)
    return list(session.exec(query.order_by(col(Metric.id).desc()).limit(limit)))


def get_metric_row(session: Session, *, user_id: str, metric_id: int) -> Any:
    return owned(session, Metric, metric_id, user_id=user_id, what="metrics")

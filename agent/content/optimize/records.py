"""Published posts with their metrics, as the optimization engine reads them.

Pure: :mod:`agent.services.records` builds the records from ``metric`` rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


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

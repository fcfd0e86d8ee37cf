"""Analytics of the user's published posts: engagement over time per platform, a day × hour table of the
account's results next to the prior ``best_time`` starts from, and the top posts.

Pure aggregation over :class:`agent.optimize.records.PostRecord` (latest metrics per post, the user's own
posts only, competitors excluded); the web studio draws the charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from agent.content.optimize.records import PostRecord, outcomes
from agent.content.optimize.timing import DAY_NAMES, local_slot, prior_grid
from agent.core.timeparse import zone
from agent.services.records import load_records
from prompts.platforms import rule

TOP_POSTS = 5
PREVIEW_CHARS = 90
Grid = tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class Point:
    day: date  # local date of the posts
    value: float  # mean outcome of that day's posts
    posts: int


@dataclass(frozen=True)
class TopPost:
    platform: str
    posted_local: datetime | None
    value: float
    preview: str
    metric_id: int | None
    post_id: int | None


@dataclass(frozen=True)
class Analytics:
    timezone: str
    measure: str  # "engagement rate" | "interactions"
    posts: int
    series: dict[str, tuple[Point, ...]]  # per platform, oldest day first
    heatmap: Grid  # 7 × 24, Monday first: mean outcome of the account's posts in that local slot
    heatmap_counts: tuple[tuple[int, ...], ...]
    prior_platform: str
    prior: tuple[tuple[float, ...], ...]  # 7 × 24 prior of best_time for prior_platform (0..1)
    top: tuple[TopPost, ...]

    def fmt(self, value: float) -> str:
        return f"{value:.2%}" if self.measure == "engagement rate" else f"{value:,.0f}"

    @property
    def day_names(self) -> tuple[str, ...]:
        return DAY_NAMES


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1].rstrip() + "…"


def _main_platform(records: Sequence[PostRecord], fallback: str) -> str:
    counts: dict[str, int] = {}
    for r in records:
        counts[r.platform] = counts.get(r.platform, 0) + 1
    if not counts:
        return rule(fallback).name
    return max(sorted(counts), key=lambda p: counts[p])


def aggregate(
    records: Sequence[PostRecord],
    *,
    timezone: str,
    platform: str | None = None,
    top: int = TOP_POSTS,
) -> Analytics:
    """Aggregate the user's own posts (competitors' rows are left out) in ``timezone``.

    One measure for everything: the engagement rate when most posts report impressions, else interactions.
    ``platform`` picks the prior shown beside the heatmap (default: the platform with most posts).
    """
    tz = zone(timezone)
    own = [r for r in records if r.competitor is None and (platform is None or r.platform == platform)]
    outs = outcomes(own)
    per_day: dict[str, dict[date, list[float]]] = {}
    sums = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    ranked: list[TopPost] = []
    for record, value in zip(outs.records, outs.values, strict=True):
        local = record.posted_at.astimezone(tz) if record.posted_at is not None else None
        if local is not None:
            per_day.setdefault(record.platform, {}).setdefault(local.date(), []).append(value)
            d, h = local_slot(local, tz)
            sums[d][h] += value
            counts[d][h] += 1
        ranked.append(
            TopPost(
                platform=record.platform,
                posted_local=local,
                value=value,
                preview=_preview(record.text),
                metric_id=record.metric_id,
                post_id=record.post_id,
            )
        )
    series = {
        p: tuple(Point(day=d, value=sum(v) / len(v), posts=len(v)) for d, v in sorted(days.items()))
        for p, days in sorted(per_day.items())
    }
    heat: Grid = tuple(
        tuple(sums[d][h] / counts[d][h] if counts[d][h] else None for h in range(24)) for d in range(7)
    )
    prior_name = rule(platform).name if platform else _main_platform(own, "instagram")
    ranked.sort(key=lambda t: (-t.value, t.metric_id or 0))
    return Analytics(
        timezone=timezone,
        measure=outs.kind,
        posts=len(outs.records),
        series=series,
        heatmap=heat,
        heatmap_counts=tuple(tuple(row) for row in counts),
        prior_platform=prior_name,
        prior=prior_grid(prior_name),
        top=tuple(ranked[: max(0, top)]),
    )


def load_analytics(
    session: Session, *, user_id: str, timezone: str, platform: str | None = None
) -> Analytics:
    """The user's analytics (their own metric rows only)."""
    name = rule(platform).name if platform else None
    records = load_records(session, user_id=user_id, platform=name)
    return aggregate(records, timezone=timezone, platform=name)

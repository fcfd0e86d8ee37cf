"""Analytics aggregation (engagement over time, day × hour next to the prior, top posts) and its charts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.content.optimize.records import PostRecord
from agent.content.optimize.timing import prior_grid
from agent.core import repo
from agent.core.db import session_scope
from agent.services.views.analytics import aggregate, load_analytics
from ui.web.charts import analytics_figures, analytics_summary

NY = "America/New_York"


def rec(platform: str, at: datetime, likes: int, impressions: int | None = 1000, **kw: Any) -> PostRecord:
    return PostRecord(
        platform=platform,
        text=f"{platform} post {likes}",
        posted_at=at,
        impressions=impressions,
        likes=likes,
        **kw,
    )


def test_series_heatmap_and_top_posts_in_the_users_timezone() -> None:
    records = [
        rec("instagram", datetime(2026, 6, 9, 23, 0, tzinfo=UTC), 50),  # Tue 19:00 in New York
        rec("instagram", datetime(2026, 6, 9, 13, 0, tzinfo=UTC), 10),  # Tue 09:00
        rec("instagram", datetime(2026, 6, 16, 23, 30, tzinfo=UTC), 30),  # Tue 19:30
        rec("linkedin", datetime(2026, 6, 10, 14, 0, tzinfo=UTC), 20),  # Wed 10:00
        rec("instagram", datetime(2026, 6, 10, 14, 0, tzinfo=UTC), 999, competitor="rival"),  # left out
    ]
    data = aggregate(records, timezone=NY)
    assert data.measure == "engagement rate" and data.posts == 4
    assert set(data.series) == {"instagram", "linkedin"}
    ig = data.series["instagram"]
    assert [(p.day.isoformat(), p.posts) for p in ig] == [("2026-06-09", 2), ("2026-06-16", 1)]
    assert abs(ig[0].value - 0.03) < 1e-9  # (5% + 1%) / 2 on the local day
    assert data.heatmap[1][19] is not None and abs(data.heatmap[1][19] - 0.04) < 1e-9  # 5% and 3%
    assert data.heatmap_counts[1][19] == 2 and data.heatmap_counts[1][9] == 1
    assert data.heatmap[2][10] == 0.02 and data.heatmap[0][0] is None
    assert [round(t.value, 3) for t in data.top] == [0.05, 0.03, 0.02, 0.01]
    assert data.top[0].posted_local is not None and data.top[0].posted_local.hour == 19
    assert data.prior_platform == "instagram"  # the platform with most posts
    assert data.prior == prior_grid("instagram")
    assert data.fmt(0.05) == "5.00%"


def test_interactions_when_impressions_are_missing_and_a_platform_filter() -> None:
    records = [rec("x", datetime(2026, 6, 9, 12, tzinfo=UTC), n, impressions=None) for n in (3, 7)]
    records.append(rec("linkedin", datetime(2026, 6, 9, 12, tzinfo=UTC), 100))
    data = aggregate(records, timezone="UTC", platform="x", top=1)
    assert data.measure == "interactions" and data.posts == 2
    assert list(data.series) == ["x"] and data.series["x"][0].value == 5.0
    assert [t.value for t in data.top] == [7.0]
    assert data.prior_platform == "x" and data.fmt(1234) == "1,234"


def test_no_metrics_still_shows_the_prior() -> None:
    data = aggregate([], timezone="UTC")
    assert data.posts == 0 and data.series == {} and data.top == ()
    assert all(v is None for row in data.heatmap for v in row)
    names = [name for name, _ in analytics_figures(data)]
    assert names == ["best-hours"]
    assert "No metrics of your posts yet" in analytics_summary(data)


def test_charts_carry_one_trace_per_platform_and_both_heatmaps() -> None:
    records = [
        rec("instagram", datetime(2026, 6, 9, 12, tzinfo=UTC), 10),
        rec("linkedin", datetime(2026, 6, 10, 12, tzinfo=UTC), 40),
    ]
    figures = dict(analytics_figures(aggregate(records, timezone="UTC")))
    assert list(figures) == ["engagement", "best-hours", "top-posts"]
    assert sorted(t.name for t in figures["engagement"].data) == ["Instagram", "LinkedIn"]
    heat = figures["best-hours"].data
    assert [t.type for t in heat] == ["heatmap", "heatmap"]
    assert len(heat[0].z) == 7 and len(heat[0].z[0]) == 24
    assert list(heat[1].z[0]) == list(prior_grid("instagram")[0])
    assert figures["top-posts"].data[0].x[-1] == 0.04  # best last: plotted top of a horizontal bar chart


def test_load_analytics_reads_only_the_users_own_metrics(engine: Any, user_id: str) -> None:
    with session_scope(engine) as session:
        other = repo.create_user(session, email="rival@example.com", password="rival-pass-1").id
        for who, likes in ((user_id, 12), (other, 99)):
            repo.add_metric_rows(
                session,
                user_id=who,
                rows=[
                    {
                        "platform": "instagram",
                        "impressions": 100,
                        "likes": likes,
                        "extra": {"key": f"k-{who}", "text": "hi", "posted_at": "2026-06-09T12:00:00+00:00"},
                    }
                ],
            )
    with session_scope(engine) as session:
        data = load_analytics(session, user_id=user_id, timezone="UTC")
    assert data.posts == 1 and [round(t.value, 2) for t in data.top] == [0.12]

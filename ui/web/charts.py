"""Plotly figures for the analytics panel: pure functions of :class:`agent.analytics.Analytics`."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from agent.services.views.analytics import Analytics
from prompts.platforms import rule

HOURS = [f"{h:02d}" for h in range(24)]


def engagement_figure(data: Analytics) -> go.Figure:
    fig = go.Figure()
    for platform, points in data.series.items():
        fig.add_trace(
            go.Scatter(
                x=[p.day.isoformat() for p in points],
                y=[p.value for p in points],
                mode="lines+markers",
                name=rule(platform).label,
                customdata=[p.posts for p in points],
                hovertemplate="%{x}: %{y}<br>%{customdata} post(s)<extra></extra>",
            )
        )
    fig.update_layout(
        title=f"{data.measure.capitalize()} over time ({data.timezone})",
        xaxis_title="day",
        yaxis_title=data.measure,
        yaxis_tickformat=".1%" if data.measure == "engagement rate" else ",",
        height=360,
    )
    return fig


def heatmap_figure(data: Analytics) -> go.Figure:
    label = rule(data.prior_platform).label
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(f"Your posts ({data.measure})", f"Prior used by best time ({label})"),
        horizontal_spacing=0.08,
    )
    days = list(data.day_names)
    fig.add_trace(
        go.Heatmap(
            z=[list(row) for row in data.heatmap],
            x=HOURS,
            y=days,
            colorscale="Blues",
            showscale=False,
            hoverongaps=False,
            customdata=[list(row) for row in data.heatmap_counts],
            hovertemplate="%{y} %{x}:00 — %{z} (%{customdata} posts)<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(
            z=[list(row) for row in data.prior],
            x=HOURS,
            y=days,
            colorscale="Oranges",
            showscale=False,
            hovertemplate="%{y} %{x}:00 — %{z:.2f}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=f"Day × hour in {data.timezone}", height=380)
    return fig


def top_posts_figure(data: Analytics) -> go.Figure:
    rows = list(data.top)
    fig = go.Figure(
        go.Bar(
            x=[t.value for t in rows][::-1],
            y=[f"{rule(t.platform).label}: {t.preview[:40]}" for t in rows][::-1],
            orientation="h",
            hovertext=[t.preview for t in rows][::-1],
        )
    )
    fig.update_layout(
        title=f"Top posts by {data.measure}",
        xaxis_tickformat=".1%" if data.measure == "engagement rate" else ",",
        height=120 + 40 * max(1, len(rows)),
        margin={"l": 320},
    )
    return fig


def analytics_figures(data: Analytics) -> list[tuple[str, go.Figure]]:
    """(name, figure) to show: the prior heatmap always; the account's charts once it has metrics."""
    figures = [("best-hours", heatmap_figure(data))]
    if data.posts:
        figures.insert(0, ("engagement", engagement_figure(data)))
        figures.append(("top-posts", top_posts_figure(data)))
    return figures


def analytics_summary(data: Analytics) -> str:
    if not data.posts:
        return (
            "### Analytics\n\nNo metrics of your posts yet: they are collected after publishing, or paste a "
            "CSV export (“here are my metrics: …”). Meanwhile, the hours `best_time` starts from:"
        )
    lines = [
        "### Analytics",
        "",
        f"{data.posts} post(s) with metrics, measured by {data.measure}, times in {data.timezone}.",
    ]
    if data.top:
        best = data.top[0]
        lines.append(f"Best: {rule(best.platform).label} — {data.fmt(best.value)} — “{best.preview}”")
    return "\n".join(lines)

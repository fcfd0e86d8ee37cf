"""The publishing calendar: the user's scheduled and published posts grouped by local day, for a week or a
month, in the user's timezone (brand profile). Pure grouping over ``scheduled_post`` rows; the web studio
renders it.
"""

from __future__ import annotations

import calendar as stdcal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import PostState, ScheduledPost
from agent.core.timeparse import zone

# posts shown on a calendar: queued, being sent, sent, or needing attention
CALENDAR_STATES = (
    PostState.SCHEDULED,
    PostState.PUBLISHING,
    PostState.PUBLISHED,
    PostState.UNCONFIRMED,
    PostState.FAILED,
)
CANCELLABLE = frozenset({PostState.SCHEDULED, PostState.UNCONFIRMED, PostState.FAILED})
RESCHEDULABLE = frozenset({PostState.SCHEDULED, PostState.UNCONFIRMED, PostState.FAILED})
MAX_POSTS = 500  # per calendar page
PREVIEW_CHARS = 80


class View(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Entry:
    post_id: int
    draft_id: int | None
    platform: str
    state: str
    at_utc: datetime
    local: datetime  # the post's time on the user's wall clock
    preview: str
    external_url: str | None = None

    @property
    def time_label(self) -> str:
        return f"{self.local:%H:%M}"

    @property
    def can_cancel(self) -> bool:
        return PostState(self.state) in CANCELLABLE

    @property
    def can_reschedule(self) -> bool:
        return PostState(self.state) in RESCHEDULABLE


@dataclass(frozen=True)
class Day:
    day: date
    entries: tuple[Entry, ...]
    in_range: bool = True  # False: a day of the previous/next month that fills the month grid


@dataclass(frozen=True)
class Calendar:
    view: View
    timezone: str
    start: date  # first day shown (inclusive)
    end: date  # last day shown (inclusive)
    anchor: date  # the day the page was asked for
    weeks: tuple[tuple[Day, ...], ...]
    title: str
    entries: tuple[Entry, ...] = field(default_factory=tuple)

    @property
    def previous_anchor(self) -> date:
        if self.view is View.WEEK:
            return self.anchor - timedelta(days=7)
        first = self.anchor.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1)

    @property
    def next_anchor(self) -> date:
        if self.view is View.WEEK:
            return self.anchor + timedelta(days=7)
        last = stdcal.monthrange(self.anchor.year, self.anchor.month)[1]
        return self.anchor.replace(day=last) + timedelta(days=1)


def _range(view: View, anchor: date) -> tuple[date, date, date, date]:
    """(first shown, last shown, first in range, last in range): a week Monday-Sunday; a month padded to
    whole weeks."""
    if view is View.WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        end = start + timedelta(days=6)
        return start, end, start, end
    first = anchor.replace(day=1)
    last = anchor.replace(day=stdcal.monthrange(anchor.year, anchor.month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    return start, end, first, last


def _bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at ``start`` and after ``end``."""
    lo = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return lo, hi


def _when(post: ScheduledPost) -> datetime | None:
    """The moment a post belongs on the calendar: when it went out, else when it is due."""
    if post.state == PostState.PUBLISHED.value and post.published_at is not None:
        return post.published_at
    return post.run_at


def _preview(post: ScheduledPost) -> str:
    text = " ".join(str((post.content or {}).get("text") or "").split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


def group(
    posts: Sequence[ScheduledPost],
    *,
    view: View | str,
    anchor: date,
    timezone: str,
) -> Calendar:
    """Arrange posts on a week or month page around ``anchor`` (a local date) in ``timezone``."""
    view = View(view)
    tz = zone(timezone)
    start, end, first, last = _range(view, anchor)
    lo, hi = _bounds(start, end, tz)
    by_day: dict[date, list[Entry]] = {}
    entries: list[Entry] = []
    for post in posts:
        at = _when(post)
        if at is None or post.id is None or post.state not in {s.value for s in CALENDAR_STATES}:
            continue
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        if not lo <= at < hi:
            continue
        local = at.astimezone(tz)
        entry = Entry(
            post_id=post.id,
            draft_id=post.draft_id,
            platform=post.platform,
            state=post.state,
            at_utc=at.astimezone(UTC),
            local=local,
            preview=_preview(post),
            external_url=post.external_url,
        )
        by_day.setdefault(local.date(), []).append(entry)
        entries.append(entry)
    weeks: list[tuple[Day, ...]] = []
    day = start
    while day <= end:
        week = []
        for _ in range(7):
            items = sorted(by_day.get(day, []), key=lambda e: (e.at_utc, e.post_id))
            week.append(Day(day=day, entries=tuple(items), in_range=first <= day <= last))
            day += timedelta(days=1)
        weeks.append(tuple(week))
    if view is View.WEEK:
        title = f"Week of {start:%a %d %b %Y} – {end:%a %d %b %Y} ({timezone})"
    else:
        title = f"{anchor:%B %Y} ({timezone})"
    entries.sort(key=lambda e: (e.at_utc, e.post_id))
    return Calendar(
        view=view,
        timezone=timezone,
        start=start,
        end=end,
        anchor=anchor,
        weeks=tuple(weeks),
        title=title,
        entries=tuple(entries),
    )


def load_calendar(
    session: Session,
    *,
    user_id: str,
    view: View | str = View.WEEK,
    anchor: date | None = None,
    timezone: str = "UTC",
    now: datetime | None = None,
) -> Calendar:
    """The user's calendar page (only their own posts). ``anchor`` defaults to today in ``timezone``."""
    tz = zone(timezone)
    anchor = anchor or (now or datetime.now(UTC)).astimezone(tz).date()
    start, end, _, _ = _range(View(view), anchor)
    lo, hi = _bounds(start, end, tz)
    states = [s.value for s in CALENDAR_STATES]
    due = (
        select(ScheduledPost)
        .where(
            ScheduledPost.user_id == user_id,
            col(ScheduledPost.state).in_(states),
            col(ScheduledPost.run_at) >= lo,
            col(ScheduledPost.run_at) < hi,
        )
        .limit(MAX_POSTS)
    )
    sent = (
        select(ScheduledPost)
        .where(
            ScheduledPost.user_id == user_id,
            ScheduledPost.state == PostState.PUBLISHED.value,
            col(ScheduledPost.published_at) >= lo,
            col(ScheduledPost.published_at) < hi,
        )
        .limit(MAX_POSTS)
    )
    posts = {p.id: p for p in session.exec(due)}
    posts.update({p.id: p for p in session.exec(sent)})
    return group(list(posts.values()), view=view, anchor=anchor, timezone=timezone)


def parse_anchor(value: str | None) -> date | None:
    """A calendar page's anchor from an action payload (``YYYY-MM-DD``); None when absent."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD).") from None

"""The publishing calendar: posts grouped by local day (DST-correct), week and month pages, owner only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.models import PostState, ScheduledPost
from agent.services.views.calendar import View, group, load_calendar, parse_anchor

NY = "America/New_York"


def post(
    post_id: int, at: datetime, state: str = "scheduled", *, published_at: datetime | None = None
) -> ScheduledPost:
    return ScheduledPost(
        id=post_id,
        user_id="u",
        platform="instagram",
        state=state,
        run_at=at,
        published_at=published_at,
        content={"text": f"post {post_id} " + "word " * 40},
    )


def test_a_week_lists_posts_on_their_local_day_and_time() -> None:
    # 01:30 UTC on Wednesday is 21:30 on Tuesday in New York (EDT, UTC-4)
    cal = group(
        [post(1, datetime(2026, 6, 10, 1, 30, tzinfo=UTC)), post(2, datetime(2026, 6, 9, 13, 0, tzinfo=UTC))],
        view="week",
        anchor=date(2026, 6, 10),
        timezone=NY,
    )
    assert cal.start == date(2026, 6, 8) and cal.end == date(2026, 6, 14)  # Monday to Sunday
    assert len(cal.weeks) == 1 and len(cal.weeks[0]) == 7
    tuesday = cal.weeks[0][1]
    assert tuesday.day == date(2026, 6, 9)
    assert [(e.post_id, e.time_label) for e in tuesday.entries] == [(2, "09:00"), (1, "21:30")]
    assert cal.weeks[0][2].entries == ()
    assert cal.entries[0].preview.endswith("…") and len(cal.entries[0].preview) <= 80


def test_the_same_utc_hour_is_a_different_local_hour_across_dst() -> None:
    winter = post(1, datetime(2026, 1, 14, 14, 0, tzinfo=UTC))
    summer = post(2, datetime(2026, 7, 15, 14, 0, tzinfo=UTC))
    assert (
        group([winter], view="week", anchor=date(2026, 1, 14), timezone=NY).entries[0].time_label == "09:00"
    )
    assert (
        group([summer], view="week", anchor=date(2026, 7, 15), timezone=NY).entries[0].time_label == "10:00"
    )


def test_a_month_is_padded_to_whole_weeks_and_pages_to_its_neighbours() -> None:
    cal = group(
        [post(1, datetime(2026, 2, 27, 12, 0, tzinfo=UTC)), post(2, datetime(2026, 3, 2, 12, 0, tzinfo=UTC))],
        view=View.MONTH,
        anchor=date(2026, 2, 14),
        timezone="UTC",
    )
    assert cal.start == date(2026, 1, 26) and cal.end == date(2026, 3, 1)  # Mon 26 Jan .. Sun 1 Mar
    assert all(len(week) == 7 for week in cal.weeks) and len(cal.weeks) == 5
    assert [e.post_id for e in cal.entries] == [1]  # 2 March is outside the page
    assert not cal.weeks[0][0].in_range and cal.weeks[0][6].in_range
    assert cal.previous_anchor == date(2026, 1, 1) and cal.next_anchor == date(2026, 3, 1)
    assert cal.title == "February 2026 (UTC)"


def test_published_posts_sit_at_their_publishing_time_and_cancelled_ones_are_left_out() -> None:
    cal = group(
        [
            post(
                1,
                datetime(2026, 6, 8, 9, 0, tzinfo=UTC),
                "published",
                published_at=datetime(2026, 6, 9, 10, 5, tzinfo=UTC),
            ),
            post(2, datetime(2026, 6, 9, 11, 0, tzinfo=UTC), "cancelled"),
            post(3, datetime(2026, 6, 9, 12, 0, tzinfo=UTC), "failed"),
        ],
        view="week",
        anchor=date(2026, 6, 9),
        timezone="UTC",
    )
    assert [(e.post_id, e.local.day, e.time_label) for e in cal.entries] == [(1, 9, "10:05"), (3, 9, "12:00")]
    published, failed = cal.entries
    assert not published.can_cancel and not published.can_reschedule
    assert failed.can_cancel and failed.can_reschedule


def test_bad_timezone_view_and_anchor_are_refused_with_a_message() -> None:
    with pytest.raises(InputError, match="Unknown timezone"):
        group([], view="week", anchor=date(2026, 6, 9), timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        group([], view="year", anchor=date(2026, 6, 9), timezone="UTC")
    with pytest.raises(InputError, match="not a date"):
        parse_anchor("next tuesday")
    assert parse_anchor("2026-06-09") == date(2026, 6, 9)
    assert parse_anchor(None) is None


def test_load_calendar_shows_only_the_users_own_posts(engine: Any, user_id: str) -> None:
    at = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        other = repo.create_user(session, email="other@example.com", password="other-pass-1").id
        ids = {}
        for who in (user_id, other):
            draft = repo.create_draft(session, user_id=who, platform="linkedin", text=f"by {who}")
            ids[who] = sched.schedule_draft(
                session, user_id=who, draft_id=draft.id, run_at=at, timezone=NY
            ).id
        cancelled = repo.create_draft(session, user_id=user_id, platform="x", text="gone")
        gone = sched.schedule_draft(session, user_id=user_id, draft_id=cancelled.id, run_at=at)
        sched.cancel_post(session, user_id=user_id, post_id=gone.id)
    with session_scope(engine) as session:
        mine = load_calendar(session, user_id=user_id, view="week", anchor=date(2026, 6, 10), timezone=NY)
        theirs = load_calendar(session, user_id=other, view="month", anchor=date(2026, 6, 1), timezone="UTC")
        empty = load_calendar(session, user_id=user_id, view="week", anchor=date(2026, 6, 17), timezone=NY)
    assert [(e.post_id, e.time_label, e.state) for e in mine.entries] == [
        (ids[user_id], "14:00", "scheduled")
    ]
    assert [e.post_id for e in theirs.entries] == [ids[other]]
    assert empty.entries == ()
    assert PostState(mine.entries[0].state) is PostState.SCHEDULED

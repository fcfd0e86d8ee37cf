"""best_time: a cited population prior, slots in the user's zone, DST-correct, learning from the account."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.content.optimize.records import PostRecord
from agent.content.optimize.timing import (
    best_time,
    local_slot,
    next_occurrence,
    prior_grid,
    slot_rank,
    sources_for,
)
from prompts.platforms import platform_names

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize("platform", platform_names())
def test_every_platform_has_a_cited_prior(platform: str) -> None:
    grid = prior_grid(platform)
    assert len(grid) == 7 and all(len(row) == 24 for row in grid)
    assert max(max(row) for row in grid) == pytest.approx(1.0)
    assert min(min(row) for row in grid) > 0
    sources, proxy = sources_for(platform)
    studies = [s for s in sources if s["url"]]
    assert studies and all(s["title"] and s["url"].startswith("https://") for s in studies)
    assert any("Sprout Social" in s["title"] for s in studies)
    assert (proxy is not None) == (platform in {"threads", "bluesky", "mastodon", "youtube"})


def test_the_prior_encodes_the_studies() -> None:
    linkedin = prior_grid("linkedin")
    assert linkedin[1][10] > linkedin[6][10]  # Sprout 2023: Tuesday 10-12 beats Sunday
    tiktok = prior_grid("tiktok")
    assert tiktok[2][15] > tiktok[2][9]  # TikTok: afternoons
    assert prior_grid("facebook")[0][3] < 0.2  # nights are quiet


def test_without_data_the_top_slots_are_the_priors_in_the_users_zone() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    result = best_time("instagram", "Asia/Tokyo", now=now)
    grid = prior_grid("instagram")
    assert result.slots[0].score == pytest.approx(1.0)
    assert grid[result.slots[0].weekday][result.slots[0].hour] == pytest.approx(1.0)
    for slot in result.slots:
        assert slot.next_local.tzinfo == ZoneInfo("Asia/Tokyo")
        assert (slot.next_local.weekday(), slot.next_local.hour) == (slot.weekday, slot.hour)
        assert slot.next_local > now and slot.next_utc == slot.next_local.astimezone(UTC)
    assert result.posts_used == 0 and result.account_weight == 0


def test_next_slot_is_correct_across_daylight_saving_time() -> None:
    # New York moves to EDT on Sunday 2026-03-08: Monday 09:00 is 14:00 UTC before, 13:00 UTC after
    before = next_occurrence(0, 9, NY, datetime(2026, 2, 27, 12, tzinfo=UTC))
    after = next_occurrence(0, 9, NY, datetime(2026, 3, 6, 12, tzinfo=UTC))
    assert before.astimezone(UTC) == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert (before.hour, after.hour) == (9, 9)
    # 02:30 does not exist on 2026-03-08 in New York: the slot moves to the first valid time after the gap
    gap = next_occurrence(6, 2, NY, datetime(2026, 3, 7, 12, tzinfo=UTC))
    assert gap.date().isoformat() == "2026-03-08" and gap.hour == 3
    assert gap.astimezone(UTC) == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_posts_are_placed_in_local_time_in_winter_and_summer() -> None:
    winter = datetime(2026, 1, 14, 2, tzinfo=UTC)  # Tuesday 21:00 EST
    summer = datetime(2026, 7, 15, 1, tzinfo=UTC)  # Tuesday 21:00 EDT
    assert local_slot(winter, NY) == local_slot(summer, NY) == (1, 21)


def _evening_account(n: int, seed: int = 3, tz: str = "Europe/Berlin") -> list[PostRecord]:
    """A simulated account whose audience engages most at 21:00 local time, all year round."""
    rng = random.Random(seed)
    zone = ZoneInfo(tz)
    start = datetime(2026, 1, 2, tzinfo=zone)
    posts = []
    for i in range(n):
        day = start + timedelta(days=(i * 5) % 360)
        hour = rng.randint(7, 23)
        local = day.replace(hour=hour)
        rate = 0.02 * math.exp(1.5 * math.exp(-(((hour - 21) / 1.5) ** 2)) + rng.gauss(0, 0.15))
        posts.append(
            PostRecord(
                platform="instagram",
                text="post",
                posted_at=local.astimezone(UTC),
                impressions=1000,
                likes=round(1000 * rate),
            )
        )
    return posts


def test_best_time_shifts_toward_the_accounts_own_data_as_metrics_accumulate() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    ranks = []
    weights = []
    for n in (0, 8, 40, 200):
        result = best_time("instagram", "Europe/Berlin", _evening_account(n), now=now)
        ranks.append(slot_rank(result.table, 2, 21))  # Wednesday 21:00
        weights.append(result.account_weight)
        assert result.posts_used == n
    assert ranks == sorted(ranks) and ranks[-1] > ranks[0]
    assert weights == sorted(weights) and weights[0] == 0 and weights[-1] > 0.5
    final = best_time("instagram", "Europe/Berlin", _evening_account(200), now=now)
    assert all(20 <= s.hour <= 22 for s in final.slots)
    assert "200 of your own posts" in final.notes[-1]


def test_competitor_posts_and_other_platforms_do_not_move_the_users_best_time() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    theirs = [PostRecord(**{**p.__dict__, "competitor": "Rival"}) for p in _evening_account(100)]
    other = [PostRecord(**{**p.__dict__, "platform": "x"}) for p in _evening_account(100)]
    assert best_time("instagram", "Europe/Berlin", theirs + other, now=now).posts_used == 0


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown timezone"):
        best_time("instagram", "Mars/Olympus")

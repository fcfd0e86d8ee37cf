"""``best_time``: the top posting slots in the user's time zone.

1. **Prior**: a day × hour grid per platform built from published studies (``prompts/posting_times.toml``,
   which cites them), in the audience's local time.
2. **The account's own data**: each published post's engagement relative to the account's average, placed
   in its local day × hour (converted with zoneinfo, so a 9:00 post is a 9:00 post in summer and winter),
   spread a little to the neighbouring hours and to the same hour on other days.
3. **Shrinkage**: per slot, ``(k · prior + n · observed) / (k + n)`` with ``n`` the slot's (kernel-weighted)
   number of posts — the prior rules with no data and the account's own pattern takes over as posts
   accumulate.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import prompts
from agent.content.optimize.records import PostRecord, outcomes
from prompts.platforms import rule

TIMES_FILE = Path(prompts.__file__).parent / "posting_times.toml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PRIOR_STRENGTH = 3.0  # pseudo-posts per slot: how many posts of the account outweigh the prior in a slot
# how one post informs other slots: same slot, +-1 hour same day, same hour other days, +-1 hour other days
KERNEL = (1.0, 0.5, 0.25, 0.1)

Grid = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    hour: int
    score: float  # 0..1, the best slot is 1
    prior: float  # the population prior alone, 0..1
    observed: float | None  # the account's engagement here relative to its average (None: no data nearby)
    evidence: float  # kernel-weighted number of the account's posts informing this slot
    next_local: datetime
    next_utc: datetime

    @property
    def label(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.hour:02d}:00"

    def as_dict(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "day": DAY_NAMES[self.weekday],
            "hour": self.hour,
            "label": self.label,
            "score": round(self.score, 3),
            "prior": round(self.prior, 3),
            "observed": None if self.observed is None else round(self.observed, 3),
            "evidence": round(self.evidence, 2),
            "next_local": self.next_local.isoformat(),
            "next_utc": self.next_utc.isoformat(),
        }


@dataclass(frozen=True)
class BestTime:
    platform: str
    timezone: str
    slots: tuple[Slot, ...]
    table: Grid  # the blended 7x24 table (0..1), usable as score_post's time_table
    posts_used: int
    account_weight: float  # share of the ranking that comes from the account's own data, 0..1
    sources: tuple[dict[str, str], ...]
    proxy: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "timezone": self.timezone,
            "slots": [s.as_dict() for s in self.slots],
            "posts_used": self.posts_used,
            "account_weight": round(self.account_weight, 3),
            "sources": list(self.sources),
            "proxy": self.proxy,
            "notes": list(self.notes),
        }


@cache
def _data() -> dict[str, Any]:
    return tomllib.loads(TIMES_FILE.read_text(encoding="utf-8"))


def _platform_entry(platform: str) -> tuple[str, dict[str, Any], str | None]:
    name = rule(platform).name
    data = _data()
    entry = data.get(name, {})
    proxy = entry.get("proxy")
    if proxy:
        return name, data[proxy], str(proxy)
    return name, entry, None


@cache
def prior_grid(platform: str) -> Grid:
    """The population prior for a platform: 7 rows (Monday first) of 24 hourly values, best slot = 1.0."""
    _, entry, _ = _platform_entry(platform)
    base = _data()["base"]
    hours: list[float] = [float(x) for x in entry.get("hours", base["hours"])]
    day_factor = {**base["days"], **entry.get("days", {})}
    grid = [[hours[h] * float(day_factor[DAYS[d]]) for h in range(24)] for d in range(7)]
    for window in entry.get("windows", []):
        for day in window["days"]:
            d = DAYS.index(day)
            for h in range(int(window["from"]), int(window["to"])):
                grid[d][h % 24] += float(window["strength"])
    top = max(max(row) for row in grid)
    return tuple(tuple(v / top for v in row) for row in grid)


def sources_for(platform: str) -> tuple[tuple[dict[str, str], ...], str | None]:
    """The studies behind a platform's prior (title and address), and the proxy platform if it borrows one."""
    _, entry, proxy = _platform_entry(platform)
    keys = list(dict.fromkeys(w["source"] for w in entry.get("windows", [])))
    keys.append("shape")
    src = _data()["sources"]
    return tuple({"id": k, "title": src[k]["title"], "url": src[k].get("url", "")} for k in keys), proxy


def zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown timezone {timezone!r} (use e.g. Europe/Berlin).") from None


def local_slot(when: datetime, tz: ZoneInfo) -> tuple[int, int]:
    """(weekday, hour) of an instant on the wall clock of ``tz`` (DST-aware)."""
    local = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(tz)
    return local.weekday(), local.hour


def next_occurrence(weekday: int, hour: int, tz: ZoneInfo, now: datetime) -> datetime:
    """The next local ``weekday hour:00`` after ``now``; a wall time skipped by a DST change moves to the
    first valid time after the gap (e.g. 02:00 -> 03:00 on the spring-forward night)."""
    local_now = now.astimezone(tz)
    day = local_now.date()
    for offset in range(0, 15):
        d = day + timedelta(days=offset)
        if d.weekday() != weekday:
            continue
        candidate = datetime(d.year, d.month, d.day, hour, tzinfo=tz)
        real = candidate.astimezone(UTC).astimezone(tz)  # normalizes a non-existent wall time
        if real > local_now:
            return real
    raise AssertionError("unreachable: a weekday recurs within 14 days")


def blend(
    platform: str, timezone: str, posts: Sequence[PostRecord], k: float = PRIOR_STRENGTH
) -> tuple[Grid, list[list[float]], list[list[float | None]], int]:
    """The blended table (0..1), the evidence per slot, the observed lift per slot, and the posts used."""
    prior = prior_grid(platform)
    tz = zone(timezone)
    timed = [p for p in posts if p.posted_at is not None and p.competitor is None]
    outs = outcomes(timed)
    values = list(outs.values)
    mean = sum(values) / len(values) if values else 0.0
    weight = [[0.0] * 24 for _ in range(7)]
    lift_sum = [[0.0] * 24 for _ in range(7)]
    used = 0
    if mean > 0:
        for record, value in zip(outs.records, values, strict=True):
            assert record.posted_at is not None
            d0, h0 = local_slot(record.posted_at, tz)
            lift = value / mean
            used += 1
            for d in range(7):
                for dh in (-1, 0, 1):
                    h = (h0 + dh) % 24
                    w = KERNEL[(0 if dh == 0 else 1) + (0 if d == d0 else 2)]
                    weight[d][h] += w
                    lift_sum[d][h] += w * lift
    observed: list[list[float | None]] = [
        [lift_sum[d][h] / weight[d][h] if weight[d][h] > 0 else None for h in range(24)] for d in range(7)
    ]
    # the prior in the account's frame: its average over the slots the account posted in is 1
    if used:
        posted = [prior[d][h] * weight[d][h] for d in range(7) for h in range(24)]
        frame = sum(posted) / sum(weight[d][h] for d in range(7) for h in range(24))
    else:
        frame = 1.0
    frame = frame or 1.0
    post = [
        [
            (k * prior[d][h] / frame + weight[d][h] * (observed[d][h] or 0.0)) / (k + weight[d][h])
            for h in range(24)
        ]
        for d in range(7)
    ]
    top = max(max(row) for row in post) or 1.0
    table = tuple(tuple(v / top for v in row) for row in post)
    return table, weight, observed, used


def best_time(
    platform: str,
    timezone: str,
    posts: Sequence[PostRecord] = (),
    *,
    top: int = 3,
    now: datetime | None = None,
    min_gap_hours: int = 2,
) -> BestTime:
    """The ``top`` posting slots (different days first, or at least ``min_gap_hours`` apart) in the user's
    time zone, from the platform's prior blended with the account's own metrics."""
    name = rule(platform).name
    tz = zone(timezone)
    now = now or datetime.now(UTC)
    prior = prior_grid(name)
    own = [p for p in posts if p.platform == name and p.competitor is None]
    table, weight, observed, used = blend(name, timezone, own)
    ranked = sorted(((d, h) for d in range(7) for h in range(24)), key=lambda s: (-table[s[0]][s[1]], s))
    chosen: list[tuple[int, int]] = []
    for d, h in ranked:
        if all(d != cd or abs(h - ch) >= min_gap_hours for cd, ch in chosen):
            chosen.append((d, h))
        if len(chosen) >= top:
            break
    slots = tuple(
        Slot(
            weekday=d,
            hour=h,
            score=table[d][h],
            prior=prior[d][h],
            observed=observed[d][h],
            evidence=weight[d][h],
            next_local=(nxt := next_occurrence(d, h, tz, now)),
            next_utc=nxt.astimezone(UTC),
        )
        for d, h in chosen
    )
    total_evidence = sum(weight[d][h] for d, h in chosen)
    account_weight = total_evidence / (total_evidence + PRIOR_STRENGTH * len(chosen)) if chosen else 0.0
    sources, proxy = sources_for(name)
    notes = []
    if proxy:
        notes.append(
            f"No published day×hour study was found for {rule(name).label}; the prior borrows "
            f"{rule(proxy).label}'s findings."
        )
    if used == 0:
        notes.append(
            "Based on published studies only: record your posts' metrics and this learns your audience."
        )
    else:
        notes.append(
            f"Blended with {used} of your own posts ({account_weight:.0%} of this ranking is your data)."
        )
    return BestTime(
        platform=name,
        timezone=timezone,
        slots=slots,
        table=table,
        posts_used=used,
        account_weight=account_weight,
        sources=sources,
        proxy=proxy,
        notes=tuple(notes),
    )


def slot_rank(table: Grid, weekday: int, hour: int) -> float:
    """Where a slot ranks in a table: 1.0 is the best of the 168 slots, 0.0 the worst."""
    value = table[weekday][hour]
    below = sum(1 for d in range(7) for h in range(24) if table[d][h] < value)
    return below / 167

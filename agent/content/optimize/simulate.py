"""Simulated accounts with a known ground truth, for testing and benchmarking the learning (never real data).

Each simulated post is built from known levers (hook, call to action, question, emoji, length, hashtags,
media, local posting time); its engagement rate follows the account's hidden rule plus noise. ``EVENING_LONG``
is an audience that likes long posts and evenings and dislikes emoji — unlike the population prior, so a
model that learns the account should rank its posts better than the prior does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.content.optimize.records import PostRecord

FILLER = (
    "We roast the beans ourselves every morning.",
    "The oat milk comes from a small farm up the road.",
    "It took us eleven tries to get the foam right.",
    "Our baristas picked the name together.",
    "It pairs well with the almond croissant.",
    "You can order it hot or iced all week.",
    "A portion of every cup goes to the community garden.",
)
EMOJI = ("☕", "✨", "🌿", "🥐", "💛")
TAGS = ("oatlatte", "coffee", "latte", "plantbased", "coffeeshop", "oatmilk", "cafe", "barista")


@dataclass(frozen=True)
class Levers:
    hook: bool
    cta: bool
    question: bool
    emoji: int
    filler: int
    hashtags: int
    media: bool
    weekday: int
    hour: int


Truth = Callable[[Levers], float]  # log engagement-rate effect (before noise)


def evening_long(lv: Levers) -> float:
    """Likes long posts, evening posts (peak 21:00) and questions; dislikes emoji; media helps a little."""
    evening = math.exp(-(((lv.hour - 21) / 2.5) ** 2))
    return 0.25 * lv.filler + 1.2 * evening - 0.35 * lv.emoji + 0.3 * lv.question + 0.2 * lv.media


def pure_noise(lv: Levers) -> float:
    return 0.0


def _text(lv: Levers, rng: random.Random) -> tuple[str, list[str]]:
    opening = (
        "Have you tried our new oat latte?"
        if lv.hook
        else "This is a post that we wrote about the oat latte we sell in the shop now."
    )
    if lv.emoji:
        opening += " " + " ".join(EMOJI[: lv.emoji])
    body = " ".join(rng.sample(FILLER, lv.filler)) if lv.filler else ""
    closing = []
    if lv.question:
        closing.append("Would you try it?")
    if lv.cta:
        closing.append("Tell us in the comments.")
    parts = [opening, body, " ".join(closing)]
    return "\n\n".join(p for p in parts if p), list(TAGS[: lv.hashtags])


def simulate_account(
    n: int,
    *,
    seed: int = 0,
    truth: Truth = evening_long,
    platform: str = "instagram",
    timezone: str = "Europe/Berlin",
    noise: float = 0.25,
    start: datetime | None = None,
) -> list[PostRecord]:
    """``n`` posts over the days before ``start`` with metrics drawn from ``truth`` (a simulation)."""
    rng = random.Random(seed)
    tz = ZoneInfo(timezone)
    start = start or datetime(2026, 1, 5, tzinfo=UTC)
    out = []
    for i in range(n):
        lv = Levers(
            hook=rng.random() < 0.5,
            cta=rng.random() < 0.5,
            question=rng.random() < 0.5,
            emoji=rng.randint(0, 4),
            filler=rng.randint(0, 6),
            hashtags=rng.randint(0, 8),
            media=rng.random() < 0.6,
            weekday=rng.randint(0, 6),
            hour=rng.randint(7, 23),
        )
        text, tags = _text(lv, rng)
        day = (start - timedelta(days=3 * i)).astimezone(tz).date()
        day = day - timedelta(days=(day.weekday() - lv.weekday) % 7)
        local = datetime(day.year, day.month, day.day, lv.hour, tzinfo=tz)
        impressions = rng.randint(800, 5000)
        rate = 0.02 * math.exp(truth(lv) + rng.gauss(0, noise))
        interactions = max(0, round(impressions * rate))
        likes = round(interactions * 0.8)
        out.append(
            PostRecord(
                platform=platform,
                text=text,
                hashtags=tuple(tags),
                has_media=lv.media,
                posted_at=local.astimezone(UTC),
                impressions=impressions,
                likes=likes,
                comments=interactions - likes,
                shares=0,
                saves=0,
                clicks=0,
            )
        )
    return list(reversed(out))

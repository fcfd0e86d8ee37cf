"""``score_post``: a 0–100 score per platform with a factor breakdown and concrete suggestions.

Deterministic and fast (well under a millisecond for a typical caption; ``bench/write.py`` measures it). The
weights and targets are data (``prompts/scoring.toml``); the posting-time factor reads a day × hour table
(the population prior of ``timing.py``, or the account's blended table) and applies only when a time is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from agent.content import text as tx
from agent.content.fitting import compose
from agent.content.optimize.config import FACTORS, ScoringConfig, scoring_config
from agent.content.optimize.timing import prior_grid
from prompts.platforms import PlatformRule

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LABELS = {
    "length": "Length fit",
    "hook": "Hook in the first line",
    "cta": "Call to action",
    "question": "Question",
    "hashtags": "Hashtags",
    "emoji": "Emoji",
    "readability": "Readability",
    "media": "Media",
    "links": "Link placement",
    "time": "Posting time",
}
SUGGEST_BELOW = 0.85  # a factor scoring less than this gets a suggestion


@dataclass(frozen=True)
class Factor:
    name: str
    label: str
    value: float  # 0..1
    points: float  # this factor's share of the total
    max_points: float  # what it would add at 1.0
    detail: str
    applies: bool = True


@dataclass(frozen=True)
class ScoreResult:
    platform: str
    total: float
    factors: tuple[Factor, ...]
    suggestions: tuple[str, ...]
    length: int  # the whole post (caption + hashtags) in the platform's units
    caption_length: int
    limit: int
    fits: bool
    extras: dict[str, Any] = field(default_factory=dict)

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["factors"] = [
            {
                **asdict(f),
                "value": round(f.value, 3),
                "points": round(f.points, 2),
                "max_points": round(f.max_points, 2),
            }
            for f in self.factors
        ]
        out["suggestions"] = list(self.suggestions)
        return out


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _length(cfg: ScoringConfig, caption_len: int, total_len: int) -> tuple[float, str, str | None]:
    lo, hi = cfg.sweet_spot
    unit = "characters"
    limit = cfg.rule.limit
    if total_len > limit:
        return (
            0.0,
            f"{total_len} {unit}: over the {limit} limit",
            (
                f"Cut {total_len - limit} {unit}: the post is over {cfg.rule.label}'s {limit}-{unit} limit and cannot be published."
            ),
        )
    detail = f"{caption_len} {unit}; sweet spot {lo}–{hi}"
    if caption_len < lo:
        value = _clamp(caption_len / lo) ** 0.5
        return (
            value,
            detail,
            f"Add a detail or two: {cfg.rule.label} posts do best at {lo}–{hi} {unit} (now {caption_len}).",
        )
    if caption_len > hi:
        value = _clamp(1 - (caption_len - hi) / max(hi, 1))
        return (
            value,
            detail,
            (
                f"Shorten to about {hi} {unit} (now {caption_len}): keep the first line and the call to action, cut the middle."
            ),
        )
    return 1.0, detail, None


def _hook(cfg: ScoringConfig, text: str) -> tuple[float, str, str | None]:
    first = tx.opening(text)
    if not first:
        return 0.0, "no text", "Write an opening line that tells the reader why to stop scrolling."
    n = len(tx.words(first))
    brevity = 1.0 if n <= cfg.hook_words else 0.5 if n <= 2 * cfg.hook_words else 0.0
    pattern = 1.0 if tx.HOOK_PATTERN.search(first) else 0.0
    value = 0.5 * brevity + 0.5 * pattern
    detail = f"first line {n} words" + ("" if pattern else ", no hook pattern")
    if value >= SUGGEST_BELOW:
        return value, detail, None
    if pattern and not brevity:
        tip = (
            f"Shorten the first line to {cfg.hook_words} words or fewer: only the opening shows in the feed."
        )
    else:
        tip = (
            f"Open with a hook of at most {cfg.hook_words} words — a question, a number or the reader's "
            "problem (e.g. “Ever wondered why …?”, “3 things we learned …”)."
        )
    return value, detail, tip


def _cta(cfg: ScoringConfig, a: tx.Analysis) -> tuple[float, str, str | None]:
    where = a.cta_position()
    if where == "end":
        return 1.0, "call to action at the end", None
    if where == "early":
        return (
            0.7,
            "call to action, not at the end",
            "Repeat or move the call to action to the last line, where readers act.",
        )
    return 0.0, "none", f"End with a call to action, e.g. “{cfg.cta_line}”"


def _question(cfg: ScoringConfig, a: tx.Analysis) -> tuple[float, str, str | None]:
    if a.has_question():
        return 1.0, "asks a question", None
    return (
        0.0,
        "no question",
        f"Ask the audience something — questions earn replies, e.g. “{cfg.question_line}”",
    )


def _hashtags(cfg: ScoringConfig, a: tx.Analysis, hashtags: Sequence[str]) -> tuple[float, str, str | None]:
    n = len(tx.all_hashtags(a, list(hashtags)))
    norm, cap = cfg.rule.hashtags_norm, cfg.rule.hashtags_max
    detail = f"{n} hashtags; {cfg.rule.label} norm {norm}"
    if norm <= 0:
        return (1.0 if n == 0 else _clamp(1 - n / 3)), detail, (None if n == 0 else "Drop the hashtags here.")
    if n == norm:
        return 1.0, detail, None
    if n < norm:
        return (
            1 - 0.5 * (norm - n) / norm,
            detail,
            f"Add {norm - n} relevant hashtag(s): {cfg.rule.label} posts do best with {norm}.",
        )
    value = _clamp(1 - (n - norm) / (norm + 1))
    if n > cap:
        value *= 0.5
    return (
        value,
        detail,
        f"Cut {n - norm} hashtag(s): {cfg.rule.label} posts do best with {norm} (you have {n}).",
    )


def _emoji(cfg: ScoringConfig, text: str, emoji_allowed: bool) -> tuple[float, str, str | None]:
    n = len(tx.emoji_clusters(text))
    lo, hi = cfg.emoji if emoji_allowed else (0, 0)
    detail = f"{n} emoji; good range {lo}–{hi}"
    if lo <= n <= hi:
        return 1.0, detail, None
    if n < lo:
        return 0.6, detail, f"Add {lo - n} emoji to the first line: it stands out in a {cfg.rule.label} feed."
    if not emoji_allowed:
        return _clamp(1 - 0.35 * n), detail, "Remove the emoji: your brand voice uses none."
    return _clamp(1 - 0.2 * (n - hi)), detail, f"Use at most {hi} emoji (you have {n}): more reads as noise."


def _readability(a: tx.Analysis) -> tuple[float, str, str | None]:
    fre, avg = a.readability()
    if fre is None:
        value = 1.0 if avg <= 20 else _clamp(1 - (avg - 20) / 20)
        detail = f"{avg:.0f} words per sentence"
    else:
        value = _clamp((fre - 20) / 45)
        detail = f"Flesch reading ease {fre:.0f}; {avg:.0f} words per sentence"
    if value >= SUGGEST_BELOW:
        return value, detail, None
    return value, detail, "Use shorter sentences and plainer words: aim for under 15 words a sentence."


def _media(cfg: ScoringConfig, has_media: bool) -> tuple[float, str, str | None]:
    if has_media:
        return 1.0, "image or video attached", None
    required = cfg.weights["media"] >= 20
    tip = (
        f"Attach an image or video: {cfg.rule.label} posts need one."
        if required
        else f"Attach an image or short video: posts with media get more attention on {cfg.rule.label}."
    )
    return 0.0, "no media", tip


def _links(cfg: ScoringConfig, text: str) -> tuple[float, str, str | None]:
    info = tx.links(text)
    if info.count == 0 or cfg.link_penalty <= 0:
        return 1.0, ("no link" if info.count == 0 else f"{info.count} link(s); no reach cost here"), None
    share = {"first": 1.0, "middle": 0.7, "end": 0.5}[info.position]
    value = _clamp(1 - cfg.link_penalty * share)
    detail = f"{info.count} link(s), {info.position}"
    if cfg.link_penalty >= 0.75:
        tip = (
            f"Links in {cfg.rule.label} captions are not clickable: put it in your bio and say “link in bio”."
        )
    elif info.position == "end":
        tip = f"Consider posting the link as the first comment: links in the post cost reach on {cfg.rule.label}."
    else:
        tip = f"Move the link to the end (or the first comment): a link up front costs reach on {cfg.rule.label}."
    return value, detail, tip


def _time(
    cfg: ScoringConfig, when: datetime | None, table: Sequence[Sequence[float]] | None
) -> tuple[float, str, str | None, bool]:
    if when is None:
        return 0.0, "not scheduled", None, False
    if table is None:
        table = prior_grid(cfg.platform)
    value = _clamp(float(table[when.weekday()][when.hour]))
    detail = f"{DAY_NAMES[when.weekday()]} {when.hour:02d}:00"
    if value >= SUGGEST_BELOW:
        return value, detail, None, True
    best_d, best_h = max(((d, h) for d in range(7) for h in range(24)), key=lambda s: table[s[0]][s[1]])
    return (
        value,
        detail,
        (
            f"Post at a stronger time: {DAY_NAMES[best_d]} {best_h:02d}:00 scores best for {cfg.rule.label} "
            f"(this slot scores {value:.0%} of it)."
        ),
        True,
    )


def score_post(
    text: str,
    hashtags: Sequence[str],
    platform: str | PlatformRule,
    has_media: bool = False,
    scheduled_at_local: datetime | None = None,
    *,
    emoji_allowed: bool = True,
    time_table: Sequence[Sequence[float]] | None = None,
) -> ScoreResult:
    """Score a post for one platform: 0–100, a breakdown per factor and suggestions, biggest gain first.

    ``scheduled_at_local`` is the posting time as the audience's wall clock (its weekday and hour are read);
    ``time_table`` is a 7×24 table of 0..1 (Monday first) — the platform's prior when omitted.
    """
    cfg = scoring_config(platform)
    r = cfg.rule
    caption = text.strip()
    caption_len = tx.fast_count(caption, r.counting)
    block = compose("", list(hashtags))  # "\n\n#a #b": counts add up across the blank line
    total_len = caption_len + tx.fast_count(block, r.counting) if block else caption_len
    raw: dict[str, tuple[float, str, str | None, bool]] = {}
    raw["length"] = (*_length(cfg, caption_len, total_len), True)
    raw["hook"] = (*_hook(cfg, caption), True)
    analysis = tx.Analysis(caption)
    raw["cta"] = (*_cta(cfg, analysis), True)
    raw["question"] = (*_question(cfg, analysis), True)
    raw["hashtags"] = (*_hashtags(cfg, analysis, hashtags), True)
    raw["emoji"] = (*_emoji(cfg, caption, emoji_allowed), True)
    raw["readability"] = (*_readability(analysis), True)
    raw["media"] = (*_media(cfg, has_media), True)
    raw["links"] = (*_links(cfg, caption), True)
    raw["time"] = _time(cfg, scheduled_at_local, time_table)
    weight_sum = sum(cfg.weights[name] for name in FACTORS if raw[name][3]) or 1.0
    factors: list[Factor] = []
    gains: list[tuple[float, int, str]] = []
    for i, name in enumerate(FACTORS):
        value, detail, tip, applies = raw[name]
        max_points = 100.0 * cfg.weights[name] / weight_sum if applies else 0.0
        points = max_points * value
        factors.append(Factor(name, LABELS[name], value, points, max_points, detail, applies))
        if tip and applies and value < SUGGEST_BELOW:
            over = name == "length" and total_len > r.limit  # cannot be published: say it first
            gains.append((1000.0 if over else max_points - points, i, tip))
    if scheduled_at_local is None:
        gains.append((0.0, 99, f"Pick a posting time: ask “when should I post on {r.label}”."))
    total = sum(f.points for f in factors)
    suggestions = tuple(tip for _, _, tip in sorted(gains, key=lambda g: (-g[0], g[1])))
    return ScoreResult(
        platform=r.name,
        total=round(total, 1),
        factors=tuple(factors),
        suggestions=suggestions,
        length=total_len,
        caption_length=caption_len,
        limit=r.limit,
        fits=total_len <= r.limit,
    )


def factor_values(result: ScoreResult) -> dict[str, float]:
    return {f.name: f.value for f in result.factors}


def breakdown_lines(result: ScoreResult) -> list[str]:
    """One line per factor, for replies: “Hook in the first line  9.1/14.0  (first line 7 words)”."""
    return [
        f"- {f.label}: {f.points:.1f}/{f.max_points:.1f} ({f.detail})" for f in result.factors if f.applies
    ]

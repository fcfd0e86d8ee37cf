"""``diagnose_reach`` (one published post against the account's baseline) and ``compare_competitor``."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from agent.content import text as tx
from agent.content.optimize.records import PostRecord, outcomes, quartiles
from agent.content.optimize.scorer import ScoreResult, score_post
from agent.content.optimize.timing import DAY_NAMES, best_time, local_slot, slot_rank
from prompts.platforms import rule

MIN_BASELINE = 5
MIN_COMPARE = 3
WEAK = 0.6  # a factor below this is a likely cause


@dataclass(frozen=True)
class Diagnosis:
    platform: str
    measure: str
    value: float
    median: float
    q1: float
    q3: float
    percentile: float  # share of the account's posts this one beat
    verdict: str  # below | typical | above
    causes: tuple[str, ...]
    strengths: tuple[str, ...]
    score: ScoreResult
    baseline_posts: int

    def fmt(self, v: float) -> str:
        return f"{v:.2%}" if self.measure == "engagement rate" else f"{v:,.0f}"

    def summary(self) -> str:
        head = {
            "below": "below your usual range",
            "typical": "within your usual range",
            "above": "above your usual range",
        }[self.verdict]
        lines = [
            f"This post's {self.measure} is {self.fmt(self.value)} — {head} (your median {self.fmt(self.median)}, "
            f"middle half {self.fmt(self.q1)}–{self.fmt(self.q3)}, over {self.baseline_posts} posts; it beat "
            f"{self.percentile:.0%} of them)."
        ]
        if self.causes:
            lines.append("Likely causes:\n" + "\n".join(f"- {c}" for c in self.causes))
        if self.strengths:
            lines.append("What worked:\n" + "\n".join(f"- {s}" for s in self.strengths))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "measure": self.measure,
            "value": self.value,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "percentile": round(self.percentile, 3),
            "verdict": self.verdict,
            "causes": list(self.causes),
            "strengths": list(self.strengths),
            "score": self.score.total,
            "baseline_posts": self.baseline_posts,
        }


CAUSE_TEXT = {
    "length": "length: {detail}",
    "hook": "weak opening line ({detail})",
    "cta": "no clear call to action",
    "question": "no question for the audience to answer",
    "hashtags": "hashtags off the norm ({detail})",
    "emoji": "emoji off the usual range ({detail})",
    "readability": "hard to read ({detail})",
    "media": "no image or video",
    "links": "a link that costs reach ({detail})",
}


def _score(record: PostRecord, tz: ZoneInfo) -> ScoreResult:
    when = record.posted_at.astimezone(tz) if record.posted_at else None
    return score_post(record.text, record.hashtags, record.platform, record.has_media, when)


def diagnose_reach(post: PostRecord, baseline: Sequence[PostRecord], timezone: str = "UTC") -> Diagnosis:
    """Compare a published post with the account's baseline (median and interquartile range of its
    engagement over the account's posts on the platform) and name the likely causes: weak score factors,
    what this post lacks that the account's best posts have, the posting slot vs ``best_time``."""
    tz = ZoneInfo(timezone)
    own = [r for r in baseline if r.platform == post.platform and r.competitor is None]
    if post.metric_id is not None and all(r.metric_id != post.metric_id for r in own):
        own.append(post)
    outs = outcomes(own)
    kind = outs.kind
    mine = outcomes([post], kind)
    if not mine.values:
        raise ValueError("This post has no impressions, so its engagement rate cannot be compared.")
    if len(outs.values) < MIN_BASELINE:
        raise ValueError(
            f"I need at least {MIN_BASELINE} of your {rule(post.platform).label} posts with metrics to know "
            f"your baseline (have {len(outs.values)}): record more with a metrics CSV."
        )
    value = mine.values[0]
    q1, med, q3 = quartiles(sorted(outs.values))
    percentile = sum(1 for v in outs.values if v < value) / len(outs.values)
    verdict = "below" if value < q1 else "above" if value > q3 else "typical"
    score = _score(post, tz)
    causes: list[str] = []
    strengths: list[str] = []
    weak = sorted(
        (f for f in score.factors if f.applies and f.name != "time" and f.value < WEAK),
        key=lambda f: -(f.max_points - f.points),
    )
    # what the account's top quarter of posts has that this one lacks (the account's own evidence)
    top = [r for r, v in zip(outs.records, outs.values, strict=True) if v >= q3 and r is not post]
    top_scores = [_score(r, tz) for r in top]
    mine_values = {f.name: f.value for f in score.factors}
    for f in weak:
        cause = CAUSE_TEXT[f.name].format(detail=f.detail)
        if top_scores:
            share = statistics.mean(s.factor(f.name).value for s in top_scores)
            if share - f.value >= 0.4:
                cause += f" — your best posts score {share:.0%} here"
        causes.append(cause)
    if top_scores:
        for name in ("media", "question", "cta", "hook"):
            share = statistics.mean(s.factor(name).value for s in top_scores)
            if name not in {f.name for f in weak} and share - mine_values[name] >= 0.5:
                causes.append(
                    f"{CAUSE_TEXT[name].format(detail='')}: your best posts have it ({share:.0%})".replace(
                        " ()", ""
                    )
                )
    if post.posted_at is not None:
        bt = best_time(post.platform, timezone, own)
        d, h = local_slot(post.posted_at, tz)
        rank = slot_rank(bt.table, d, h)
        slot = f"{DAY_NAMES[d]} {h:02d}:00"
        if rank < 0.5:
            causes.append(f"posted {slot}, a weak slot for your audience (best: {bt.slots[0].label})")
        elif rank >= 0.85:
            strengths.append(f"posted {slot}, one of the strongest slots")
    n_tags = len(tx.all_hashtags(post.text, list(post.hashtags)))
    norm = rule(post.platform).hashtags_norm
    if verdict != "below":
        for f in score.factors:
            if (
                f.applies
                and f.name != "time"
                and f.value >= 0.95
                and f.name in {"hook", "cta", "question", "media"}
            ):
                strengths.append(f.label.lower())
    if verdict == "below" and not causes:
        causes.append(
            f"nothing in the text stands out (score {score.total:.0f}, {n_tags} hashtags vs norm {norm}): "
            "topic or audience timing may be the reason — try a variant (ask “give me 3 variants”)"
        )
    return Diagnosis(
        platform=post.platform,
        measure=kind,
        value=value,
        median=med,
        q1=q1,
        q3=q3,
        percentile=percentile,
        verdict=verdict,
        causes=tuple(dict.fromkeys(causes)),
        strengths=tuple(dict.fromkeys(strengths)),
        score=score,
        baseline_posts=len(outs.values),
    )


@dataclass(frozen=True)
class Profile:
    posts: int
    measure: str
    median: float
    top_slots: tuple[str, ...]
    weekend_share: float
    median_length: float
    median_hashtags: float
    question_share: float
    cta_share: float
    media_share: float
    emoji_share: float
    median_score: float

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def profile(records: Sequence[PostRecord], timezone: str, kind: str | None = None) -> Profile:
    tz = ZoneInfo(timezone)
    outs = outcomes(records, kind)
    local = [local_slot(r.posted_at, tz) for r in records if r.posted_at is not None]
    top_slots = tuple(f"{DAY_NAMES[d][:3]} {h:02d}:00" for (d, h), _ in Counter(local).most_common(3))
    weekend = sum(1 for d, _ in local if d >= 5) / len(local) if local else 0.0
    n = len(records) or 1
    return Profile(
        posts=len(records),
        measure=outs.kind,
        median=statistics.median(outs.values) if outs.values else 0.0,
        top_slots=top_slots,
        weekend_share=weekend,
        median_length=statistics.median(len(r.text) for r in records) if records else 0.0,
        median_hashtags=statistics.median(len(tx.all_hashtags(r.text, list(r.hashtags))) for r in records)
        if records
        else 0.0,
        question_share=sum(1 for r in records if tx.has_question(r.text)) / n,
        cta_share=sum(1 for r in records if tx.cta_position(r.text) != "none") / n,
        media_share=sum(1 for r in records if r.has_media) / n,
        emoji_share=sum(1 for r in records if tx.emoji_clusters(r.text)) / n,
        median_score=statistics.median(_score(r, tz).total for r in records) if records else 0.0,
    )


@dataclass(frozen=True)
class Comparison:
    name: str
    platform: str | None
    you: Profile
    them: Profile
    insights: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "competitor": self.name,
            "platform": self.platform,
            "you": self.you.as_dict(),
            "them": self.them.as_dict(),
            "insights": list(self.insights),
        }


def compare_competitor(
    own: Sequence[PostRecord],
    theirs: Sequence[PostRecord],
    name: str,
    timezone: str = "UTC",
    platform: str | None = None,
) -> Comparison:
    """Contrast a competitor's recorded posts with the user's own: engagement, posting times, length,
    hashtags, questions, calls to action, media and emoji — and say what differs notably."""
    if platform:
        own = [r for r in own if r.platform == platform]
        theirs = [r for r in theirs if r.platform == platform]
    if len(theirs) < MIN_COMPARE:
        raise ValueError(
            f"I have {len(theirs)} posts of {name}; record at least {MIN_COMPARE} with a metrics CSV."
        )
    if len(own) < MIN_COMPARE:
        raise ValueError(
            f"I have {len(own)} of your posts with metrics; record at least {MIN_COMPARE} to compare."
        )
    both_rate = all(r.engagement_rate is not None for r in [*own, *theirs])
    kind = "engagement rate" if both_rate else "interactions"
    you, them = profile(own, timezone, kind), profile(theirs, timezone, kind)

    def fmt(v: float) -> str:
        return f"{v:.2%}" if kind == "engagement rate" else f"{v:,.0f}"

    insights = []
    if you.median > 0 and them.median > 0:
        ratio = them.median / you.median
        if ratio >= 1.25:
            insights.append(
                f"{name} gets {ratio:.1f}× your median {kind} ({fmt(them.median)} vs {fmt(you.median)})."
            )
        elif ratio <= 0.8:
            insights.append(
                f"You get {1 / ratio:.1f}× {name}'s median {kind} ({fmt(you.median)} vs {fmt(them.median)})."
            )
        else:
            insights.append(f"Similar median {kind}: you {fmt(you.median)}, {name} {fmt(them.median)}.")
    if them.top_slots and set(them.top_slots[:2]).isdisjoint(you.top_slots[:2]):
        insights.append(
            f"{name} posts mostly {', '.join(them.top_slots)}; you post mostly {', '.join(you.top_slots) or '—'}."
        )
    if abs(them.weekend_share - you.weekend_share) >= 0.25:
        insights.append(f"Weekend posts: {name} {them.weekend_share:.0%}, you {you.weekend_share:.0%}.")
    if you.median_length and (
        them.median_length / you.median_length >= 1.5 or them.median_length / you.median_length <= 0.67
    ):
        insights.append(
            f"Median length: {name} {them.median_length:.0f} characters, you {you.median_length:.0f}."
        )
    if abs(them.median_hashtags - you.median_hashtags) >= 2:
        insights.append(
            f"Hashtags per post: {name} {them.median_hashtags:.0f}, you {you.median_hashtags:.0f}."
        )
    for label, a, b in (
        ("ask a question", them.question_share, you.question_share),
        ("end with a call to action", them.cta_share, you.cta_share),
        ("carry an image or video", them.media_share, you.media_share),
        ("use emoji", them.emoji_share, you.emoji_share),
    ):
        if abs(a - b) >= 0.3:
            insights.append(f"{a:.0%} of {name}'s posts {label}; {b:.0%} of yours do.")
    if len(insights) <= 1:
        insights.append("No big differences in how you both post.")
    return Comparison(name, platform, you, them, tuple(insights))

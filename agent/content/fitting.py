"""Post fitting: a post as it is published (caption, a blank line, the hashtags) and how any text is made to
fit its platform — the one place the writers, the optimizer, the tools and the views count and trim posts.
(A writer's output is finished — voice rules, then fitted — by :func:`agent.content.writers.output.fit_output`.)
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.content.text import fast_count
from prompts.counting import trim_to_limit
from prompts.platforms import PlatformRule, rule


def platform_rule(platform: str | PlatformRule) -> PlatformRule:
    return platform if isinstance(platform, PlatformRule) else rule(platform)


def hashtag_block(hashtags: Sequence[str]) -> str:
    """``#a #b``: the hashtags as posted (a leading ``#`` is not doubled, empty tags are dropped)."""
    return " ".join(f"#{t.strip().lstrip('#')}" for t in hashtags if t.strip("# "))


def compose(text: str, hashtags: Sequence[str]) -> str:
    """The post as published: caption, a blank line, the hashtags."""
    block = hashtag_block(hashtags)
    return f"{text}\n\n{block}" if block else text


def dedupe_tags(tags: Sequence[str], limit: int | None = None) -> list[str]:
    """Tags without ``#``, each once (case-insensitive), in order; at most ``limit``."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lstrip("#")
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out if limit is None else out[:limit]


def room_for(r: PlatformRule, hashtags: Sequence[str]) -> int:
    """What the caption may count once the hashtag block is added."""
    return r.limit - (fast_count(compose("", hashtags), r.counting) if hashtag_block(hashtags) else 0)


def fit(text: str, hashtags: Sequence[str], platform: str | PlatformRule) -> tuple[str, list[str]]:
    """Hashtags deduplicated and capped (the block at most a third of the limit), then the caption trimmed
    at a word boundary so that caption + blank line + hashtags is within the platform's limit."""
    r = platform_rule(platform)
    tags = dedupe_tags(hashtags, r.hashtags_max)
    while tags and fast_count(compose("", tags), r.counting) > r.limit // 3:
        tags = tags[:-1]
    return trim_to_limit(text.strip(), room_for(r, tags), r.counting), tags


def within_limit(text: str, hashtags: Sequence[str], platform: str | PlatformRule) -> bool:
    r = platform_rule(platform)
    return fast_count(compose(text, hashtags), r.counting) <= r.limit

"""The brand voice for one platform: brand profile + remembered rules, as a writer's :class:`VoiceGuide`."""

from __future__ import annotations

import re

from sqlmodel import Session

from agent.content.writers.base import VoiceGuide
from agent.core import repo
from prompts.platforms import platform_rules

_NO_EMOJI = re.compile(r"\b(no|never|without|don'?t|do not|avoid|stop)\b[^.]*\bemoji", re.IGNORECASE)


def _names_platform(text: str, platform: str) -> bool:
    rule = platform_rules()[platform]
    names = {platform, rule.label.lower()} | ({"twitter"} if platform == "x" else set())
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(n)}\b", lowered) for n in names)


def _names_any_platform(text: str) -> bool:
    return any(_names_platform(text, p) for p in platform_rules())


def rule_applies(rule_text: str, platform: str) -> bool:
    """A rule that names platforms applies to those; a rule that names none applies everywhere."""
    return _names_platform(rule_text, platform) or not _names_any_platform(rule_text)


def voice_for(session: Session, *, user_id: str, platform: str) -> VoiceGuide:
    profile = repo.get_brand_profile(session, user_id=user_id)
    memories = [m.content for m in repo.list_memories(session, user_id=user_id)]
    rules = [m for m in memories if rule_applies(m, platform)]
    emoji_allowed = profile.emoji_policy != "none" and not any(_NO_EMOJI.search(r) for r in rules)
    return VoiceGuide(
        brand_name=profile.brand_name,
        tone=profile.tone,
        audience=profile.audience,
        language=profile.language,
        emoji_allowed=emoji_allowed,
        banned_words=list(profile.banned_words),
        example_posts=list(profile.example_posts)[:3],
        rules=rules,
    )

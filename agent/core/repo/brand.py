"""The brand profile: one per user, created on first read."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from agent.core.errors import InputError
from agent.core.models import (
    BrandProfile,
    EmojiPolicy,
)
from agent.core.repo.base import now as _now
from agent.core.repo.users import get_user

_PROFILE_FIELDS = {
    "brand_name",
    "tone",
    "audience",
    "language",
    "timezone",
    "default_platforms",
    "emoji_policy",
    "banned_words",
    "example_posts",
}


def get_brand_profile(session: Session, *, user_id: str) -> BrandProfile:
    profile = session.get(BrandProfile, user_id)
    if profile is None:
        get_user(session, user_id=user_id)
        profile = BrandProfile(user_id=user_id)
        session.add(profile)
        session.flush()
    return profile


def update_brand_profile(session: Session, *, user_id: str, **changes: Any) -> BrandProfile:
    unknown = set(changes) - _PROFILE_FIELDS
    if unknown:
        raise InputError(f"Unknown brand profile field(s): {', '.join(sorted(unknown))}.")
    if "emoji_policy" in changes and changes["emoji_policy"] not in {p.value for p in EmojiPolicy}:
        raise InputError("emoji_policy must be one of: none, light, free.")
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"Unknown timezone {changes['timezone']!r} (use e.g. Europe/Berlin).") from None
    profile = get_brand_profile(session, user_id=user_id)
    for key, value in changes.items():
        setattr(profile, key, value)
    profile.updated_at = _now()
    session.add(profile)
    session.flush()
    return profile

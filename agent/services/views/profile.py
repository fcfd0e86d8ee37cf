"""The brand profile as the settings form and the profile panel show it, and the form's answers turned into
the changes to save (cleaned and capped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from agent.core import repo
from agent.core.errors import InputError

PROFILE_SETTINGS = ("brand_name", "tone", "audience", "language", "timezone", "emoji_policy", "banned_words")
MAX_BANNED_WORDS = 100
MAX_WORD_CHARS = 50
_KEEP_WHEN_EMPTIED = frozenset({"tone", "timezone", "language"})


class ProfileView(BaseModel):
    """The fields of a user's brand profile a UI shows and edits (never the row itself)."""

    model_config = ConfigDict(frozen=True)

    brand_name: str = ""
    tone: str = "friendly"
    audience: str = ""
    language: str = "en"
    timezone: str = "UTC"
    emoji_policy: str = "light"
    banned_words: list[str] = Field(default_factory=list)
    default_platforms: list[str] = Field(default_factory=list)


def profile_view(session: Session, *, user_id: str) -> ProfileView:
    profile = repo.get_brand_profile(session, user_id=user_id)
    return ProfileView(
        brand_name=profile.brand_name,
        tone=profile.tone,
        audience=profile.audience,
        language=profile.language,
        timezone=profile.timezone or "UTC",
        emoji_policy=profile.emoji_policy,
        banned_words=list(profile.banned_words or []),
        default_platforms=list(profile.default_platforms or []),
    )


def profile_changes(settings: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The brand-profile fields a settings form changed, cleaned and capped (InputError when invalid).

    Other keys (a chat's own settings) are ignored; an emptied tone, timezone or language keeps its value."""
    changes: dict[str, Any] = {}
    for name in PROFILE_SETTINGS:
        if name not in settings or settings[name] is None:
            continue
        value = settings[name]
        if name == "banned_words":
            words = [" ".join(str(w).split())[:MAX_WORD_CHARS] for w in value or [] if str(w).strip()]
            value = list(dict.fromkeys(words))[:MAX_BANNED_WORDS]
        else:
            value = " ".join(str(value).split())
            limit = 500 if name == "audience" else 200
            if len(value) > limit:
                raise InputError(f"{name.replace('_', ' ').capitalize()} takes at most {limit} characters.")
            if name in _KEEP_WHEN_EMPTIED and not value:
                continue
        if value != current.get(name):
            changes[name] = value
    return changes


def save_profile(session: Session, *, user_id: str, changes: Mapping[str, Any]) -> ProfileView:
    """Save changes made by :func:`profile_changes` (the repository checks timezone and emoji policy)."""
    repo.update_brand_profile(session, user_id=user_id, **dict(changes))
    return profile_view(session, user_id=user_id)

"""Platform rules loaded from ``platforms.toml`` (data, not code)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

_ALIASES = {
    "ig": "instagram",
    "insta": "instagram",
    "twitter": "x",
    "tweet": "x",
    "bsky": "bluesky",
    "fb": "facebook",
    "yt": "youtube",
    "li": "linkedin",
    "toot": "mastodon",
}


@dataclass(frozen=True)
class PlatformRule:
    name: str
    label: str
    limit: int
    counting: str
    hashtags_max: int
    hashtags_norm: int
    style: str
    title_limit: int | None = None


@cache
def platform_rules() -> dict[str, PlatformRule]:
    data = tomllib.loads((Path(__file__).parent / "platforms.toml").read_text())
    return {name: PlatformRule(name=name, **values) for name, values in data.items()}


def platform_names() -> list[str]:
    return list(platform_rules())


def resolve_platform(name: str) -> str:
    """The canonical platform name for a name or alias; raises ValueError listing the known ones."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in platform_rules():
        raise ValueError(f"Unknown platform {name!r}; known: {', '.join(platform_names())}")
    return key


def rule(name: str) -> PlatformRule:
    return platform_rules()[resolve_platform(name)]


def rule_with(name: str, limits: Mapping[str, int] | None = None) -> PlatformRule:
    """The platform's rule with a per-installation limit (e.g. a Mastodon instance's own post limit)."""
    r = rule(name)
    if limits and limits.get(r.name):
        return replace(r, limit=int(limits[r.name]))
    return r

"""The scoring rules of each platform, loaded once from ``prompts/scoring.toml`` (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import prompts
from prompts.platforms import PlatformRule, platform_names, rule

SCORING_FILE = Path(prompts.__file__).parent / "scoring.toml"
FACTORS = ("length", "hook", "cta", "question", "hashtags", "emoji", "readability", "media", "links", "time")


@dataclass(frozen=True)
class ScoringConfig:
    platform: str
    rule: PlatformRule
    weights: MappingProxyType[str, float]
    sweet_spot: tuple[int, int]
    emoji: tuple[int, int]
    link_penalty: float
    hook_words: int
    cta_line: str
    question_line: str
    share_cta_line: str
    emoji_default: str


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return out


@cache
def _all_configs() -> dict[str, ScoringConfig]:
    data = tomllib.loads(SCORING_FILE.read_text(encoding="utf-8"))
    default = data.pop("default")
    unknown = set(data) - set(platform_names())
    if unknown:
        raise ValueError(f"scoring.toml names unknown platforms: {', '.join(sorted(unknown))}")
    configs = {}
    for name in platform_names():
        merged = _merge(default, data.get(name, {}))
        weights = {k: float(v) for k, v in merged["weights"].items()}
        if set(weights) != set(FACTORS):
            raise ValueError(f"scoring.toml [{name}] weights must name exactly: {', '.join(FACTORS)}")
        lo, hi = merged["sweet_spot"]
        elo, ehi = merged["emoji"]
        configs[name] = ScoringConfig(
            platform=name,
            rule=rule(name),
            weights=MappingProxyType(weights),
            sweet_spot=(int(lo), int(hi)),
            emoji=(int(elo), int(ehi)),
            link_penalty=float(merged["link_penalty"]),
            hook_words=int(merged["hook_words"]),
            cta_line=str(merged["cta_line"]),
            question_line=str(merged["question_line"]),
            share_cta_line=str(merged["share_cta_line"]),
            emoji_default=str(merged["emoji_default"]),
        )
    return configs


def scoring_config(platform: str | PlatformRule) -> ScoringConfig:
    """The scoring rules for a platform name or alias (raises ValueError for an unknown platform).

    Given a :class:`PlatformRule` (``rule_with``: a Mastodon instance's own limit), its limits are the
    ones scored and fitted to."""
    if isinstance(platform, PlatformRule):
        cfg = _all_configs()[platform.name]
        return cfg if cfg.rule == platform else replace(cfg, rule=platform)
    return _all_configs()[rule(platform).name]

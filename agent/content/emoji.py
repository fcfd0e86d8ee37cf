"""Emoji that fit: what each emoji depicts, in six languages (``prompts/grounding.toml``), so a draft's emoji
show something its request, material or brand talks about — or a generic one like ✨ — and never a pizza on a
coffee post."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import prompts
from agent.content.text import emoji_clusters
from agent.content.understand import fold

DATA_FILE = Path(prompts.__file__).parent / "grounding.toml"


@dataclass(frozen=True)
class Vocabulary:
    emoji: dict[str, tuple[str, ...]]
    generic: frozenset[str]
    secondary: frozenset[str]
    claims: tuple[str, ...]
    claim_groups: tuple[tuple[str, ...], ...]  # the same claim in several languages


@cache
def vocabulary() -> Vocabulary:
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    claims = tuple(dict.fromkeys(fold(w) for words in data["claims"].values() for w in words))
    return Vocabulary(
        emoji={_bare(e): tuple(fold(w) for w in words) for e, words in data["emoji"].items()},
        generic=frozenset(_bare(e) for e in data["generic"]["emoji"]),
        secondary=frozenset(_bare(e) for e in data["generic"]["secondary"]),
        claims=claims,
        claim_groups=tuple(tuple(fold(w) for w in g) for g in data["claim_groups"]["groups"]),
    )


def _bare(emoji: str) -> str:
    return emoji.replace("\ufe0f", "")


SHORT_WORD = 4  # a word this short names a thing only at a word's start ("ring" is not in "hiring")


def _find(word: str, ctx: str) -> int:
    """Where ``word`` occurs in the folded context, -1 when it does not: longer words anywhere (German
    compounds: "kaffee" in "eiskaffee"), short ones only at a word's start."""
    if not word.strip():
        return -1
    if len(word.strip()) > SHORT_WORD:
        return ctx.find(word)
    m = re.search(rf"(?<![^\W\d_]){re.escape(word)}", ctx)
    return m.start() if m else -1


def unfit_emoji(text: str, context: str) -> list[str]:
    """The emoji of ``text`` that depict nothing the context (request, material, profile) talks about."""
    vocab = vocabulary()
    ctx = f" {fold(context)} "
    out = []
    for e in emoji_clusters(text):
        key = _bare(e)
        if key in vocab.generic:
            continue
        words = vocab.emoji.get(key)
        if words is None or not any(_find(w, ctx) >= 0 for w in words):
            out.append(e)
    return list(dict.fromkeys(out))


def fitting_emoji(context: str, *, limit: int = 1) -> list[str]:
    """Emoji that depict what the context talks about, most specific first (for writers that add one)."""
    vocab = vocabulary()
    ctx = f" {fold(context)} "
    scored = []
    for e, words in vocab.emoji.items():
        hits = [at for w in words if (at := _find(w, ctx)) >= 0]
        if hits:  # the things the context names first, before the attributes ("vegan", "new", a time)
            scored.append((e in vocab.secondary, min(hits), e))
    return [e for _, _, e in sorted(scored)[:limit]]

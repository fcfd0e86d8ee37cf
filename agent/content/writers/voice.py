"""The mechanical part of a brand voice: what any writer's output can be made to follow without a model.

Rules are plain sentences (stated by the user or learned from their edits, see
``agent.optimize.voice_rules``). :func:`policy` reads the ones a program can honour literally — no
exclamation marks, no emojis, fewer hashtags (≤N), shorter first lines (≤N characters), keep posts shorter
(~N characters), avoid the word X — and :func:`apply_voice` applies them, with the brand profile's banned
words and emoji policy, to a text and its hashtags. The rest of a rule reaches model writers in the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import regex

from agent.content.writers.base import VoiceGuide
from prompts.counting import trim_to_limit

_EMOJI = regex.compile(
    r"\p{Regional_Indicator}{2}"
    r"|(?:[©®™‼⁉]\uFE0F|(?![©®™‼⁉#*0-9])\p{Extended_Pictographic})[\uFE0F\p{Emoji_Modifier}]*"
    r"(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)*"
    r"|[\U0001F3FB-\U0001F3FF\uFE0F\u200D]"
)
_NO_EXCLAMATION = re.compile(r"\b(?:no|never|without|avoid|stop using|don'?t use)\b[^.]*\bexclamation", re.I)
_NO_EMOJI = re.compile(r"\b(?:no|never|without|don'?t|do not|avoid|stop)\b[^.]*\bemoji", re.I)
_FEWER_TAGS = re.compile(r"\b(?:fewer|at most|max(?:imum)?|no more than)\b[^.]*?hashtags?\D*?(\d+)", re.I)
_TAGS_LE = re.compile(r"hashtags?\s*\(\s*(?:≤|<=|at most|max)\s*(\d+)\s*\)", re.I)
_NO_TAGS = re.compile(r"\b(?:no|never|without)\s+hashtags?\b", re.I)
_FIRST_LINE = re.compile(r"\bshort(?:er)? (?:first lines?|openings?|hooks?)\b(?:[^\d.]*?(\d+))?", re.I)
_SHORTER_POSTS = re.compile(r"\b(?:keep )?(?:posts?|captions?|drafts?) shorter\b(?:[^\d.]*?(\d+))?", re.I)
_AVOID_WORD = re.compile(
    r"\b(?:avoid|never use|don'?t use|do not use)\s+the\s+word\s+[\"“']?([^\s\"”'.,;]+)", re.I
)

DEFAULT_FIRST_LINE = 60  # characters, when a "shorter first lines" rule names no number


@dataclass(frozen=True)
class VoicePolicy:
    no_exclamation: bool = False
    no_emoji: bool = False
    max_hashtags: int | None = None
    max_first_line: int | None = None
    max_chars: int | None = None
    avoid_words: tuple[str, ...] = field(default_factory=tuple)


def policy(voice: VoiceGuide) -> VoicePolicy:
    """What of the voice's rules, banned words and emoji policy can be applied mechanically."""
    no_exclamation = no_emoji = False
    max_tags: int | None = None
    first: int | None = None
    max_chars: int | None = None
    avoid: list[str] = [w.strip() for w in voice.banned_words if w.strip()]
    for rule in voice.rules:
        no_exclamation = no_exclamation or bool(_NO_EXCLAMATION.search(rule))
        no_emoji = no_emoji or bool(_NO_EMOJI.search(rule))
        if m := (_TAGS_LE.search(rule) or _FEWER_TAGS.search(rule)):
            max_tags = min(int(m.group(1)), max_tags if max_tags is not None else 99)
        elif _NO_TAGS.search(rule):
            max_tags = 0
        if m := _FIRST_LINE.search(rule):
            n = int(m.group(1)) if m.group(1) else DEFAULT_FIRST_LINE
            first = min(max(n, 20), first or 10_000)
        if (m := _SHORTER_POSTS.search(rule)) and m.group(1):
            max_chars = min(max(int(m.group(1)), 40), max_chars or 100_000)
        if m := _AVOID_WORD.search(rule):
            avoid.append(m.group(1))
    return VoicePolicy(
        no_exclamation=no_exclamation,
        no_emoji=no_emoji or not voice.emoji_allowed,
        max_hashtags=max_tags,
        max_first_line=first,
        max_chars=max_chars,
        avoid_words=tuple(dict.fromkeys(avoid)),
    )


def strip_emoji(text: str) -> str:
    text = _EMOJI.sub("", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def strip_words(text: str, words: tuple[str, ...] | list[str]) -> str:
    for word in words:
        if word.strip():
            text = re.sub(rf"(?i)(?<!\w){re.escape(word.strip())}(?!\w),?[ \t]?", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.!?;:])", r"\1", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _shorten_first_line(text: str, limit: int) -> str:
    """An opening line over ``limit`` that holds several sentences keeps its first one (when that fits);
    the rest moves to the next paragraph. One long sentence is left to a model writer (its prompt says so):
    breaking a sentence across lines reads worse than a long first line."""
    first, _sep, rest = text.partition("\n")
    if len(first) <= limit:
        return text
    parts = re.split(r"(?<=[.!?…:])\s+", first, maxsplit=1)
    if len(parts) < 2 or len(parts[0]) > limit:
        return text
    head, tail = parts
    rest = rest.lstrip("\n")
    return f"{head}\n\n{tail}" + (f"\n\n{rest}" if rest else "")


def _shorten(text: str, limit: int) -> str:
    """Whole sentences from the start (the last one kept when it asks something), within ``limit``."""
    if len(text) <= limit:
        return text

    parts = [p for p in re.split(r"(?<=[.!?…])\s+", text.strip()) if p]
    closing = parts[-1] if len(parts) > 1 and parts[-1].rstrip().endswith("?") else ""
    kept: list[str] = []
    for part in parts[:-1] if closing else parts:
        candidate = " ".join([*kept, part, closing]).strip()
        if len(candidate) > limit:
            break
        kept.append(part)
    out = " ".join([*kept, closing]).strip() if kept else ""
    return out if out and len(out) <= limit else trim_to_limit(text, limit, "chars")


def apply_voice(text: str, hashtags: list[str], voice: VoiceGuide) -> tuple[str, list[str]]:
    """The text and hashtags with the voice's mechanical rules applied."""
    p = policy(voice)
    if p.avoid_words:
        text = strip_words(text, p.avoid_words)
        hashtags = [t for t in hashtags if not any(w.lower() in t.lower() for w in p.avoid_words)]
    if p.no_exclamation:
        text = re.sub(r"!+", ".", re.sub(r"([?.…])!+", r"\1", text))
    if p.no_emoji:
        text = strip_emoji(text)
    if p.max_hashtags is not None:
        hashtags = hashtags[: p.max_hashtags]
    if p.max_first_line is not None:
        text = _shorten_first_line(text, p.max_first_line)
    if p.max_chars is not None:
        text = _shorten(text, p.max_chars)
    return text, hashtags

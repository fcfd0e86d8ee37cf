"""The deterministic template writer: no model, no network, always an answer within the platform's limit.

It is the fallback whenever no model is configured or a model answer is invalid. Choices between phrasings
are made by a stable hash of the subject, so the same brief gives the same draft.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from integrations.writers.base import (
    CaptionRequest,
    HashtagRequest,
    ScriptRequest,
    ScriptResult,
    SummaryRequest,
    SummaryResult,
    VoiceGuide,
    WriterResult,
)
from prompts.counting import count, trim_to_limit
from prompts.platforms import rule

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U000e0020-\U000e007f]")

STOPWORDS = frozenset(
    """
    a an the and or but of for to in on at by with from about into over our your my their his her its
    this that these those is are was were be been being it we you they i me us them new just now very
    really so some any all more most much many few can could will would should may might must do does
    did done make made get got have has had here there what which who whom how why when where than then
    also too not no yes write caption captions post posts draft drafts tweet thread please create give
    need want help us instagram linkedin twitter x threads bluesky mastodon facebook tiktok youtube
    pinterest reel reels story stories announce announcing announcement launch launching introducing
    introduce about some one two
    """.split()  # noqa: SIM905
)

# Small, curated topic expansions: a word in the subject brings in the community tags people search for.
TOPIC_TAGS: dict[str, list[str]] = {
    "coffee": ["coffee", "coffeetime", "coffeelover"],
    "latte": ["latte", "coffee", "coffeelover"],
    "espresso": ["espresso", "coffee"],
    "cappuccino": ["cappuccino", "coffee"],
    "oat": ["oatmilk", "plantbased"],
    "vegan": ["vegan", "plantbased"],
    "tea": ["tea", "teatime"],
    "cafe": ["cafe", "coffeeshop"],
    "bakery": ["bakery", "freshlybaked"],
    "cake": ["cake", "baking"],
    "pizza": ["pizza", "foodie"],
    "food": ["foodie", "food"],
    "recipe": ["recipe", "homecooking"],
    "travel": ["travel", "wanderlust"],
    "fitness": ["fitness", "workout"],
    "gym": ["gym", "fitness"],
    "yoga": ["yoga", "wellness"],
    "book": ["books", "booklover"],
    "music": ["music", "newmusic"],
    "tech": ["tech", "innovation"],
    "ai": ["ai", "tech"],
    "software": ["software", "tech"],
    "startup": ["startup", "entrepreneur"],
    "sale": ["sale", "shopsmall"],
    "fashion": ["fashion", "style"],
    "summer": ["summer"],
    "winter": ["winter"],
}

EMOJI_FOR = {
    "coffee": "☕",
    "latte": "☕",
    "espresso": "☕",
    "cappuccino": "☕",
    "tea": "🍵",
    "cake": "🍰",
    "bakery": "🥐",
    "pizza": "🍕",
    "launch": "🚀",
    "travel": "✈️",
    "fitness": "💪",
    "gym": "💪",
    "book": "📚",
    "music": "🎵",
    "sale": "🏷️",
    "summer": "☀️",
}

# Nouns too generic to stand as a hashtag on their own ("#class", "#drive").
GENERIC = frozenset(
    """
    class drive event day week weekend month session update news thing time menu series edition night
    morning evening monday tuesday wednesday thursday friday saturday sunday team people
    """.split()  # noqa: SIM905
)

ANNOUNCE_WORDS = (
    "new",
    "launch",
    "introduc",
    "announc",
    "meet",
    "debut",
    "release",
    "now available",
    "arriv",
)

HOOKS_ANNOUNCE = (
    "Say hello to {subject}{emoji}",
    "It's here: {subject}{emoji}",
    "Introducing {subject}{emoji}",
)
HOOKS_GENERAL = (
    "Let's talk about {subject}{emoji}",
    "A closer look at {subject}{emoji}",
    "All about {subject}{emoji}",
)

BODY_ANNOUNCE = {
    "short": "We can't wait for you to try it.",
    "long": "We've been working on this one for a while and we can't wait for you to try it. "
    "Made with care, for {audience}.",
}
BODY_GENERAL = {
    "short": "Here's what makes it worth your time.",
    "long": "Here's what makes it worth your time — and why we think {audience} will love it.",
}

CTA = {
    "instagram": "Would you try it? Tell us in the comments{point}",
    "linkedin": "What do you think? I'd love to hear your take in the comments.",
    "x": "Thoughts?",
    "threads": "What would you pair it with?",
    "bluesky": "What do you think?",
    "mastodon": "What do you think?",
    "facebook": "Tag a friend who needs to see this{point}",
    "tiktok": "Follow for more{point}",
    "youtube": "Subscribe for more and tell us what you think in the comments.",
    "pinterest": "Save this for later.",
}


def _pick(options: tuple[str, ...], seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return options[digest[0] % len(options)]


def words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[^\W_]+(?:'[^\W_]+)?", text)]


def keywords(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        if w not in STOPWORDS and len(w) > 1 and not w.isdigit() and w not in out:
            out.append(w)
    return out


def clean_tag(tag: str) -> str:
    tag = unicodedata.normalize("NFC", tag.strip().lstrip("#"))
    return "".join(ch for ch in tag if ch.isalnum() or ch == "_")


def _camel(tag: str) -> str:
    return tag[:1].upper() + tag[1:]


def hashtags_for(text: str, count: int, voice: VoiceGuide, camel: bool = False) -> list[str]:
    """Hashtags from the text: the main phrase as one tag, its head noun, the community tags people
    search for around it, then the other keywords. Specific before broad; banned words never appear."""
    if count <= 0:
        return []
    keys = keywords(text)[:6]
    scored: dict[str, float] = {}

    def add(tag: str, score: float) -> None:
        tag = clean_tag(tag)
        if len(tag) >= 2:
            scored[tag.lower()] = max(scored.get(tag.lower(), 0.0), score)

    if len(keys) >= 2:
        add("".join(keys[:2]) if len(keys) == 2 else "".join(keys[-2:]), 5.0)
    specific = [k for k in keys if k not in GENERIC]
    if specific:
        head = specific[-1] if len(specific) <= 3 else specific[1]
        add(head, 4.0)
        for i, tag in enumerate(TOPIC_TAGS.get(head, [])):
            add(tag, 3.5 - i * 0.1)
    else:
        head = ""
    for pos, key in enumerate(keys):
        for i, tag in enumerate(TOPIC_TAGS.get(key, [])):
            add(tag, 3.0 - pos * 0.1 - i * 0.05)
        if key in GENERIC:
            add(key, 0.5)
        elif len(key) >= 4 and key not in TOPIC_TAGS:
            add(key, 2.0 - pos * 0.1)
        elif key in TOPIC_TAGS:
            add(key, 1.5 - pos * 0.1)
    banned = [b.lower() for b in voice.banned_words if b.strip()]
    ranked = sorted(scored, key=lambda t: -scored[t])
    chosen = [t for t in ranked if not any(b in t for b in banned)][:count]
    return [_camel(t) if camel else t for t in chosen]


def strip_banned(text: str, banned: list[str]) -> str:
    for word in banned:
        if word.strip():
            text = re.sub(rf"(?i)\b{re.escape(word.strip())}\b\s?", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def apply_rules(text: str, rules: list[str]) -> str:
    """The few learned rules a template can honour literally."""
    joined = " ".join(r.lower() for r in rules)
    if "exclamation" in joined:
        text = text.replace("!", ".")
    return text


class TemplateWriter:
    """Deterministic writer. Always available; every result says ``writer='template'``."""

    name = "template"

    def caption(self, request: CaptionRequest) -> WriterResult:
        voice = request.voice
        subject = request.subject.strip().rstrip(".!?") or "what we've been working on"
        seed = f"{subject}|{request.platform}"
        keys = keywords(subject)
        lowered = f"{request.brief} {subject}".lower()
        announce = any(w in lowered for w in ANNOUNCE_WORDS)
        emoji = ""
        if voice.emoji_allowed:
            found = next((EMOJI_FOR[k] for k in keys + words(request.brief) if k in EMOJI_FOR), "✨")
            emoji = " " + found
        hook = _pick(HOOKS_ANNOUNCE if announce else HOOKS_GENERAL, seed).format(subject=subject, emoji=emoji)
        hook = hook[0].upper() + hook[1:]
        length = "short" if request.limit <= 500 else "long"
        audience = voice.audience or "you"
        body = (BODY_ANNOUNCE if announce else BODY_GENERAL)[length].format(audience=audience)
        cta = CTA.get(request.platform, "What do you think?").format(
            point=" 👇" if voice.emoji_allowed else "."
        )
        sep = " " if request.platform in {"x", "bluesky", "threads"} else "\n\n"
        text = sep.join(part for part in (hook, body, cta) if part)
        text = apply_rules(strip_banned(text, voice.banned_words), voice.rules)
        if not voice.emoji_allowed:  # the subject may carry emoji typed by the user
            text = re.sub(r"[ \t]{2,}", " ", _EMOJI.sub("", text)).strip()
        tags = hashtags_for(
            subject, request.hashtags_norm, voice, camel=request.platform in {"mastodon", "linkedin"}
        )
        counting = rule(request.platform).counting
        room = request.limit - (count("\n\n" + " ".join(f"#{t}" for t in tags), counting) if tags else 0)
        return WriterResult(text=trim_to_limit(text, room, counting), hashtags=tags, writer=self.name)

    def hashtags(self, request: HashtagRequest) -> WriterResult:
        tags = hashtags_for(request.text, request.count, request.voice, camel=request.platform == "mastodon")
        return WriterResult(hashtags=tags, writer=self.name)

    def script(self, request: ScriptRequest) -> ScriptResult:
        from integrations.writers.longform import template_script

        return template_script(request, self.name)

    def summary(self, request: SummaryRequest) -> SummaryResult:
        from integrations.writers.longform import template_summary

        return template_summary(request, self.name)

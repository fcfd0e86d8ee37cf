"""The template writer's scripts and summaries: extractive and deterministic, no model.

A script keeps the speaker's own words: the hook is their strongest opening line, the beats follow the
transcript's timestamps, each with a visual cue (from what the footage shows when known), then a call to
action for the platform. A summary picks the sentences that carry the text's most frequent keywords.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from agent.content.writers.base import (
    ScriptBeat,
    ScriptRequest,
    ScriptResult,
    SummaryRequest,
    SummaryResult,
    TimedText,
)
from agent.content.writers.words import hashtags_for, keywords, strip_banned

WORDS_PER_SECOND = 2.6
MAX_BEATS = 5
MAX_LINE_WORDS = 32
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"'“(]?[A-ZÀ-ÖØ-Þ0-9¿¡])")
_GREETING = re.compile(
    r"^\s*(hi|hey|hello|good (morning|afternoon|evening)|what'?s up|welcome|hallo|hola|bonjour|ciao)\b", re.I
)
_FILLER = re.compile(r"\b(um+|uh+|erm|you know|i mean|like,)\s*", re.I)
_TOPIC = re.compile(
    r"\b(?:launch(?:ing)?|introduc(?:e|ing)|announc(?:e|ing)|present(?:ing)?|about|show(?:ing)? you|"
    r"sharing|try(?:ing)?|opening|open)\s+(?P<topic>[^.!?;:]{3,120})",
    re.I,
)
# words that make poor shot descriptions ("close-up of come")
_NOT_VISUAL = frozenset(
    """
    come comes came go goes going went get gets got give take takes took say said tell told think know want
    like love try free first last next today tomorrow weekend everyone everybody thing things way lot
    really actually maybe week day time year people let lets see look looking
    """.split()  # noqa: SIM905
)

SCRIPT_CTA = {
    "tiktok": "Follow for part two — and tell me in the comments what you'd add.",
    "instagram": "Save this for later and share it with someone who needs it.",
    "youtube": "Subscribe for more, and tell me in the comments what you think.",
    "facebook": "Share this with a friend who'd love it.",
    "linkedin": "What's your take? Let me know in the comments.",
    "x": "What do you think? Reply and tell me.",
    "threads": "What would you add? Tell me below.",
    "bluesky": "What do you think?",
    "mastodon": "What do you think?",
    "pinterest": "Save this pin for later.",
}


def sentences(text: str) -> list[str]:
    """Sentences, with each line (a heading, a list item) standing on its own."""
    out: list[str] = []
    for block in text.splitlines():
        block = " ".join(block.split())
        out += [s.strip() for s in _SENTENCE.split(block) if s.strip()]
    return out


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", " ", a).strip().casefold() == re.sub(r"\W+", " ", b).strip().casefold()


def timed_sentences(request: ScriptRequest) -> list[TimedText]:
    """The transcript's sentences with start and end times (from the segments, else estimated)."""
    out: list[TimedText] = []
    if request.segments:
        for seg in request.segments:
            parts = sentences(seg.text) or [seg.text.strip()]
            total = sum(len(p) for p in parts) or 1
            start = seg.start
            for part in parts:
                end = start + (seg.end - seg.start) * len(part) / total
                out.append(TimedText(start=round(start, 2), end=round(end, 2), text=part))
                start = end
        return [t for t in out if t.text]
    clock = 0.0
    for part in sentences(request.transcript):
        length = max(len(part.split()) / WORDS_PER_SECOND, 1.0)
        out.append(TimedText(start=round(clock, 2), end=round(clock + length, 2), text=part))
        clock += length
    return out


def shorten(text: str, max_words: int) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text.strip()
    cut = " ".join(words[:max_words]).rstrip(",;:—-")
    return cut + "…"


def _clean(text: str) -> str:
    return re.sub(r"\s{2,}", " ", _FILLER.sub("", text)).strip()


def _scores(texts: list[str]) -> list[float]:
    freq = Counter(k for t in texts for k in keywords(t))
    scores = []
    for i, t in enumerate(texts):
        keys = keywords(t)
        base = sum(freq[k] for k in keys) / math.sqrt(len(t.split()) + 1)
        scores.append(base * (1.25 if i == 0 else 1.0))
    return scores


def topic_of(text: str) -> str:
    """What a spoken note is about, in a few words ('our new oat latte at the corner cafe')."""
    match = _TOPIC.search(text)
    if match:
        return " ".join(match.group("topic").strip(" ,").split()[:12])
    parts = [s for s in sentences(text) if len(s.split()) > 3] or sentences(text) or [text]
    return " ".join(parts[0].rstrip(".!?").split()[:12])


def _visual_words(text: str) -> list[str]:
    return sorted((k for k in keywords(text) if k not in _NOT_VISUAL and len(k) > 2), key=len, reverse=True)


def template_script(request: ScriptRequest, writer: str) -> ScriptResult:
    voice = request.voice
    banned = voice.banned_words
    timed = [TimedText(start=t.start, end=t.end, text=_clean(t.text)) for t in timed_sentences(request)]
    timed = [t for t in timed if t.text]
    if not timed:
        timed = [TimedText(start=0, end=3, text=request.brief or "Here's something worth your time.")]
    content = [t for t in timed if not (_GREETING.match(t.text) and len(t.text.split()) <= 6)] or timed
    hook_source = next((t for t in content[:3] if t.text.endswith("?")), content[0])
    hook = shorten(hook_source.text, 14)
    body = [t for t in content if t is not hook_source] or content
    beats: list[ScriptBeat] = []
    groups = _group(body, min(MAX_BEATS, max(1, len(body))))
    visuals = [v.strip() for v in request.visuals if v.strip()]
    for i, group in enumerate(groups):
        line = shorten(" ".join(t.text for t in group), MAX_LINE_WORDS)
        shown = _visual_words(line)
        words_on_screen = " ".join([k for k in keywords(line) if k in shown][:3])
        if visuals:
            visual = f"B-roll: {visuals[i % len(visuals)]}"
        elif i == 0:
            visual = "Talking head, close framing; on-screen text: " + (
                words_on_screen.title() or "the topic"
            )
        elif shown:
            visual = f"Cut-away or close-up of the {shown[0]}; on-screen text: “{words_on_screen}”"
        else:
            visual = "Talking head, different angle"
        beats.append(
            ScriptBeat(
                start_s=group[0].start, end_s=max(group[-1].end, group[0].start + 1), line=line, visual=visual
            )
        )
    cta = SCRIPT_CTA.get(request.platform, "What do you think? Tell me in the comments.")
    subject_text = topic_of(" ".join(t.text for t in content))
    caption = shorten(hook_source.text, 20)
    if len(content) > 1:
        second = next((t.text for t in content if t is not hook_source), "")
        caption = f"{caption} {shorten(second, 25)}".strip()
    caption = strip_banned(f"{caption} {cta}", voice.banned_words)
    tags = hashtags_for(subject_text, 5, voice, camel=request.platform in {"mastodon", "linkedin"})
    return ScriptResult(
        hook=strip_banned(hook, voice.banned_words),
        beats=[
            b.model_copy(
                update={"line": strip_banned(b.line, banned), "visual": strip_banned(b.visual, banned)}
            )
            for b in beats
        ],
        cta=cta,
        caption=caption,
        hashtags=tags,
        writer=writer,
    )


def _group(items: list[TimedText], count: int) -> list[list[TimedText]]:
    """``items`` in order, cut into ``count`` groups of nearly equal length."""
    groups: list[list[TimedText]] = []
    size = len(items) / count
    for i in range(count):
        group = items[round(i * size) : round((i + 1) * size)]
        if group:
            groups.append(group)
    return groups


def template_summary(request: SummaryRequest, writer: str) -> SummaryResult:
    parts = [_clean(s) for s in sentences(request.text)]
    parts = (
        [p for p in parts if len(p.split()) >= 4] or [p for p in parts if p] or [request.text.strip()[:300]]
    )
    title = request.title.strip() or shorten(parts[0].rstrip("."), 10)
    parts = [p for p in parts if not _same(p, title)] or parts
    scores = _scores(parts)
    ranked = sorted(range(len(parts)), key=lambda i: -scores[i])
    chosen = sorted(ranked[: request.max_points])
    key_points = [shorten(parts[i], MAX_LINE_WORDS) for i in chosen]
    lead = sorted(ranked[:2])
    summary = shorten(" ".join(parts[i] for i in lead), 60)
    banned = request.voice.banned_words
    return SummaryResult(
        title=strip_banned(title, banned),
        summary=strip_banned(summary, banned),
        key_points=[strip_banned(p, banned) for p in key_points],
        writer=writer,
    )

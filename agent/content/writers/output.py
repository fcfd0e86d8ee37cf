"""A writer's output made ready to post: the brand voice's mechanical rules, then fitted to the platform."""

from __future__ import annotations

from collections.abc import Sequence

from agent.content.fitting import fit, room_for
from agent.content.text import fast_count
from agent.content.writers.base import ImproveRequest, VoiceGuide, Writer
from agent.content.writers.quality import HASHTAG_IN_TEXT
from agent.content.writers.voice import apply_voice, strip_emoji
from prompts.counting import trim_to_limit
from prompts.platforms import PlatformRule


def fit_output(
    writer: Writer, text: str, hashtags: Sequence[str], r: PlatformRule, voice: VoiceGuide
) -> tuple[str, list[str], list[str]]:
    """Any writer's output made ready for the platform: the voice's mechanical rules applied, hashtags
    deduplicated and capped; over the limit, the writer condenses it once, then it is trimmed at a word
    boundary as a last resort. Returns the text, the hashtags and notes saying what was done."""
    text, tags = apply_voice(text.strip(), list(hashtags), voice)
    _, tags = fit(text, tags, r)
    room = room_for(r, tags)
    notes: list[str] = []
    length = fast_count(text, r.counting)
    if length > room:
        condensed = writer.improve(
            ImproveRequest(
                platform=r.name,
                platform_label=r.label,
                limit=room,
                counting=r.counting,
                text=text,
                goal="condense",
                voice=voice,
            )
        )
        candidate = apply_voice(condensed.text, [], voice)[0]
        if candidate.strip() and fast_count(candidate, r.counting) < length:
            text = candidate
            notes.append(f"Condensed by {condensed.writer} from {length} to {fast_count(text, r.counting)}.")
    if fast_count(text, r.counting) > room:
        text = trim_to_limit(text, room, r.counting)
        notes.append(f"Trimmed at a word boundary to fit {r.label}'s {r.limit}-character limit.")
    return text, tags, notes


def title_of(text: str, subject: str, limit: int) -> str:
    """A title for platforms that show one (YouTube, Pinterest): the post's first line without emoji or
    hashtags, cut at a word within ``limit`` characters; the subject when the first line is empty."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    first = strip_emoji(HASHTAG_IN_TEXT.sub("", first)).strip(" .!?:;,-")
    title = first or subject.strip()
    return trim_to_limit(title, limit, "chars", ellipsis="") if len(title) > limit else title

"""Checks a model's caption must pass before it is used (small local models copy their instructions and
write hashtags into the text); shared with ``bench/compare_writers.py`` so the bench measures what the
writer enforces."""

from __future__ import annotations

import re

# Pieces of the caption prompt (prompts/templates/caption.j2, writer_system.j2) that must never be posted.
PROMPT_MARKERS = (
    "brief:",
    "subject:",
    "platform style",
    "hashtags excluded",
    "start with a hook",
    "without the # sign",
    "specific before broad",
    "social media copywriter",
    "answer only with",
    "json",
    '"caption"',
    "{",
    "}",
)
# A small model sometimes declines instead of writing ("I'm sorry, but I can't see that photo"): never posted.
REFUSAL = re.compile(
    r"^\W*(?:i['’]?m sorry|i am sorry|sorry,? (?:but )?i\b|as an ai\b|i['’]?m (?:not able|unable)|i am (?:not able|unable)"
    r"|i (?:can(?:no|['’])t|cannot) (?:assist|help|see|view|access|open|provide|comply|write|create|do that))",
    re.IGNORECASE,
)
HASHTAG_IN_TEXT = re.compile(r"(?<![\w&])#(\w+)")
_TRAILING_TAGS = re.compile(r"(?:\s*(?<![\w&])#\w+)+\s*$")
MIN_PARROT_WORDS = 6
# "write a post", "give me 3 captions", "schreib einen Beitrag": the request's words, never a post's
_INSTRUCTION_PHRASE = re.compile(
    r"\b(?:write|draft|compose|give me|escrib\w*|redact\w*|hazme|ecri[rsv]\w*|redige\w*|fais-moi|schreib\w*|"
    r"verfass\w*|escrev\w*|scriv\w*|fammi)\s+(?:\w+\s+){0,3}?(?:posts?|captions?|tweets?|threads?|scripts?|"
    r"publicaci\w+|leyendas?|legendes?|légendes?|legendas?|beitr(?:a|ä)g\w*|didascali\w+|hashtags?)\b|"
    r"\b(?:(?:can|could) (?:u|you) help me|help me (?:get|spread|announce|promote)|get the word out|"
    r"(?:title|description|caption)s? (?:and|&) (?:title|description|caption|hashtag|tag)s?)\b",
    re.IGNORECASE,
)


def echoed_instruction(text: str, *, brief: str = "", style: str = "") -> str | None:
    """What of the prompt the caption copies (an instruction, the style line, a long brief word for word),
    or None."""
    lowered = text.lower()
    for marker in PROMPT_MARKERS:
        if marker in lowered:
            return marker
    if phrase := _INSTRUCTION_PHRASE.search(text):
        return phrase.group(0)
    for copied, min_words in ((style, 3), (brief, MIN_PARROT_WORDS)):
        words = " ".join(copied.lower().split())
        if len(words.split()) >= min_words and words in " ".join(lowered.split()):
            return copied.strip()
    return None


def refusal(text: str) -> bool:
    """Whether the caption is the model declining (an apology or "I can't …") rather than a post."""
    return bool(REFUSAL.search(text.strip()))


def tidy_hashtags(text: str, tags: list[str]) -> tuple[str, list[str]]:
    """A trailing block of #hashtags in the text moves to the list; an inline #word that repeats a listed
    tag loses its '#'; numeric-only tags are dropped; the list is deduplicated (case-insensitively)."""
    trailing = _TRAILING_TAGS.search(text)
    moved: list[str] = []
    if trailing and trailing.start() > 0:
        moved = HASHTAG_IN_TEXT.findall(trailing.group(0))
        text = text[: trailing.start()].rstrip()
    merged: list[str] = []
    seen: set[str] = set()
    for tag in [*tags, *moved]:
        key = tag.lower()
        if tag and not tag.isdigit() and key not in seen:
            seen.add(key)
            merged.append(tag)
    text = HASHTAG_IN_TEXT.sub(lambda m: m.group(1) if m.group(1).lower() in seen else m.group(0), text)
    return text, merged

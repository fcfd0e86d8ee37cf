"""Reading a request: the subject of the post and the platforms it names."""

from __future__ import annotations

import re

from prompts.platforms import platform_names

_PLATFORM_PATTERNS: dict[str, str] = {
    "instagram": r"\b(instagram|insta|ig)\b",
    "linkedin": r"\blinked\s?in\b",
    "x": r"\b(twitter|tweets?|tuits?|tuitea\w*|x(?=\s+(post|thread|caption))|(?<=\bon\s)x\b|(?<=\bfor\s)x\b|(?<=\band\s)x\b)",
    "threads": r"\bthreads\b(?!\s+of)",
    "bluesky": r"\b(bluesky|bsky)\b",
    "mastodon": r"\b(mastodon|toot)\b",
    "facebook": r"\b(facebook|fb)\b",
    "tiktok": r"\btik\s?tok\b",
    "youtube": r"\b(youtube|yt)\b",
    "pinterest": r"\b(pinterest|pin)\b",
}

_LEADING = re.compile(
    r"^(?:(?:please|pls|can you|could you|would you|hey|hi|ok|okay)[\s,]+)*"
    r"(?:(?:write|draft|create|make|give me|generate|compose|come up with|i need|we need|need|announce|"
    r"introduce|promote|share|celebrate|launch)\s+)?"
    r"(?:(?:an?|the|some|\d+|one|two|three)\s+)?"
    r"(?:(?:new|short|long|fun|catchy|quick)\s+)*"
    r"(?:(?:instagram|insta|ig|linkedin|x|twitter|threads|bluesky|mastodon|facebook|fb|tiktok|youtube|"
    r"pinterest)(?:\s*(?:,|and|&|\+|/)\s*)?\s*)*"
    r"(?:(?:caption|captions|post|posts|tweet|tweets|thread|update|copy|text|hashtags?|titles?|descriptions?|"
    r"headlines?|tags)(?:\s*(?:,|and|&|\+|/)\s*)?\s*)*(?:(?:for|about|on)\s+(?=\S))?",
    re.IGNORECASE,
)
_ABOUT = re.compile(
    r"\b(?:about|regarding|announcing|promoting|featuring|re:)\s+(.+)$", re.IGNORECASE | re.DOTALL
)
_FOR = re.compile(
    r"\b(?:caption|captions|post|posts|tweet|tweets|thread|copy|hashtags?|update|ideas?)\s+(?:for|on)\s+(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_TRAILING_PLATFORMS = re.compile(
    r"\s+(?:on|for)\s+(?:instagram|insta|ig|linkedin|x|twitter|threads|bluesky|mastodon|facebook|fb|tiktok|"
    r"youtube|pinterest)(?:\s*(?:,|and|&)\s*(?:instagram|linkedin|x|twitter|threads|bluesky|mastodon|"
    r"facebook|tiktok|youtube|pinterest))*\s*[.!?]*$",
    re.IGNORECASE,
)


_TRAILING_INSTRUCTION = re.compile(
    r"[\s,;:.!—–-]+(?:(?:please|can you|could you)\s+)?(?:write|draft|create|make|compose|give me)\s+"
    r"(?:(?:an?|the|some|\d+)\s+)?(?:\w+\s+){0,2}?(?:caption|post|tweet|thread|update|copy)s?\s*[.!?]*$",
    re.IGNORECASE,
)


def detect_platforms(text: str) -> list[str]:
    found = []
    lowered = text.lower()
    for name in platform_names():
        pattern = _PLATFORM_PATTERNS.get(name)
        if pattern and re.search(pattern, lowered):
            found.append(name)
    return found


def extract_subject(text: str) -> str:
    """'write an Instagram caption about our new oat latte' -> 'our new oat latte'."""
    text = " ".join(text.split()).strip()
    body = _TRAILING_PLATFORMS.sub("", text)
    body = _TRAILING_INSTRUCTION.sub("", body) or body
    match = _ABOUT.search(body) or _FOR.search(body)
    subject = match.group(1) if match else _LEADING.sub("", body)
    subject = _TRAILING_PLATFORMS.sub("", subject).strip(" .!?,;:\"'")
    return subject or text.strip(" .!?")

"""The ``/studio`` sub-commands: parsed into what the agent is asked (pure functions, tested directly)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COMMAND_CHARS = 4000

USAGE = {
    "caption": "/studio caption <what the post is about>",
    "hashtags": "/studio hashtags <topic or text>",
    "script": "/studio script [what the video is about] (none: your latest voice note or video)",
    "score": "/studio score <the post text>",
    "best-time": "/studio best-time [platform]",
    "schedule": "/studio schedule <when>  (e.g. tomorrow 9am; the latest draft of /studio)",
    "queue": "/studio queue",
    "cancel": "/studio cancel <post id>",
    "link": "/studio link <code>  (get the code in the web studio: “link my slack”)",
    "help": "/studio help",
}
_NAMES = {"best_time": "best-time", "besttime": "best-time", "tags": "hashtags", "?": "help"}


@dataclass(frozen=True)
class StudioCommand:
    """One ``/studio`` invocation. ``prompt`` is the agent's input; ``None`` when the bot answers itself."""

    name: str  # a sub-command, or "ask" for free text
    arg: str = ""
    prompt: str | None = None
    error: str | None = None  # a usage problem to show instead of doing anything


def parse(text: str) -> StudioCommand:
    """``caption oat latte launch`` → the caption request; anything that is not a sub-command → the agent."""
    text = " ".join((text or "").split())
    if len(text) > MAX_COMMAND_CHARS:
        return StudioCommand(
            "ask", text, error=f"That is {len(text):,} characters; the most is {MAX_COMMAND_CHARS:,}."
        )
    if not text:
        return StudioCommand("help")
    head, _, arg = text.partition(" ")
    name = _NAMES.get(head.lower(), head.lower())
    arg = arg.strip()
    if name not in USAGE:
        return StudioCommand("ask", text, prompt=text)
    if name == "help":
        return StudioCommand("help")
    if name == "link":
        return StudioCommand("link", arg, error=None if arg else f"Usage: {USAGE['link']}")
    prompt = _prompt(name, arg)
    if prompt is None:
        return StudioCommand(name, arg, error=f"Usage: {USAGE[name]}")
    return StudioCommand(name, arg, prompt=prompt)


def _prompt(name: str, arg: str) -> str | None:
    if name == "caption":
        return f"write a caption about {arg}" if arg else None
    if name == "hashtags":
        return f"suggest hashtags for {arg}" if arg else None
    if name == "script":
        return f"write a reel script: {arg}" if arg else ""  # "": the latest voice note or video
    if name == "score":
        return f"score this: {arg}" if arg else None
    if name == "best-time":
        return "when is the best time to post" + (f" on {arg}" if arg else "")
    if name == "schedule":
        return f"schedule it for {arg}" if arg else None
    if name == "queue":
        return "show my queue"
    if name == "cancel":
        match = re.fullmatch(r"#?\s*(\d{1,12})", arg)
        return f"cancel post #{match.group(1)}" if match else None
    return None

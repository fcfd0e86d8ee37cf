"""What each button of the web studio asks the agent to do: one of its tools with typed arguments, run by
:meth:`Studio.run_action` — never a sentence for the planner to read back.

Pure (no Chainlit): the ids come from a button's payload and are checked by the tool against the logged-in
user; times are the user's words, which the scheduling tools read in the user's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.core.errors import InputError
from agent.services.views.drafts import DraftView

VARIANTS = 3
MAX_WHEN_CHARS = 100
NOT_OURS = "That button is not one of the studio's."


@dataclass(frozen=True)
class ToolCall:
    tool: str
    args: dict[str, Any] = field(default_factory=dict)


def payload_id(payload: dict[str, Any], key: str) -> int:
    """A positive id from a button's payload (InputError for anything else)."""
    try:
        value = int(str(payload.get(key)))
    except (TypeError, ValueError):
        raise InputError(NOT_OURS) from None
    if value <= 0:
        raise InputError(NOT_OURS)
    return value


def approve(draft_id: int) -> ToolCall:
    return ToolCall("approve_draft", {"draft_id": draft_id})


def edit(draft_id: int, text: str) -> ToolCall:
    """The user's own version; a trailing block of hashtags becomes the draft's hashtags."""
    return ToolCall("edit_draft", {"draft_id": draft_id, "text": text})


def regenerate(draft: DraftView, brief: str) -> ToolCall:
    """A fresh draft of the same post for the same platform, with the same media and language."""
    args: dict[str, Any] = {"brief": brief, "platform": draft.platform}
    if draft.media:
        args["media"] = [m.asset_id for m in draft.media]
    if draft.language:
        args["language"] = draft.language
    return ToolCall("write_caption", args)


def variants(draft_id: int, n: int = VARIANTS) -> ToolCall:
    return ToolCall("ab_variants", {"draft_id": draft_id, "n": n})


def improve(draft_id: int) -> ToolCall:
    return ToolCall("improve_post", {"draft_id": draft_id})


def schedule(draft_id: int, when: str) -> ToolCall:
    return ToolCall("schedule_post", {"draft_id": draft_id, "when": when.strip()[:MAX_WHEN_CHARS]})


def publish(draft_id: int) -> ToolCall:
    return ToolCall("publish_now", {"draft_id": draft_id})


def cancel_post(post_id: int) -> ToolCall:
    return ToolCall("cancel_post", {"post_id": post_id})


def reschedule_post(post_id: int, when: str) -> ToolCall:
    return ToolCall("reschedule_post", {"post_id": post_id, "when": when.strip()[:MAX_WHEN_CHARS]})

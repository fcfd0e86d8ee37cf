"""Reading a turn: the last human message, the plan steps and tool results after it, and building the next
tool call. Both planners, the pipelines and the reply use these."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage

from prompts.platforms import rule


def turn_messages(messages: Sequence[AnyMessage]) -> tuple[HumanMessage | None, list[AnyMessage]]:
    """The last human message and everything after it (this turn's plan steps and tool results)."""
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if isinstance(msg, HumanMessage):
            return msg, list(messages[i + 1 :])
    return None, []


def message_text(message: AnyMessage | None) -> str:
    if message is None:
        return ""
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def call(name: str, **args: Any) -> dict[str, Any]:
    """A tool call as a planner emits it (``AIMessage.tool_calls`` entry) with a fresh id."""
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:16]}", "type": "tool_call"}


def tool_results(turn: Sequence[AnyMessage], name: str | None = None) -> list[ToolMessage]:
    return [m for m in turn if isinstance(m, ToolMessage) and (name is None or m.name == name)]


def ran_tools(turn: Sequence[AnyMessage]) -> set[str]:
    return {m.name or "" for m in tool_results(turn)}


def artifacts(turn: Sequence[AnyMessage], kind: str) -> list[dict[str, Any]]:
    """The artifacts of this turn's tool results of one kind (``"draft"``, ``"error"``, ...)."""
    out = []
    for m in tool_results(turn):
        art = getattr(m, "artifact", None)
        if isinstance(art, dict) and art.get("type") == kind:
            out.append(art)
    return out


def results(turn: Sequence[AnyMessage]) -> list[tuple[str, dict[str, Any]]]:
    """Every tool result of the turn as (tool name, artifact), in order."""
    out = []
    for m in tool_results(turn):
        art = getattr(m, "artifact", None)
        out.append((m.name or "", art if isinstance(art, dict) else {}))
    return out


def by_tool(found: list[tuple[str, dict[str, Any]]], tool: str) -> list[dict[str, Any]]:
    return [art for name, art in found if name == tool]


def latest_drafts(turn: Sequence[AnyMessage]) -> list[dict[str, Any]]:
    """The final version of each draft touched in this turn, in creation order."""
    latest: dict[int, dict[str, Any]] = {}
    for art in artifacts(turn, "draft"):
        latest[art["id"]] = art
    for art in artifacts(turn, "variants"):  # A/B variants are drafts too
        for draft in art.get("drafts", []):
            latest[draft["id"]] = draft
    return [latest[k] for k in sorted(latest)]


def drafts_short_of_tags(drafts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drafts that still need a hashtag step: fewer than half their platform's norm of hashtags.

    A writer's caption already carries its hashtags; asking the writer again for a draft that has enough
    only costs a second model call (with the local model, a second or more of the turn, and the model
    server's cached prompt)."""
    out = []
    for draft in drafts:
        if draft.get("kind") == "thread":
            continue
        try:
            norm = rule(str(draft.get("platform"))).hashtags_norm
        except ValueError:
            continue
        if len(draft.get("hashtags") or []) < (norm + 1) // 2:
            out.append(draft)
    return out

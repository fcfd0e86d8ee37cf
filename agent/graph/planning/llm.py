"""The LLM planner: plans by tool calling on any OpenAI-compatible model, with the rules planner as the
fallback for a step the endpoint fails."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage

from agent.content.brief import Intent
from agent.content.understand import parse
from agent.core.db import session_scope
from agent.core.repo.assets import PUBLIC_META_KEYS
from agent.graph.planning.rules import RulesPlanner
from agent.graph.turn import message_text, turn_messages
from agent.services.context import Context, Planner
from agent.services.memory import system_prompt
from tools import TOOLS

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 40  # messages of history the LLM planner sees


class LLMPlanner:
    """Plans by tool calling. The tool schemas are bound once; the system prompt is built once per turn."""

    name = "llm"

    def __init__(self, model: BaseChatModel, fallback: RulesPlanner) -> None:
        self.model = model
        self.fallback = fallback
        self._bound = model.bind_tools(TOOLS)

    async def plan(self, state: dict[str, Any], ctx: Context) -> AIMessage:
        platforms = list(state.get("platforms") or ctx.platforms or ["instagram"])
        system = ctx.memo.get("system_prompt")
        if system is None:  # once per turn: the brand's prompt and what the parser read from the message
            with session_scope(ctx.services.engine) as session:
                system = system_prompt(session, user_id=ctx.user_id, platforms=platforms)
            note = brief_note(state, ctx.services.router)
            system = f"{system}\n\n{note}" if note else system
            ctx.memo["system_prompt"] = system
        history = _bounded_history(state.get("messages", []), HISTORY_MESSAGES)
        history = with_attachment_note(history, state)
        try:
            answer = await self._bound.ainvoke([SystemMessage(system), *history])
        except Exception as exc:  # noqa: BLE001 - the endpoint is down or broken: plan by rules this turn
            log.warning("LLM planner failed (%s); using the rules planner for this step", exc)
            message = await self.fallback.plan(state, ctx)
            message.response_metadata["fallback_reason"] = f"{type(exc).__name__}: {str(exc)[:200]}"
            return message
        if not isinstance(answer, AIMessage):
            answer = AIMessage(content=str(getattr(answer, "content", answer)))
        answer.response_metadata = {**(answer.response_metadata or {}), "planner": self.name}
        return answer


def _bounded_history(messages: Sequence[AnyMessage], limit: int) -> list[AnyMessage]:
    """The last ``limit`` messages as a valid chat history for an OpenAI-style API: no tool result whose
    call was cut off, and no tool call left without its result (a turn that crashed mid-tool)."""
    window = list(messages[-limit:])
    while window and isinstance(window[0], ToolMessage):
        window.pop(0)
    answered = {m.tool_call_id for m in window if isinstance(m, ToolMessage)}
    clean: list[AnyMessage] = []
    for m in window:
        if isinstance(m, AIMessage) and m.tool_calls and not all(c["id"] in answered for c in m.tool_calls):
            if message_text(m).strip():
                clean.append(AIMessage(content=m.content, id=m.id))
            continue
        clean.append(m)
    return clean


def with_attachment_note(history: list[AnyMessage], state: dict[str, Any]) -> list[AnyMessage]:
    """The history with the turn's attachments named in the last user message (ids the tools take)."""
    assets = state.get("assets") or []
    if not assets:
        return history
    lines = []
    for a in assets:
        meta = {k: v for k, v in (a.get("meta") or {}).items() if k in PUBLIC_META_KEYS and k != "exif"}
        described = ", ".join(
            f"{k}={v}" for k, v in meta.items() if k in ("duration_s", "width", "height", "language", "title")
        )
        lines.append(
            f"- asset_id={a['id']}: {a['kind']} “{a.get('filename')}”"
            + (f" ({described})" if described else "")
        )
    note = "\n\n[Attached to this message:\n" + "\n".join(lines) + "]"
    for i in range(len(history) - 1, -1, -1):
        message = history[i]
        if isinstance(message, HumanMessage):
            content = message.content if isinstance(message.content, str) else str(message.content)
            return [*history[:i], HumanMessage(content=content + note, id=message.id), *history[i + 1 :]]
    return history


def brief_note(state: dict[str, Any], router: Callable[[str], Intent | None] | None = None) -> str:
    """What the request parser read from the user's last message, for the model to plan with: how many
    drafts, the language, tone, facts (the only ones a post may state) and constraints."""
    human, _ = turn_messages(state.get("messages", []))
    text = message_text(human).strip()
    if not text:
        return ""
    brief = parse(
        text, attachments=tuple(str(a.get("kind")) for a in state.get("assets") or []), fallback=router
    )
    parts = [f"intents: {', '.join(i.value for i in brief.intents)}"]
    if brief.platforms:
        parts.append(f"platforms named: {', '.join(brief.platforms)}")
    if brief.count:
        parts.append(f"{brief.count} different drafts per platform (call write_caption once per variant)")
    if brief.language:
        parts.append(f"language: {brief.language}" + (" (asked)" if brief.language_asked else ""))
    if brief.tone:
        parts.append(f"tone: {brief.tone}")
    if brief.facts:
        parts.append("facts (state no others): " + "; ".join(f.text for f in brief.facts))
    kept = brief.constraints.model_dump(exclude_defaults=True)
    if kept:
        parts.append(f"constraints: {kept}")
    if brief.draft_refs:
        parts.append(f"drafts referred to: {', '.join(f'#{d}' for d in brief.draft_refs)}")
    return "Read from the user's last message — " + " | ".join(parts)


def make_planner(name: str, chat_model: BaseChatModel | None) -> Planner:
    rules = RulesPlanner()
    if name == "llm" and chat_model is not None:
        return LLMPlanner(model=chat_model, fallback=rules)
    return rules

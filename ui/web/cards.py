"""The draft cards' buttons. Each becomes one of the agent's tool calls (:mod:`ui.web.calls`) run with
:meth:`Studio.run_action`; Edit, Schedule and Publish now first ask for the text, the time or a
confirmation. The draft is read for the logged-in user first, so another user's id gets "not found"."""

from __future__ import annotations

from typing import Any

import chainlit as cl

from agent.core.errors import InputError, StudioError
from agent.services.views import web
from agent.services.views.drafts import DraftView
from ui.web import calls, views
from ui.web.auth import current_user_id
from ui.web.runtime import service
from ui.web.turns import ASK_TIMEOUT_S, ask_text, run_action

PUBLISH_CONFIRM = "studio_publish_confirm"


async def on_draft_action(action: cl.Action) -> None:
    op = str(action.payload.get("op") or "")
    try:
        draft_id = calls.payload_id(action.payload, "draft_id")
        if op not in views.DRAFT_OPS:
            raise InputError(calls.NOT_OURS)
        user_id = await current_user_id()
        draft = await service(web.draft_view, user_id=user_id, draft_id=draft_id)
        call = await _call(op, user_id, draft)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
        return
    if call is not None:
        await run_action(call)


async def _call(op: str, user_id: str, draft: DraftView) -> calls.ToolCall | None:
    """The tool call a card's button makes, after asking what it needs; None when the user backed out."""
    if op == "approve":
        return calls.approve(draft.id)
    if op == "edit":
        new = await ask_text(
            f"Send your version of draft #{draft.id} ({draft.platform_label}); hashtags at the end become "
            "its hashtags. I learn your voice from what you change. The current text:\n\n"
            f"```text\n{draft.post_text}\n```"
        )
        return calls.edit(draft.id, new) if new is not None else None
    if op == "regenerate":
        brief, _ = await service(web.regenerate_request, user_id=user_id, draft_id=draft.id)
        return calls.regenerate(draft, brief)
    if op == "variants":
        return calls.variants(draft.id)
    if op == "improve":
        return calls.improve(draft.id)
    if op == "schedule":
        when = await _ask_when(user_id, draft)
        return calls.schedule(draft.id, when) if when is not None else None
    if op == "publish":
        return calls.publish(draft.id) if await _confirm_publish(draft) else None
    raise InputError(calls.NOT_OURS)


async def _ask_when(user_id: str, draft: DraftView) -> str | None:
    """The best slot or a typed time (the user's words, read by schedule_post in their timezone)."""
    best, tz = await service(web.best_slot, user_id=user_id, platform=draft.platform)
    answer = await cl.AskActionMessage(
        content=f"When should draft #{draft.id} go out on {draft.platform_label}? Times are in {tz}.",
        actions=views.schedule_choices(draft.id, f"{best:%a %d %b %H:%M}"),
        timeout=ASK_TIMEOUT_S,
    ).send()
    reply: dict[str, Any] = dict(answer) if answer else {}
    choice = str((reply.get("payload") or {}).get("choice") or "")
    if choice == "best":
        return best.isoformat(timespec="minutes")
    if choice == "custom":
        return await ask_text(
            f"Type the time for draft #{draft.id} in {tz}: e.g. “tomorrow 9am”, “friday 10:30”, "
            "“2026-12-01 14:30”, or “next free slot”."
        )
    return None


async def _confirm_publish(draft: DraftView) -> bool:
    answer = await cl.AskActionMessage(
        content=f"Publish draft #{draft.id} on {draft.platform_label} now?",
        actions=[
            cl.Action(name=PUBLISH_CONFIRM, payload={"go": True}, label="Publish now", icon="send"),
            cl.Action(name=PUBLISH_CONFIRM, payload={"go": False}, label="Cancel", icon="x"),
        ],
        timeout=ASK_TIMEOUT_S,
    ).send()
    return bool(answer and (answer.get("payload") or {}).get("go"))

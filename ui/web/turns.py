"""Running the agent from the web chat: a message or an approval answer (:meth:`Studio.run_turn`), a button
(:meth:`Studio.run_action`), tool calls shown as steps, approvals asked with buttons — all with the edge's
error policy (expected failures are shown, the rest logged)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from agent.core.errors import StudioError
from agent.runtime.studio import TurnResult
from tools import SENSITIVE_TOOLS
from ui.web.auth import current_user_id, thread_id
from ui.web.calls import ToolCall
from ui.web.replies import show_result
from ui.web.runtime import studio

log = logging.getLogger(__name__)

APPROVAL_TIMEOUT_S = 600
ASK_TIMEOUT_S = 600
MAX_APPROVAL_ROUNDS = 5
ANSWER_ACTION = "studio_approval_answer"
LATER_ACTION = "studio_approval_later"
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and this message was not handled. "
    "Please try again in a moment; if it keeps happening, tell whoever runs this studio."
)


class ToolSteps:
    """Turns the studio's tool events into Chainlit steps named after the tool (``#step-<tool>``).

    A tool that needs approval is shown only once it has run: before that the question is on screen, and a
    declined call is not shown as a step at all (the reply says it was not run).
    """

    def __init__(self) -> None:
        self._open: dict[str, cl.Step] = {}
        self._shown: set[str] = set()

    async def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "tool_start":
            step = self._new(event["name"])
            step.input = event.get("args") or {}
            if event["name"] not in SENSITIVE_TOOLS:
                await self._show(step)
            self._open[event["id"]] = step
        elif kind == "tool_end":
            opened = self._open.pop(event["id"], None)
            step = opened if opened is not None else self._new(event.get("name") or "tool")
            artifact = event.get("artifact")
            if isinstance(artifact, dict) and artifact.get("type") == "declined":
                if step.id in self._shown:
                    await step.remove()
                return
            step.output = event.get("content") or ""
            step.is_error = bool(event.get("error"))
            step.end = utc_now()
            if step.id in self._shown:
                await step.update()
            else:
                await self._show(step)

    async def _show(self, step: cl.Step) -> None:
        await step.send()
        self._shown.add(step.id)

    @staticmethod
    def _new(name: str) -> cl.Step:
        parent = cl.context.current_step
        step = cl.Step(name=name, type="tool", parent_id=parent.id if parent else None)
        step.start = utc_now()
        return step


def approval_text(result: TurnResult) -> str:
    """The pending approval's question, then the start of each draft it acts on (quoted)."""
    actions = [a for a in (result.approval or {}).get("actions") or [] if isinstance(a, dict)]
    previews = list(dict.fromkeys(str(a["preview"]) for a in actions if a.get("preview")))
    quoted = "".join(f"\n\n> {preview}" for preview in previews[:5])
    return result.reply + quoted


def approval_buttons(name: str) -> list[cl.Action]:
    return [
        cl.Action(name=name, payload={"approved": True}, label="Approve", icon="check"),
        cl.Action(name=name, payload={"approved": False}, label="Decline", icon="x"),
    ]


async def deliver(result: TurnResult, *, user_id: str, thread: str, steps: ToolSteps) -> None:
    """Show the reply; while the agent waits for an approval, ask for it and resume with the answer."""
    for _ in range(MAX_APPROVAL_ROUNDS):
        if not result.approval:
            await show_result(result, user_id)
            return
        answer = await cl.AskActionMessage(
            content=approval_text(result), actions=approval_buttons(ANSWER_ACTION), timeout=APPROVAL_TIMEOUT_S
        ).send()
        if answer is None:
            await cl.Message(
                content="Still waiting for your decision: " + approval_text(result),
                actions=approval_buttons(LATER_ACTION),
            ).send()
            return
        approved = bool((answer.get("payload") or {}).get("approved"))
        result = await studio().run_turn(
            user_id=user_id, thread_id=thread, resume={"approved": approved}, channel="web", on_event=steps
        )
    await cl.Message(content="That is enough approvals for one message; tell me what to do next.").send()


async def _run(what: str, start: Callable[[str, str, ToolSteps], Awaitable[TurnResult]]) -> None:
    user_id = thread = "?"
    try:
        user_id = await current_user_id()
        thread = thread_id()
        steps = ToolSteps()
        result = await start(user_id, thread, steps)
        await deliver(result, user_id=user_id, thread=thread, steps=steps)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
    except Exception:
        log.exception("Web %s failed (user %s, thread %s).", what, user_id, thread)
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


async def run_turn(
    *,
    text: str | None = None,
    approved: bool | None = None,
    attachments: list[tuple[Path, str]] | None = None,
    platforms: list[str] | None = None,
) -> None:
    """A message (``text`` and ``attachments``, for ``platforms``) or the answer to a pending approval."""

    async def start(user_id: str, thread: str, steps: ToolSteps) -> TurnResult:
        return await studio().run_turn(
            user_id=user_id,
            thread_id=thread,
            text=text,
            resume=None if approved is None else {"approved": approved},
            platforms=platforms or [],
            channel="web",
            on_event=steps,
            attachments=attachments or (),
        )

    await _run("turn", start)


async def run_action(call: ToolCall) -> None:
    """A button: its tool call goes straight to the agent (no planner); the click is the approval."""

    async def start(user_id: str, thread: str, steps: ToolSteps) -> TurnResult:
        return await studio().run_action(
            user_id=user_id, thread_id=thread, tool=call.tool, args=call.args, channel="web", on_event=steps
        )

    await _run(f"action {call.tool}", start)


async def guarded(what: str, work: Callable[[str], Awaitable[None]]) -> None:
    """Run a panel (calendar, analytics, ...) or a button for the current user with the edge's error policy."""
    try:
        await work(await current_user_id())
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
    except Exception:
        log.exception("The %s failed.", what)
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


async def ask_text(prompt: str) -> str | None:
    """Ask for a line of text (the next message typed); None when nothing came before the timeout."""
    answer = await cl.AskUserMessage(content=prompt, timeout=ASK_TIMEOUT_S).send()
    text = str((answer or {}).get("output") or "").strip()
    return text or None


def attachments(message: cl.Message) -> list[tuple[Path, str]]:
    """Uploaded files as (path, the user's file name): Chainlit stores them under random names, and ingest
    checks that a file's content matches its name."""
    return [(Path(el.path), el.name or Path(el.path).name) for el in message.elements or [] if el.path]


ActionHandler = Callable[[cl.Action], Awaitable[None]]


def running(handler: ActionHandler) -> ActionHandler:
    """Chainlit runs action callbacks over HTTP without marking a task: this marks one, so the page shows
    the work in progress, and ends it even when an Ask inside (which restarts the task when answered) ran."""

    @functools.wraps(handler)
    async def wrapper(action: cl.Action) -> None:
        await cl.context.emitter.task_start()
        try:
            await handler(action)
        finally:
            await cl.context.emitter.task_end()

    return wrapper

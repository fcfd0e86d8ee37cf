"""The web chat (Chainlit). Thin: it logs users in against the studio's users, runs one agent turn per
message through :class:`agent.studio.Studio`, and shows tool calls as steps and approvals as buttons.

Start it with ``studio run`` (see :mod:`ui.web`), which configures Chainlit before this module is imported.
One :class:`Studio` serves the whole process; the LangGraph thread id is the Chainlit thread id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.input_widget import InputWidget, MultiSelect
from chainlit.types import ThreadDict
from chainlit.utils import utc_now

from agent import repo
from agent.db import async_url, session_scope
from agent.errors import InputError, StudioError
from agent.models import User
from agent.settings import Settings, load_settings
from agent.studio import Studio, TurnResult
from prompts.platforms import platform_rules
from tools import SENSITIVE_TOOLS

log = logging.getLogger(__name__)

APPROVAL_TIMEOUT_S = 600
MAX_APPROVAL_ROUNDS = 5
THREADS_PER_USER = 500
SQLITE_BUSY_TIMEOUT_S = 30
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and this message was not handled. "
    "Please try again in a moment; if it keeps happening, tell whoever runs this studio."
)


@dataclass
class _Runtime:
    """What the process shares: the settings and the one Studio (opened at start-up, closed at shutdown)."""

    settings: Settings | None = None
    studio: Studio | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)


_runtime = _Runtime()


def configure(settings: Settings) -> None:
    """Hand the settings over (``ui.web.serve``); without it the app reads them from the environment."""
    _runtime.settings = settings


def _settings() -> Settings:
    if _runtime.settings is None:
        _runtime.settings = load_settings()
    return _runtime.settings


def _studio() -> Studio:
    if _runtime.studio is None:
        raise RuntimeError("The studio is not open (on_app_startup did not run).")
    return _runtime.studio


# -- life cycle --------------------------------------------------------------------------------------


@cl.on_app_startup
async def start_studio() -> None:
    _runtime.studio = await _runtime.stack.enter_async_context(Studio.open(_settings()))
    log.info("Studio open (%s).", ", ".join(f"{k}: {v}" for k, v in _runtime.studio.services.backend.items()))


@cl.on_app_shutdown
async def stop_studio() -> None:
    _runtime.studio = None
    await _runtime.stack.aclose()


@cl.data_layer
def data_layer() -> SQLAlchemyDataLayer:
    """Chainlit's threads, steps and users live in the studio's own database (tables from migration 0002)."""
    url = async_url(_settings().sqlalchemy_url)
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_S} if url.startswith("sqlite") else {}
    return SQLAlchemyDataLayer(conninfo=url, connect_args=connect_args, user_thread_limit=THREADS_PER_USER)


# -- users -------------------------------------------------------------------------------------------


def _check_password(email: str, password: str) -> User | None:
    with session_scope(_studio().services.engine) as session:
        return repo.authenticate(session, email=email, password=password)


def _active_user(email: str) -> User | None:
    with session_scope(_studio().services.engine) as session:
        try:
            user = repo.find_user_by_email(session, email=email)
        except InputError:
            return None
        return user if user is not None and user.is_active else None


@cl.password_auth_callback
async def login(email: str, password: str) -> cl.User | None:
    user = await asyncio.to_thread(_check_password, email, password)
    if user is None:
        log.info("Failed web login for %r.", email[:320])
        return None
    return cl.User(
        identifier=user.email,
        display_name=user.display_name,
        metadata={"studio_user_id": user.id},
    )


async def _current_user_id() -> str:
    """The studio user behind this chat session; refuses a user disabled since logging in."""
    chat_user = cl.user_session.get("user")
    user = await asyncio.to_thread(_active_user, chat_user.identifier) if chat_user else None
    if user is None:
        raise InputError("Your account is not active any more. Please log in again.")
    return user.id


def _thread_id() -> str:
    """The Chainlit thread id, which is also the LangGraph thread id.

    Chainlit only makes thread ids with uuid4, while the Slack bot's ids are uuid5 and the CLI's start with
    ``cli-``; refusing anything else keeps a crafted id from continuing another channel's conversation.
    """
    thread_id = str(cl.context.session.thread_id)
    try:
        if uuid.UUID(thread_id).version == 4:
            return thread_id
    except ValueError:
        pass
    raise InputError("This conversation cannot be continued here. Please start a new chat.")


# -- settings ----------------------------------------------------------------------------------------


def platform_settings(initial: list[str] | None = None) -> cl.ChatSettings:
    """Platforms that always get a draft (besides the ones named in the message)."""
    rules = platform_rules()
    widgets: list[InputWidget] = [
        MultiSelect(
            id="platforms",
            label="Always write for",
            items={rules[name].label: name for name in rules},
            initial=[p for p in initial or [] if p in rules],
            description="Leave empty to use the platforms you name in your message, "
            "or your brand profile's defaults.",
        )
    ]
    return cl.ChatSettings(widgets)


def _selected_platforms() -> list[str]:
    chosen = (cl.user_session.get("chat_settings") or {}).get("platforms") or []
    return [p for p in chosen if isinstance(p, str)]


@cl.on_chat_start
async def start_chat() -> None:
    await platform_settings().send()


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """Nothing to load: the checkpointer holds the conversation under this thread id. Show the settings
    again and, if an approval was left open, the buttons to answer it."""
    await platform_settings(_selected_platforms()).send()
    try:
        pending = await _studio().result(thread_id=_thread_id())
    except StudioError:
        return
    except Exception:
        log.exception("Could not read the state of thread %s on resume.", thread.get("id"))
        return
    if pending.approval:
        await cl.Message(content=pending.reply, actions=_approval_buttons(LATER_ACTION)).send()


# -- turns -------------------------------------------------------------------------------------------


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


ANSWER_ACTION = "studio_approval_answer"
LATER_ACTION = "studio_approval_later"


def _approval_buttons(name: str) -> list[cl.Action]:
    return [
        cl.Action(name=name, payload={"approved": True}, label="Approve", icon="check"),
        cl.Action(name=name, payload={"approved": False}, label="Decline", icon="x"),
    ]


async def _deliver(result: TurnResult, *, user_id: str, thread_id: str, steps: ToolSteps) -> None:
    """Show the reply; while the agent waits for an approval, ask for it and resume with the answer."""
    for _ in range(MAX_APPROVAL_ROUNDS):
        if not result.approval:
            await cl.Message(content=result.reply or "Done.").send()
            return
        answer = await cl.AskActionMessage(
            content=result.reply, actions=_approval_buttons(ANSWER_ACTION), timeout=APPROVAL_TIMEOUT_S
        ).send()
        if answer is None:
            await cl.Message(
                content="Still waiting for your decision: " + result.reply,
                actions=_approval_buttons(LATER_ACTION),
            ).send()
            return
        approved = bool((answer.get("payload") or {}).get("approved"))
        result = await _studio().run_turn(
            user_id=user_id,
            thread_id=thread_id,
            resume={"approved": approved},
            channel="web",
            on_event=steps,
        )
    await cl.Message(content="That is enough approvals for one message; tell me what to do next.").send()


def _attachments(message: cl.Message) -> list[tuple[Path, str]]:
    """Uploaded files as (path, the user's file name): Chainlit stores them under random names, and ingest
    checks that a file's content matches its name."""
    return [(Path(el.path), el.name or Path(el.path).name) for el in message.elements or [] if el.path]


async def _turn(
    *,
    text: str | None = None,
    approved: bool | None = None,
    attachments: list[tuple[Path, str]] | None = None,
) -> None:
    """One turn with the error policy of the edge: expected failures are shown, the rest logged."""
    user_id = thread_id = "?"
    try:
        user_id = await _current_user_id()
        thread_id = _thread_id()
        steps = ToolSteps()
        result = await _studio().run_turn(
            user_id=user_id,
            thread_id=thread_id,
            text=text,
            resume=None if approved is None else {"approved": approved},
            platforms=_selected_platforms() if text is not None else (),
            channel="web",
            on_event=steps,
            attachments=attachments or (),
        )
        await _deliver(result, user_id=user_id, thread_id=thread_id, steps=steps)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
    except Exception:
        log.exception("Web turn failed (user %s, thread %s).", user_id, thread_id)
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await _turn(text=message.content, attachments=_attachments(message))


@cl.action_callback(LATER_ACTION)
async def on_late_approval(action: cl.Action) -> None:
    """The Approve/Decline buttons shown after the question timed out or when the chat was resumed."""
    await action.remove()
    await _turn(approved=bool(action.payload.get("approved")))

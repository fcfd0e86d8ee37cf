"""The web chat (Chainlit): only its handlers, each handing over to the module that does the work.

Start it with ``studio run`` (:mod:`ui.web.server`), which sets Chainlit's environment before this module is
imported: every module here that imports Chainlit is imported from this one. One :class:`Studio` serves the
whole process (:mod:`ui.web.runtime`); the LangGraph thread id is the Chainlit thread id.

- :mod:`ui.web.auth` — logins (password, trusted header, OAuth) and the user and thread of a session
- :mod:`ui.web.chat_settings` — the settings form (chat platforms, brand profile) and panel commands
- :mod:`ui.web.turns` — running a message or a button through the agent, tool steps, approvals
- :mod:`ui.web.replies` — the reply and its drafts as cards
- :mod:`ui.web.cards` — the draft cards' buttons (each one tool call, :mod:`ui.web.calls`)
- :mod:`ui.web.panels` — calendar, analytics, profile and accounts, and the calendar's buttons
- :mod:`ui.web.audio` — voice notes recorded in the browser
"""

from __future__ import annotations

import logging
from typing import Any

import chainlit as cl
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.types import ThreadDict

from agent.core.db import async_url
from agent.core.errors import StudioError
from agent.core.settings import Settings
from ui.web import audio, auth, cards, chat_settings, panels, turns, views
from ui.web.runtime import RUNTIME, close_studio, open_studio, settings, studio
from ui.web.runtime import storage_client as storage_client
from ui.web.storage import LocalStorageClient

log = logging.getLogger(__name__)

THREADS_PER_USER = 500
SQLITE_BUSY_TIMEOUT_S = 30


def configure(config: Settings) -> None:
    """Hand the settings over (``ui.web.server``); without it the app reads them from the environment.

    Header auth and OAuth are registered here, and only when configured: Chainlit offers a login method as
    soon as its callback exists."""
    RUNTIME.settings = config
    if config.auth_header:
        cl.header_auth_callback(auth.header_login)
    if auth.allowed_oauth_providers(config):
        cl.oauth_callback(auth.oauth_login)


# -- life cycle and storage ----------------------------------------------------------------------------


@cl.on_app_startup
async def start_studio() -> None:
    opened = await open_studio()
    log.info("Studio open (%s).", ", ".join(f"{k}: {v}" for k, v in opened.services.backend.items()))


@cl.on_app_shutdown
async def stop_studio() -> None:
    await close_studio()


@cl.data_layer
def data_layer() -> SQLAlchemyDataLayer:
    """Chainlit's threads, steps and users live in the studio's own database (tables from migration 0002)."""
    url = async_url(settings().sqlalchemy_url)
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_S} if url.startswith("sqlite") else {}
    client: LocalStorageClient = storage_client()
    return SQLAlchemyDataLayer(
        conninfo=url, connect_args=connect_args, user_thread_limit=THREADS_PER_USER, storage_provider=client
    )


# -- sessions ------------------------------------------------------------------------------------------


@cl.password_auth_callback
async def login(email: str, password: str) -> cl.User | None:
    return await auth.password_login(email, password)


@cl.on_chat_start
async def start_chat() -> None:
    await chat_settings.start_session()


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """Nothing to load: the checkpointer holds the conversation under this thread id. Show the settings
    again and, if an approval was left open, the buttons to answer it."""
    await chat_settings.start_session()
    try:
        pending = await studio().result(thread_id=auth.thread_id(), user_id=await auth.current_user_id())
    except StudioError:
        return
    except Exception:
        log.exception("Could not read the state of thread %s on resume.", thread.get("id"))
        return
    if pending.approval:
        await cl.Message(
            content=turns.approval_text(pending), actions=turns.approval_buttons(turns.LATER_ACTION)
        ).send()


@cl.on_settings_update
async def settings_updated(values: dict[str, Any]) -> None:
    await chat_settings.settings_updated(values)


# -- messages and voice notes --------------------------------------------------------------------------


@cl.on_message
async def on_message(message: cl.Message) -> None:
    panel = panels.panel_for(message.content or "", getattr(message, "command", None))
    if panel is not None and not message.elements:
        await panels.open_panel(panel)
        return
    await turns.run_turn(
        text=message.content,
        attachments=turns.attachments(message),
        platforms=chat_settings.selected_platforms(),
    )


@cl.on_audio_start
async def on_audio_start() -> bool:
    return await audio.start_recording()


@cl.on_audio_chunk
async def on_audio_chunk(chunk: cl.InputAudioChunk) -> None:
    await audio.add_chunk(chunk)


@cl.on_audio_end
async def on_audio_end() -> None:
    await audio.end_recording()


# -- buttons -------------------------------------------------------------------------------------------


@cl.action_callback(turns.LATER_ACTION)
@turns.running
async def on_late_approval(action: cl.Action) -> None:
    """The Approve/Decline buttons shown after the question timed out or when the chat was resumed."""
    await action.remove()
    await turns.run_turn(approved=bool(action.payload.get("approved")))


@cl.action_callback(views.DRAFT_ACTION)
@turns.running
async def on_draft_action(action: cl.Action) -> None:
    await cards.on_draft_action(action)


@cl.action_callback(views.CALENDAR_ACTION)
@turns.running
async def on_calendar_page(action: cl.Action) -> None:
    await panels.on_calendar_page(action)


@cl.action_callback(views.POST_ACTION)
@turns.running
async def on_post_action(action: cl.Action) -> None:
    await panels.on_post_action(action)

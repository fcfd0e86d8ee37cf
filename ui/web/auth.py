"""Who is chatting: logins against the studio's users (password, a trusted proxy header, OAuth), and the
studio user and thread behind the current Chainlit session."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

import chainlit as cl

from agent.core.errors import InputError
from agent.core.settings import Settings
from agent.services.views import web
from agent.services.views.web import WebUser
from ui.web.runtime import service, settings

log = logging.getLogger(__name__)

MAX_EMAIL_CHARS = 320


def chat_user(user: WebUser) -> cl.User:
    return cl.User(
        identifier=user.email, display_name=user.display_name, metadata={"studio_user_id": user.id}
    )


async def password_login(email: str, password: str) -> cl.User | None:
    user = await service(web.check_password, email=email, password=password)
    if user is None:
        log.info("Failed web login for %r.", email[:MAX_EMAIL_CHARS])
        return None
    return chat_user(user)


def header_email(headers: Mapping[str, str], name: str) -> str | None:
    """The e-mail the reverse proxy put in the trusted header ``name`` (one value, trimmed), else None."""
    value = headers.get(name) or headers.get(name.lower())
    if not value:
        return None
    value = value.strip()
    return value if "@" in value and len(value) <= MAX_EMAIL_CHARS and "," not in value else None


async def header_login(headers: Mapping[str, str]) -> cl.User | None:
    """Header auth (STUDIO_AUTH_HEADER): an active studio user named by the proxy's header, else nobody."""
    email = header_email(headers, settings().auth_header)
    user = await service(web.active_user, email=email) if email else None
    if user is None:
        log.info("Header login refused (%s).", "no user" if email else "no header")
        return None
    return chat_user(user)


def allowed_oauth_providers(config: Settings) -> frozenset[str]:
    return frozenset(p.strip() for p in config.oauth_providers.split(",") if p.strip())


async def oauth_login(
    provider_id: str,
    token: str,
    raw_user_data: dict[str, Any],
    default_user: cl.User,
    id_token: str | None = None,
) -> cl.User | None:
    """OAuth (STUDIO_OAUTH_PROVIDERS): an allowed provider vouching for the e-mail of an active studio user."""
    if provider_id not in allowed_oauth_providers(settings()):
        return None
    email = str(raw_user_data.get("email") or "")
    if "@" not in email and "@" in default_user.identifier:
        email = default_user.identifier
    user = await service(web.active_user, email=email) if "@" in email else None
    if user is None:
        log.info("OAuth login through %s refused: no active studio user with that e-mail.", provider_id)
        return None
    return chat_user(user)


async def current_user_id() -> str:
    """The studio user behind this chat session; refuses a user disabled since logging in."""
    session_user = cl.user_session.get("user")
    user = await service(web.active_user, email=session_user.identifier) if session_user else None
    if user is None:
        raise InputError("Your account is not active any more. Please log in again.")
    return user.id


def thread_id() -> str:
    """The Chainlit thread id, which is also the LangGraph thread id.

    Chainlit only makes thread ids with uuid4, while the Slack bot's ids are uuid5 and the CLI's start with
    ``cli-``; refusing anything else keeps a crafted id from continuing another channel's conversation.
    """
    value = str(cl.context.session.thread_id)
    try:
        if uuid.UUID(value).version == 4:
            return value
    except ValueError:
        pass
    raise InputError("This conversation cannot be continued here. Please start a new chat.")

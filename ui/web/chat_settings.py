"""The settings form next to the message box — the platforms this chat always writes for, and the brand
profile (saved for every chat) — and the panel commands offered in the composer."""

from __future__ import annotations

import logging
from typing import Any

import chainlit as cl
from chainlit.input_widget import InputWidget, MultiSelect, Select, Tags, TextInput
from chainlit.types import CommandDict

from agent.core.errors import StudioError
from agent.services.views import web
from agent.services.views.profile import ProfileView, profile_changes
from prompts.languages import LANGUAGES
from prompts.platforms import platform_rules
from ui.web.auth import current_user_id
from ui.web.runtime import service
from ui.web.turns import SOMETHING_WENT_WRONG

log = logging.getLogger(__name__)


def platform_settings(
    initial: list[str] | None = None, profile: ProfileView | None = None
) -> cl.ChatSettings:
    """Platforms that always get a draft (this chat), and the brand profile (saved for every chat)."""
    rules = platform_rules()
    p = profile or ProfileView()
    widgets: list[InputWidget] = [
        MultiSelect(
            id="platforms",
            label="Always write for",
            items={rules[name].label: name for name in rules},
            initial=[x for x in initial or [] if x in rules],
            description="Leave empty to use the platforms you name in your message, "
            "or your brand profile's defaults.",
        ),
        TextInput(id="brand_name", label="Brand name", initial=p.brand_name),
        TextInput(
            id="tone",
            label="Tone",
            initial=p.tone or "friendly",
            description="How your posts sound, e.g. friendly, playful, professional.",
        ),
        TextInput(id="audience", label="Audience", initial=p.audience),
        Select(
            id="language",
            label="Language",
            items={name: code for code, (name, _) in LANGUAGES.items()},
            initial_value=p.language if p.language in LANGUAGES else "en",
        ),
        TextInput(
            id="timezone",
            label="Timezone",
            initial=p.timezone or "UTC",
            description="An IANA name such as Europe/Berlin: times you type and the calendar use it.",
        ),
        Select(
            id="emoji_policy",
            label="Emoji",
            items={"None": "none", "A few": "light", "Freely": "free"},
            initial_value=p.emoji_policy or "light",
        ),
        Tags(id="banned_words", label="Words never to use", initial=list(p.banned_words)),
    ]
    return cl.ChatSettings(widgets)


def selected_platforms() -> list[str]:
    """The platforms chosen in this chat's settings."""
    chosen = (cl.user_session.get("chat_settings") or {}).get("platforms") or []
    return [p for p in chosen if isinstance(p, str)]


async def send_settings(user_id: str | None) -> None:
    profile = await service(web.profile, user_id=user_id) if user_id else None
    await platform_settings(selected_platforms(), profile).send()


async def settings_updated(settings: dict[str, Any]) -> None:
    """Save what the form changed in the brand profile, and say which fields."""
    try:
        user_id = await current_user_id()
        current = await service(web.profile, user_id=user_id)
        changes = profile_changes(settings, current.model_dump())
        if changes:
            await service(web.save_profile, user_id=user_id, changes=changes)
            names = ", ".join(k.replace("_", " ") for k in changes)
            await cl.Message(content=f"Saved to your brand profile: {names}.").send()
    except StudioError as exc:
        await cl.Message(content=f"Your settings were not saved: {exc}").send()
    except Exception:
        log.exception("Saving the settings failed.")
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


def _command(name: str, icon: str, description: str) -> CommandDict:
    return {
        "id": name,
        "icon": icon,
        "description": description,
        "button": False,
        "persistent": False,
        "selected": False,
    }


COMMANDS: list[CommandDict] = [
    _command("Calendar", "calendar", "Scheduled and published posts (week / month)"),
    _command("Analytics", "chart-line", "Engagement, best hours and top posts"),
    _command("Profile", "user", "Your brand profile"),
    _command("Accounts", "link", "Connected publishing accounts"),
]


async def start_session() -> None:
    """A chat opened or resumed: the settings form with the profile, and the panel commands."""
    user_id: str | None
    try:
        user_id = await current_user_id()
    except StudioError:
        user_id = None
    await send_settings(user_id)
    await cl.context.emitter.set_commands(COMMANDS)

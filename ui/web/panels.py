"""The studio's panels — calendar (week / month), analytics, brand profile, connected accounts — opened by a
command or a short message, and the calendar's buttons (page, cancel or reschedule a post)."""

from __future__ import annotations

from datetime import date
from typing import Any

import chainlit as cl

from agent.core.errors import InputError, StudioError
from agent.services.views import web
from agent.services.views.calendar import View, parse_anchor
from ui.web import calls, charts, views
from ui.web.runtime import service
from ui.web.turns import ask_text, guarded, run_action

_PANELS = {
    "calendar": "calendar",
    "my calendar": "calendar",
    "show my calendar": "calendar",
    "calendar week": "calendar",
    "calendar month": "calendar month",
    "month": "calendar month",
    "analytics": "analytics",
    "stats": "analytics",
    "profile": "profile",
    "brand profile": "profile",
    "my profile": "profile",
    "accounts": "accounts",
    "connected accounts": "accounts",
    "my accounts": "accounts",
}


def panel_for(text: str, command: str | None = None) -> str | None:
    """The panel a message asks for ("calendar", "/analytics", the Calendar command...), else None."""
    if command:
        return _PANELS.get(command.strip().lower())
    key = " ".join(text.strip().lower().lstrip("/").split()).rstrip(".!?")
    return _PANELS.get(key)


async def open_panel(panel: str) -> None:
    if panel.startswith("calendar"):
        view = View.MONTH if panel.endswith("month") else View.WEEK
        await guarded("calendar", lambda uid: show_calendar(uid, view=view))
    elif panel == "analytics":
        await guarded("analytics", show_analytics)
    elif panel == "profile":
        await guarded("profile", show_profile)
    elif panel == "accounts":
        await guarded("accounts", show_accounts)


async def show_calendar(user_id: str, *, view: View = View.WEEK, anchor: date | None = None) -> None:
    cal = await service(web.calendar, user_id=user_id, view=view, anchor=anchor)
    await cl.Message(content=views.calendar_content(cal), actions=views.calendar_actions(cal)).send()


async def on_calendar_page(action: cl.Action) -> None:
    async def work(user_id: str) -> None:
        try:
            view = View(str(action.payload.get("view") or "week"))
        except ValueError:
            raise InputError(calls.NOT_OURS) from None
        await show_calendar(user_id, view=view, anchor=parse_anchor(action.payload.get("anchor")))

    await guarded("calendar", work)


async def on_post_action(action: cl.Action) -> None:
    """Cancel or reschedule a post from the calendar with the agent's own tools, then the week again."""
    op = str(action.payload.get("op") or "")
    try:
        post_id = calls.payload_id(action.payload, "post_id")
        if op not in {"cancel", "reschedule"}:
            raise InputError(calls.NOT_OURS)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
        return
    if op == "cancel":
        await run_action(calls.cancel_post(post_id))
    else:
        when = await ask_text(
            f"When should post #{post_id} go out instead? (“tomorrow 9am”, “2026-12-01 14:30”, in your timezone)"
        )
        if when is None:
            return
        await run_action(calls.reschedule_post(post_id, when))
    await guarded("calendar", show_calendar)


async def show_analytics(user_id: str) -> None:
    data = await service(web.analytics, user_id=user_id)
    figures = charts.analytics_figures(data)
    elements: list[Any] = [
        cl.Plotly(name=name, figure=figure, display="inline", size="large") for name, figure in figures
    ]
    await cl.Message(content=charts.analytics_summary(data), elements=elements).send()


async def show_profile(user_id: str) -> None:
    profile = await service(web.profile, user_id=user_id)
    await cl.Message(content=views.profile_content(profile)).send()


async def show_accounts(user_id: str) -> None:
    accounts = await service(web.accounts, user_id=user_id)
    await cl.Message(content=views.accounts_content(accounts)).send()

"""Modal submissions: the edited draft text, and the picked publishing time."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agent.core.errors import StudioError
from ui.slack import blocks
from ui.slack.service import SlackService, Who


def _who(body: dict[str, Any]) -> Who:
    user = body.get("user") or {}
    team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    return Who(team_id=team, slack_user_id=str(user.get("id") or ""))


def register(app: AsyncApp, service: SlackService) -> None:
    @app.view(blocks.VIEW_EDIT)
    async def on_edit(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        who = _who(body)
        try:
            errors = await service.check_edit(who=who, view=view)
        except StudioError as exc:
            errors = {blocks.EDIT_BLOCK: str(exc)[:150]}
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        await service.edited(who=who, view=view, client=client)

    @app.view(blocks.VIEW_SCHEDULE)
    async def on_schedule(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        try:
            service.picked(view)
        except StudioError as exc:
            await ack(response_action="errors", errors={blocks.TIME_BLOCK: str(exc)[:150]})
            return
        await ack()
        await service.scheduled(who=_who(body), view=view, client=client)

"""``/studio``: answered at once (the ack), the work continues in the background."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from ui.slack.service import SlackService, Who

COMMAND = "/studio"


def register(app: AsyncApp, service: SlackService) -> None:
    @app.command(COMMAND)
    async def studio_command(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        who = Who(team_id=str(command.get("team_id") or ""), slack_user_id=str(command.get("user_id") or ""))
        answer = await service.command(
            who=who,
            channel_id=str(command.get("channel_id") or ""),
            text=str(command.get("text") or ""),
            response_url=command.get("response_url"),
            client=client,
        )
        await ack(response_type="ephemeral", **answer)

"""Mentions, DMs and thread replies (with their files) go to the agent; nothing else is answered."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from ui.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    async def forward(
        body: dict[str, Any],
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        mention: bool,
    ) -> None:
        await service.message(
            event=event,
            team_id=str(context.team_id or body.get("team_id") or ""),
            event_id=body.get("event_id"),
            bot_user_id=context.bot_user_id,
            client=client,
            mention=mention,
        )

    @app.event("app_mention")
    async def on_mention(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await forward(body, event, context, client, True)

    @app.event("message")
    async def on_message(
        body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await forward(body, event, context, client, False)

    @app.event("file_shared")
    async def on_file_shared() -> None:
        """Files arrive with their message (``file_share``); this event only carries an id."""

"""Buttons: approve / decline a pending approval, and a draft's Approve, Edit, Schedule and Regenerate."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from ui.slack import blocks
from ui.slack.service import SlackService

_OURS = re.compile(
    "^(" + "|".join(re.escape(a) for a in (blocks.ACTION_APPROVAL, *blocks.DRAFT_ACTIONS)) + ")$"
)


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action(_OURS)
    async def on_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await service.action(body=body, client=client)

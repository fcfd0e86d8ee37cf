"""Bolt listeners: thin, each module with ``register(app, service)``; the work is in the service."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from ui.slack.listeners import actions, commands, events, views
from ui.slack.service import SlackService


def register_all(app: AsyncApp, service: SlackService) -> None:
    for module in (commands, events, actions, views):
        module.register(app, service)

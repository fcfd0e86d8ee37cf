"""Linking other channels to the studio: a one-time code that links a Slack account to this user."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core.errors import StudioError
from tools.common import user_session


@tool(response_format="content_and_artifact")
def link_slack(runtime: ToolRuntime[Any]) -> tuple[str, dict[str, Any]]:
    """Give the user a one-time code that links their Slack account to this studio (memory, brand profile,
    drafts and queue then shared with Slack). Use when the user asks to link or connect Slack.

    The code works once, for 10 minutes; earlier unused codes stop working. Only its hash is stored.
    """
    with user_session(runtime) as (session, ctx):
        if ctx.channel == "slack":
            text = (
                "Ask me for the code in the web studio (“link my slack”), then type /studio link CODE here in "
                "Slack."
            )
            return text, {"type": "error", "message": text}
        try:
            code, expires = repo.issue_slack_link_code(session, user_id=ctx.user_id)
        except StudioError as exc:
            return str(exc), {"type": "error", "message": str(exc)}
    minutes = repo.SLACK_LINK_TTL_S // 60
    text = (
        f"Your Slack link code is {code}. In Slack, type `/studio link {code}` within {minutes} minutes "
        "(it works once). Slack then shares this studio's memory, brand profile, drafts and queue."
    )
    return text, {"type": "link_code", "expires_at": expires.isoformat(), "reply": text}

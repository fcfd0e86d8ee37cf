"""Linking other channels to the studio: a one-time code that links a Slack account to this user."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core.errors import InputError
from agent.services.results import LinkCodeResult, ToolOutput
from tools.common import tool_errors, user_session


@tool(response_format="content_and_artifact")
@tool_errors
def link_slack(runtime: ToolRuntime[Any]) -> ToolOutput:
    """Give the user a one-time code that links their Slack account to this studio (memory, brand profile,
    drafts and queue then shared with Slack). Use when the user asks to link or connect Slack.

    The code works once, for 10 minutes; earlier unused codes stop working. Only its hash is stored.
    """
    with user_session(runtime) as (session, ctx):
        if ctx.channel == "slack":
            raise InputError(
                "Ask me for the code in the web studio (“link my slack”), then type /studio link CODE here in "
                "Slack."
            )
        code, expires = repo.issue_slack_link_code(session, user_id=ctx.user_id)
    minutes = repo.SLACK_LINK_TTL_S // 60
    text = (
        f"Your Slack link code is {code}. In Slack, type `/studio link {code}` within {minutes} minutes "
        "(it works once). Slack then shares this studio's memory, brand profile, drafts and queue."
    )
    return text, LinkCodeResult(expires_at=expires.isoformat(), reply=text).model_dump(mode="json")

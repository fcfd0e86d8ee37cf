"""Helpers for tests that call agent tools directly on a real Studio (SQLite, template writer)."""

from __future__ import annotations

from typing import Any

from langgraph.prebuilt import ToolRuntime

from agent import repo
from agent.context import Context
from agent.db import session_scope
from agent.studio import Studio


def make_user(studio: Studio, email: str, **profile: Any) -> str:
    """A user (and brand-profile fields, when given)."""
    with session_scope(studio.services.engine) as session:
        uid = repo.create_user(session, email=email, password="long-enough-pw").id
        if profile:
            repo.update_brand_profile(session, user_id=uid, **profile)
    return uid


def run_tool(
    studio: Studio, uid: str, tool: Any, state: Any = None, **args: Any
) -> tuple[str, dict[str, Any]]:
    """Call a tool's function as the ToolNode would, for user ``uid`` in thread "t"."""
    ctx = Context(services=studio.services, user_id=uid, thread_id="t")
    runtime = ToolRuntime(
        state=state, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="c", store=None
    )
    result: tuple[str, dict[str, Any]] = tool.func(runtime=runtime, **args)
    return result

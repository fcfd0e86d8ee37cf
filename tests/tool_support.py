"""Helpers for tests that call agent tools directly on a real Studio (SQLite, template writer)."""

from __future__ import annotations

from typing import Any

from agent.core import repo
from agent.core.db import session_scope
from agent.runtime.studio import Studio
from tools.common import call_tool


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
    return call_tool(studio.services, tool, user_id=uid, thread_id="t", state=state, **args)

"""Helpers for tests that call agent tools directly on a real Studio (SQLite, template writer)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import ToolMessage

from agent.core import repo
from agent.core.db import session_scope
from agent.runtime.studio import Studio
from agent.services.results import parse_result
from tools.common import call_tool


def make_user(studio: Studio, email: str, **profile: Any) -> str:
    """A user (and brand-profile fields, when given)."""
    with session_scope(studio.services.engine) as session:
        uid = repo.create_user(session, email=email, password="long-enough-pw").id
        if profile:
            repo.update_brand_profile(session, user_id=uid, **profile)
    return uid


def checked(artifact: Any) -> dict[str, Any]:
    """The artifact, asserted to be a typed tool result (``parse_result``) with exactly its model's keys."""
    parsed = parse_result(artifact)
    assert parsed is not None, f"not a tool result: {artifact!r}"
    assert parsed.model_dump(mode="json") == artifact, f"{type(parsed).__name__} changes {artifact!r}"
    return dict(artifact)


def run_tool(
    studio: Studio, uid: str, tool: Any, state: Any = None, **args: Any
) -> tuple[str, dict[str, Any]]:
    """Call a tool's function as the ToolNode would, for user ``uid`` in thread "t"; its artifact is checked
    to be a typed tool result."""
    message, artifact = call_tool(studio.services, tool, user_id=uid, thread_id="t", state=state, **args)
    return message, checked(artifact)


async def turn_artifacts(studio: Studio, thread_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(tool name, artifact) of every tool message in the conversation's checkpoint, in order."""
    state = await studio.graph.aget_state({"configurable": {"thread_id": thread_id}})
    messages = state.values.get("messages") or []
    return [(m.name or "", m.artifact) for m in messages if isinstance(m, ToolMessage)]

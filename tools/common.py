"""Helpers shared by the tool modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.core.db import session_scope
from agent.services.context import Context


@contextmanager
def user_session(runtime: ToolRuntime[Any]) -> Iterator[tuple[Session, Context]]:
    ctx: Context = runtime.context  # unparameterized ToolRuntime: pydantic must not validate the services
    with session_scope(ctx.services.engine) as session:
        yield session, ctx


def call_tool(
    services: Any, tool: Any, *, user_id: str, thread_id: str, state: Any = None, **args: Any
) -> tuple[str, dict[str, Any]]:
    """Run a tool's function directly, as the ToolNode would, for ``user_id`` (a UI action that does not go
    through the planner, e.g. saving an edit from a Slack modal). Returns (message, artifact)."""
    ctx = Context(services=services, user_id=user_id, thread_id=thread_id)
    runtime = ToolRuntime(
        state=state, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="ui", store=None
    )
    result: tuple[str, dict[str, Any]] = tool.func(runtime=runtime, **args)
    return result

"""Helpers shared by the tool modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.context import Context
from agent.db import session_scope


@contextmanager
def user_session(runtime: ToolRuntime[Any]) -> Iterator[tuple[Session, Context]]:
    ctx: Context = runtime.context  # unparameterized ToolRuntime: pydantic must not validate the services
    with session_scope(ctx.services.engine) as session:
        yield session, ctx

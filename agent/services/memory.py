"""Memory: the conversation checkpointer on the configured database, and long-term memory for the prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from sqlmodel import Session

from agent.core import repo
from agent.core.db import libpq_url, sqlite_path
from agent.core.settings import Settings
from prompts import render

MAX_MEMORIES_IN_PROMPT = 50


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async checkpointer on the same database as the rest of the studio (SQLite file or Postgres)."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            await saver.setup()
            # WAL + NORMAL: a commit survives an app crash without an fsync per checkpoint write.
            await saver.conn.execute("PRAGMA journal_mode=WAL")
            await saver.conn.execute("PRAGMA synchronous=NORMAL")
            yield saver
    else:
        async with AsyncPostgresSaver.from_conn_string(libpq_url(url)) as saver:
            await saver.setup()
            yield saver


def system_prompt(
    session: Session, *, user_id: str, platforms: list[str], now: datetime | None = None
) -> str:
    """The planner's system prompt: brand profile and remembered facts of this user only."""
    profile = repo.get_brand_profile(session, user_id=user_id)
    memories = [m.content for m in repo.list_memories(session, user_id=user_id)][-MAX_MEMORIES_IN_PROMPT:]
    try:
        tz = ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError):  # a bad stored zone must not break the chat
        tz = ZoneInfo("UTC")
    today = (now or datetime.now(UTC)).astimezone(tz).strftime("%A %d %B %Y, %H:%M")
    return render("system", today=today, profile=profile, memories=memories, platforms=platforms)

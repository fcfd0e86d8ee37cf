"""Long-term memories and brand-voice rules, scoped to ``user_id``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import (
    Memory,
)
from agent.core.repo.base import owned

MAX_MEMORY_CHARS = 2000
MAX_MEMORIES_PER_USER = 500


def add_memory(
    session: Session, *, user_id: str, content: str, kind: str = "fact", source: str = "user"
) -> Memory:
    content = " ".join(content.split())
    if not content:
        raise InputError("There is nothing to remember: the text is empty.")
    if len(content) > MAX_MEMORY_CHARS:
        raise InputError(f"A memory can hold at most {MAX_MEMORY_CHARS} characters (got {len(content)}).")
    existing = session.exec(
        select(Memory).where(Memory.user_id == user_id, sa.func.lower(Memory.content) == content.lower())
    ).first()
    if existing is not None:
        return existing
    count = session.exec(select(sa.func.count()).select_from(Memory).where(Memory.user_id == user_id)).one()
    if int(count) >= MAX_MEMORIES_PER_USER:
        raise InputError(f"You have {MAX_MEMORIES_PER_USER} memories, the most kept; delete some first.")
    memory = Memory(user_id=user_id, content=content, kind=kind, source=source)
    session.add(memory)
    session.flush()
    return memory


def list_memories(
    session: Session, *, user_id: str, kind: str | None = None, limit: int = 200
) -> list[Memory]:
    query = select(Memory).where(Memory.user_id == user_id)
    if kind:
        query = query.where(Memory.kind == kind)
    return list(session.exec(query.order_by(col(Memory.created_at), col(Memory.id)).limit(limit)))


def delete_memory(session: Session, *, user_id: str, memory_id: int) -> None:
    session.delete(owned(session, Memory, memory_id, user_id=user_id, what="memory"))

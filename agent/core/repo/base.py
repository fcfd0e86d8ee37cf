"""What every repository module shares: the clock and the one owned-row lookup."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from sqlmodel import Session, SQLModel

from agent.core.errors import NotFound

T = TypeVar("T", bound=SQLModel)


def now() -> datetime:
    return datetime.now(UTC)


def owned(session: Session, model: type[T], row_id: int, *, user_id: str, what: str) -> T:
    """The row ``row_id`` of ``model`` when it is ``user_id``'s. A row that exists but belongs to someone else
    is reported exactly like a missing one: :class:`NotFound` ("No <what> #<id>.")."""
    row = session.get(model, row_id)
    if row is None or getattr(row, "user_id", None) != user_id:
        raise NotFound(f"No {what} #{row_id}.")
    return row

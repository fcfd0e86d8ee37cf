"""The record of what the user approved or declined."""

from __future__ import annotations

from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import (
    Approval,
)


def record_approval(
    session: Session,
    *,
    user_id: str,
    tool: str,
    decision: str,
    target: str = "",
    thread_id: str | None = None,
    note: str = "",
) -> Approval:
    if decision not in {"approved", "declined"}:
        raise InputError("decision must be 'approved' or 'declined'.")
    approval = Approval(
        user_id=user_id, tool=tool, decision=decision, target=target, thread_id=thread_id, note=note[:1000]
    )
    session.add(approval)
    session.flush()
    return approval


def list_approvals(session: Session, *, user_id: str, limit: int = 100) -> list[Approval]:
    query = select(Approval).where(Approval.user_id == user_id).order_by(col(Approval.id).desc()).limit(limit)
    return list(session.exec(query))
